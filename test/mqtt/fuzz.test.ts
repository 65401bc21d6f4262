import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice, type TestDevice } from '../helpers/mqtt.js';
import {
  bytes,
  ControlPair,
  connectPacket,
  createApiKey,
  frame,
  RawMqtt,
  type Version,
} from '../helpers/raw-mqtt.js';

/** FUZZ_SEED=n reproduces a run; otherwise a fresh seed each time (printed on failure). */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const LANES = 16;
const CASES = 2000;
/** How long one case waits for the broker to react before hanging up. */
const CASE_WAIT_MS = 25;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  readonly name: string;
  readonly data: Buffer;
  /** Leading bytes that are a valid login, not part of the attack (left out of reports). */
  readonly skip: number;
  /** Half-close (FIN) after sending instead of a reset. */
  readonly end: boolean;
}

type Tpl = ReturnType<typeof templates>;

/** Valid packets to mutate, for the device of one lane (its own topics). */
function templates(dev: TestDevice) {
  const t = `devices/${dev.id}`;
  const login5 = bytes(connectPacket(dev, 5), 5);
  const login4 = bytes(connectPacket(dev, 4), 4);
  const publish = (v: Version) =>
    bytes(
      {
        cmd: 'publish',
        topic: `${t}/telemetry`,
        payload: Buffer.from('{"temp":21.5}'),
        qos: 1,
        messageId: 42,
        retain: true,
        dup: false,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 60,
          topicAlias: 3,
          contentType: 'application/json',
          responseTopic: `${t}/reply`,
          correlationData: Buffer.from('abc'),
          userProperties: { k: 'v', l: ['1', '2'] },
        },
      },
      v,
    );
  const subscribe = (v: Version) =>
    bytes(
      {
        cmd: 'subscribe',
        messageId: 7,
        properties: { subscriptionIdentifier: 12 },
        subscriptions: [
          { topic: `${t}/#`, qos: 2, nl: true, rap: true, rh: 1 },
          { topic: `$share/g/${t}/+`, qos: 1 },
        ],
      },
      v,
    );
  const after: [string, Buffer, Buffer][] = [
    ['publish-v5', login5, publish(5)],
    ['publish-v4', login4, publish(4)],
    ['subscribe-v5', login5, subscribe(5)],
    ['subscribe-v4', login4, subscribe(4)],
    [
      'unsubscribe',
      login5,
      bytes({ cmd: 'unsubscribe', messageId: 8, unsubscriptions: [`${t}/#`, 'x/+'] }, 5),
    ],
    [
      'pubrel',
      login5,
      bytes({ cmd: 'pubrel', messageId: 42, reasonCode: 0x92, properties: { reasonString: 'r' } }, 5),
    ],
    [
      'disconnect',
      login5,
      bytes({ cmd: 'disconnect', reasonCode: 4, properties: { sessionExpiryInterval: 5 } }, 5),
    ],
  ];
  const connect5 = connectPacket(dev, 5, {
    clean: false,
    properties: {
      sessionExpiryInterval: 2,
      receiveMaximum: 5,
      topicAliasMaximum: 4,
      userProperties: { a: 'b' },
    },
    will: {
      topic: `${t}/will`,
      payload: Buffer.from('gone'),
      qos: 1,
      properties: { willDelayInterval: 0, contentType: 'text/plain', userProperties: { u: 'v' } },
    },
  });
  const connects: [string, Buffer][] = [
    ['connect-v5', bytes(connect5, 5)],
    ['connect-v4', bytes(connectPacket(dev, 4, { will: { topic: `${t}/w`, payload: 'x', qos: 2 } }), 4)],
    ['connect-v3', bytes(connectPacket(dev, 3), 3)],
  ];
  return { login5, after, connects };
}

/** Length of the fixed header (type byte + remaining length) of a valid packet. */
function headerLength(p: Buffer): number {
  let i = 1;
  while (((p[i] as number) & 0x80) !== 0) i++;
  return i + 1;
}

/** The whole run's cases; case i runs on lane i % LANES, as that lane's device. */
function generate(devices: TestDevice[]): Case[] {
  const rnd = mulberry32(SEED);
  const int = (n: number) => Math.floor(rnd() * n);
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const flip = (b: Buffer) => {
    const out = Buffer.from(b);
    for (let k = 1 + int(4); k > 0; k--) {
      const i = int(out.length);
      out[i] = rnd() < 0.5 ? int(256) : (out[i] as number) ^ (1 << int(8));
    }
    return out;
  };
  const perLane = devices.map(templates);
  const cases: Case[] = [];
  const tpl = () => perLane[cases.length % LANES] as Tpl;
  const add = (name: string, data: Buffer, login: Buffer = Buffer.alloc(0)) =>
    cases.push({ name, data: Buffer.concat([login, data]), skip: login.length, end: rnd() < 0.2 });
  // Truncations at every offset of CONNECT, PUBLISH (v5, with properties) and SUBSCRIBE: the stream
  // cut short, and the body cut with a remaining length that matches the cut.
  const truncated: [string, (t: Tpl) => [Buffer, Buffer]][] = [
    ['connect-v5', (t) => [Buffer.alloc(0), t.connects[0]?.[1] as Buffer]],
    ['publish-v5', (t) => [t.login5, t.after[0]?.[2] as Buffer]],
    ['subscribe-v5', (t) => [t.login5, t.after[2]?.[2] as Buffer]],
  ];
  for (const [name, pick] of truncated) {
    const length = (pick(tpl())[1] as Buffer).length;
    for (let cut = 0; cut < length; cut++) {
      const [prefix, p] = pick(tpl());
      add(`${name} cut at ${cut}`, p.subarray(0, cut), prefix);
      const [prefix2, p2] = pick(tpl());
      const h = headerLength(p2);
      if (h + cut < p2.length) {
        add(`${name} body cut at ${cut}`, frame(p2[0] as number, p2.subarray(h, h + cut)), prefix2);
      }
    }
  }
  while (cases.length < CASES) {
    const t = tpl();
    const kind = int(5);
    if (kind === 0) add('random bytes', randomBytes(1 + int(200)));
    else if (kind === 1) add('random bytes after login', randomBytes(1 + int(200)), t.login5);
    else if (kind === 2) {
      const [n, c] = t.connects[int(t.connects.length)] as [string, Buffer];
      add(`${n} flipped`, flip(c));
    } else if (kind === 3) {
      const [n, login, p] = t.after[int(t.after.length)] as [string, Buffer, Buffer];
      add(`${n} flipped after login`, flip(p), login);
    } else {
      // A random first byte and remaining length (1-5 length bytes), then a few random body bytes.
      const header = Array.from({ length: 2 + int(5) }, () => int(256));
      const login = rnd() < 0.5 ? t.login5 : Buffer.alloc(0);
      add('random length', Buffer.concat([Buffer.from(header), randomBytes(int(64))]), login);
    }
  }
  return cases;
}

