import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';
import type { Signal } from './conditions/index.js';
import { type DeviceFacts, sameFacts } from './targeting.js';

/**
 * Device facts are re-read after 60-90 s, a safety net: the registry's events drop a changed
 * device at once (and its next signal reads it again).
 */
const FACTS_TTL_MS = 60_000;

/** A device as the engine knows it: its facts, and what the engine derives from them (`E`). */
export interface Known<E> {
  readonly facts: DeviceFacts;
  /** When the facts are re-read (in the background). */
  refreshAt: number;
  /** The engine's own per-device data (rule lists), created with the facts. */
  readonly derived: E;
}

/** A twin as rules see it. */
export interface TwinNow {
  readonly version: number;
  readonly desired: Readonly<Record<string, unknown>>;
  readonly reported: Readonly<Record<string, unknown>>;
  readonly delta: Readonly<Record<string, unknown>>;
}

export interface KnownDevicesDeps<E> {
  readonly registry: RegistryService;
  readonly clock: Clock;
  readonly log: Logger;
  /** The engine's per-device data for fresh facts. */
  readonly derive: () => E;
  /** Whether devices of this tenant met for the first time need their twin (rules over the twin). */
  readonly wantsTwin: (tenant: string) => boolean;
  readonly twin?: (tenant: string, device: string) => Promise<TwinNow | undefined>;
  /** Runs a device's signals, in order, once its facts are known. */
  readonly run: (tenant: string, known: Known<E>, signals: readonly Signal[]) => void;
}

/** The inner map of a two-level map, created on first use. */
function inner<V>(m: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let i = m.get(key);
  if (!i) {
    i = new Map();
    m.set(key, i);
  }
  return i;
}

const factsOf = (d: DeviceFacts): DeviceFacts => ({
  id: d.id,
  profile: d.profile,
  groups: d.groups,
  labels: d.labels,
});

/**
 * The devices the rule engine has met (tenant → device, two levels so no key
 * string is built per message): the first signals of a device wait for its
 * facts (and twin); later ones run at once, and facts past their time are
 * re-read in the background, keeping the derived data when unchanged.
 */
export class KnownDevices<E> {
  readonly #known = new Map<string, Map<string, Known<E>>>();
  /** Signals of a device whose facts are being loaded, kept in order. */
  readonly #pending = new Map<string, Map<string, Signal[]>>();

  constructor(private readonly deps: KnownDevicesDeps<E>) {}

  feed(tenant: string, device: string, signals: Signal[]): void {
    const queued = this.#pending.get(tenant)?.get(device);
    if (queued) {
      queued.push(...signals);
      return;
    }
    const known = this.#known.get(tenant)?.get(device);
    if (known) {
      if (this.deps.clock.now() >= known.refreshAt) this.#refresh(tenant, device, known);
      this.deps.run(tenant, known, signals);
      return;
    }
    this.#load(tenant, device, signals);
  }

  /** Forgets a device (changed or deleted), or a whole tenant's. */
  forget(tenant: string, device?: string): void {
    if (device === undefined) this.#known.delete(tenant);
    else this.#known.get(tenant)?.delete(device);
  }

  #fresh(f: DeviceFacts): Known<E> {
    return { facts: f, refreshAt: this.#nextRefresh(), derived: this.deps.derive() };
  }

  /** Spread over half a TTL, so a fleet met at once is not re-read at once. */
  #nextRefresh(): number {
    return this.deps.clock.now() + FACTS_TTL_MS * (1 + Math.random() / 2);
  }

  #load(tenant: string, device: string, signals: Signal[]): void {
    const { registry, log, twin } = this.deps;
    inner(this.#pending, tenant).set(device, [...signals]);
    // Met for the first time: rules over the twin start from its current state.
    const readTwin = twin !== undefined && this.deps.wantsTwin(tenant);
    Promise.all([
      registry.findDevice(tenant, device),
      readTwin
        ? twin(tenant, device).catch((err: unknown) => {
            log.warn(
              { err, tenant, device },
              'rules: reading the twin failed; twin rules wait for its next change',
            );
            return undefined;
          })
        : undefined,
    ]).then(
      ([d, t]) => {
        const waiting = this.#pending.get(tenant)?.get(device) ?? [];
        this.#pending.get(tenant)?.delete(device);
        if (!d) return;
        const known = this.#fresh(factsOf(d));
        inner(this.#known, tenant).set(device, known);
        // Conditions ignore a twin version they have seen, so a change queued meanwhile is not undone.
        const ts = this.deps.clock.now();
        this.deps.run(tenant, known, t ? [{ kind: 'twin', ts, ...t }, ...waiting] : waiting);
      },
      (err: unknown) => {
        this.#pending.get(tenant)?.delete(device);
        log.error({ err, tenant, device }, 'rules: reading the device failed; its signals were skipped');
      },
    );
  }

  /** Re-reads a device's facts; its signals do not wait meanwhile. */
  #refresh(tenant: string, device: string, known: Known<E>): void {
    known.refreshAt = Number.POSITIVE_INFINITY; // one read at a time
    this.deps.registry.findDevice(tenant, device).then(
      (d) => {
        const byDevice = this.#known.get(tenant);
        if (byDevice?.get(device) !== known) return; // forgotten or replaced meanwhile
        const f = d && factsOf(d);
        if (!f) byDevice.delete(device);
        else if (sameFacts(known.facts, f)) known.refreshAt = this.#nextRefresh();
        else byDevice.set(device, this.#fresh(f));
      },
      (err: unknown) => {
        known.refreshAt = this.#nextRefresh();
        this.deps.log.warn(
          { err, tenant, device },
          'rules: re-reading the device failed; its last facts stay',
        );
      },
    );
  }
}
