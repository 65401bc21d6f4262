import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { RegistryStore } from '../store/index.js';
import type { RegistryContext } from './use-cases/context.js';
import { credentialUseCases } from './use-cases/credentials.js';
import { deviceUseCases } from './use-cases/devices.js';
import { groupUseCases } from './use-cases/groups.js';
import { profileUseCases } from './use-cases/profiles.js';
import { tenantUseCases } from './use-cases/tenants.js';

export type { NewSecret } from './use-cases/credentials.js';
export type { DeviceInput } from './use-cases/devices.js';
export type { NamedInput } from './use-cases/groups.js';
export type { ProfileInput } from './use-cases/profiles.js';

export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly bus: Bus;
  readonly clock: Clock;
  /**
   * Port to the MQTT users of the auth context (wired in app.ts): a device
   * id must not equal an MQTT user name of its tenant, since both log in as
   * `name@tenant`. Absent: no other context claims ids (tests of the registry alone).
   */
  readonly idTaken?: ((tenant: string, id: string) => Promise<boolean>) | undefined;
}

export type RegistryService = ReturnType<typeof createRegistryService>;

/** Use cases of the registry. Every call names its tenant; nothing crosses tenants. */
export function createRegistryService({ store, bus, clock, idTaken }: RegistryDeps) {
  const ctx: RegistryContext = {
    store,
    bus,
    now: () => new Date(clock.now()).toISOString(),
    idTaken: idTaken ?? (async () => false),
  };
  return {
    ...tenantUseCases(ctx),
    ...profileUseCases(ctx),
    ...groupUseCases(ctx),
    ...deviceUseCases(ctx),
    ...credentialUseCases(ctx),
  };
}
