import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminClient, connect, end } from '../helpers/mqtt.js';
import {
  collect,
  createApiKey,
  keyOpts,
  RawClient,
  type Received,
  sleep,
  waitUntil,
} from '../helpers/mqtt-extra.js';

/** Connects MQTT.js with a collector attached before CONNACK (queued messages follow it at once). */
async function connectAck(
  app: TestApp,
  opts: IClientOptions,
): Promise<{ client: MqttClient; connack: IConnackPacket; got: Received[] }> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  const got = collect(client);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
  return { client, connack, got };
}

describe('MQTT sessions', () => {
  let app: TestApp;
  let key: string;
  before(async () => {
    app = await startTestApp();
    key = (await createApiKey(await adminClient(app), 'operator')).key;
  });
  after(() => app.stop());

  const persistent = (clientId: string, protocolVersion: 4 | 5, expiry = 60): IClientOptions => ({
    ...keyOpts(key, 'default', clientId),
    protocolVersion,
    clean: false,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: expiry } } : {}),
  });

  for (const protocolVersion of [4, 5] as const) {
    const how = protocolVersion === 5 ? 'v5 session expiry' : 'v3.1.1 clean session = 0';
    test(`a persistent session keeps subscriptions and queues QoS 1 messages while offline (${how})`, async () => {
      const id = `s-keep-${protocolVersion}`;
      const first = await connectAck(app, persistent(id, protocolVersion));
      assert.equal(first.connack.sessionPresent, false);
      await first.client.subscribeAsync(`keep${protocolVersion}/#`, { qos: 1 });
      await end(first.client);

      const pub = await connect(app, undefined, keyOpts(key));
      for (const i of [1, 2, 3]) await pub.publishAsync(`keep${protocolVersion}/t`, `m${i}`, { qos: 1 });
      await pub.publishAsync(`keep${protocolVersion}/t`, 'qos0', { qos: 0 });

      const back = await connectAck(app, persistent(id, protocolVersion));
      assert.equal(back.connack.sessionPresent, true);
      await waitUntil(() => back.got.length >= 3, 2000, 'queued messages');
      await pub.publishAsync(`keep${protocolVersion}/t`, 'live', { qos: 1 });
      await waitUntil(() => back.got.length >= 4, 2000, 'a live message on the kept subscription');
      assert.deepEqual(
        back.got.map((m) => m.payload),
        ['m1', 'm2', 'm3', 'live'],
        'QoS 0 is not queued for an absent client; order is kept',
      );
      await end(back.client);
      await end(pub);
    });
  }

  test('clean start discards the stored session and its queue', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const id = `s-clean-${protocolVersion}`;
      const first = await connectAck(app, persistent(id, protocolVersion));
      await first.client.subscribeAsync('clean/#', { qos: 1 });
      await end(first.client);
      const pub = await connect(app, undefined, keyOpts(key));
      await pub.publishAsync('clean/t', 'queued', { qos: 1 });
      const fresh = await connectAck(app, { ...persistent(id, protocolVersion), clean: true });
      assert.equal(fresh.connack.sessionPresent, false);
      await pub.publishAsync('clean/t', 'after', { qos: 1 });
      await sleep(150);
      assert.deepEqual(fresh.got, [], 'neither the queue nor the subscription survived');
      await end(fresh.client);
      await end(pub);
    }
  });

  test('a session ends when its expiry passes (v5)', async () => {
    const id = 's-expire';
    const first = await connectAck(app, persistent(id, 5, 1));
    await first.client.subscribeAsync('exp/#', { qos: 1 });
    await end(first.client);
    const pub = await connect(app, undefined, keyOpts(key));
    await pub.publishAsync('exp/t', 'while-alive', { qos: 1 });
    await sleep(1300);
    const back = await connectAck(app, persistent(id, 5, 1));
    assert.equal(back.connack.sessionPresent, false);
    await pub.publishAsync('exp/t', 'after', { qos: 1 });
    await sleep(150);
    assert.deepEqual(back.got, []);
    await end(back.client);
    await end(pub);
  });

  test('a v5 DISCONNECT may end the session by setting its expiry to 0', async () => {
    const first = await connectAck(app, persistent('s-bye', 5, 60));
    await first.client.subscribeAsync('bye/#', { qos: 1 });
    await new Promise<void>((r) =>
      first.client.end(false, { properties: { sessionExpiryInterval: 0 } }, () => r()),
    );
    await sleep(50);
    const back = await connectAck(app, persistent('s-bye', 5, 60));
    assert.equal(back.connack.sessionPresent, false);
    await end(back.client);
  });

  test('a v5 session with expiry 0 ends at disconnect', async () => {
    const first = await connectAck(app, persistent('s-zero', 5, 0));
    await first.client.subscribeAsync('zero/#', { qos: 1 });
    await end(first.client);
    const back = await connectAck(app, persistent('s-zero', 5, 0));
    assert.equal(back.connack.sessionPresent, false);
    await end(back.client);
  });

  test('unsubscribe stops delivery; v5 UNSUBACK says 0x11 for a filter that was not subscribed', async () => {
    const { client } = await RawClient.login(app.mqttPort, 5, {
      clientId: 's-unsub',
      username: 'apikey',
      password: key,
    });
    await client.subscribe('un/a', 1);
    client.send({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['un/a', 'un/never'] });
    const ack = await client.next('unsuback');
    assert.deepEqual((ack as { granted: number[] }).granted, [0x00, 0x11]);
    const v3 = await connect(app, undefined, { ...keyOpts(key), protocolVersion: 4 });
    const got3 = collect(v3);
    await v3.subscribeAsync('un/a', { qos: 1 });
    await v3.unsubscribeAsync('un/a');
    const pub = await connect(app, undefined, keyOpts(key));
    await pub.publishAsync('un/a', 'x', { qos: 1 });
    await sleep(150);
    assert.equal(client.publishes().length, 0);
    assert.equal(got3.length, 0);
    client.destroy();
    await end(v3);
    await end(pub);
  });

  test('a persistent session survives a broker restart (subscriptions and queued messages)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plexus-restart-'));
    try {
      let a = await startTestApp({ keepDataDir: dataDir });
      const k = (await createApiKey(await adminClient(a), 'operator')).key;
      const opts: IClientOptions = {
        ...keyOpts(k, 'default', 's-restart'),
        clean: false,
        properties: { sessionExpiryInterval: 300 },
      };
      const first = await connectAck(a, opts);
      await first.client.subscribeAsync('rs/#', { qos: 1 });
      await end(first.client);
      const pub = await connect(a, undefined, keyOpts(k));
      await pub.publishAsync('rs/t', 'before-restart', { qos: 1 });
      await end(pub);
      await a.stop();
      a = await startTestApp({ keepDataDir: dataDir });
      try {
        const back = await connectAck(a, opts);
        assert.equal(back.connack.sessionPresent, true, 'session restored after restart');
        await waitUntil(() => back.got.length >= 1, 2000, 'the queued message after restart');
        assert.deepEqual(
          back.got.map((m) => m.payload),
          ['before-restart'],
        );
        await end(back.client);
      } finally {
        await a.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
