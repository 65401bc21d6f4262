/**
 * The one configuration schema and its loader (file → PLEXUS_* env → flags).
 * @module
 */
export { ConfigErrors } from './errors.js';
export { CONFIG_FILE_NAMES, configLeaves, envName, type LoadOptions, loadConfig } from './load.js';
export { type Config, ConfigSchema } from './schema.js';
