import { createApp } from '../app.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../core/logger.js';
import { adminBanner, exitWithError } from './start.js';

export interface InitOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

/** `plexus init`: creates and migrates the data directory and the first admin, without serving. */
export async function runInit(opts: InitOptions): Promise<void> {
  try {
    const overrides = opts.dataDir === undefined ? {} : { dataDir: opts.dataDir };
    const config = loadConfig({ file: opts.config, overrides });
    // Migration notices would drown the one message a person needs here.
    const app = createApp(config, { log: createLogger({ level: 'warn', format: config.log.format }) });
    const result = await app.init();
    await app.stop();
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ dataDir: app.config.dataDir, admin: result.admin ?? null })}\n`,
      );
    } else if (result.admin) {
      process.stdout.write(`Initialised ${app.config.dataDir}\n${adminBanner(result)}`);
    } else {
      process.stdout.write(`${app.config.dataDir} is already initialised; nothing to do.\n`);
    }
  } catch (err) {
    exitWithError(err);
  }
}
