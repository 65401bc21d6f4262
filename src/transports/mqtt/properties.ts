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
/** The properties that may appear more than once: User Property and Subscription Identifier. */
export const REPEATABLE: ReadonlySet<number> = new Set([0x26, 0x0b]);
