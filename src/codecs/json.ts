import { CodecError, type CodecName } from './model.js';

// `fatal`: bad UTF-8 is an error, not silently replaced by U+FFFD. A leading BOM is dropped.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → the parsed JSON value; a `CodecError` when the bytes are not UTF-8 JSON. */
export function parseJson(codec: CodecName, payload: Uint8Array): unknown {
  // Bytes that cannot start any JSON value are refused before JSON.parse, whose SyntaxError
  // (with its stack) costs more than the rest of a message's handling: a device flooding
  // plain text must not be expensive.
  const first = firstNonSpace(payload);
  if (first >= 0x20 && first < 0x7f && !JSON_START.has(first)) {
    throw new CodecError(
      codec,
      `invalid JSON: unexpected ${JSON.stringify(String.fromCharCode(first))} at the start`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new CodecError(codec, 'payload is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CodecError(codec, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** First bytes of a JSON value: { [ " - 0-9 t(rue) f(alse) n(ull). */
const JSON_START = new Set([
  0x7b,
  0x5b,
  0x22,
  0x2d,
  ...'0123456789tfn'.split('').map((c) => c.charCodeAt(0)),
]);

/** First byte that is not JSON whitespace (or a UTF-8 BOM), or -1. */
function firstNonSpace(b: Uint8Array): number {
  let i = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  for (; i < b.length; i++) {
    const c = b[i] as number;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}
