import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { Framer } from './framer.js';

const gen = (p: Packet) => mqttPacket.generate(p, { protocolVersion: 5 });

/** A few real packets of different shapes: 1- and 2-byte remaining lengths, an empty one. */
const PACKETS: Buffer[] = [
  gen({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 5,
    clientId: 'dev-1',
    clean: true,
    keepalive: 30,
  }),
  gen({
    cmd: 'publish',
    topic: 'devices/dev-1/telemetry',
    payload: Buffer.alloc(300, 7),
    qos: 1,
    messageId: 9,
    retain: false,
    dup: false,
    properties: { contentType: 'application/json', userProperties: { a: 'b' } },
  }),
  gen({ cmd: 'pingreq' }),
  gen({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'devices/dev-1/#', qos: 1 }] }),
  gen({ cmd: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }),
];
const STREAM = Buffer.concat(PACKETS);

function collect(framer: Framer, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    const r = framer.push(c);
    assert.equal(r.error, undefined);
    out.push(...r.frames);
  }
  return out;
}

test('a remaining length of two bytes is exercised by the sample', () => {
  assert.ok(((PACKETS[1] as Buffer)[1] as number) & 0x80);
  assert.equal((PACKETS[2] as Buffer).length, 2);
});

test('several frames in one chunk come out whole and in order', () => {
  const frames = collect(new Framer(1 << 20), [STREAM]);
  assert.deepEqual(frames, PACKETS);
});

test('a stream split in two at every byte boundary gives the same frames', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    const frames = collect(new Framer(1 << 20), [STREAM.subarray(0, i), STREAM.subarray(i)]);
    assert.deepEqual(frames, PACKETS, `split at ${i}`);
  }
});

test('a stream fed one byte at a time gives the same frames, each as soon as it is complete', () => {
  const framer = new Framer(1 << 20);
  const ends = new Set<number>();
  let end = 0;
  for (const p of PACKETS) {
    end += p.length;
    ends.add(end);
  }
  const frames: Buffer[] = [];
  for (let i = 0; i < STREAM.length; i++) {
    const r = framer.push(STREAM.subarray(i, i + 1));
    assert.equal(r.error, undefined);
    assert.equal(r.frames.length, ends.has(i + 1) ? 1 : 0, `after byte ${i}`);
    frames.push(...r.frames);
  }
  assert.deepEqual(frames, PACKETS);
});

test('split at every pair of boundaries (three chunks)', () => {
  const sample = Buffer.concat([PACKETS[0] as Buffer, PACKETS[2] as Buffer, PACKETS[3] as Buffer]);
  const expected = [PACKETS[0], PACKETS[2], PACKETS[3]];
  for (let i = 0; i <= sample.length; i++) {
    for (let j = i; j <= sample.length; j++) {
      const chunks = [sample.subarray(0, i), sample.subarray(i, j), sample.subarray(j)];
      assert.deepEqual(collect(new Framer(1 << 20), chunks), expected, `split at ${i}, ${j}`);
    }
  }
});

test('the pending tail is retained across pushes, and is a copy of the caller’s buffer', () => {
  const framer = new Framer(1 << 20);
  const first = Buffer.from(STREAM.subarray(0, (PACKETS[0] as Buffer).length + 5));
  const r1 = framer.push(first);
  assert.deepEqual(r1.frames, [PACKETS[0]]);
  first.fill(0xee); // the caller reuses its buffer: the framer must not see it
  const r2 = framer.push(STREAM.subarray(first.length));
  assert.equal(r2.error, undefined);
  assert.deepEqual(r2.frames, PACKETS.slice(1));
});

