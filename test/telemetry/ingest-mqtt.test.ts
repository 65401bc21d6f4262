/**
 * Telemetry and events over MQTT (ARCHITECTURE §5, §6.1): real clients
 * (MQTT.js v5 and v3.1.1, a raw packet client for exact acknowledgements,
 * mosquitto_pub) publish JSON, CBOR and SenML; what was stored is read back
 * through the operator REST API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Encoder, encode, type Options } from 'cbor-x';
import type { IPubackPacket, IPubrecPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end, nextMessage, type TestDevice } from '../helpers/mqtt.js';
import { createApiKey, keyOpts, RawClient, run, sleep } from '../helpers/mqtt-extra.js';
import {
  assertBetween,
  createProfile,
  events,
  history,
  latest,
  metric,
  type RawPoint,
} from './ingest-helpers.js';

const DAY = 86_400_000;
const PAYLOAD_FORMAT_INVALID = 0x99;
const NOT_AUTHORIZED = 0x87;

/** SenML CBOR as RFC 8428 §6 has it: integer labels in plain maps (no cbor-x Map tag 259). */
const senmlCbor = new Encoder({
  useRecords: false,
  variableMapSize: true,
  useTag259ForMaps: false, // an option of cbor-x missing from its type definitions
} as Options);

/** RFC 8428 §6: the CBOR representation of the timed §5.1.2 example, as printed there. */
const RFC8428_CBOR = Buffer.from(
  `87 a7 21 78 1b 75 72 6e 3a 64 65 76 3a 6f 77 3a 31 30 65 32 30 37 33 61 30 31 30 38 30 30 36 3a
   22 fb 41 d3 03 a1 5b 00 10 62 23 61 41 20 05 00 67 76 6f 6c 74 61 67 65 01 61 56 02 fb 40 5e 06
   66 66 66 66 66 a3 00 67 63 75 72 72 65 6e 74 06 24 02 fb 3f f3 33 33 33 33 33 33 a3 00 67 63 75
   72 72 65 6e 74 06 23 02 fb 3f f4 cc cc cc cc cc cd a3 00 67 63 75 72 72 65 6e 74 06 22 02 fb 3f
   f6 66 66 66 66 66 66 a3 00 67 63 75 72 72 65 6e 74 06 21 02 f9 3e 00 a3 00 67 63 75 72 72 65 6e
   74 06 20 02 fb 3f f9 99 99 99 99 99 9a a3 00 67 63 75 72 72 65 6e 74 06 00 02 fb 3f fb 33 33 33
   33 33 33`.replace(/\s/g, ''),
  'hex',
);
const RFC8428_BN = 'urn:dev:ow:10e2073a0108006:';

interface Ack {
  readonly code: number;
  readonly reason: string | undefined;
  readonly messageId: number;
}

