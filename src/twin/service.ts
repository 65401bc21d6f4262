import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { Downlink, type Uplink, type UplinkOutcome } from '../core/envelope.js';
import { PlexusError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';
import type { TwinStore } from '../store/index.js';
import { TwinErrors } from './errors.js';
import {
  applyPatch,
  delta,
  EMPTY_TWIN,
  equal,
  patchProblem,
  type State,
  stateBytes,
  type TwinDoc,
} from './model.js';

export interface TwinDeps {
  readonly store: TwinStore;
  readonly registry: RegistryService;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  /** Largest desired or reported state, bytes of JSON. */
  readonly maxBytes: number;
}

/** A twin as the REST API and the stream show it (ARCHITECTURE §6.1). */
export interface TwinView {
  readonly desired: State;
  readonly reported: State;
  readonly delta: State;
  readonly version: number;
  readonly desiredVersion: number;
  readonly reportedVersion: number;
  readonly metadata: {
    readonly desired: Readonly<Record<string, number>>;
    readonly reported: Readonly<Record<string, number>>;
  };
}

/** What a device receives on `devices/{id}/twin/desired` and from the HTTP long poll. */
export interface DesiredDoc {
  readonly version: number;
  readonly state: State;
  /** Desired leaves the device has not reported yet: what it still has to do. */
  readonly delta: State;
}

export type TwinService = ReturnType<typeof createTwinService>;

/** Compare-and-set rounds before giving up: only a storm of writers to one twin gets there. */
const MAX_ROUNDS = 50;

export function view(doc: TwinDoc): TwinView {
  return {
    desired: doc.desired.state,
    reported: doc.reported.state,
    delta: delta(doc.desired.state, doc.reported.state),
    version: doc.version,
    desiredVersion: doc.desired.version,
    reportedVersion: doc.reported.version,
    metadata: { desired: doc.desired.updated, reported: doc.reported.updated },
  };
}

export function desiredDoc(doc: TwinDoc): DesiredDoc {
  return {
    version: doc.desired.version,
    state: doc.desired.state,
    delta: delta(doc.desired.state, doc.reported.state),
  };
}

/**
 * Device twins (ARCHITECTURE §2, §6.1): operators, rules and rollouts
 * change `desired`; devices report `reported` (uplinks of kind `reported`).
 * Every change is a merge patch applied with compare-and-set on the twin's
 * version, announced on the bus (`twin`), and a desired change goes to the
 * device as a `desired` downlink (the MQTT transport keeps it as the
 * retained message of `devices/{id}/twin/desired`, so a device gets it on
 * subscribe and after every change, also after sleeping). A report that
 * changes the delta refreshes that copy with a `silent` downlink, which is
 * stored but not sent.
 */
export function createTwinService(deps: TwinDeps) {
  const { store, registry, bus, clock, maxBytes } = deps;
  const log = deps.log.child({ part: 'twin' });

  async function load(tenant: string, device: string): Promise<TwinDoc> {
    return (await store.get(tenant, device)) ?? EMPTY_TWIN;
  }

  function check(patch: unknown, side: string): State {
    const problem = patchProblem(patch);
    if (problem) throw new PlexusError(TwinErrors.INVALID, `${side}: ${problem}`);
    return patch as State;
  }

  async function update(
    tenant: string,
    device: string,
    side: 'desired' | 'reported',
    patch: State,
    ifMatch?: number,
  ): Promise<TwinDoc> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const current = await load(tenant, device);
      if (ifMatch !== undefined && ifMatch !== current.version) {
        throw new PlexusError(
          TwinErrors.VERSION_MISMATCH,
          `the twin is at version ${current.version}, not ${ifMatch}: read it again and reapply your change`,
        );
      }
      const now = clock.now();
      const applied = applyPatch(current[side], patch, now);
      if (!applied.changed) return current;
      const bytes = stateBytes(applied.side.state);
      if (bytes > maxBytes) {
        throw new PlexusError(
          TwinErrors.TOO_LARGE,
          `${side} state would be ${bytes} bytes; the limit is ${maxBytes} (twin.maxBytes)`,
        );
      }
      const doc: TwinDoc = { ...current, [side]: applied.side, version: current.version + 1 };
      if (!(await store.put(tenant, device, doc, current.version))) continue;
      const newDelta = delta(doc.desired.state, doc.reported.state);
      bus.publish('twin', {
        tenant,
        device,
        side,
        patch,
        version: doc.version,
        desiredVersion: doc.desired.version,
        reportedVersion: doc.reported.version,
        desired: doc.desired.state,
        reported: doc.reported.state,
        delta: newDelta,
        ts: now,
      });
      if (side === 'desired') {
        bus.publish(
          'downlink',
          Downlink.create({ kind: 'desired', tenant, device, ts: now, data: desiredDoc(doc) }),
        );
      } else if (!equal(delta(current.desired.state, current.reported.state), newDelta)) {
        // Same desired version, new delta: the copy a device gets on subscribe must not be stale,
        // but nothing is sent to the device (it knows what it reported).
        bus.publish(
          'downlink',
          Downlink.create({
            kind: 'desired',
            tenant,
            device,
            ts: now,
            data: { ...desiredDoc(doc), silent: true },
          }),
        );
      }
      return doc;
    }
    throw new PlexusError(
      TwinErrors.VERSION_MISMATCH,
      'the twin is changing too fast to apply this change; retry',
    );
  }

  /** A device's reported state (MQTT or HTTP uplink): merged, and the sender answered. */
  async function onReported(u: Uplink): Promise<UplinkOutcome> {
    const patch = (u.data as { state?: unknown } | undefined)?.state;
    try {
      await update(u.tenant, u.device, 'reported', check(patch, 'reported'));
      return { accepted: 1, rejected: [] };
    } catch (err) {
      if (err instanceof PlexusError && err.status < 500) {
        log.debug({ device: u.device, tenant: u.tenant, code: err.code }, 'reported state refused');
        return { accepted: 0, rejected: [{ reason: err.message }] };
      }
      log.error({ err, device: u.device, tenant: u.tenant }, 'storing reported state failed');
      return {
        accepted: 0,
        rejected: [],
        error: { code: TwinErrors.STORE_FAILED.code, message: 'reported state could not be stored; retry' },
      };
    }
  }

  bus.subscribe('twin', 'uplink', (u) => {
    if (u.kind !== 'reported') return;
    onReported(u).then(
      (outcome) => u.ack?.(outcome),
      (err: unknown) => log.error({ err }, 'reported state handling failed'),
    );
  });
  bus.subscribe('twin', 'registry', (change) => {
    if (change.kind !== 'device-deleted' && change.kind !== 'tenant-deleted') return;
    const device = change.kind === 'device-deleted' ? change.device : undefined;
    store.delete(change.tenant, device).catch((err: unknown) => log.error({ err }, 'deleting twins failed'));
    if (device !== undefined) {
      // The transport drops the device's retained desired document.
      bus.publish(
        'downlink',
        Downlink.create({ kind: 'desired', tenant: change.tenant, device, ts: clock.now(), data: null }),
      );
    }
  });

  return {
    /** The twin of an existing device (404 otherwise); an untouched twin is empty at version 0. */
    async get(tenant: string, device: string): Promise<TwinView> {
      await registry.getDevice(tenant, device);
      return view(await load(tenant, device));
    },
    /** What the device should apply now (HTTP long poll). */
    async desired(tenant: string, device: string): Promise<DesiredDoc> {
      return desiredDoc(await load(tenant, device));
    },
    /**
     * Merges `patch` into desired. With `ifMatch`, only if the twin is still
     * at that version (else TWIN_VERSION_MISMATCH, 412).
     */
    async patchDesired(tenant: string, device: string, patch: unknown, ifMatch?: number): Promise<TwinView> {
      await registry.getDevice(tenant, device);
      return view(await update(tenant, device, 'desired', check(patch, 'desired'), ifMatch));
    },
    /** Reported state from a device (what the MQTT and HTTP transports' uplinks do; also for the SDK's tests). */
    report: (tenant: string, device: string, patch: unknown): Promise<TwinView> =>
      update(tenant, device, 'reported', check(patch, 'reported')).then(view),
    stop(): void {
      bus.unsubscribeAll('twin');
    },
  };
}
