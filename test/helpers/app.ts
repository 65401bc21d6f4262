import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';

export interface TestApp {
  readonly url: string;
  /** Bound MQTT port (TCP) and, when configured, the TLS one. */
  readonly mqttPort: number;
  readonly mqttsPort: number | undefined;
  readonly admin: { readonly username: string; readonly password: string };
  readonly dataDir: string;
  stop(): Promise<void>;
}

export const ADMIN_PASSWORD = 'admin-test-password';

/**
 * The real platform in this process on a free port with a fresh data
 * directory. `env` takes PLEXUS_* settings as a user would give them.
 */
export async function startTestApp(
  opts: { env?: Record<string, string>; keepDataDir?: string } = {},
): Promise<TestApp> {
  const dataDir = opts.keepDataDir ?? mkdtempSync(join(tmpdir(), 'plexus-test-'));
  const config = loadConfig({
    cwd: dataDir,
    env: {
      PLEXUS_DATA_DIR: dataDir,
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_HTTP_HOST: '127.0.0.1',
      PLEXUS_MQTT_PORT: '0',
      PLEXUS_MQTT_HOST: '127.0.0.1',
      PLEXUS_LOG_LEVEL: 'warn',
      PLEXUS_LOG_FORMAT: 'json',
      PLEXUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...opts.env,
    },
  });
  const app = createApp(config);
  const { http, mqtt, mqtts } = await app.start();
  return {
    url: `http://127.0.0.1:${http}`,
    mqttPort: mqtt,
    mqttsPort: mqtts,
    admin: { username: config.admin.username, password: ADMIN_PASSWORD },
    dataDir,
    async stop() {
      await app.stop();
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