describe('telemetry ingest over MQTT', () => {
  let app: TestApp;
  let api: Client;
  let key: string;
  let nextId = 1;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    key = (await createApiKey(api, 'viewer')).key;
    await createProfile(api, {
      id: 'strict',
      telemetry: {
        temperature: { type: 'number', unit: 'Cel', min: -40, max: 125 },
        running: { type: 'boolean' },
        mode: { type: 'string' },
      },
    });
    await createProfile(api, { id: 'cbor-dev', codec: 'cbor' });
    await createProfile(api, { id: 'senml-archive', codec: 'senml+cbor', retentionDays: 36_500 });
  });
  after(() => app.stop());

  const device = (id: string, profile?: string): Promise<TestDevice> =>
    createDevice(api, { id, ...(profile === undefined ? {} : { profile }) });

  const raw = async (d: TestDevice, version: 4 | 5 = 5): Promise<RawClient> =>
    (await RawClient.login(app.mqttPort, version, { clientId: d.id, username: d.id, password: d.secret }))
      .client;

  /** Publishes (QoS 1 unless told) and returns the PUBACK/PUBREC's reason code and string. */
  async function send(
    c: RawClient,
    topic: string,
    payload: string | Buffer,
    opts: { qos?: 1 | 2; contentType?: string; messageId?: number; dup?: boolean } = {},
  ): Promise<Ack> {
    const qos = opts.qos ?? 1;
    const messageId = opts.messageId ?? nextId++;
    c.publish(topic, payload, {
      qos,
      messageId,
      dup: opts.dup ?? false,
      ...(opts.contentType === undefined ? {} : { properties: { contentType: opts.contentType } }),
    });
    const ack = await c.next<IPubackPacket | IPubrecPacket>(
      (p) => p.cmd === (qos === 1 ? 'puback' : 'pubrec') && p.messageId === messageId,
    );
    return { code: ack.reasonCode ?? 0, reason: ack.properties?.reasonString, messageId };
  }

  async function release(c: RawClient, messageId: number): Promise<void> {
    c.send({ cmd: 'pubrel', messageId });
    const comp = await c.next((p) => p.cmd === 'pubcomp' && p.messageId === messageId);
    assert.equal((comp as { reasonCode?: number }).reasonCode ?? 0, 0, 'PUBCOMP reason');
  }

  const ok = (a: Ack, what = 'publish') =>
    assert.deepEqual([a.code, a.reason], [0, undefined], `${what}: ${JSON.stringify(a)}`);

  test('MQTT 5 JSON: flat, {ts, values}, arrays and nested objects are stored with the device timestamps', async () => {
    const d = await device('j5');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const before = Date.now();
    ok(await send(c, t, '{"temp":21.5,"on":true,"mode":"auto","location":{"lat":48.1,"lon":11.6}}'));
    const afterAck = Date.now();
    // The PUBACK comes after the commit: the values are readable at once, without polling.
    const l = await latest(api, d.id);
    assert.deepEqual(Object.keys(l), ['location.lat', 'location.lon', 'mode', 'on', 'temp']);
    assert.deepEqual(Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.value])), {
      'location.lat': 48.1,
      'location.lon': 11.6,
      mode: 'auto',
      on: true,
      temp: 21.5,
    });
    const received = l.temp?.ts as number;
    assertBetween(received, before, afterAck, 'receive time');
    assert.ok(
      Object.values(l).every((v) => v.ts === received),
      'one payload, one receive time',
    );

    const t0 = Date.now() - 60_000;
    ok(
      await send(
        c,
        t,
        JSON.stringify({ ts: t0, values: { temp: 20, motor: { rpm: 1200, state: { ok: true } } } }),
      ),
    );
    ok(
      await send(
        c,
        t,
        JSON.stringify([
          { ts: t0 + 1000, values: { temp: 20.5 } },
          { ts: t0 + 2000, values: { temp: 21 } },
          { ts: new Date(t0 + 3000).toISOString(), values: { temp: 21.25 } },
        ]),
      ),
    );
    assert.deepEqual(await history(api, d.id, { keys: ['temp'] }), [
      { key: 'temp', ts: t0, value: 20 },
      { key: 'temp', ts: t0 + 1000, value: 20.5 },
      { key: 'temp', ts: t0 + 2000, value: 21 },
      { key: 'temp', ts: t0 + 3000, value: 21.25 },
      { key: 'temp', ts: received, value: 21.5 },
    ]);
    assert.deepEqual(await history(api, d.id, { keys: ['motor.rpm', 'motor.state.ok'] }), [
      { key: 'motor.rpm', ts: t0, value: 1200 },
      { key: 'motor.state.ok', ts: t0, value: true },
    ]);
    // Latest is the newest by time, not the last to arrive (the back-dated points came later).
    assert.deepEqual((await latest(api, d.id)).temp, { ts: received, value: 21.5 });
    c.destroy();
  });

  test('MQTT 3.1.1 (MQTT.js): an offline buffer flushed as an array is stored point by point', async () => {
    const d = await device('j4');
    const c = await connect(app, d, { protocolVersion: 4 });
    const t0 = Date.now() - 10 * 60_000;
    const buffer = Array.from({ length: 20 }, (_, i) => ({ ts: t0 + i * 1000, values: { level: i } }));
    await c.publishAsync(`devices/${d.id}/telemetry`, JSON.stringify(buffer), { qos: 1 });
    const h = await history(api, d.id, { keys: ['level'] });
    assert.deepEqual(
      h,
      buffer.map((b) => ({ key: 'level', ts: b.ts, value: b.values.level })),
    );
    assert.deepEqual(await latest(api, d.id), { level: { ts: t0 + 19_000, value: 19 } });
    await end(c);
  });

  test('MQTT 3.1.1: a partly invalid or undecodable payload gets a plain PUBACK, is counted, and the connection stays', async () => {
    const d = await device('bad4');
    const c = await raw(d, 4);
    const t = `devices/${d.id}/telemetry`;
    const dropped = await metric(app.url, 'plexus_mqtt_dropped_total', 'reason="payload_invalid"');
    const partly = await send(c, t, '{"good":1,"bad":null,"list":[1,2]}');
    assert.equal(partly.code, 0);
    assert.equal(partly.reason, undefined, 'MQTT 3.1.1 has no reason string');
    assert.deepEqual(Object.keys(await latest(api, d.id)), ['good']);
    const garbage = await send(c, t, '{"good":');
    assert.equal(garbage.code, 0);
    assert.equal(c.isClosed, false, 'a payload error never disconnects');
    assert.equal(
      await metric(app.url, 'plexus_mqtt_dropped_total', 'reason="payload_invalid"'),
      dropped + 1,
      'the undecodable payload is counted',
    );
    ok(await send(c, t, '{"good":2}'), 'after the bad payloads');
    assert.equal((await latest(api, d.id)).good?.value, 2);
    c.destroy();
  });

  test('CBOR: by MQTT 5 content type, and by a profile whose codec is cbor (3.1.1 and 5)', async () => {
    const d = await device('cb5');
    const c = await raw(d);
    const t0 = Date.now() - 30_000;
    const body = encode({ ts: t0, values: { pressure: 1013.25, valve: { open: false }, label: 'north' } });
    ok(await send(c, `devices/${d.id}/telemetry`, body, { contentType: 'application/cbor' }));
    assert.deepEqual(await history(api, d.id), [
      { key: 'label', ts: t0, value: 'north' },
      { key: 'pressure', ts: t0, value: 1013.25 },
      { key: 'valve.open', ts: t0, value: false },
    ]);
    // The same JSON-looking bytes without a content type are JSON for a json profile.
    ok(await send(c, `devices/${d.id}/telemetry`, '{"pressure":1000}'));
    assert.equal((await latest(api, d.id)).pressure?.value, 1000);
    c.destroy();

    const p = await device('cb-prof', 'cbor-dev');
    const v4 = await connect(app, p, { protocolVersion: 4 });
    await v4.publishAsync(
      `devices/${p.id}/telemetry`,
      encode([{ rpm: 900 }, { ts: t0, values: { rpm: 850 } }]),
      {
        qos: 1,
      },
    );
    await end(v4);
    assert.deepEqual(
      (await history(api, p.id, { keys: ['rpm'] })).map((x) => x.value),
      [850, 900],
    );
    const v5 = await raw(p);
    ok(await send(v5, `devices/${p.id}/telemetry`, encode({ rpm: 950 })), 'cbor by profile, MQTT 5');
    // A content type overrides the profile's codec.
    ok(await send(v5, `devices/${p.id}/telemetry`, '{"rpm":990}', { contentType: 'application/json' }));
    // Without it, JSON text is read as CBOR and cannot be decoded.
    const wrong = await send(v5, `devices/${p.id}/telemetry`, '{"rpm":1}');
    assert.equal(wrong.code, PAYLOAD_FORMAT_INVALID, JSON.stringify(wrong));
    assert.match(wrong.reason ?? '', /cbor/i);
    assert.deepEqual(
      (await history(api, p.id, { keys: ['rpm'] })).map((x) => x.value),
      [850, 900, 950, 990],
    );
    v5.destroy();
  });

  test('SenML JSON and SenML CBOR by MQTT 5 content type (key = bn + n, time = bt + t)', async () => {
    const d = await device('sm5');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    // RFC 8428 §5.1.2, first example: no time, so both are "now".
    const before = Date.now();
    ok(
      await send(
        c,
        t,
        JSON.stringify([
          { bn: 'urn:dev:ow:10e2073a01080063:', n: 'voltage', u: 'V', v: 120.1 },
          { n: 'current', u: 'A', v: 1.2 },
        ]),
        { contentType: 'application/senml+json' },
      ),
    );
    const l = await latest(api, d.id);
    assert.deepEqual(Object.keys(l), [
      'urn:dev:ow:10e2073a01080063:current',
      'urn:dev:ow:10e2073a01080063:voltage',
    ]);
    assert.equal(l['urn:dev:ow:10e2073a01080063:voltage']?.value, 120.1);
    assert.equal(l['urn:dev:ow:10e2073a01080063:current']?.value, 1.2);
    assertBetween(l['urn:dev:ow:10e2073a01080063:current']?.ts as number, before, Date.now());

    const bt = Math.floor(Date.now() / 1000) - 120;
    const pack = [
      new Map<number, unknown>([
        [-2, 'boiler.'],
        [-3, bt],
        [0, 'temp'],
        [1, 'Cel'],
        [2, 61.5],
      ]),
      new Map<number, unknown>([
        [0, 'temp'],
        [6, 10],
        [2, 62],
      ]),
      new Map<number, unknown>([
        [0, 'burner'],
        [4, true],
      ]),
    ];
    ok(await send(c, t, senmlCbor.encode(pack), { contentType: 'application/senml+cbor' }));
    assert.deepEqual(await history(api, d.id, { keys: ['boiler.temp', 'boiler.burner'] }), [
      { key: 'boiler.burner', ts: bt * 1000, value: true },
      { key: 'boiler.temp', ts: bt * 1000, value: 61.5 },
      { key: 'boiler.temp', ts: bt * 1000 + 10_000, value: 62 },
    ]);
    c.destroy();
  });

  test('the RFC 8428 §6 CBOR pack, by a senml+cbor profile over MQTT 3.1.1, is kept within the profile retention', async () => {
    const d = await device('rfc-archive', 'senml-archive');
    const c = await connect(app, d, { protocolVersion: 4 });
    await c.publishAsync(`devices/${d.id}/telemetry`, RFC8428_CBOR, { qos: 1 });
    await end(c);
    const from = 1_276_020_000_000;
    const to = 1_276_020_100_000;
    assert.deepEqual(await history(api, d.id, { keys: [`${RFC8428_BN}current`], from, to }), [
      { key: `${RFC8428_BN}current`, ts: 1_276_020_071_001, value: 1.2 },
      { key: `${RFC8428_BN}current`, ts: 1_276_020_072_001, value: 1.3 },
      { key: `${RFC8428_BN}current`, ts: 1_276_020_073_001, value: 1.4 },
      { key: `${RFC8428_BN}current`, ts: 1_276_020_074_001, value: 1.5 },
      { key: `${RFC8428_BN}current`, ts: 1_276_020_075_001, value: 1.6 },
      { key: `${RFC8428_BN}current`, ts: 1_276_020_076_001, value: 1.7 },
    ]);
    assert.deepEqual(await latest(api, d.id), {
      [`${RFC8428_BN}current`]: { ts: 1_276_020_076_001, value: 1.7 },
      [`${RFC8428_BN}voltage`]: { ts: 1_276_020_076_001, value: 120.1 },
    });

    // The same pack from a device whose profile keeps 30 days: every point is too old.
    const young = await device('rfc-young');
    const y = await raw(young);
    const a = await send(y, `devices/${young.id}/telemetry`, RFC8428_CBOR, {
      contentType: 'application/senml+cbor',
    });
    assert.equal(a.code, PAYLOAD_FORMAT_INVALID, JSON.stringify(a));
    assert.match(a.reason ?? '', /^0 kept, 7 rejected: /);
    assert.match(a.reason ?? '', /retention of 30 days/);
    assert.deepEqual(
      await history(api, young.id, { keys: [`${RFC8428_BN}current`, `${RFC8428_BN}voltage`] }),
      [],
    );
    y.destroy();
  });

  test('an undecodable payload gets 0x99 with a reason (MQTT 5, QoS 1 and 2) and the connection stays open', async () => {
    const d = await device('garbage5');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const a = await send(c, t, '{"temp":');
    assert.equal(a.code, PAYLOAD_FORMAT_INVALID);
    assert.match(a.reason ?? '', /invalid JSON/);
    const q2 = await send(c, t, Buffer.from([0xff, 0x00, 0x13]), { qos: 2 });
    assert.equal(q2.code, PAYLOAD_FORMAT_INVALID, JSON.stringify(q2));
    const ev = await send(c, `devices/${d.id}/events`, 'not json');
    assert.equal(ev.code, PAYLOAD_FORMAT_INVALID);
    assert.match(ev.reason ?? '', /event payload \(json\): invalid JSON/);
    const top = await send(c, t, '42');
    assert.equal(top.code, PAYLOAD_FORMAT_INVALID);
    assert.match(top.reason ?? '', /top level must be an object or an array/);
    await sleep(50);
    assert.equal(c.isClosed, false, 'payload errors never disconnect');
    assert.equal(c.disconnectPacket(), undefined);
    ok(await send(c, t, '{"temp":20}'), 'valid data after the garbage');
    assert.deepEqual(await history(api, d.id), [
      { key: 'temp', ts: (await latest(api, d.id)).temp?.ts as number, value: 20 },
    ]);
    c.destroy();
  });

  test('after a PUBREC of 0x99 the packet identifier is free: the next QoS 2 message with it is new and stored', async () => {
    // MQTT 5 §4.3.3: after a PUBREC with a reason code of 0x80 or more the sender does not
    // send PUBREL, and the receiver must treat a later PUBLISH with that identifier as new.
    const d = await device('reuse5');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const bad = await send(c, t, '{"x":', { qos: 2, messageId: 77 });
    assert.equal(bad.code, PAYLOAD_FORMAT_INVALID);
    const good = await send(c, t, '{"x":1}', { qos: 2, messageId: 77 });
    assert.equal(good.code, 0, JSON.stringify(good));
    await release(c, 77);
    assert.deepEqual(
      (await history(api, d.id, { keys: ['x'] })).map((p) => [p.key, p.value]),
      [['x', 1]],
      'the message that reused the identifier was stored',
    );
    c.destroy();
  });

  test('many undecodable QoS 2 publishes (each answered 0x99) do not exhaust the receive window', async () => {
    // Each refused message is finished for the device; it must not keep counting as unacknowledged
    // (Receive Maximum is 1,024 by default), or the broker stops reading the connection.
    const d = await device('window5');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    for (let batch = 0; batch < 11; batch++) {
      const ids = Array.from({ length: 100 }, (_, i) => 1000 + batch * 100 + i);
      for (const id of ids) c.publish(t, '{', { qos: 2, messageId: id });
      for (const id of ids) {
        const rec = await c
          .next<IPubrecPacket>((p) => p.cmd === 'pubrec' && p.messageId === id)
          .catch(() => assert.fail(`no PUBREC for message ${id - 999}: the broker stopped reading`));
        assert.equal(rec.reasonCode, PAYLOAD_FORMAT_INVALID);
      }
    }
    ok(await send(c, t, '{"alive":true}'), 'a valid message after 1,100 refused ones');
    assert.equal((await latest(api, d.id)).alive?.value, true);
    assert.equal(c.isClosed, false);
    c.destroy();
  });

  test('a partly invalid payload gets 0x00 with "N kept, M rejected: …"; nothing valid gets 0x99', async () => {
    const d = await device('partial5');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const a = await send(c, t, '{"temp":21,"bad":null,"list":[1,2],"deep":{"obj":{}}}');
    assert.equal(a.code, 0);
    assert.match(a.reason ?? '', /^1 kept, 2 rejected: /);
    assert.match(a.reason ?? '', /bad: null is not a storable value/);
    assert.match(a.reason ?? '', /list: arrays are not stored/);
    assert.deepEqual(Object.keys(await latest(api, d.id)), ['temp']);

    const none = await send(c, t, '{"a":null,"b":[1]}');
    assert.equal(none.code, PAYLOAD_FORMAT_INVALID);
    assert.match(none.reason ?? '', /^0 kept, 2 rejected: /);

    const many = await send(c, t, '{"v":1,"a":null,"b":null,"c":null,"d":null,"e":null}');
    assert.equal(many.code, 0);
    assert.match(many.reason ?? '', /^1 kept, 5 rejected: .*; and 2 more$/);
    assert.deepEqual(Object.keys(await latest(api, d.id)), ['temp', 'v']);
    c.destroy();
  });

  test('a profile with declared keys rejects mistyped and out-of-range points and a wrong SenML unit', async () => {
    const d = await device('strict-1', 'strict');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const a = await send(c, t, '{"temperature":200,"running":"yes","mode":"auto","extra":5}');
    assert.equal(a.code, 0);
    assert.match(a.reason ?? '', /^2 kept, 2 rejected: /);
    assert.match(a.reason ?? '', /temperature: 200 is above the maximum 125/);
    assert.match(a.reason ?? '', /running: expected a boolean, got a string/);
    assert.deepEqual(Object.keys(await latest(api, d.id)), ['extra', 'mode'], 'undeclared keys are kept');

    const low = await send(c, t, '{"temperature":-41}');
    assert.equal(low.code, PAYLOAD_FORMAT_INVALID);
    assert.match(low.reason ?? '', /^0 kept, 1 rejected: temperature: -41 is below the minimum -40/);
    const mode = await send(c, t, '{"mode":3}');
    assert.equal(mode.code, PAYLOAD_FORMAT_INVALID);
    assert.match(mode.reason ?? '', /expected a string, got a number/);

    ok(await send(c, t, '{"temperature":-40,"running":false}'), 'the bounds themselves are valid');
    const unit = await send(
      c,
      t,
      JSON.stringify([
        { n: 'temperature', u: 'K', v: 20, t: -2 },
        { n: 'temperature', u: 'Cel', v: 21, t: -1 },
      ]),
      { contentType: 'application/senml+json' },
    );
    assert.equal(unit.code, 0);
    assert.match(
      unit.reason ?? '',
      /^1 kept, 1 rejected: temperature: unit K does not match the profile's Cel/,
    );
    assert.deepEqual(
      (await history(api, d.id, { keys: ['temperature'] })).map((p) => p.value).sort(),
      [-40, 21],
    );
    assert.deepEqual(
      (await history(api, d.id, { keys: ['running'] })).map((p) => p.value),
      [false],
    );
    c.destroy();
  });

  test('timestamps before 2000, over 10 minutes ahead, older than the retention or in seconds are rejected', async () => {
    const d = await device('clock5');
    const c = await raw(d);
    const now = Date.now();
    const a = await send(
      c,
      `devices/${d.id}/telemetry`,
      JSON.stringify([
        { ts: now + 3_600_000, values: { a: 1 } },
        { ts: Date.UTC(1999, 11, 31, 23, 59), values: { a: 2 } },
        { ts: now - 31 * DAY, values: { a: 3 } },
        { ts: now + 5 * 60_000, values: { a: 4 } },
        { ts: now - 29 * DAY, values: { a: 5 } },
      ]),
    );
    assert.equal(a.code, 0);
    assert.match(a.reason ?? '', /^2 kept, 3 rejected: /);
    assert.match(a.reason ?? '', /a: timestamp \S+ is more than 10 minutes in the future/);
    assert.match(a.reason ?? '', /a: timestamp \d+ is before 2000-01-01/);
    assert.match(a.reason ?? '', /a: timestamp \S+ is older than the profile's retention of 30 days/);
    const seconds = await send(
      c,
      `devices/${d.id}/telemetry`,
      JSON.stringify({ ts: Math.floor(now / 1000), values: { a: 6 } }),
    );
    assert.equal(seconds.code, PAYLOAD_FORMAT_INVALID);
    assert.match(seconds.reason ?? '', /looks like seconds: send epoch milliseconds/);
    assert.deepEqual(await history(api, d.id), [
      { key: 'a', ts: now - 29 * DAY, value: 5 },
      { key: 'a', ts: now + 5 * 60_000, value: 4 },
    ]);
    c.destroy();
  });

  for (const version of [5, 4] as const) {
    test(`QoS 2 telemetry is stored once: PUBREC after the commit, a resent PUBLISH ignored, PUBCOMP (v${version})`, async () => {
      const d = await device(`q2-${version}`);
      const c = await raw(d, version);
      const t = `devices/${d.id}/telemetry`;
      // No ts in the payload: a second store would add a point at a second receive time.
      const first = await send(c, t, '{"q2":7}', { qos: 2, messageId: 200 });
      assert.equal(first.code, 0);
      assert.equal((await latest(api, d.id)).q2?.value, 7, 'stored before PUBREC');
      const again = await send(c, t, '{"q2":7}', { qos: 2, messageId: 200, dup: true });
      assert.equal(again.code, 0);
      await release(c, 200);
      await sleep(50);
      assert.equal((await history(api, d.id, { keys: ['q2'] })).length, 1);
      c.destroy();
    });
  }

  test('a QoS 1 message sent again with the same timestamp is stored once', async () => {
    const d = await device('dup1');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const ts = Date.now() - 5000;
    const payload = JSON.stringify({ ts, values: { count: 3, state: 'run' } });
    ok(await send(c, t, payload, { messageId: 300 }));
    ok(await send(c, t, payload, { messageId: 300, dup: true }), 'the DUP resend');
    c.destroy();
    // And again after a reconnect, with a new packet identifier.
    const c2 = await raw(d);
    ok(await send(c2, t, payload, { messageId: 301 }));
    c2.destroy();
    assert.deepEqual(await history(api, d.id), [
      { key: 'count', ts, value: 3 },
      { key: 'state', ts, value: 'run' },
    ]);
  });

  test('a point sent again for the same key and time with another value: one point stored, and latest agrees', async () => {
    const d = await device('dup-value');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const ts = Date.now() - 2000;
    ok(await send(c, t, JSON.stringify({ ts, values: { level: 1 } })));
    assert.deepEqual((await latest(api, d.id)).level, { ts, value: 1 });
    ok(await send(c, t, JSON.stringify({ ts, values: { level: 2 } })));
    c.destroy();
    const stored = await history(api, d.id, { keys: ['level'] });
    assert.equal(stored.length, 1, JSON.stringify(stored));
    assert.deepEqual(
      (await latest(api, d.id)).level,
      { ts, value: stored[0]?.value },
      'the latest value is the stored point, not one that was never stored',
    );
  });

  test("publishing to another device's telemetry or events topic is refused by the ACL; nothing is stored", async () => {
    const a = await device('acl-a');
    const b = await device('acl-b');
    const watcher = await connect(app, undefined, keyOpts(key));
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('devices/+/telemetry', { qos: 1 });
    const c = await raw(a);
    const denied = await send(c, `devices/${b.id}/telemetry`, '{"spoof":1}');
    assert.equal(denied.code, NOT_AUTHORIZED, JSON.stringify(denied));
    const deniedEv = await send(c, `devices/${b.id}/events`, '{"type":"spoof"}');
    assert.equal(deniedEv.code, NOT_AUTHORIZED);
    await sleep(100);
    assert.deepEqual(await latest(api, b.id), {});
    assert.deepEqual(await latest(api, a.id), {});
    assert.deepEqual(await history(api, b.id, { keys: ['spoof'] }), []);
    assert.deepEqual(await events(api, b.id), []);
    assert.deepEqual(seen, [], 'the refused message was not routed either');
    c.destroy();
    await end(watcher);
  });

  test('PUBACKs of several in-flight publishes arrive in order, whatever each one waits for', async () => {
    const d = await device('order5');
    const c = await raw(d);
    const t = `devices/${d.id}/telemetry`;
    const sent: [string, string][] = [
      [t, '{"n":1}'],
      [t, '{"n":'], // undecodable: answerable at once, but not before the first
      [`devices/${d.id}/twin/reported`, '{"fw":"1.0"}'], // not telemetry: no commit to wait for
      [t, '{"m":2}'],
      [t, '{"k":3,"bad":null}'],
      [`devices/${d.id}/events`, '{"type":"tick"}'],
      [t, '{"j":4}'],
    ];
    const ids = sent.map(() => nextId++);
    sent.forEach(([topic, payload], i) => {
      c.publish(topic, payload, { qos: 1, messageId: ids[i] as number });
    });
    const acks: IPubackPacket[] = [];
    for (let i = 0; i < sent.length; i++) acks.push(await c.next<IPubackPacket>('puback'));
    assert.deepEqual(
      acks.map((p) => p.messageId),
      ids,
    );
    const codes = acks.map((p) => p.reasonCode ?? 0);
    assert.equal(codes[0], 0);
    assert.equal(codes[1], PAYLOAD_FORMAT_INVALID);
    assert.ok(codes[2] === 0 || codes[2] === 0x10, `twin/reported ack ${codes[2]}`);
    assert.deepEqual(codes.slice(3), [0, 0, 0, 0]);
    assert.match(acks[4]?.properties?.reasonString ?? '', /^1 kept, 1 rejected/);
    assert.deepEqual(Object.keys(await latest(api, d.id)), ['j', 'k', 'm', 'n']);
    c.destroy();
  });

  test('mosquitto_pub -q 1 telemetry is stored (MQTT 3.1.1, and 5 with a SenML content type)', async () => {
    const d = await device('mosq-t');
    const base = ['-h', '127.0.0.1', '-p', String(app.mqttPort), '-i', d.id, '-u', d.id, '-P', d.secret];
    const t = `devices/${d.id}/telemetry`;
    const v311 = await run('mosquitto_pub', [
      ...base,
      '-q',
      '1',
      '-t',
      t,
      '-m',
      '{"rpm":1200,"oil":{"temp":80}}',
    ]).done;
    assert.equal(v311.code, 0, v311.stderr);
    const v5 = await run('mosquitto_pub', [
      ...base,
      '-V',
      'mqttv5',
      '-q',
      '1',
      '-D',
      'publish',
      'content-type',
      'application/senml+json',
      '-t',
      t,
      '-m',
      '[{"bn":"pump.","n":"flow","u":"l/min","v":12.5}]',
    ]).done;
    assert.equal(v5.code, 0, v5.stderr);
    const l = await latest(api, d.id);
    assert.deepEqual(Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.value])), {
      'oil.temp': 80,
      'pump.flow': 12.5,
      rpm: 1200,
    });
  });

  test('events are stored and listed newest first by GET /devices/{id}/events', async () => {
    const d = await device('door-1');
    const c = await raw(d);
    const topic = `devices/${d.id}/events`;
    const now = Date.now();
    ok(await send(c, topic, JSON.stringify({ type: 'door_open', zone: 3, ts: now - 2000 })));
    ok(
      await send(
        c,
        topic,
        encode([
          { type: 'door_close', zone: 3, ts: now - 1000 },
          { type: 'alarm', detail: { code: 'E7', retries: [1, 2] } },
        ]),
        { contentType: 'application/cbor' },
      ),
    );
    const mixed = await send(c, topic, JSON.stringify([{ type: 'door_open', zone: 4 }, { zone: 5 }]));
    assert.equal(mixed.code, 0);
    assert.match(mixed.reason ?? '', /^1 kept, 1 rejected: /);
    const senml = await send(c, topic, '[{"n":"x","v":1}]', { contentType: 'application/senml+json' });
    assert.equal(senml.code, PAYLOAD_FORMAT_INVALID);
    const after = Date.now();

    const list = await events(api, d.id);
    // The two without a ts carry their receive time; the two with one keep it. Newest first.
    assert.deepEqual(
      list.map((e) => [e.type, e.data]),
      [
        ['door_open', { zone: 4 }],
        ['alarm', { detail: { code: 'E7', retries: [1, 2] } }],
        ['door_close', { zone: 3 }],
        ['door_open', { zone: 3 }],
      ],
    );
    assert.deepEqual(
      list.slice(2).map((e) => e.ts),
      [now - 1000, now - 2000],
    );
    for (const e of list.slice(0, 2)) assertBetween(e.ts, now, after, 'event receive time');
    assert.ok((list[0]?.ts as number) >= (list[1]?.ts as number), 'newest first');
    assert.deepEqual(
      (await events(api, d.id, '?type=door_open')).map((e) => e.data),
      [{ zone: 4 }, { zone: 3 }],
    );
    assert.deepEqual(await latest(api, d.id), {}, 'events are not telemetry');
    c.destroy();
  });

  test('the telemetry topic still reaches an API-key subscriber (devices/+/telemetry), bytes unchanged', async () => {
    const d = await device('fan-out');
    const sub = await connect(app, undefined, keyOpts(key));
    await sub.subscribeAsync('devices/+/telemetry', { qos: 1 });
    const c = await connect(app, d);
    const json = '{"temp":19.5}';
    const got = nextMessage(sub);
    await c.publishAsync(`devices/${d.id}/telemetry`, json, { qos: 1 });
    const m = await got;
    assert.equal(m.topic, `devices/${d.id}/telemetry`);
    assert.equal(m.payload.toString(), json);

    const cbor = encode({ temp: 19.75 });
    const got2 = nextMessage(sub);
    await c.publishAsync(`devices/${d.id}/telemetry`, cbor, {
      qos: 1,
      properties: { contentType: 'application/cbor' },
    });
    const m2 = await got2;
    assert.deepEqual(m2.payload, cbor);
    assert.equal(m2.packet.properties?.contentType, 'application/cbor');
    assert.deepEqual(
      (await history(api, d.id)).map((p: RawPoint) => p.value),
      [19.5, 19.75],
      'and it is stored as well',
    );
    await end(c);
    await end(sub);
  });
});
