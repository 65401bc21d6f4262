import { CodecError, type CodecName } from './model.js';

// `fatal`: bad UTF-8 is an error, not silently replaced by U+FFFD. A leading BOM is dropped.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → the parsed JSON value; a `CodecError` when the bytes are not UTF-8 JSON. */
export function parseJson(codec: CodecName, payload: Uint8Array): unknown {
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
