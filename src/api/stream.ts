import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type AuthService, can, type Principal } from '../auth/index.js';
import type {
  AlarmChange,
  Bus,
  CommandChange,
  DeviceStatusChange,
  StoredTelemetry,
  TwinChange,
} from '../core/bus.js';
import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';

export const STREAM_PATH = '/api/v1/stream';
/** A client this far behind loses messages (counted and reported) rather than growing our memory. */
const MAX_BUFFERED = 1 << 20;
const AUTH_TIMEOUT_MS = 10_000;

type Kind = 'telemetry' | 'events' | 'status' | 'twin' | 'commands' | 'alarms';
const KINDS: readonly Kind[] = ['telemetry', 'events', 'status', 'twin', 'commands', 'alarms'];

interface Client {
  readonly ws: WebSocket;
  principal?: Principal;
  tenant?: string;
  /** undefined = every device of the tenant. */
  devices?: Set<string>;
  kinds: Set<Kind>;
  subscribed: boolean;
  dropped: number;
  /** The login under way or done (header or `auth` message): later messages wait for it. */
  login?: Promise<void>;
}

export interface StreamDeps {
  readonly bus: Bus;
  readonly auth: AuthService;
  readonly registry: RegistryService;
  readonly log: Logger;
}

/**
 * WebSocket `/api/v1/stream` (ARCHITECTURE §6): live telemetry, events and
 * online/offline status for operators, only of their tenant and only with
 * `telemetry:read`. Authenticate with `Authorization: Bearer …` on the
 * upgrade, or (browsers cannot set headers) a first message
 * `{"type":"auth","token":"…","tenant"?:"…"}`; then
 * `{"type":"subscribe","devices":["press-7"]|"*","kinds":["telemetry","events","status","twin","commands","alarms"]}`.
 * Messages: `{"type":"telemetry","device","points":[{key,ts,value}]}`,
 * `{"type":"events","device","events":[…]}`, `{"type":"status","device","status","reason","ts"}`,
 * `{"type":"twin","device","side":"desired"|"reported","patch","version","desiredVersion","reportedVersion","ts"}`,
 * `{"type":"command","device","id","name","status","ts","result"?,"error"?}`,
 * `{"type":"alarm","device","id","alarmType","severity","status","ts"}`,
 * `{"type":"error","message"}`, and `{"type":"dropped","count"}` after a slow client lost messages.
 */
