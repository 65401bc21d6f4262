/**
 * The "try it" line printed after a device gets a secret: a mosquitto_pub
 * command that works when pasted, so a newcomer sees data arrive at once.
 */

/** The broker's default plain-TCP port, used when the server does not report one. */
export const DEFAULT_MQTT_PORT = 1883;

/** MQTT user name of a device (ARCHITECTURE §5): `id` in tenant `default`, else `id@tenant`. */
export function mqttUsername(deviceId: string, tenant: string): string {
  return tenant === 'default' ? deviceId : `${deviceId}@${tenant}`;
}

/** Host part of the API URL, without IPv6 brackets (mosquitto wants the bare address). */
export function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Quotes a word for POSIX shells; plain words stay bare. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface MosquittoHint {
  readonly url: string;
  readonly port: number;
  readonly deviceId: string;
  readonly tenant: string;
  readonly secret: string;
}

/** `mosquitto_pub -h <host> -p <port> -i <id> -u <user> -P '<secret>' -t devices/<id>/telemetry -m '{...}'` */
export function mosquittoPubLine(h: MosquittoHint): string {
  // The secret is always single-quoted: it is what people copy, and quoting it keeps it visibly one word.
  const secret = `'${h.secret.replaceAll("'", `'\\''`)}'`;
  return [
    'mosquitto_pub',
    `-h ${shellQuote(hostOf(h.url))}`,
    `-p ${h.port}`,
    `-i ${shellQuote(h.deviceId)}`,
    `-u ${shellQuote(mqttUsername(h.deviceId, h.tenant))}`,
    `-P ${secret}`,
    `-t ${shellQuote(`devices/${h.deviceId}/telemetry`)}`,
    `-m '{"temperature":21.5}'`,
  ].join(' ');
}
