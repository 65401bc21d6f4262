import type { CodecName } from './model.js';

/**
 * The codec an MQTT 5 content type or HTTP `Content-Type` names
 * (ARCHITECTURE §5). Case-insensitive; parameters such as `; charset=utf-8`
 * are ignored. Anything else, or no content type, gives undefined: the
 * caller then falls back to the profile's codec.
 *
 * @example
 * codecFromContentType('application/senml+json; charset=utf-8'); // → 'senml+json'
 * codecFromContentType('text/plain'); // → undefined
 */
export function codecFromContentType(contentType: string | undefined): CodecName | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  switch (type) {
    case 'application/json':
      return 'json';
    case 'application/cbor':
      return 'cbor';
    case 'application/senml+json':
      return 'senml+json';
    case 'application/senml+cbor':
      return 'senml+cbor';
    default:
      return undefined;
  }
}
