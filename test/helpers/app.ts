import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { type FreshDatabase, freshDatabase } from './postgres.js';

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
 * PLEXUS_TEST_STORE=postgres runs every test app on the machine's
 * PostgreSQL, each in a fresh database (CI runs the suites once so). A
 * restart test (keepDataDir) gets the same database again.
 */
const onPostgres = process.env.PLEXUS_TEST_STORE === 'postgres';
const databases = new Map<string, FreshDatabase>();
let cleanupHooked = false;

async function databaseFor(dataDir: string): Promise<FreshDatabase> {
  let db = databases.get(dataDir);
  if (!db) {
    db = await freshDatabase();
    databases.set(dataDir, db);
  }
  if (!cleanupHooked) {
    cleanupHooked = true;
    process.once('beforeExit', () => {
      void Promise.all([...databases.values()].map((d) => d.drop().catch(() => undefined)));
    });
  }
  return db;
}

/**
 * The real platform in this process on a free port with a fresh data
 * directory. `env` takes PLEXUS_* settings as a user would give them.
 */
export async function startTestApp(
  opts: {
    env?: Record<string, string>;
    keepDataDir?: string;
    /** The backend, whatever PLEXUS_TEST_STORE says (tests about the backends themselves). */
    store?: 'sqlite' | 'postgres';
  } = {},
): Promise<TestApp> {
  const dataDir = opts.keepDataDir ?? mkdtempSync(join(tmpdir(), 'plexus-test-'));
  // A test that names its own PLEXUS_STORE_URL gets no database of ours.
  const store = opts.store ?? (onPostgres ? 'postgres' : 'sqlite');
  const pg = store === 'postgres' && !opts.env?.PLEXUS_STORE_URL ? await databaseFor(dataDir) : undefined;
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
      ...(pg ? { PLEXUS_STORE_URL: pg.url, PLEXUS_STORE_POOL_SIZE: '4' } : {}),
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
      if (opts.keepDataDir) return;
      rmSync(dataDir, { recursive: true, force: true });
      if (pg) {
        databases.delete(dataDir);
        await pg.drop();
      }
    },
  };
}
