/**
 * Checks MQTT 5 properties as mqtt-packet parsed them. The parser accepts
 * a property given twice (it makes an array) and a cut-short string (null);
 * forwarding either would poison other clients (a retained message that
 * cannot be re-encoded) or crash the encoder. Repeating any property but
 * User Property (and, from the server, Subscription Identifier) is a
 * Protocol Error [MQTT-3.3.2-? / §2.2.2.2].
 */
const STRINGS = new Set(['contentType', 'responseTopic', 'reasonString', 'authenticationMethod']);
const NUMBERS = new Set([
  'messageExpiryInterval',
  'topicAlias',
  'sessionExpiryInterval',
  'receiveMaximum',
  'maximumPacketSize',
  'topicAliasMaximum',
  'willDelayInterval',
  'subscriptionIdentifier',
]);
const BOOLEANS = new Set([
  'payloadFormatIndicator',
  'requestResponseInformation',
  'requestProblemInformation',
]);
const BUFFERS = new Set(['correlationData', 'authenticationData']);

/** The problem, with the reason code it earns: 0x81 for a malformed value, 0x82 for a repeated property. */
export interface PropertyProblem {
  readonly code: 0x81 | 0x82;
  readonly reason: string;
}

export function propertiesProblem(props: object | undefined): PropertyProblem | undefined {
  if (props === undefined) return undefined;
  for (const [key, value] of Object.entries(props) as [string, unknown][]) {
    if (key === 'userProperties') {
      if (typeof value !== 'object' || value === null)
        return { code: 0x81, reason: 'user properties are malformed' };
      for (const v of Object.values(value as Record<string, unknown>)) {
        const list = Array.isArray(v) ? v : [v];
        if (list.some((x) => typeof x !== 'string'))
          return { code: 0x81, reason: 'a user property is malformed' };
      }
      continue;
    }
    if (Array.isArray(value)) return { code: 0x82, reason: `property ${key} appears more than once` };
    const ok = STRINGS.has(key)
      ? typeof value === 'string'
      : NUMBERS.has(key)
        ? typeof value === 'number' && Number.isFinite(value)
        : BOOLEANS.has(key)
          ? typeof value === 'boolean'
          : BUFFERS.has(key)
            ? Buffer.isBuffer(value)
            : false;
    if (!ok) return { code: 0x81, reason: `property ${key} is malformed or not allowed here` };
  }
  return undefined;
}

/** Bytes of each property's value after its identifier (§2.2.2.2); -1 = variable byte integer, -2 = string/binary, -3 = string pair. */
export const SIZES: Readonly<Record<number, number>> = {
  1: 1,
  2: 4,
  3: -2,
  8: -2,
  9: -2,
  11: -1,
  17: 4,
  18: -2,
  19: 2,
  21: -2,
  22: -2,
  23: 1,
  24: 4,
  25: 1,
  26: -2,
  28: -2,
  31: -2,
  33: 2,
  34: 2,
  35: 2,
  36: 1,
  37: 1,
  38: -3,
  39: 4,
  40: 1,
  41: 1,
  42: 1,
};
const REPEATABLE = new Set([0x26, 0x0b]);

/**
 * Finds a repeated property in a raw MQTT 5 PUBLISH frame. mqtt-packet
 * keeps only the last value of a repeated scalar property, so repetition
 * must be seen in the bytes. Returns the property id, or undefined.
 */
export function repeatedPublishProperty(frame: Buffer): number | undefined {
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  i++;
  if (i + 2 > frame.length) return undefined;
  i += 2 + frame.readUInt16BE(i);
  if ((((frame[0] as number) >> 1) & 3) > 0) i += 2;
  let length = 0;
  let mult = 1;
  for (let n = 0; n < 4 && i < frame.length; n++) {
    const b = frame[i++] as number;
    length += (b & 0x7f) * mult;
    mult *= 128;
    if ((b & 0x80) === 0) break;
  }
  const end = Math.min(frame.length, i + length);
  const seen = new Set<number>();
  while (i < end) {
    const id = frame[i++] as number;
    const size = SIZES[id];
    if (size === undefined) return undefined; // unknown id: the parser reports it
    if (seen.has(id) && !REPEATABLE.has(id)) return id;
    seen.add(id);
    if (size > 0) i += size;
    else if (size === -1) while (i < end && ((frame[i++] as number) & 0x80) !== 0);
    else {
      for (let k = size === -3 ? 2 : 1; k > 0 && i + 2 <= end; k--) i += 2 + frame.readUInt16BE(i);
    }
  }
  return undefined;
}
