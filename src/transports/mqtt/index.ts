/**
 * Plexus's MQTT 3.1.1 / 5.0 broker as a transport: TCP, TLS and WebSocket
 * listeners in front of one Broker.
 * @module
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Registry } from 'prom-client';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Bus } from '../../core/bus.js';
import { listenOn } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import type { MqttStore } from '../../store/index.js';
import type { Transport } from '../transport.js';
import type { MqttAuthPort } from './auth-port.js';
import { Broker } from './broker.js';
import type { MqttConfig } from './config.js';
import { createMqttMetrics } from './metrics.js';
import { Persistence } from './persistence.js';

export type { MqttAuthPort } from './auth-port.js';
export type { MqttConfig } from './config.js';
export type { Identity } from './identity.js';

export interface MqttListenConfig {
  readonly tcp: { readonly host: string; readonly port: number };
  readonly tls?:
    | { readonly host: string; readonly port: number; readonly cert: Buffer; readonly key: Buffer }
    | undefined;
  /** Path of MQTT over WebSocket on the HTTP server. */
  readonly wsPath: string;
}

export interface MqttDeps {
  readonly auth: MqttAuthPort;
  readonly bus: Bus;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly store: MqttStore;
  /** The platform's HTTP(S) server, for WebSocket upgrades on `wsPath`. */
  readonly http: HttpServer;
}

export interface MqttPorts {
  readonly tcp: number;
  readonly tls?: number;
  readonly ws: string;
}

export interface MqttTransport extends Transport<MqttDeps> {
  /** Bound ports, once started. */
  ports(): MqttPorts | undefined;
  broker(): Broker | undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function remoteOf(socket: Socket | undefined): string {
  return socket?.remoteAddress ?? 'unknown';
}

export function createMqttTransport(config: MqttConfig, listenConfig: MqttListenConfig): MqttTransport {
  let broker: Broker | undefined;
  let ports: MqttPorts | undefined;
  const servers: Server[] = [];
  let wss: WebSocketServer | undefined;
  let upgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  let httpServer: HttpServer | undefined;

  return {
    name: 'mqtt',
    ports: () => ports,
    broker: () => broker,
    async start(deps) {
      const log = deps.log.child({ part: 'mqtt' });
      const persistence = new Persistence(deps.store, log);
      const b = new Broker({
        config,
        auth: deps.auth,
        bus: deps.bus,
        log,
        metrics: createMqttMetrics(deps.metrics),
        persistence,
      });
      broker = b;
      await b.restore();
      b.sys.start(config.sysInterval);
      const exposed = [listenConfig.tcp.host, listenConfig.tls?.host].filter(
        (h): h is string => h !== undefined && !isLoopback(h),
      );
      if (b.anonymous && exposed.length > 0) {
        log.warn(
          { tenant: b.anonymous.tenant, hosts: exposed },
          'MQTT ANONYMOUS ACCESS IS ON for a non-loopback address: any client that can reach this port may connect without credentials (mqtt.allowAnonymous). Use it for development and closed test benches only.',
        );
      }
      const onSocket = (transport: 'tcp' | 'tls') => (socket: Socket) => {
        socket.setNoDelay(true); // small packets must not wait for Nagle (see shared/tools/mqtt-load)
        b.accept(socket, { address: remoteOf(socket), transport });
      };
      const tcp = createNetServer(onSocket('tcp'));
      servers.push(tcp);
      const tcpPort = await listenOn(tcp, listenConfig.tcp.host, listenConfig.tcp.port, {
        setting: 'mqtt.port',
        env: 'PLEXUS_MQTT_PORT',
        usualOwner: 'another MQTT broker such as Mosquitto',
      });
      let tlsPort: number | undefined;
      if (listenConfig.tls) {
        const t = listenConfig.tls;
        const server = createTlsServer({ cert: t.cert, key: t.key, minVersion: 'TLSv1.2' }, onSocket('tls'));
        server.on('tlsClientError', (err) =>
          deps.log.debug({ err: err.message }, 'MQTT TLS handshake failed'),
        );
        servers.push(server);
        tlsPort = await listenOn(server, t.host, t.port, { setting: 'mqtts.port', env: 'PLEXUS_MQTTS_PORT' });
      }
      // MQTT over WebSocket shares the HTTP port: upgrades on wsPath only, subprotocol "mqtt" [MQTT-6.0.0-3].
      wss = new WebSocketServer({
        noServer: true,
        handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
      });
      const ws = wss;
      upgrade = (req, socket, head) => {
        const path = (req.url ?? '').split('?')[0];
        if (path !== listenConfig.wsPath) return; // another part's upgrade (the app refuses unknown paths)
        ws.handleUpgrade(req, socket, head, (client) => {
          // MQTT travels in binary frames only; any other data frame ends the connection [MQTT-6.0.0-1].
          client.on('message', (_data, isBinary) => {
            if (!isBinary) client.terminate();
          });
          const stream = createWebSocketStream(client);
          (req.socket as Socket).setNoDelay?.(true);
          b.accept(stream, { address: remoteOf(req.socket as Socket), transport: 'ws' });
        });
      };
      httpServer = deps.http;
      httpServer.on('upgrade', upgrade);
      ports = { tcp: tcpPort, ...(tlsPort === undefined ? {} : { tls: tlsPort }), ws: listenConfig.wsPath };
      deps.log.info({ tcp: tcpPort, tls: tlsPort, ws: listenConfig.wsPath }, 'MQTT broker listening');
    },
    async stop() {
      if (upgrade) httpServer?.off('upgrade', upgrade);
      await broker?.stop();
      wss?.close();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      servers.length = 0;
    },
  };
}
