import { PlexusError } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import { RegistryErrors } from '../errors.js';
import {
  type Credential,
  type Device,
  newDeviceSecret,
  type StoredCredential,
  secretMatches,
} from '../model.js';
import { type RegistryContext, requireDevice } from './context.js';

export interface NewSecret extends Credential {
  readonly secret: string;
  /** Credentials removed because `revokeOthers` was asked. */
  readonly revoked: string[];
}

const publicCredential = ({ secretHash: _h, ...c }: StoredCredential): Credential => c;

/** Device credentials: several per device, so secrets rotate without downtime. */
export function credentialUseCases({ store, bus, now }: RegistryContext) {
  const credentials = {
    async addSecret(
      tenant: string,
      device: string,
      opts: { revokeOthers?: boolean | undefined } = {},
    ): Promise<NewSecret> {
      await requireDevice(store, tenant, device);
      const { secret, hash } = newDeviceSecret();
      const cred: StoredCredential = {
        id: randomId('cred'),
        kind: 'secret',
        secretHash: hash,
        createdAt: now(),
        lastUsedAt: null,
      };
      await store.insertCredential(tenant, device, cred);
      const revoked = opts.revokeOthers ? await store.deleteOtherCredentials(tenant, device, cred.id) : [];
      for (const credential of revoked)
        bus.publish('registry', { kind: 'credential-revoked', tenant, device, credential });
      return { ...publicCredential(cred), secret, revoked };
    },
    async listCredentials(tenant: string, device: string): Promise<Credential[]> {
      await requireDevice(store, tenant, device);
      return (await store.listCredentials(tenant, device)).map(publicCredential);
    },
    async revokeCredential(tenant: string, device: string, id: string): Promise<void> {
      await requireDevice(store, tenant, device);
      if (!(await store.deleteCredential(tenant, device, id))) {
        throw new PlexusError(
          RegistryErrors.CREDENTIAL_NOT_FOUND,
          `credential ${id} of device ${device} does not exist`,
        );
      }
      bus.publish('registry', { kind: 'credential-revoked', tenant, device, credential: id });
    },
    /**
     * Checks a device secret; returns the device and matching credential id,
     * or undefined (unknown device, disabled device or wrong secret alike).
     */
    async verifyDeviceSecret(
      tenant: string,
      id: string,
      secret: string,
    ): Promise<{ device: Device; credential: string } | undefined> {
      const device = await store.getDevice(tenant, id);
      if (!device?.enabled) return undefined;
      for (const c of await store.listCredentials(tenant, id)) {
        if (secretMatches(secret, c.secretHash)) {
          // "Last used" for the operator (is this secret still in use before I revoke it?); the
          // device-auth cache makes this at most one write per credential per cache period.
          await store.touchCredential(tenant, id, c.id, now());
          return { device, credential: c.id };
        }
      }
      return undefined;
    },
  };
  return credentials;
}