/** Runs one case on a fresh connection: send, give the broker a moment, hang up. */
async function runCase(port: number, c: Case): Promise<void> {
  let raw: RawMqtt;
  try {
    raw = await RawMqtt.open(port);
  } catch {
    return; // refused at accept: counted by the liveness checks afterwards
  }
  raw.write(c.data);
  await raw.waitClosed(CASE_WAIT_MS);
  if (c.end) {
    raw.socket.end();
    await raw.waitClosed(CASE_WAIT_MS);
  }
  raw.destroy();
}

describe('MQTT broker: fuzzing', () => {
  let app: TestApp;
  let api: Client;
  let ctl: ControlPair;
  let sink: RawMqtt;
  const crashes: string[] = [];
  const inFlight = new Set<string>();
  const onCrash = (err: unknown) =>
    crashes.push(`${String((err as Error)?.stack ?? err)}\n  during: ${[...inFlight].join(' | ')}`);

  before(async () => {
    app = await startTestApp({
      env: {
        PLEXUS_MQTT_MAX_AUTH_FAILURES: '1000000',
        PLEXUS_MQTT_CONNECTIONS_PER_SECOND: '100000',
        PLEXUS_MQTT_MAX_PACKET_SIZE: '65536',
      },
    });
    api = await adminClient(app);
    ctl = await ControlPair.start(app.mqttPort, api);
    // Whatever garbage gets routed reaches this subscriber; it must survive it.
    sink = await RawMqtt.apiKey(app.mqttPort, await createApiKey(api, 'sink'), 'sink');
    assert.deepEqual((await sink.subscribe('devices/#', 0))?.granted, [0]);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    Error.stackTraceLimit = 30; // crash reports should reach the broker's entry point
  });
  after(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    Error.stackTraceLimit = 10;
    ctl.close();
    sink.destroy();
    await app.stop();
  });

  test(`${CASES} garbage, mutated and truncated packets leave the broker healthy`, async (t) => {
    t.diagnostic(`FUZZ_SEED=${SEED}`);
    const devices: TestDevice[] = [];
    for (let i = 0; i < LANES; i++)
      devices.push(await createDevice(api, { id: `fuzz-${String(i).padStart(2, '0')}` }));
    const cases = generate(devices);
    const rss0 = process.memoryUsage().rss;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        for (let i = lane; i < cases.length; i += LANES) {
          const c = cases[i] as Case;
          const label = `#${i} ${c.name}: ${c.data.subarray(c.skip).toString('hex').slice(0, 100)}`;
          inFlight.add(label);
          await runCase(app.mqttPort, c);
          inFlight.delete(label);
        }
      }),
    );
    const elapsed = Date.now() - started;
    const seed = `(FUZZ_SEED=${SEED})`;
    assert.deepEqual(crashes, [], `uncaught exceptions in the broker ${seed}`);
    assert.ok(elapsed < 10_000, `fuzzing took ${elapsed} ms ${seed}`);

    // The clients that were connected all along still talk to each other, and newcomers get in.
    await ctl.check(`fuzzing ${seed}`);
    sink.send({ cmd: 'pingreq' });
    assert.ok(await sink.next('pingresp', 2000), `the subscriber of routed garbage was dropped ${seed}`);
    assert.equal(
      sink.parseError?.message,
      undefined,
      `the broker sent the subscriber unparseable bytes ${seed}`,
    );
    const fresh = await ControlPair.start(app.mqttPort, api);
    await fresh.check(`fuzzing ${seed}`);
    fresh.close();

    // No connection leaked: only the control pair and the sink are left once the dust settles.
    let open = Number.NaN;
    for (let tries = 0; tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      const m = (await api.get('/metrics')).body as unknown as string;
      open = Number(/^plexus_mqtt_connections (\d+)/m.exec(m)?.[1]);
      if (open <= 3) break;
    }
    assert.ok(open <= 3, `${open} MQTT connections still open after the fuzz (expected 3) ${seed}`);

    const growth = (process.memoryUsage().rss - rss0) / 2 ** 20;
    assert.ok(growth < 100, `rss grew by ${growth.toFixed(1)} MB ${seed}`);
    assert.deepEqual(crashes, [], `uncaught exceptions in the broker ${seed}`);
    t.diagnostic(`${cases.length} cases in ${elapsed} ms, rss +${growth.toFixed(1)} MB`);
  });
});
