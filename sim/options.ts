import { type SimAuth, SimError } from './api.js';
import type { ScenarioPack } from './pack.js';
import type { Progress } from './progress.js';

/** What runSimulation takes (sim/runner.ts). */
export interface SimulationOptions {
  readonly pack: ScenarioPack;
  /** Fleet size (default: the pack's). */
  readonly devices?: number;
  /** Telemetry messages per second across the fleet (default devices / pack interval). */
  readonly rate?: number;
  /** Sim seconds per real second (default 1). */
  readonly speed?: number;
  /** The server, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly auth: SimAuth;
  /** Act in this tenant (Plexus-Tenant header; device user names `id@tenant`). */
  readonly tenant?: string;
  /** Broker URL (default: from GET /api/v1/info and the host of `url`). */
  readonly mqttUrl?: string;
  /** Stop after this long (default: until `signal`). */
  readonly durationMs?: number;
  /** Same seed, same fleet behaviour (default: random). */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** About once a second while running. */
  readonly onProgress?: (p: Progress) => void;
  /** One line per phase (provisioned..., connecting...). */
  readonly onLog?: (line: string) => void;
  /** Each acknowledged telemetry message's send → acknowledgement time, ms (bench/sim.mjs). */
  readonly onAck?: (latencyMs: number) => void;
}

export interface CheckedOptions {
  readonly devices: number;
  readonly rate: number;
  readonly speed: number;
  readonly seed: number;
  readonly url: URL;
  readonly mqttUrl: string | undefined;
  readonly durationMs: number | undefined;
}

export const MAX_DEVICES = 100_000;
export const MAX_RATE = 100_000;
export const MAX_SPEED = 100_000;

function bad(message: string): never {
  throw new SimError('SIM_OPTION_INVALID', message);
}

function positive(name: string, v: number | undefined, max: number, int = false): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max || (int && !Number.isInteger(v))) {
    bad(`${name} must be a ${int ? 'whole ' : ''}number above 0 and at most ${max}, not ${String(v)}`);
  }
  return v;
}

/** Checks every option at once, before anything touches the server; fills in defaults. */
export function checkOptions(o: SimulationOptions): CheckedOptions {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    bad(`url "${o.url}" is not a URL (example: http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    bad(`url must be http:// or https://, not "${o.url}"`);
  if (o.mqttUrl !== undefined) {
    let m: URL | undefined;
    try {
      m = new URL(o.mqttUrl);
    } catch {
      m = undefined;
    }
    if (!m || !['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(m.protocol)) {
      bad(`mqttUrl must be an mqtt://, mqtts://, ws:// or wss:// URL, not "${o.mqttUrl}"`);
    }
  }
  const devices = positive('devices', o.devices, MAX_DEVICES, true) ?? o.pack.defaults.devices;
  const rate = positive('rate', o.rate, MAX_RATE) ?? devices / o.pack.defaults.intervalS;
  const speed = positive('speed', o.speed, MAX_SPEED) ?? 1;
  if (o.durationMs !== undefined && (!Number.isFinite(o.durationMs) || o.durationMs < 0)) {
    bad(`durationMs must be 0 or more, not ${String(o.durationMs)}`);
  }
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)) {
    bad(`seed must be a whole number from 0 to 4294967295, not ${String(o.seed)}`);
  }
  return {
    devices,
    rate,
    speed,
    seed: o.seed ?? Math.floor(Math.random() * 0xffffffff),
    url,
    mqttUrl: o.mqttUrl,
    durationMs: o.durationMs,
  };
}
