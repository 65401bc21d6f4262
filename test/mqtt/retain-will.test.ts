import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end, nextMessage } from '../helpers/mqtt.js';
import { collect, createApiKey, keyOpts, RawClient, sleep, waitUntil } from '../helpers/mqtt-extra.js';

describe('MQTT retained messages and wills', () => {
  let app: TestApp;
  let api: Client;
  let key: string;
  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    key = (await createApiKey(api, 'operator')).key;
  });
  after(() => app.stop());

  let n = 0;
  const prog = (opts: IClientOptions = {}) =>
    connect(app, undefined, { ...keyOpts(key, 'default', `rw-${++n}`), ...opts });
  const raw = (version: 4 | 5 = 5) =>
    RawClient.login(app.mqttPort, version, { clientId: `rw-raw-${++n}`, username: 'apikey', password: key });

  test('a retained message is sent on subscribe with RETAIN set; live copies have it cleared', async () => {
    const pub = await prog();
    await pub.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
    for (const protocolVersion of [5, 4] as const) {
      const sub = await prog({ protocolVersion });
      const first = nextMessage(sub);
      await sub.subscribeAsync('ret/#', { qos: 1 });
      const m = await first;
      assert.deepEqual(
        [m.topic, m.payload.toString(), m.packet.retain, m.packet.qos],
        ['ret/a', 'kept', true, 1],
      );
      const live = nextMessage(sub);
      await pub.publishAsync('ret/a', 'kept2', { qos: 1, retain: true });
      const l = await live;
      assert.deepEqual([l.payload.toString(), l.packet.retain], ['kept2', false]);
      await end(sub);
      // Put the first value back for the next version.
      await pub.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
    }
    await end(pub);
  });

  test('an empty retained payload clears the retained message', async () => {
    const pub = await prog();
    await pub.publishAsync('clr/a', 'x', { qos: 1, retain: true });
    await pub.publishAsync('clr/b', 'y', { qos: 1, retain: true });
    await pub.publishAsync('clr/a', '', { qos: 1, retain: true });
    const { client } = await raw();
    await client.subscribe('clr/#', 1);
    const p = await client.next<IPublishPacket>('publish');
    assert.equal(p.topic, 'clr/b');
    await sleep(100);
    assert.equal(client.publishes().length, 1, 'clr/a is gone');
    client.destroy();
    await end(pub);
  });

  test('retain handling: 0 sends each time, 1 only for a new subscription, 2 never (v5)', async () => {
    const pub = await prog();
    await pub.publishAsync('rh/t', 'r', { qos: 0, retain: true });
    const { client } = await raw();
    const counts: number[] = [];
    for (const rh of [0, 0, 2, 1] as const) {
      await client.subscribe('rh/t', 0, { rh });
      await sleep(60);
      counts.push(client.publishes().length);
    }
    // rh 0 twice: 1, 2; rh 2: still 2; rh 1 on an existing subscription: still 2.
    assert.deepEqual(counts, [1, 2, 2, 2]);
    await client.subscribe('rh/+', 0, { rh: 1 });
    await waitUntil(() => client.publishes().length === 3, 1000, 'retained for a new rh=1 subscription');
    const { client: never } = await raw();
    await never.subscribe('rh/#', 0, { rh: 2 });
    await sleep(80);
    assert.equal(never.publishes().length, 0);
    client.destroy();
    never.destroy();
    await end(pub);
  });

  test('retain as published keeps RETAIN on live messages (v5)', async () => {
    const { client } = await raw();
    await client.subscribe('rap/yes', 0, { rap: true });
    await client.subscribe('rap/no', 0);
    const pub = await prog();
    await pub.publishAsync('rap/yes', 'a', { qos: 1, retain: true });
    await pub.publishAsync('rap/no', 'b', { qos: 1, retain: true });
    await waitUntil(() => client.publishes().length === 2);
    const [yes, no] = client.publishes();
    assert.deepEqual([yes?.topic, yes?.retain], ['rap/yes', true]);
    assert.deepEqual([no?.topic, no?.retain], ['rap/no', false]);
    client.destroy();
    await end(pub);
  });

  for (const protocolVersion of [5, 4] as const) {
    test(`the will is published when the connection drops without DISCONNECT (v${protocolVersion})`, async () => {
      const dev = await createDevice(api, { id: `will-${protocolVersion}` });
      const topic = `devices/${dev.id}/events`;
      const watcher = await prog();
      const got = collect(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const c = await connect(app, dev, {
        protocolVersion,
        will: { topic, payload: Buffer.from('{"type":"gone"}'), qos: 1, retain: false },
      });
      c.stream.destroy();
      await waitUntil(() => got.length === 1, 2000, 'the will');
      assert.deepEqual([got[0]?.topic, got[0]?.payload, got[0]?.packet.qos], [topic, '{"type":"gone"}', 1]);
      await end(c);
      await end(watcher);
    });
  }

  test('a session takeover publishes the will of the connection it replaces (v5)', async () => {
    const watcher = await prog();
    const got = collect(watcher);
    await watcher.subscribeAsync('wt/#', { qos: 1 });
    const will = { topic: 'wt/old', payload: Buffer.from('replaced'), qos: 1 as const, retain: false };
    const old = await connect(app, undefined, { ...keyOpts(key, 'default', 'wt-1'), will });
    const next = await connect(app, undefined, keyOpts(key, 'default', 'wt-1'));
    await waitUntil(() => got.length === 1, 1500, "the replaced connection's will");
    assert.equal(got[0]?.payload, 'replaced');
    await Promise.all([old, next, watcher].map(end));
  });

  test('a retained will is kept for later subscribers', async () => {
    const c = await prog({
      will: { topic: 'wr/state', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    c.stream.destroy();
    await sleep(100);
    const { client } = await raw();
    await client.subscribe('wr/state', 1);
    const p = await client.next<IPublishPacket>('publish');
    assert.deepEqual([p.payload.toString(), p.retain], ['offline', true]);
    client.destroy();
  });

  test('no will after a clean DISCONNECT (v5 and v3.1.1); v5 DISCONNECT 0x04 asks for it', async () => {
    const watcher = await prog();
    const got = collect(watcher);
    await watcher.subscribeAsync('wc/#', { qos: 1 });
    for (const protocolVersion of [5, 4] as const) {
      const c = await prog({
        protocolVersion,
        will: { topic: 'wc/x', payload: Buffer.from('w'), qos: 1, retain: false },
      });
      await end(c);
    }
    const c = await prog({ will: { topic: 'wc/with', payload: Buffer.from('w'), qos: 1, retain: false } });
    await new Promise<void>((r) => c.end(false, { reasonCode: 0x04 }, () => r()));
    await waitUntil(() => got.length === 1, 1500, 'will after DISCONNECT 0x04');
    await sleep(100);
    assert.deepEqual(
      got.map((m) => m.topic),
      ['wc/with'],
    );
    await end(watcher);
  });

  test('will delay (v5): the will waits, and a reconnect within the delay cancels it', async () => {
    const watcher = await prog();
    const got = collect(watcher);
    await watcher.subscribeAsync('wd/#', { qos: 1 });
    const opts = (clientId: string, topic: string): IClientOptions => ({
      ...keyOpts(key, 'default', clientId),
      clean: false,
      properties: { sessionExpiryInterval: 30 },
      will: {
        topic,
        payload: Buffer.from('late'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    const delayed = await connect(app, undefined, opts('wd-a', 'wd/a'));
    const back = await connect(app, undefined, opts('wd-b', 'wd/b'));
    const t0 = Date.now();
    delayed.stream.destroy();
    back.stream.destroy();
    await sleep(200);
    const again = await connect(app, undefined, opts('wd-b', 'wd/b'));
    await waitUntil(() => got.length > 0, 2500, 'the delayed will');
    const took = Date.now() - t0;
    assert.ok(took >= 900, `will came after ${took} ms, before its 1 s delay`);
    await sleep(300);
    assert.deepEqual(
      got.map((m) => m.topic),
      ['wd/a'],
      'the reconnected client has no will published',
    );
    await end(again);
    await end(delayed);
    await end(watcher);
  });

  test('will delay longer than the session: the will goes when the session ends (v5)', async () => {
    const watcher = await prog();
    const got = collect(watcher);
    await watcher.subscribeAsync('we/#', { qos: 1 });
    const c = await connect(app, undefined, {
      ...keyOpts(key, 'default', 'we-a'),
      properties: { sessionExpiryInterval: 1 },
      will: {
        topic: 'we/a',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 60 },
      },
    });
    const t0 = Date.now();
    c.stream.destroy();
    await waitUntil(() => got.length === 1, 2500, 'the will at session end');
    assert.ok(Date.now() - t0 >= 900);
    await end(c);
    await end(watcher);
  });
});
