import type { AclRule } from '../../core/topic-acl.js';

/** The broker's settings, a slice of the platform config (config/schema.ts `mqtt`). */
export interface MqttConfig {
  readonly maxPacketSize: number;
  /** Longest keep-alive the broker accepts; longer or 0 is replaced by this (MQTT 5 Server Keep Alive). */
  readonly maxKeepAlive: number;
  /** Longest session expiry in seconds; also the expiry of MQTT 3.1.1 persistent sessions. */
  readonly maxSessionExpiry: number;
  /** Our Receive Maximum: QoS 1/2 PUBLISHes a client may have unacknowledged with us. */
  readonly receiveMaximum: number;
  readonly topicAliasMaximum: number;
  /** Messages kept per session while its client is away or its window is full. */
  readonly maxQueuedMessages: number;
  /** Bytes waiting in a client's socket beyond which QoS 0 messages to it are dropped (a reader that stalls must not grow the heap). */
  readonly maxBufferedBytes: number;
  /** Seconds a new connection has to send CONNECT. */
  readonly connectTimeout: number;
  /** New connections per second per source address (with a burst of 10 seconds' worth). */
  readonly connectionsPerSecond: number;
  /** Failed authentications from one address before it is held back. */
  readonly maxAuthFailures: number;
  readonly authFailureWindowSeconds: number;
  /** Accept clients without user name and password (development, closed test benches). */
  readonly allowAnonymous: boolean;
  /** Where anonymous clients land and what they may do (first matching rule wins, default deny). */
  readonly anonymous: { readonly tenant: string; readonly rules: readonly AclRule[] };
  /** Seconds between `$SYS` updates; 0 turns them off. */
  readonly sysInterval: number;
}
