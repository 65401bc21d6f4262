/**
 * Shared set-up of the MQTT 3.1.1 conformance files: one app per file and
 * raw 3.1.1 clients logged in with an operator API key (may publish and
 * subscribe any non-$ topic of the tenant, under any client id).
 */
import assert from 'node:assert/strict';
import type { IConnectPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { adminClient } from '../../helpers/mqtt.js';
import { createApiKey } from '../../helpers/mqtt-extra.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';

export interface V311 {
  readonly app: TestApp;
  readonly key: string;
  /** A connected 3.1.1 client (CONNACK 0 checked). */
  client(clientId: string, connect?: Partial<IConnectPacket>): Promise<RawMqtt>;
  /** An open TCP connection, nothing sent yet. */
  open(): Promise<RawMqtt>;
  /** CONNECT fields of the API key login. */
  login(clientId: string): Partial<IConnectPacket>;
}

export async function startV311(env: Record<string, string> = {}): Promise<V311> {
  const app = await startTestApp({ env });
  const key = (await createApiKey(await adminClient(app), 'operator')).key;
  return {
    app,
    key,
    client: (clientId, connect = {}) =>
      RawMqtt.apiKey(app.mqttPort, key, clientId, { protocolVersion: 4, connect }),
    open: () => RawMqtt.open(app.mqttPort, { protocolVersion: 4 }),
    login: (clientId) => ({ clientId, username: 'apikey', password: Buffer.from(key) }),
  };
}

/** The broker closed the connection without answering anything (no CONNACK, no other packet). */
export async function closedSilently(c: RawMqtt, what: string): Promise<void> {
  assert.ok(await c.waitClosed(3000), `${what}: the connection stayed open`);
  assert.deepEqual(
    c.received.map((p) => p.cmd),
    [],
    `${what}: the broker answered before closing`,
  );
}

/** The broker closed a connected client's connection (3.1.1 has no DISCONNECT from the server). */
export async function dropped(c: RawMqtt, what: string): Promise<void> {
  assert.ok(await c.waitClosed(3000), `${what}: the connection stayed open`);
  assert.equal(c.parseError, undefined, `${what}: the broker sent bytes that do not parse`);
}

/** Subscribes and checks the granted QoS. */
export async function subscribed(c: RawMqtt, filter: string, qos: 0 | 1 | 2, id = 1): Promise<void> {
  const ack = await c.subscribe(filter, qos, id);
  assert.deepEqual(ack?.granted, [qos], `SUBACK for ${filter}`);
}