export function createLiveStream(deps: StreamDeps) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const clients = new Set<Client>();

  function send(c: Client, msg: object): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount > MAX_BUFFERED) {
      c.dropped++;
      return;
    }
    if (c.dropped > 0) {
      c.ws.send(JSON.stringify({ type: 'dropped', count: c.dropped }));
      c.dropped = 0;
    }
    c.ws.send(JSON.stringify(msg));
  }

  const wants = (c: Client, tenant: string, device: string, kind: Kind) =>
    c.subscribed && c.tenant === tenant && c.kinds.has(kind) && (!c.devices || c.devices.has(device));

  deps.bus.subscribe('stream', 'telemetry', (t: StoredTelemetry) => {
    for (const c of clients) {
      if (t.points.length > 0 && wants(c, t.tenant, t.device, 'telemetry')) {
        send(c, { type: 'telemetry', device: t.device, points: t.points });
      }
      if (t.events.length > 0 && wants(c, t.tenant, t.device, 'events')) {
        send(c, { type: 'events', device: t.device, events: t.events });
      }
    }
  });
  deps.bus.subscribe('stream', 'device-status', (s: DeviceStatusChange) => {
    for (const c of clients) {
      if (wants(c, s.tenant, s.device, 'status')) {
        send(c, { type: 'status', device: s.device, status: s.status, reason: s.reason, ts: s.ts });
      }
    }
  });

  deps.bus.subscribe('stream', 'twin', (t: TwinChange) => {
    for (const c of clients) {
      if (wants(c, t.tenant, t.device, 'twin')) {
        send(c, {
          type: 'twin',
          device: t.device,
          side: t.side,
          patch: t.patch,
          version: t.version,
          desiredVersion: t.desiredVersion,
          reportedVersion: t.reportedVersion,
          ts: t.ts,
        });
      }
    }
  });

  deps.bus.subscribe('stream', 'command', (c: CommandChange) => {
    for (const client of clients) {
      if (wants(client, c.tenant, c.device, 'commands')) {
        const { tenant: _t, ...rest } = c;
        send(client, { type: 'command', ...rest });
      }
    }
  });

  deps.bus.subscribe('stream', 'alarm', (a: AlarmChange) => {
    for (const client of clients) {
      if (wants(client, a.tenant, a.device, 'alarms')) {
        // `type` names the message; the alarm's own type travels as `alarmType`.
        send(client, {
          type: 'alarm',
          device: a.device,
          id: a.id,
          alarmType: a.type,
          severity: a.severity,
          status: a.status,
          ts: a.ts,
        });
      }
    }
  });

  async function login(c: Client, token: string, asked: string | undefined, address: string): Promise<void> {
    const principal = await deps.auth.authenticate(token, address);
    if (!can(principal, 'telemetry:read'))
      throw new Error(`the ${principal.role} role may not read telemetry`);
    let tenant = principal.tenant;
    if (asked !== undefined && asked !== principal.tenant) {
      if (!principal.platformAdmin || !(await deps.registry.findTenant(asked))) {
        throw new Error(`tenant ${asked} does not exist`);
      }
      tenant = asked;
    }
    c.principal = principal;
    c.tenant = tenant;
  }

  /** Handles one client message; an `auth` one leaves its login in `c.login`. */
  function onMessage(c: Client, raw: string, address: string): void {
    let msg: { type?: unknown; token?: unknown; tenant?: unknown; devices?: unknown; kinds?: unknown };
    try {
      msg = JSON.parse(raw);
    } catch {
      send(c, { type: 'error', message: 'messages are JSON objects' });
      return;
    }
    if (msg.type === 'auth') {
      if (typeof msg.token !== 'string') {
        send(c, { type: 'error', message: 'auth needs a token' });
        return;
      }
      const tenant = typeof msg.tenant === 'string' ? msg.tenant : undefined;
      c.login = login(c, msg.token, tenant, address).then(
        () => send(c, { type: 'ready', tenant: c.tenant }),
        (err: Error) => {
          send(c, { type: 'error', message: err.message });
          c.ws.close(4401, 'authentication failed');
        },
      );
      return;
    }
    if (!c.principal) {
      send(c, { type: 'error', message: 'authenticate first: {"type":"auth","token":"…"}' });
      return;
    }
    if (msg.type === 'subscribe') {
      const kinds = msg.kinds === undefined ? KINDS : msg.kinds;
      if (!Array.isArray(kinds) || !kinds.every((k) => (KINDS as readonly unknown[]).includes(k))) {
        send(c, { type: 'error', message: `kinds must be a list of ${KINDS.join(', ')}` });
        return;
      }
      const devices = msg.devices ?? '*';
      if (
        devices !== '*' &&
        !(Array.isArray(devices) && devices.length <= 1000 && devices.every((d) => typeof d === 'string'))
      ) {
        send(c, { type: 'error', message: 'devices must be "*" or a list of up to 1,000 device ids' });
        return;
      }
      c.kinds = new Set(kinds as Kind[]);
      if (devices === '*') delete c.devices;
      else c.devices = new Set(devices as string[]);
      c.subscribed = true;
      send(c, { type: 'subscribed', devices, kinds: [...c.kinds] });
      return;
    }
    if (msg.type === 'unsubscribe') {
      c.subscribed = false;
      send(c, { type: 'unsubscribed' });
      return;
    }
    send(c, { type: 'error', message: 'unknown message type (auth, subscribe, unsubscribe)' });
  }

  function accept(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const c: Client = { ws, kinds: new Set(KINDS), subscribed: false, dropped: 0 };
    clients.add(c);
    const timer = setTimeout(() => {
      if (!c.principal) ws.close(4401, 'authenticate within 10 seconds');
    }, AUTH_TIMEOUT_MS);
    timer.unref();
    // Messages are handled in order, each after any login under way: a client that
    // subscribes right after the socket opens must not be told to authenticate first
    // while its Authorization header is still being checked (a store round trip).
    let chain: Promise<void> = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      chain = chain.then(async () => {
        await c.login; // settled either way: login() failures are answered inside
        if (isBinary) send(c, { type: 'error', message: 'messages are JSON text' });
        else onMessage(c, data.toString(), address);
      });
    });
    ws.on('close', () => {
      clearTimeout(timer);
      clients.delete(c);
    });
    ws.on('error', (err) => deps.log.debug({ err: err.message }, 'stream client error'));
    const header = req.headers.authorization;
    const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (bearer) {
      const asked = req.headers['plexus-tenant'];
      c.login = login(c, bearer, typeof asked === 'string' ? asked : undefined, address).then(
        () => send(c, { type: 'ready', tenant: c.tenant }),
        (err: Error) => {
          send(c, { type: 'error', message: err.message });
          ws.close(4401, 'authentication failed');
        },
      );
    }
  }

  return {
    /** Handles an HTTP upgrade for STREAM_PATH. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
    },
    get clients(): number {
      return clients.size;
    },
    close(): void {
      deps.bus.unsubscribeAll('stream');
      for (const c of clients) c.ws.close(1001, 'server shutting down');
      wss.close();
    },
  };
}
