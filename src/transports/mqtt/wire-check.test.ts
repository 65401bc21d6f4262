import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket, { type IConnectPacket } from 'mqtt-packet';
import { wireProblem as problemOf } from './wire-check.js';

/** What is wrong with a frame, as the tests compare it. */
const wireProblem = (f: Buffer, version: number) => problemOf(f, version)?.what;
const connectProblem = (f: Buffer) => wireProblem(f, 4);
const publishIdProblem = (f: Buffer) => wireProblem(f, 4);
const filtersProblem = wireProblem;

const str = (b: Buffer | string) => {
  const x = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([Buffer.from([x.length >> 8, x.length & 0xff]), x]);
};
/** One frame: first byte, 1-byte remaining length, body. */
const frame = (first: number, ...parts: (Buffer | number[])[]) => {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
  return Buffer.concat([Buffer.from([first, body.length]), body]);
};
const connect = (flags: number, ...payload: Buffer[]) =>
  frame(0x10, str('MQTT'), [4, flags, 0, 60], ...payload);
const NOT_UTF8 = Buffer.from([0x61, 0xc3, 0x28]);

test('a CONNECT as encoded by mqtt-packet passes, in both versions, with will, user name and password', () => {
  for (const protocolVersion of [4, 5] as const) {
    const packet: IConnectPacket = {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion,
      clientId: 'caf\u00e9',
      clean: true,
      keepalive: 30,
      username: 'u',
      password: Buffer.from([0, 0xff]),
      will: { topic: 'w/t', payload: Buffer.from([0xff]), qos: 1, retain: false },
    };
    assert.equal(wireProblem(mqttPacket.generate(packet, { protocolVersion }), protocolVersion), undefined);
  }
});

test('CONNECT: ill-formed strings, U+0000, will QoS 3, a 3.1.1 password without user name, leftover bytes', () => {
  assert.equal(connectProblem(connect(0x02, str(NOT_UTF8))), 'the client id is not valid UTF-8');
  assert.equal(connectProblem(connect(0x02, str(Buffer.from([0x61, 0])))), 'the client id contains U+0000');
  assert.equal(
    connectProblem(connect(0x06, str('c'), str(NOT_UTF8), str('m'))),
    'the will topic is not valid UTF-8',
  );
  assert.equal(connectProblem(connect(0x82, str('c'), str(NOT_UTF8))), 'the user name is not valid UTF-8');
  assert.equal(connectProblem(connect(0x1e, str('c'), str('t'), str('m'))), 'will QoS 3');
  assert.equal(connectProblem(connect(0x42, str('c'), str('p'))), 'password flag without user name flag');
  assert.equal(connectProblem(connect(0x02, str('c'), str('u'))), 'CONNECT has bytes after its last field');
  // Truncated or foreign frames are the parser's to report.
  assert.equal(connectProblem(connect(0x82, str('c'))), undefined);
  assert.equal(connectProblem(frame(0x10, str('MQTX'), [4, 0x1e, 0, 60])), undefined);
});

test('PUBLISH: packet identifier 0 is refused for QoS 1 and 2 only', () => {
  assert.equal(publishIdProblem(frame(0x30, str('t'), [0, 0])), undefined);
  assert.match(publishIdProblem(frame(0x32, str('t'), [0, 0])) ?? '', /identifier 0/);
  assert.match(publishIdProblem(frame(0x34, str('t'), [0, 0], [1])) ?? '', /identifier 0/);
  assert.equal(publishIdProblem(frame(0x32, str('t'), [0, 1])), undefined);
});

test('SUBSCRIBE / UNSUBSCRIBE: identifier 0 and ill-formed filters, in 3.1.1 and 5.0 layouts', () => {
  assert.equal(filtersProblem(frame(0x82, [0, 1], str('a/b'), [1]), 4), undefined);
  assert.equal(filtersProblem(frame(0x82, [0, 1], [0], str('a/b'), [1]), 5), undefined);
  assert.match(
    filtersProblem(frame(0x82, [0, 0], str('a'), [0]), 4) ?? '',
    /SUBSCRIBE has packet identifier 0/,
  );
  assert.match(filtersProblem(frame(0xa2, [0, 0], str('a')), 4) ?? '', /UNSUBSCRIBE has packet identifier 0/);
  assert.equal(
    filtersProblem(frame(0x82, [0, 1], str('ok'), [0], str(NOT_UTF8), [0]), 4),
    'a topic filter is not valid UTF-8',
  );
  assert.equal(
    filtersProblem(frame(0xa2, [0, 1], [0], str(NOT_UTF8)), 5),
    'a topic filter is not valid UTF-8',
  );
});

test('MQTT 5 strings in properties and PUBLISH topics are checked', () => {
  // PUBLISH QoS 0, topic "t", properties: Content Type (0x03) with ill-formed UTF-8.
  const badProp = frame(0x30, str('t'), [NOT_UTF8.length + 3, 0x03], str(NOT_UTF8));
  assert.equal(wireProblem(badProp, 5), 'a string property is not valid UTF-8');
  assert.equal(
    problemOf(frame(0x30, str(NOT_UTF8), [0]), 5)?.code,
    0x90,
    'a bad topic is Topic Name invalid',
  );
  // PUBACK with a reason code and a Reason String (0x1F) holding U+0000.
  const nul = Buffer.from([0x61, 0]);
  assert.equal(
    wireProblem(frame(0x40, [0, 1, 0x10, nul.length + 3, 0x1f], str(nul)), 5),
    'a string property contains U+0000',
  );
});