test('an incomplete header (type byte only, or unfinished length) waits for more', () => {
  const framer = new Framer(1 << 20);
  assert.deepEqual(framer.push(Buffer.from([0x30])).frames, []);
  assert.deepEqual(framer.push(Buffer.from([0x83])).frames, []); // continuation bit: more length to come
  const r = framer.push(Buffer.from([0x01, ...Buffer.alloc(131, 1)]));
  assert.equal(r.error, undefined);
  assert.equal(r.frames.length, 1);
  assert.equal(r.frames[0]?.length, 134);
});

test('a remaining length of more than 4 bytes is malformed [MQTT-1.5.5]', () => {
  const r = new Framer(1 << 30).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0]));
  assert.equal(r.error, 'malformed');
  assert.deepEqual(r.frames, []);
});

test('a 5-byte length split across chunks is malformed too, once the 4th byte arrives', () => {
  const framer = new Framer(1 << 30);
  assert.equal(framer.push(Buffer.from([0x30, 0x80, 0x80])).error, undefined);
  assert.equal(framer.push(Buffer.from([0x80, 0x80])).error, 'malformed');
});

test('the largest 4-byte length (268,435,455) is well-formed, hence only too large', () => {
  const r = new Framer(1 << 20).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
  assert.equal(r.error, 'too-large');
  assert.equal(r.size, 268_435_455 + 5);
});

test('frames before a malformed one are returned with the error', () => {
  const r = new Framer(1 << 20).push(
    Buffer.concat([PACKETS[2] as Buffer, Buffer.from([0xc0, 0x80, 0x80, 0x80, 0x80, 0x01])]),
  );
  assert.equal(r.error, 'malformed');
  assert.deepEqual(r.frames, [PACKETS[2]]);
});

test('the size limit counts the whole packet (header included): exactly max passes, one more is too large', () => {
  const p = PACKETS[1] as Buffer;
  assert.deepEqual(new Framer(p.length).push(p).frames, [p]);
  const r = new Framer(p.length - 1).push(p);
  assert.equal(r.error, 'too-large');
  assert.equal(r.size, p.length);
  assert.deepEqual(r.frames, []);
});

test('too large is decided from the fixed header alone, before the body arrives', () => {
  // 100 MB announced, 3 bytes of body sent.
  const header = [0x30, 0x80, 0xc2, 0xd7, 0x2f]; // 100,000,000
  const framer = new Framer(262_144);
  const r = framer.push(Buffer.from([...header, 0, 1, 0x61]));
  assert.equal(r.error, 'too-large');
  assert.equal(r.size, 100_000_000 + 5);
  // Split: type byte, then the length, still decided without any body.
  const f2 = new Framer(262_144);
  assert.equal(f2.push(Buffer.from(header.slice(0, 2))).error, undefined);
  const r2 = f2.push(Buffer.from(header.slice(2)));
  assert.equal(r2.error, 'too-large');
  assert.equal(r2.size, 100_000_005);
});

test('frames before a too-large one are returned with the error', () => {
  const big = gen({
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(1000),
    qos: 0,
    retain: false,
    dup: false,
  });
  const r = new Framer(500).push(Buffer.concat([PACKETS[2] as Buffer, PACKETS[4] as Buffer, big]));
  assert.equal(r.error, 'too-large');
  assert.equal(r.size, big.length);
  assert.deepEqual(r.frames, [PACKETS[2], PACKETS[4]]);
});

test('the limit can change between pushes (maxPacketSize is read on each frame)', () => {
  const framer = new Framer(1 << 20);
  const p = PACKETS[1] as Buffer;
  assert.deepEqual(framer.push(p).frames, [p]);
  framer.maxPacketSize = 10;
  assert.equal(framer.push(p).error, 'too-large');
});

test('zero-length packets (PINGREQ, DISCONNECT) are frames of two bytes', () => {
  const r = new Framer(2).push(Buffer.from([0xc0, 0x00, 0xe0, 0x00]));
  assert.equal(r.error, undefined);
  assert.deepEqual(
    r.frames.map((f) => [...f]),
    [
      [0xc0, 0],
      [0xe0, 0],
    ],
  );
});
