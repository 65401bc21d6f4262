/**
 * The one interface the SDK's transports implement (MQTT, HTTP): open a
 * connection, send a message and resolve when the platform acknowledged it,
 * report what arrives and when the connection is lost. Type-only.
 */

/** Where a message goes: ARCHITECTURE §5's device topics / HTTP paths. */
export type Channel = 'telemetry' | 'events' | 'reported' | 'result';

export interface OutMessage {
  readonly channel: Channel;
  readonly payload: Buffer;
  readonly contentType: string;
  /** For results: the command answered, and the MQTT 5 response topic / correlation data it came with. */
  readonly command?: {
    readonly id: string;
    readonly responseTopic?: string;
    readonly correlationData?: Buffer;
  };
}

/** A command as it arrived; `problem` when its payload could not be read (answered ok:false). */
export interface IncomingCommand {
  readonly id: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  readonly problem?: string;
}

export interface LinkEvents {
  command(cmd: IncomingCommand): void;
  /** A desired-state document as received (checked by the client). */
  desired(doc: unknown): void;
  /** The opened connection is gone (called once per successful open()); an AUTH_FAILED error stops reconnecting. */
  down(err: Error): void;
  /** Something went wrong that does not end the connection (a refused subscription...). */
  warn(err: Error): void;
}

export interface Link {
  /**
   * One connection attempt. Rejects with DeviceSdkError AUTH_FAILED when
   * the credentials are refused, any other error when worth retrying.
   */
  open(): Promise<void>;
  /** Resolves on acknowledgement; rejects with DeviceSdkError (refused: do not retry) or TransientError. */
  send(m: OutMessage): Promise<void>;
  /** Start receiving commands (MQTT: subscribe; HTTP: long-poll), now or on the next open(). */
  listenCommands(): void;
  /** Start receiving desired-state changes continuously (HTTP long-poll; MQTT always does). */
  listenDesired(): void;
  close(): Promise<void>;
}
