/**
 * The Plexus device SDK (`plexus/device`): connect a device or gateway to
 * Plexus over MQTT (3.1.1 or 5, TCP, TLS, WebSocket) or HTTP, send telemetry
 * and events (JSON, CBOR, SenML) with an offline buffer that replays with the
 * original timestamps, answer commands, follow desired state and report state.
 * Guide: docs/device-sdk.md.
 *
 * @example
 * import { PlexusDevice } from 'plexus/device';
 * const dev = new PlexusDevice({ url: 'mqtt://127.0.0.1:1883', id: 'press-7', secret: process.env.SECRET! });
 * dev.onCommand('shutdown', async () => ({ stopped: true }));
 * await dev.connect();
 * await dev.telemetry({ temperature: 21.5 });
 * @module
 */

export { backoffDelay } from './backoff.js';
export {
  type DesiredHandler,
  type DeviceEvents,
  type DeviceStats,
  PlexusDevice,
} from './client.js';
export type { CommandHandler, CommandInfo, CommandResult } from './commands.js';
export type { TelemetryValue, TelemetryValues } from './encode.js';
export { DeviceSdkError, type DeviceSdkErrorCode } from './errors.js';
export { type DeviceFormat, type DeviceOptions, validateOptions } from './options.js';
