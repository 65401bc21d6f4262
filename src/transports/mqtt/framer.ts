/**
 * Splits a byte stream into whole MQTT control packets before they are
 * parsed, so the size limit is enforced from the fixed header alone: a peer
 * that announces a 256 MB packet is refused before a byte of it is buffered
 * (mqtt-packet's parser would buffer the whole remaining length first).
 */
export type FrameResult = {
  readonly frames: Buffer[];
  readonly error?: 'malformed' | 'too-large';
  readonly size?: number;
};

export class Framer {
  #pending: Buffer | undefined;
  maxPacketSize: number;

  constructor(maxPacketSize: number) {
    this.maxPacketSize = maxPacketSize;
  }

  /** Appends a chunk; returns the complete frames it finished, or an error that ends the connection. */
  push(chunk: Buffer): FrameResult {
    const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    const frames: Buffer[] = [];
    let pos = 0;
    while (pos < buf.length) {
      // Fixed header: 1 type byte, then a variable byte integer of at most 4 bytes [MQTT-1.5.5].
      let length = 0;
      let multiplier = 1;
      let i = pos + 1;
      let complete = false;
      for (let n = 0; n < 4 && i < buf.length; n++, i++) {
        const byte = buf[i] as number;
        // A last byte of 0 after a continuation byte is a longer encoding than needed [MQTT-1.5.5-1].
        if (byte === 0 && n > 0) return { frames, error: 'malformed' };
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
        if (n === 3) return { frames, error: 'malformed' };
      }
      if (!complete) break;
      const total = i - pos + length;
      if (total > this.maxPacketSize) return { frames, error: 'too-large', size: total };
      if (pos + total > buf.length) break;
      frames.push(buf.subarray(pos, pos + total));
      pos += total;
    }
    if (pos < buf.length) {
      // Keep only the unfinished tail (a copy, so the big chunk can be freed).
      this.#pending = Buffer.from(buf.subarray(pos));
    }
    return { frames };
  }
}
