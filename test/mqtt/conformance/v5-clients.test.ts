/**
 * MQTT 5.0 conformance with real client libraries: MQTT.js and the mosquitto
 * command line clients (-V mqttv5) for behaviours a raw packet test proves
 * only against our own encoder: properties, subscription options, wills.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { connect, end } from '../../helpers/mqtt.js';
import { collect, keyOpts, run, waitUntil } from '../../helpers/mqtt-extra.js';
import { startV5, type V5Env } from './v5-helpers.js';

const PUB = '/usr/bin/mosquitto_pub';
const SUB = '/usr/bin/mosquitto_sub';

describe('MQTT 5.0 conformance: MQTT.js and mosquitto clients', () => {
  let env: V5Env;
  before(async () => {
    env = await startV5();
  });
  after(() => env.stop());

  const js = (opts = {}): Promise<MqttClient> =>
    connect(env.app, undefined, { ...keyOpts(env.key, 'default', env.id('js')), ...opts });
  const auth = () => ['-h', '127.0.0.1', '-p', String(env.app.mqttPort), '-u', 'apikey', '-P', env.key];

  test('[5.0 MQTT-3.3.2-17] [5.0 MQTT-3.3.2-18] [5.0 MQTT-3.3.2-20] [5.0 MQTT-3.3.2-15] [5.0 MQTT-3.3.2-16] properties set by mosquitto_pub reach an MQTT.js subscriber unaltered, user properties in order', async () => {
    const s = await js();
    const got = collect(s);
    await s.subscribeAsync('cli/props', { qos: 1 });
    const r = await run(PUB, [
      ...auth(),
      '-V',
      'mqttv5',
      '-q',
      '1',
      '-t',
      'cli/props',
      '-m',
      'hello',
      '-D',
      'publish',
      'user-property',
      'zeta',
      '1',
      '-D',
      'publish',
      'user-property',
      'alpha',
      '2',
      '-D',
      'publish',
      'content-type',
      'text/plain',
      '-D',
      'publish',
      'response-topic',
      'cli/reply',
      '-D',
      'publish',
      'correlation-data',
      'c0ffee',
    ]).done;
    assert.equal(r.code, 0, r.stderr);
    await waitUntil(() => got.length === 1, 3000, 'the message');
    const p = got[0]?.packet.properties;
    assert.equal(got[0]?.payload, 'hello');
    assert.equal(JSON.stringify(p?.userProperties), JSON.stringify({ zeta: '1', alpha: '2' }));
    assert.equal(p?.contentType, 'text/plain');
    assert.equal(p?.responseTopic, 'cli/reply');
    assert.equal(p?.correlationData?.toString(), 'c0ffee');
    await end(s);
  });

  test('[5.0 MQTT-3.8.3-3] [5.0 MQTT-3.3.1-12] [5.0 MQTT-3.3.1-13] MQTT.js subscription options: No Local, Retain As Published', async () => {
    const c = await js();
    const got = collect(c);
    await c.subscribeAsync('cli/nl', { qos: 1, nl: true });
    await c.subscribeAsync('cli/rap', { qos: 1, rap: true });
    await c.subscribeAsync('cli/norap', { qos: 1 });
    await c.publishAsync('cli/nl', 'own', { qos: 1 });
    for (const t of ['cli/rap', 'cli/norap']) {
      const r = await run(PUB, [...auth(), '-V', 'mqttv5', '-q', '1', '-r', '-t', t, '-m', 'r']).done;
      assert.equal(r.code, 0, r.stderr);
    }
    await waitUntil(() => got.length >= 2, 3000, 'two messages');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(got.map((m) => [m.topic, m.packet.retain]).sort(), [
      ['cli/norap', false],
      ['cli/rap', true],
    ]);
    await end(c);
  });

  test('[5.0 MQTT-3.1.2-8] [5.0 MQTT-3.1.2-14] a mosquitto_sub killed without DISCONNECT has its will published to MQTT.js', async () => {
    const w = await js();
    const got = collect(w);
    await w.subscribeAsync('cli/will', { qos: 1 });
    const child = spawn(
      'stdbuf',
      [
        '-oL',
        SUB,
        ...auth(),
        '-V',
        'mqttv5',
        '-d',
        '-t',
        'cli/none',
        '--will-topic',
        'cli/will',
        '--will-payload',
        'mosquitto gone',
        '--will-qos',
        '1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await waitUntil(() => out.includes('SUBACK'), 3000, 'mosquitto_sub subscribed');
    child.kill('SIGKILL');
    await waitUntil(() => got.length === 1, 3000, 'the will');
    assert.equal(got[0]?.payload, 'mosquitto gone');
    assert.equal(got[0]?.packet.retain, false);
    await end(w);
  });

  test('[5.0 MQTT-3.3.4-3] [5.0 MQTT-3.3.2-5] MQTT.js gets its Subscription Identifier back; a message expired while it was away is not delivered', async () => {
    const clientId = env.id('js-exp');
    const opts = { clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
    const c = await js(opts);
    await c.subscribeAsync('cli/exp/#', { qos: 1, properties: { subscriptionIdentifier: 33 } });
    await end(c);
    for (const [t, ttl] of [
      ['cli/exp/short', '1'],
      ['cli/exp/long', '60'],
    ] as const) {
      const r = await run(PUB, [
        ...auth(),
        '-V',
        'mqttv5',
        '-q',
        '1',
        '-t',
        t,
        '-m',
        t,
        '-D',
        'publish',
        'message-expiry-interval',
        ttl,
      ]).done;
      assert.equal(r.code, 0, r.stderr);
    }
    await new Promise((r) => setTimeout(r, 2100));
    // Queued messages follow CONNACK at once: listen before connecting.
    const back = mqtt.connect(`mqtt://127.0.0.1:${env.app.mqttPort}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      ...keyOpts(env.key, 'default', clientId),
      ...opts,
    });
    const got = collect(back);
    await waitUntil(() => got.length === 1, 3000, 'the live message');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      got.map((m) => m.topic),
      ['cli/exp/long'],
    );
    assert.equal(got[0]?.packet.properties?.subscriptionIdentifier, 33);
    await end(back);
  });
});
