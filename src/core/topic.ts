/**
 * Topic name and filter rules (MQTT 3.1.1 §4.7, MQTT 5.0 §4.7-4.8): validation, shared-subscription
 * parsing and single filter/topic matching. Pure; the per-publish paths avoid allocation.
 */

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;
const MAX_BYTES = 65535;
const SHARE_PREFIX = '$share/';

/** True for topics reserved to the server, e.g. `$SYS/...` [MQTT-4.7.2-1]. */
export function isSysTopic(topic: string): boolean {
  return topic.charCodeAt(0) === DOLLAR;
}

/** Why `topic` is not a valid PUBLISH topic name, or undefined when it is. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'must not be empty'; // [MQTT-4.7.3-1]
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === PLUS || c === HASH) return 'must not contain wildcards'; // [MQTT-3.3.2-2] [MQTT-4.7.0-1]
    const problem = charProblem(topic, i, c);
    if (problem !== undefined) return problem;
    if (c >= 0xd800 && c <= 0xdbff) i++; // skip the low half of a valid pair
  }
  return tooLong(topic);
}

/** Why `filter` is not a valid SUBSCRIBE/UNSUBSCRIBE topic filter, or undefined when it is. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'must not be empty'; // [MQTT-4.7.3-1]
  let start = 0;
  if (filter.startsWith(SHARE_PREFIX)) {
    const slash = filter.indexOf('/', SHARE_PREFIX.length);
    const end = slash === -1 ? filter.length : slash;
    if (end === SHARE_PREFIX.length) return 'share name must not be empty'; // [MQTT-4.8.2-1]
    for (let i = SHARE_PREFIX.length; i < end; i++) {
      const c = filter.charCodeAt(i);
      if (c === PLUS || c === HASH) return 'share name must not contain wildcards'; // [MQTT-4.8.2-1]
    }
    // [MQTT-4.8.2-2] the ShareName is followed by '/' and a non-empty topic filter
    if (slash === -1 || slash === filter.length - 1) return 'shared subscription needs a topic filter';
    start = slash + 1;
  }
  for (let i = start; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS) {
      // [MQTT-4.7.1-2] '+' occupies a whole level
      const alone = (i === start || filter.charCodeAt(i - 1) === SLASH) && isLevelEnd(filter, i + 1);
      if (!alone) return "'+' must occupy a whole level";
    } else if (c === HASH) {
      // [MQTT-4.7.1-1] '#' is a whole level and the last character
      const alone = i === start || filter.charCodeAt(i - 1) === SLASH;
      if (!alone || i !== filter.length - 1) return "'#' must be the whole last level";
    } else {
      const problem = charProblem(filter, i, c);
      if (problem !== undefined) return problem;
      if (c >= 0xd800 && c <= 0xdbff) i++;
    }
  }
  return tooLong(filter);
}

/** Splits a valid `$share/{ShareName}/{filter}` into its parts; undefined for any other filter. */
export function parseShared(filter: string): { group: string; filter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  if (slash <= SHARE_PREFIX.length || slash === filter.length - 1) return undefined; // [MQTT-4.8.2-1/2]
  const group = filter.slice(SHARE_PREFIX.length, slash);
  if (group.includes('+') || group.includes('#')) return undefined;
  return { group, filter: filter.slice(slash + 1) };
}

/**
 * Whether topic name `topic` matches the (non-shared, valid) `filter`. '#' also matches the parent
 * level (`a/#` matches `a`), '+' matches an empty level. Walks both strings without splitting.
 */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with '$'
  if (topic.charCodeAt(0) === DOLLAR) {
    const first = filter.charCodeAt(0);
    if (first === PLUS || first === HASH) return false;
  }
  const fl = filter.length;
  const tl = topic.length;
  let f = 0; // start of the current filter level; fl + 1 once past the last level
  let t = 0;
  for (;;) {
    if (f > fl) return t > tl;
    const fe = levelEnd(filter, f);
    const wildcard = fe - f === 1 ? filter.charCodeAt(f) : 0;
    if (wildcard === HASH) return true; // zero or more remaining levels
    if (t > tl) return false;
    const te = levelEnd(topic, t);
    if (wildcard !== PLUS && !sameLevel(filter, f, fe, topic, t, te)) return false;
    f = fe + 1;
    t = te + 1;
  }
}

function levelEnd(s: string, from: number): number {
  const i = s.indexOf('/', from);
  return i === -1 ? s.length : i;
}

function isLevelEnd(s: string, i: number): boolean {
  return i === s.length || s.charCodeAt(i) === SLASH;
}

function sameLevel(a: string, as: number, ae: number, b: string, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let i = 0; i < ae - as; i++) if (a.charCodeAt(as + i) !== b.charCodeAt(bs + i)) return false;
  return true;
}

/** U+0000 and lone surrogates, which cannot be encoded as well-formed UTF-8. */
function charProblem(s: string, i: number, c: number): string | undefined {
  if (c === 0) return 'must not contain U+0000'; // [MQTT-4.7.3-2] [MQTT-1.5.4-2]
  if (c >= 0xd800 && c <= 0xdfff) {
    const next = s.charCodeAt(i + 1);
    const paired = c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    if (!paired) return 'must be well-formed UTF-8'; // [MQTT-1.5.4-1]
  }
  return undefined;
}

function tooLong(s: string): string | undefined {
  // A UTF-16 unit encodes to at most 3 UTF-8 bytes: only long strings need counting.
  if (s.length * 3 <= MAX_BYTES) return undefined;
  return Buffer.byteLength(s, 'utf8') > MAX_BYTES ? 'must not exceed 65535 bytes' : undefined; // [MQTT-4.7.3-3]
}
