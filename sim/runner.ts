import { createSimApi, SimError } from './api.js';
import { checkOptions, type SimulationOptions } from './options.js';
import type { SimApi, Timing } from './pack.js';
import { type Progress, RateMeter, type Summary } from './progress.js';
import { eachLimited, provision } from './provision.js';
import { deviceSeed, mulberry32 } from './rng.js';
import { type Counters, SimulatedDevice } from './sim-device.js';

export type { SimulationOptions } from './options.js';

const ALARM_POLL_MS = 2000;
const PROGRESS_MS = 1000;

interface Info {
  readonly mqtt?: { readonly tcp: number; readonly tls?: number };
}

/** The broker from GET /api/v1/info and the host the user gave: TLS when the API is on https and the broker has it. */
export async function brokerUrlOf(api: SimApi, url: URL): Promise<string> {
  const info = await api.request<Info>('GET', '/api/v1/info');
  if (!info?.mqtt)
    throw new SimError('SIM_CONNECT_FAILED', `${url.origin} runs no MQTT broker (GET /api/v1/info)`);
  if (url.protocol === 'https:' && info.mqtt.tls !== undefined)
    return `mqtts://${url.hostname}:${info.mqtt.tls}`;
  return `mqtt://${url.hostname}:${info.mqtt.tcp}`;
}

/** Resolves when the signal aborts or the duration has passed, whichever first. */
function stopped(signal: AbortSignal | undefined, durationMs: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = durationMs === undefined ? undefined : setTimeout(done, durationMs);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Runs a scenario pack against a Plexus server: provisions its resources
 * (REST), connects every device with the SDK (MQTT), steps every model on a
 * shared clock at `rate` messages per second (device i sends in slot i,
 * n + i, ... so sends are spread evenly), answers commands, follows desired
 * state, and polls the open-alarm count every 2 s. Stops on `signal` or
 * after `durationMs`, closes every connection, and returns the totals.
 *
 * @example
 * const ac = new AbortController();
 * process.once('SIGINT', () => ac.abort());
 * const summary = await runSimulation({ pack: factoryPack, url: 'http://127.0.0.1:8080',
 *   auth: { apiKey: process.env.PLEXUS_API_KEY ?? '' }, speed: 30, signal: ac.signal });
 */
export async function runSimulation(opts: SimulationOptions): Promise<Summary> {
  const o = checkOptions(opts);
  const log = opts.onLog ?? (() => undefined);
  const api = createSimApi({ url: opts.url, auth: opts.auth, tenant: opts.tenant });
  const t: Timing = { speed: o.speed };
  const { pack } = opts;
  const started = Date.now();
  const stop = stopped(opts.signal, o.durationMs);
  let stopping = false;
  void stop.then(() => {
    stopping = true;
  });

  const brokerUrl = o.mqttUrl ?? (await brokerUrlOf(api, o.url));
  const specs = pack.devices(o.devices);
  const prov = await provision(api, pack, t, specs);
  const changed = prov.rules.filter((r) => r.change !== 'unchanged').length;
  log(
    `Provisioned ${specs.length} devices (${prov.devicesCreated} new), ${pack.profiles.length} profiles, ` +
      `${prov.rules.length} rules (${changed} created or updated); seed ${o.seed}`,
  );
  await pack.setup?.(api, t);

  const counters: Counters = { connected: 0, sent: 0, acked: 0, commandsAnswered: 0, errors: 0 };
  const fleet = specs.map(
    (spec, i) =>
      new SimulatedDevice({
        spec,
        model: pack.model(spec, i, t, mulberry32(deviceSeed(o.seed, i))),
        brokerUrl,
        secret: prov.secrets.get(spec.id) ?? '',
        tenant: opts.tenant,
        counters,
        speed: o.speed,
        onAck: opts.onAck,
      }),
  );
  let alarmsActive = 0;
  let pointsPerSec = 0;
  const snapshot = (): Progress => ({
    connected: counters.connected,
    devices: fleet.length,
    pointsPerSec,
    points: counters.acked,
    commandsAnswered: counters.commandsAnswered,
    alarmsActive,
    errors: counters.errors,
  });
  const pollAlarms = async () => {
    try {
      alarmsActive = (await api.request<{ total: number }>('GET', '/api/v1/alarms/counts')).total;
    } catch {
      counters.errors++;
    }
  };

  const ready: boolean[] = fleet.map(() => false);
  const timers: NodeJS.Timeout[] = [];
  try {
    log(`Connecting ${fleet.length} devices to ${brokerUrl}`);
    await eachLimited(fleet, 20, async (d, i) => {
      if (stopping) return;
      try {
        await d.connect();
      } catch (err) {
        throw new SimError(
          'SIM_CONNECT_FAILED',
          `${d.id} could not connect to ${brokerUrl}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      ready[i] = true;
    });

    // The shared clock: slot k belongs to device k mod n; a stalled event loop catches up at most one round.
    const intervalS = fleet.length / o.rate;
    const t0 = Date.now();
    let slot = 0;
    timers.push(
      setInterval(
        () => {
          const now = Date.now();
          const due = Math.floor(((now - t0) * o.rate) / 1000) + 1;
          slot = Math.max(slot, due - fleet.length);
          for (; slot < due; slot++) {
            const i = slot % fleet.length;
            if (ready[i]) fleet[i]?.step(now, intervalS);
          }
        },
        Math.min(100, Math.max(10, 1000 / o.rate)),
      ),
    );
    const meter = new RateMeter();
    const progress = () => {
      pointsPerSec = meter.add(Date.now(), counters.acked);
      opts.onProgress?.(snapshot());
    };
    await pollAlarms();
    progress();
    timers.push(setInterval(() => void pollAlarms(), ALARM_POLL_MS));
    timers.push(setInterval(progress, PROGRESS_MS));
    await stop;
  } finally {
    stopping = true;
    for (const timer of timers) clearInterval(timer);
    await Promise.allSettled(fleet.map((d) => d.close()));
  }
  await pollAlarms();
  return { ...snapshot(), elapsedMs: Date.now() - started, seed: o.seed };
}
