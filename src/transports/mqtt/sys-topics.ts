import { VERSION } from '../../core/version.js';
import type { Broker } from './broker.js';
import { PLATFORM_NAMESPACE } from './router.js';
import { emptyTraffic, type Traffic } from './traffic.js';

/** Mosquitto's load averages: per-minute rates, decayed over 1, 5 and 15 minutes. */
const LOAD_WINDOWS = [
  ['1min', 60],
  ['5min', 300],
  ['15min', 900],
] as const;

const TRAFFIC_TOPICS = [
  ['messages/received', 'messagesIn'],
  ['messages/sent', 'messagesOut'],
  ['bytes/received', 'bytesIn'],
  ['bytes/sent', 'bytesOut'],
] as const;

interface Namespace {
  prev: Traffic;
  /** Decayed per-minute rates by `<traffic topic>/<window>`. */
  readonly loads: Map<string, number>;
  /** Last value published per topic: only changes go out. */
  readonly published: Map<string, string>;
}

interface Figures {
  connected: number;
  disconnected: number;
}

/**
 * `$SYS` topics (docs/mqtt.md): every `mqtt.sysInterval` seconds each tenant
 * with sessions or subscriptions gets its own figures, retained, in its own
 * namespace (Mosquitto's names where one exists); MQTT users whose `sys` is
 * `platform` read the whole platform's under the same names. Clients cannot
 * publish to `$` topics, and only rules that name `$SYS/...` let users read
 * them (`#` never matches a `$` topic).
 */
export class SysTopics {
  readonly #broker: Broker;
  readonly #startedAt = Date.now();
  readonly #spaces = new Map<string, Namespace>();
  #lastTick = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(broker: Broker) {
    this.#broker = broker;
  }

  start(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return;
    this.#timer = setInterval(() => this.publish(), intervalSeconds * 1000);
    this.#timer.unref();
    this.publish();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  forget(tenant: string): void {
    this.#spaces.delete(tenant);
  }

  /** Publishes every namespace's figures that changed since the last time. */
  publish(): void {
    const now = Date.now();
    const dt = Math.max(0.001, (now - this.#lastTick) / 1000);
    this.#lastTick = now;
    const broker = this.#broker;
    const clients = new Map<string, Figures>();
    const all: Figures = { connected: 0, disconnected: 0 };
    for (const s of broker.sessions.values()) {
      let f = clients.get(s.tenant);
      if (!f) {
        f = { connected: 0, disconnected: 0 };
        clients.set(s.tenant, f);
      }
      const key = s.connection ? 'connected' : 'disconnected';
      f[key]++;
      all[key]++;
    }
    const tenants = new Set(clients.keys());
    for (const ns of broker.router.namespaces()) if (ns !== PLATFORM_NAMESPACE) tenants.add(ns);
    let retained = 0;
    let subscriptions = 0;
    for (const tenant of tenants) {
      const r = this.#retainedCount(tenant);
      const subs = broker.router.subscriptionCount(tenant);
      retained += r;
      subscriptions += subs;
      const traffic = broker.traffic.of(tenant);
      this.#publishNamespace(tenant, clients.get(tenant), traffic, r, subs, now, dt);
    }
    this.#publishNamespace(PLATFORM_NAMESPACE, all, broker.traffic.total(), retained, subscriptions, now, dt);
  }

  /** Retained messages of clients, not counting our own `$SYS` ones. */
  #retainedCount(tenant: string): number {
    const own = this.#spaces.get(tenant)?.published.size ?? 0;
    return Math.max(0, this.#broker.router.retainedIndex(tenant).size - own);
  }

  #publishNamespace(
    ns: string,
    clients: Figures | undefined,
    traffic: Traffic,
    retained: number,
    subscriptions: number,
    now: number,
    dt: number,
  ): void {
    let space = this.#spaces.get(ns);
    if (!space) {
      space = { prev: emptyTraffic(), loads: new Map(), published: new Map() };
      this.#spaces.set(ns, space);
    }
    const c = clients ?? { connected: 0, disconnected: 0 };
    const values: [string, string | number][] = [
      ['version', `plexus ${VERSION}`],
      ['uptime', `${Math.floor((now - this.#startedAt) / 1000)} seconds`],
      ['clients/connected', c.connected],
      ['clients/disconnected', c.disconnected],
      ['clients/total', c.connected + c.disconnected],
      ['subscriptions/count', subscriptions],
      ['retained messages/count', retained],
    ];
    for (const [name, field] of TRAFFIC_TOPICS) {
      const total = traffic[field];
      const perSecond = (total - space.prev[field]) / dt;
      values.push([name, total], [`load/${name}/persecond`, round(perSecond)]);
      for (const [window, seconds] of LOAD_WINDOWS) {
        const key = `${name}/${window}`;
        const decay = Math.exp(-dt / seconds);
        const load = (space.loads.get(key) ?? 0) * decay + perSecond * 60 * (1 - decay);
        space.loads.set(key, load);
        values.push([`load/${name}/${window}`, round(load)]);
      }
    }
    space.prev = { ...traffic };
    for (const [name, value] of values) {
      const topic = `$SYS/broker/${name}`;
      const text = String(value);
      if (space.published.get(topic) === text) continue;
      space.published.set(topic, text);
      this.#broker.router.publish(ns, {
        topic,
        payload: Buffer.from(text),
        qos: 0,
        retain: true,
        properties: {},
        receivedAt: now,
      });
    }
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
