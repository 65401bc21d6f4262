import type { IPublishPacket } from 'mqtt-packet';
import {
  CodecError,
  codecFromContentType,
  decodeDocument,
  decodeEvents,
  decodeTelemetry,
} from '../../codecs/index.js';
import type { EventData, TelemetryData, UplinkOutcome } from '../../core/envelope.js';
import type { Connection } from './connection.js';
import { ackSender } from './handlers/publish.js';
import type { Message } from './message.js';
import { RC } from './reason-codes.js';
import type { Session } from './session.js';

export type DeviceDataKind = 'telemetry' | 'event' | 'reported' | 'command-result';

const RESULT_TOPIC = /^commands\/([^/]+)\/result$/;

/**
 * `devices/{own id}/telemetry` → telemetry, `…/events` → event,
 * `…/twin/reported` → reported, `…/commands/{cmdId}/result` → command-result;
 * anything else (incl. other devices' topics) → undefined.
 */
export function deviceDataKind(session: Session, topic: string): DeviceDataKind | undefined {
  const who = session.identity;
  if (who.kind !== 'device') return undefined;
  const prefix = `devices/${who.id}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  return rest === 'telemetry'
    ? 'telemetry'
    : rest === 'events'
      ? 'event'
      : rest === 'twin/reported'
        ? 'reported'
        : RESULT_TOPIC.test(rest)
          ? 'command-result'
          : undefined;
}

/** MQTT 5 reason code and reason string for an ingest outcome (ARCHITECTURE §6.1). */
export function outcomeReason(o: UplinkOutcome): { code: number; reason?: string } {
  if (o.error) {
    const code =
      o.error.code === 'TELEMETRY_BUSY'
        ? RC.QUOTA_EXCEEDED
        : o.error.code === 'TELEMETRY_DEVICE_UNKNOWN'
          ? RC.NOT_AUTHORIZED
          : RC.UNSPECIFIED_ERROR;
    return { code, reason: o.error.message };
  }
  if (o.rejected.length === 0) return { code: RC.SUCCESS };
  const only = o.rejected[0];
  if (
    o.accepted === 0 &&
    o.rejected.length === 1 &&
    only &&
    only.key === undefined &&
    only.index === undefined
  ) {
    // One document refused as a whole (reported state, a command result): its reason alone.
    return { code: RC.PAYLOAD_FORMAT_INVALID, reason: only.reason };
  }
  const first = o.rejected
    .slice(0, 3)
    .map(
      (r) =>
        `${r.key ?? (r.index === undefined ? '' : `#${r.index}`)}${r.key || r.index !== undefined ? ': ' : ''}${r.reason}`,
    )
    .join('; ');
  const more = o.rejected.length > 3 ? `; and ${o.rejected.length - 3} more` : '';
  const summary = `${o.accepted} kept, ${o.rejected.length} rejected: ${first}${more}`;
  // Some points kept: success with the reasons; none kept: the payload was not acceptable.
  return { code: o.accepted > 0 ? RC.SUCCESS : RC.PAYLOAD_FORMAT_INVALID, reason: summary };
}

/**
 * A device's own telemetry, events, reported state or command results: decoded here (content type, else the
 * profile's codec), handed to the platform as an Uplink, and for QoS 1/2
 * acknowledged only when the telemetry writer has committed it
 * (ARCHITECTURE §1.3). Undecodable payloads are answered at once: MQTT 5
 * gets 0x99 with the reason, MQTT 3.1.1 a plain PUBACK (it has no failure
 * code; the drop is counted). A storage failure on MQTT 3.1.1 closes the
 * connection instead of acknowledging, so the client sends it again.
 */
export function forwardDeviceData(
  conn: Connection,
  session: Session,
  packet: IPublishPacket,
  kind: DeviceDataKind,
  message: Message,
): void {
  const broker = conn.broker;
  const who = session.identity;
  if (who.kind !== 'device') return;
  const codec = codecFromContentType(message.properties.contentType) ?? who.codec;
  const slot = packet.qos > 0 ? conn.reserveAck() : -1;
  const answer = (code: number, reason?: string) => {
    if (slot >= 0) conn.completeAck(slot, ackSender(conn, packet, code, reason));
  };
  let data: TelemetryData | EventData | { state: unknown } | { id: string; doc: unknown };
  try {
    if (kind === 'reported') data = { state: decodeDocument(codec, message.payload) };
    else if (kind === 'command-result') {
      const id = (
        RESULT_TOPIC.exec(message.topic.slice(`devices/${who.id}/`.length)) as RegExpExecArray
      )[1] as string;
      const correlation = message.properties.correlationData;
      if (correlation !== undefined && correlation.toString() !== id) {
        // An application's own request/response on the commands topic (a program published there
        // itself, with its own correlation data): routed like any message, not the command service's.
        answer(RC.SUCCESS);
        return;
      }
      data = { id, doc: decodeDocument(codec, message.payload) };
    } else if (kind === 'event') {
      if (codec !== 'json' && codec !== 'cbor')
        throw new CodecError(codec, 'events are sent as JSON or CBOR');
      data = decodeEvents(codec, message.payload);
    } else data = decodeTelemetry(codec, message.payload, message.receivedAt);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    broker.metrics.dropped.inc({ reason: 'payload_invalid' });
    answer(RC.PAYLOAD_FORMAT_INVALID, `${kind} payload (${codec}): ${err.message}`);
    return;
  }
  broker.emitUplink({
    kind,
    tenant: session.tenant,
    device: who.id,
    ts: message.receivedAt,
    data,
    via: 'mqtt',
    ...(slot >= 0
      ? {
          ack: (outcome: UplinkOutcome) => {
            if (outcome.error && conn.protocolVersion !== 5) {
              // Not stored, and 3.1.1 cannot say so: no PUBACK; the client resends after reconnecting.
              conn.close(RC.UNSPECIFIED_ERROR, `${kind} not stored: ${outcome.error.message}`);
              return;
            }
            const { code, reason } = outcomeReason(outcome);
            answer(code, reason);
          },
        }
      : {}),
  });
}
