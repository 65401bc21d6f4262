import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end, nextMessage, type TestDevice } from '../helpers/mqtt.js';
import { createApiKey, deviceOpts, keyOpts, mqttsEnv, run, selfSignedCert } from '../helpers/mqtt-extra.js';

const SUB = '/usr/bin/mosquitto_sub';
const PUB = '/usr/bin/mosquitto_pub';
const FORMAT = 'MSG|%t|%q|%r|%p';

/** Parses mosquitto_sub -F FORMAT lines. */
function messages(stdout: string): { topic: string; qos: string; retain: string; payload: string }[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('MSG|'))
    .map((l) => {
      const [topic = '', qos = '', retain = '', ...rest] = l.slice(4).split('|');
      return { topic, qos, retain, payload: rest.join('|') };
    });
}

function connectUrl(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 3000, ...opts });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
  });
}

describe('MQTT interoperability: mosquitto clients, TLS, WebSocket', () => {
  let app: TestApp;
  let api: Client;
  let key: string;
  let dev: TestDevice;
  let tls: ReturnType<typeof selfSignedCert>;
  before(async () => {
    tls = selfSignedCert();
    app = await startTestApp({ env: mqttsEnv(tls) });
    api = await adminClient(app);
    key = (await createApiKey(api, 'operator')).key;
    dev = await createDevice(api, { id: 'mosq-dev' });
  });
  after(async () => {
    await app.stop();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  const common = () => ['-h', '127.0.0.1', '-p', String(app.mqttPort)];
  const asKey = (id: string) => ['-i', id, '-u', 'apikey', '-P', key];
  const asDevice = (d: TestDevice) => ['-i', d.id, '-u', d.id, '-P', d.secret];

  /** Starts mosquitto_sub for `count` messages and waits until it is subscribed. */
  async function subscribe(args: string[], count: number) {
    const p = run(SUB, [...common(), '-d', '-F', FORMAT, '-C', String(count), '-W', '5', ...args], {
      readyText: 'SUBACK',
      timeoutMs: 6000,
    });
    await p.ready;
    return { done: p.done }; // wrapped: an async function returning p.done would wait for it
  }

  for (const version of ['mqttv5', 'mqttv311'] as const) {
    test(`mosquitto_sub -V ${version} receives what mosquitto_pub sends, as a device and as a key`, async () => {
      const { done } = await subscribe(
        ['-V', version, ...asKey(`msub-${version}`), '-t', 'devices/+/telemetry', '-q', '1'],
        2,
      );
      const a = await run(PUB, [
        ...common(),
        '-V',
        version,
        ...asDevice(dev),
        '-t',
        'devices/mosq-dev/telemetry',
        '-q',
        '1',
        '-m',
        '{"temp":21.5}',
      ]).done;
      assert.equal(a.code, 0, a.stderr);
      const b = await run(PUB, [
        ...common(),
        '-V',
        version,
        ...asKey(`mpub-${version}`),
        '-t',
        'devices/x/telemetry',
        '-m',
        'k',
      ]).done;
      assert.equal(b.code, 0, b.stderr);
      const r = await done;
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.deepEqual(messages(r.stdout), [
        { topic: 'devices/mosq-dev/telemetry', qos: '1', retain: '0', payload: '{"temp":21.5}' },
        { topic: 'devices/x/telemetry', qos: '0', retain: '0', payload: 'k' },
      ]);
    });
  }

  test('QoS 2 end to end with mosquitto (-q 2); a device receives its command', async () => {
    const { done } = await subscribe(
      ['-V', 'mqttv5', ...asDevice(dev), '-t', 'devices/mosq-dev/commands/+', '-q', '2'],
      1,
    );
    const p = await run(PUB, [
      ...common(),
      '-V',
      'mqttv311',
      ...asKey('mpub-q2'),
      '-t',
      'devices/mosq-dev/commands/c1',
      '-q',
      '2',
      '-m',
      '{"name":"reboot"}',
    ]).done;
    assert.equal(p.code, 0, p.stderr);
    const r = await done;
    assert.deepEqual(messages(r.stdout), [
      { topic: 'devices/mosq-dev/commands/c1', qos: '2', retain: '0', payload: '{"name":"reboot"}' },
    ]);
  });

  test('retained messages with mosquitto_pub -r, cleared with -r -n', async () => {
    const set = await run(PUB, [
      ...common(),
      ...asKey('mpub-r'),
      '-t',
      'mosq/ret',
      '-r',
      '-q',
      '1',
      '-m',
      'kept',
    ]).done;
    assert.equal(set.code, 0, set.stderr);
    for (const version of ['mqttv5', 'mqttv311']) {
      const r = await run(SUB, [
        ...common(),
        '-V',
        version,
        ...asKey(`msub-r-${version}`),
        '-F',
        FORMAT,
        '-C',
        '1',
        '-W',
        '3',
        '-t',
        'mosq/#',
        '-q',
        '1',
      ]).done;
      assert.deepEqual(messages(r.stdout), [{ topic: 'mosq/ret', qos: '1', retain: '1', payload: 'kept' }]);
    }
    const clear = await run(PUB, [...common(), ...asKey('mpub-r2'), '-t', 'mosq/ret', '-r', '-n']).done;
    assert.equal(clear.code, 0, clear.stderr);
    // --retained-only exits at the first non-retained message or after -W; nothing retained is left.
    const none = await run(SUB, [
      ...common(),
      ...asKey('msub-none'),
      '-F',
      FORMAT,
      '-W',
      '1',
      '-t',
      'mosq/#',
      '--retained-only',
    ]).done;
    assert.deepEqual(messages(none.stdout), []);
  });

  test('mosquitto clients see refusals: bad secret and denied publish', async () => {
    const bad = await run(SUB, [...common(), '-i', dev.id, '-u', dev.id, '-P', 'wrong', '-t', 'x', '-W', '2'])
      .done;
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr + bad.stdout, /bad user name or password|not authori[sz]ed/i);
    const denied = await run(PUB, [
      ...common(),
      '-V',
      'mqttv5',
      ...asDevice(dev),
      '-t',
      'devices/other/telemetry',
      '-q',
      '1',
      '-m',
      'x',
    ]).done;
    assert.match(denied.stderr + denied.stdout, /not authori[sz]ed/i);
  });

  test('mosquitto over TLS with the CA file', async () => {
    assert.ok(app.mqttsPort, 'the TLS listener runs');
    const tlsArgs = ['-h', '127.0.0.1', '-p', String(app.mqttsPort), '--cafile', tls.cert];
    const sub = run(
      SUB,
      [...tlsArgs, '-d', ...asKey('msub-tls'), '-F', FORMAT, '-C', '1', '-W', '5', '-t', 'tls/#'],
      {
        readyText: 'SUBACK',
        timeoutMs: 6000,
      },
    );
    await sub.ready;
    const p = await run(PUB, [...tlsArgs, ...asKey('mpub-tls'), '-t', 'tls/m', '-m', 'secure']).done;
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(messages((await sub.done).stdout), [
      { topic: 'tls/m', qos: '0', retain: '0', payload: 'secure' },
    ]);
  });

  test('MQTT.js over TLS (v5 and v3.1.1), with the CA or without verification; TCP and TLS share the broker', async () => {
    const url = `mqtts://127.0.0.1:${app.mqttsPort}`;
    const tcp = await connect(app, undefined, keyOpts(key));
    await tcp.subscribeAsync('devices/mosq-dev/#', { qos: 1 });
    for (const protocolVersion of [5, 4] as const) {
      const verified = await connectUrl(url, {
        ...deviceOpts(dev),
        protocolVersion,
        ca: readFileSync(tls.cert),
      });
      const got = nextMessage(tcp);
      const event = JSON.stringify({ type: `tls-${protocolVersion}` });
      await verified.publishAsync('devices/mosq-dev/events', event, { qos: 1 });
      assert.equal((await got).payload.toString(), event);
      await end(verified);
      const loose = await connectUrl(url, { ...keyOpts(key), protocolVersion, rejectUnauthorized: false });
      await end(loose);
    }
    // Without the CA a verifying client refuses the self-signed certificate.
    await assert.rejects(connectUrl(url, keyOpts(key)));
    await end(tcp);
  });

  test('MQTT.js over WebSocket on /mqtt (v5 and v3.1.1)', async () => {
    const ws = app.url.replace(/^http/, 'ws');
    for (const protocolVersion of [5, 4] as const) {
      const sub = await connectUrl(`${ws}/mqtt`, { ...keyOpts(key), protocolVersion });
      await sub.subscribeAsync('devices/mosq-dev/#', { qos: 2 });
      const pub = await connectUrl(`${ws}/mqtt`, { ...deviceOpts(dev), protocolVersion });
      const got = nextMessage(sub);
      const point = JSON.stringify({ ws: protocolVersion });
      await pub.publishAsync('devices/mosq-dev/telemetry', point, { qos: 2 });
      const m = await got;
      assert.deepEqual([m.payload.toString(), m.packet.qos], [point, 2]);
      // A TCP client gets messages published over WebSocket too.
      const tcp = await connect(app, undefined, { ...keyOpts(key), protocolVersion });
      await tcp.subscribeAsync('devices/mosq-dev/#', { qos: 1 });
      const fromWs = nextMessage(tcp);
      await pub.publishAsync('devices/mosq-dev/events', '{"type":"cross"}', { qos: 1 });
      assert.equal((await fromWs).payload.toString(), '{"type":"cross"}');
      await Promise.all([sub, pub, tcp].map(end));
    }
    await assert.rejects(connectUrl(`${ws}/not-mqtt`, keyOpts(key)));
  });
});
