import { Decoder } from 'cbor-x';
import { CodecError, type CodecName } from './model.js';

/**
 * Configured once, no state kept between payloads: `useRecords: false` and no
 * `structures`, so one device cannot define record structures that another
 * device's payload would then be read with; `mapsAsObjects: false`, so maps
 * stay `Map`s and their keys keep their CBOR types (see fields.ts).
 */
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

/** Bytes → the decoded CBOR item; a `CodecError` when the bytes are not exactly one well-formed item. */
export function parseCbor(codec: CodecName, payload: Uint8Array): unknown {
  try {
    return decoder.decode(payload);
  } catch (err) {
    // cbor-x also rejects trailing bytes after the first item ("end of buffer not reached").
    // (It caches a DataView on the payload object as `dataView`: harmless, but visible.)
    throw new CodecError(codec, `invalid CBOR: ${err instanceof Error ? err.message : String(err)}`);
  }
}
