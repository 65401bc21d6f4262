import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef } from 'react';
import { type StreamMessage, useStream } from '../../api/stream';

/**
 * One WebSocket for the whole device page: the header and every tab listen
 * to it, instead of each tab opening its own connection.
 */
type Listener = (m: StreamMessage) => void;

interface DeviceLive {
  readonly live: boolean;
  subscribe(l: Listener): () => void;
}

const LiveContext = createContext<DeviceLive>({ live: false, subscribe: () => () => undefined });

const KINDS = ['telemetry', 'events', 'status', 'twin', 'commands', 'alarms'] as const;

export function DeviceLiveProvider({ id, children }: { id: string; children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const { live } = useStream([id], KINDS, (m) => {
    if (m.device !== id) return;
    for (const l of listeners.current) l(m);
  });
  const value = useMemo<DeviceLive>(
    () => ({
      live,
      subscribe(l) {
        listeners.current.add(l);
        return () => listeners.current.delete(l);
      },
    }),
    [live],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/** Calls `onMessage` for each live message about this page's device; returns whether the stream is up. */
export function useDeviceLive(onMessage: Listener): boolean {
  const ctx = useContext(LiveContext);
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const { subscribe } = ctx;
  useEffect(() => {
    const off = subscribe((m) => handler.current(m));
    return () => {
      off();
    };
  }, [subscribe]);
  return ctx.live;
}
