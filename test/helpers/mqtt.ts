import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TestApp } from './app.js';
import { type Client, login } from './http.js';

/** A registered device with its secret, from the real API. */
export interface TestDevice {
  readonly id: string;
  readonly secret: string;
  readonly tenant: string;
}

export async function createDevice(api: Client, body: Record<string, unknown> = {}): Promise<TestDevice> {
  const r = await api.post<{ id: string; secret: string }>('/api/v1/devices', body);
  if (r.status !== 201) throw new Error(`device create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.id, secret: r.body.secret, tenant: 'default' };
}

export async function adminClient(app: TestApp): Promise<Client> {
  return login(app.url, app.admin.username, app.admin.password);
}

/** Connects MQTT.js as a device (or with explicit options); rejects on CONNACK refusal or after 5 s. */
export function connect(
  app: TestApp,
  device: TestDevice | undefined,
  opts: IClientOptions = {},
): Promise<MqttClient> {
  const base: IClientOptions = { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 };
  if (device) {
    base.clientId = device.id;
    base.username = device.tenant === 'default' ? device.id : `${device.id}@${device.tenant}`;
    base.password = device.secret;
  }
  const client = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, { ...base, ...opts });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** Resolves with the next message on the client (topic, payload, packet). */
export function nextMessage(
  client: MqttClient,
  timeoutMs = 3000,
): Promise<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message arrived')), timeoutMs);
    client.once('message', (topic, payload, packet) => {
      clearTimeout(timer);
      resolve({ topic, payload, packet });
    });
  });
}

export function end(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

/** One sample from /metrics, e.g. `plexus_mqtt_dropped_total{reason="queue_full"}` (0 when absent). */
export async function metric(api: Client, sample: string): Promise<number> {
  const text = (await api.get('/metrics')).body as unknown as string;
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
