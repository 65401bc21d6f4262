/**
 * A way in for devices (STYLE.md §3): MQTT, HTTP, CoAP. No work in the
 * constructor; `start` binds what it needs, `stop` releases it. A transport
 * emits Uplinks and consumes Downlinks, nothing else.
 */
export interface Transport<Deps> {
  readonly name: string;
  start(deps: Deps): Promise<void>;
  /** Stops accepting, closes connections (sending what must be sent), flushes state. */
  stop(): Promise<void>;
}
