import assert from 'node:assert/strict';
import { test } from 'node:test';
import { propertiesProblem } from './properties.js';
import { wireProblem } from './wire-check.js';

/** The repeated property a PUBLISH frame's check reports (0x82), if any. */
const repeatedPublishProperty = (frame: Buffer) => {
  const p = wireProblem(frame, 5);
  return p?.code === 0x82 ? Number.parseInt(p.what.split(' ')[1] as string, 16) : undefined;
};

test('well-formed properties pass', () => {
  assert.equal(
    propertiesProblem({
      contentType: 'application/json',
      messageExpiryInterval: 10,
      payloadFormatIndicator: true,
      correlationData: Buffer.from('x'),
      userProperties: { a: 'b', c: ['d', 'e'] },
    }),
    undefined,
  );
  assert.equal(propertiesProblem(undefined), undefined);
});

test('repeated, cut-short and unknown properties are refused', () => {
  assert.deepEqual(propertiesProblem({ contentType: ['a', 'b'] }), {
    code: 0x82,
    reason: 'property contentType appears more than once',
  });
  assert.equal(propertiesProblem({ contentType: null })?.code, 0x81);
  assert.match(propertiesProblem({ userProperties: { a: null } })?.reason ?? '', /user property/);
  assert.equal(propertiesProblem({ messageExpiryInterval: 'soon' })?.code, 0x81);
  assert.match(propertiesProblem({ wildcardSubscriptionAvailable: true })?.reason ?? '', /not allowed/);
});

test('a repeated property is found in the raw PUBLISH bytes; repeatable ones are fine', async () => {
  const { default: mqttPacket } = await import('mqtt-packet');
  const frame = mqttPacket.generate(
    {
      cmd: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
      properties: { contentType: 'a', userProperties: { k: ['1', '2'] } },
    },
    { protocolVersion: 5 },
  );
  assert.equal(repeatedPublishProperty(frame), undefined);
  // Append a second content type by hand: properties length +4, remaining length +4.
  const props = Buffer.from([0x03, 0x00, 0x01, 0x62]);
  const topicEnd = 2 + 2 + 1 + 2; // header(2) + topic length(2) + "t" + packet id(2)
  const propLen = frame[topicEnd] as number;
  const patched = Buffer.concat([
    frame.subarray(0, topicEnd),
    Buffer.from([propLen + 4]),
    frame.subarray(topicEnd + 1, topicEnd + 1 + propLen),
    props,
    frame.subarray(topicEnd + 1 + propLen),
  ]);
  patched[1] = (frame[1] as number) + 4;
  assert.equal(repeatedPublishProperty(patched), 0x03);
});
