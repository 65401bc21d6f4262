import { useEffect, useRef, useState } from 'react';
import { currentTenant, currentToken } from './client';
import type { AlarmStatus, CommandStatus, DeviceStatus, Scalar, Severity } from './types';

/** Messages of the live stream (src/api/stream.ts). */
export type StreamMessage =
  | { type: 'telemetry'; device: string; points: { key: string; ts: number; value: Scalar }[] }
  | { type: 'events'; device: string; events: { type: string; ts: number; data: Record<string, unknown> }[] }
  | { type: 'status'; device: string; status: DeviceStatus; reason: string; ts: number }
  | { type: 'twin'; device: string; side: 'desired' | 'reported'; version: number; ts: number }
  | {
      type: 'command';
      device: string;
      id: string;
      name: string;
      status: CommandStatus;
      ts: number;
      result?: unknown;
      error?: unknown;
    }
  | {
      type: 'alarm';
      device: string;
      id: string;
      alarmType: string;
      severity: Severity;
      status: AlarmStatus;
      ts: number;
    };

export type StreamKind = 'telemetry' | 'events' | 'status' | 'twin' | 'commands' | 'alarms';

/**
 * Follows the live stream: authenticates with the session's token, subscribes
 * to `devices` ('*': the whole tenant) and `kinds`, reconnects with backoff.
 * `live` says whether updates are flowing (shown in the header).
 */
export function useStream(
  devices: readonly string[] | '*',
  kinds: readonly StreamKind[],
  onMessage: (m: StreamMessage) => void,
): { live: boolean } {
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const [live, setLive] = useState(false);
  const key = `${devices === '*' ? '*' : devices.join(',')}|${kinds.join(',')}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for devices and kinds
  useEffect(() => {
    let ws: WebSocket | undefined;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      const token = currentToken();
      if (!token || closed) return;
      const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
      ws = new WebSocket(`${proto}://${window.location.host}/api/v1/stream`);
      ws.onopen = () => {
        const tenant = currentTenant();
        ws?.send(JSON.stringify({ type: 'auth', token, ...(tenant ? { tenant } : {}) }));
      };
      ws.onmessage = (e) => {
        const msg = JSON.parse(String(e.data)) as { type: string };
        if (msg.type === 'ready') {
          ws?.send(JSON.stringify({ type: 'subscribe', devices, kinds }));
          return;
        }
        if (msg.type === 'subscribed') {
          attempt = 0;
          setLive(true);
          return;
        }
        if (['telemetry', 'events', 'status', 'twin', 'command', 'alarm'].includes(msg.type)) {
          handler.current(msg as StreamMessage);
        }
      };
      ws.onclose = () => {
        setLive(false);
        if (closed) return;
        const wait = Math.min(30_000, 500 * 2 ** attempt++) * (0.5 + Math.random() / 2);
        timer = setTimeout(open, wait);
      };
    };
    open();
    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      // Closing a socket still connecting makes the browser log an error: close it once open instead.
      if (ws?.readyState === WebSocket.CONNECTING) {
        const pending = ws;
        pending.onopen = () => pending.close();
        pending.onmessage = null;
      } else ws?.close();
    };
  }, [key]);
  return { live };
}
