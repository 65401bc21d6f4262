import mqttPacket, { type Packet } from 'mqtt-packet';

type Parser = ReturnType<typeof mqttPacket.parser>;

export type ParseResult = { readonly packet: Packet } | { readonly error: string };

/**
 * One mqtt-packet parser for every connection. The framer (framer.ts)
 * hands over whole control packets and mqtt-packet parses them
 * synchronously, so no parser state spans two calls and a parser per
 * connection (with its BufferList stream: about 1.5 KB each) would only
 * cost memory on idle connections. A frame that leaves the parser in any
 * state but "between packets" gets a fresh parser, so one connection's
 * garbage cannot leak into the next parse.
 */
export class FrameParser {
  #parser: Parser;
  #packet: Packet | undefined;
  #error: string | undefined;

  constructor() {
    this.#parser = this.#create();
  }

  #create(): Parser {
    const p = mqttPacket.parser({ protocolVersion: 4 });
    p.on('packet', (packet: Packet) => {
      this.#packet = packet;
    });
    p.on('error', (err: Error) => {
      this.#error ??= err.message;
    });
    return p;
  }

  /** Parses exactly one complete frame as `protocolVersion` (CONNECT carries its own). */
  parse(frame: Buffer, protocolVersion: 3 | 4 | 5): ParseResult {
    this.#packet = undefined;
    this.#error = undefined;
    // mqtt-packet reads packets after CONNECT by the version in its settings (untyped there).
    (this.#parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion =
      protocolVersion;
    const left = this.#parser.parse(frame);
    const packet = this.#packet;
    const error = this.#error;
    this.#packet = undefined;
    if (error !== undefined || packet === undefined || left !== 0) {
      this.#parser = this.#create();
      return { error: error ?? 'packet shorter than its remaining length says' };
    }
    return { packet };
  }
}
