import type { TwinDoc } from '../twin/model.js';

/**
 * Device twins (ARCHITECTURE §7): one document per device. Writes are
 * compare-and-set on the twin's version, so concurrent writers (an operator,
 * a rule, the device itself; later several nodes) never lose an update:
 * the loser reads again and retries, or answers 412.
 */
export interface TwinStore {
  /** The stored twin, or undefined when the device has none yet. */
  get(tenant: string, device: string): Promise<TwinDoc | undefined>;
  /** Stores `doc` if the stored version is still `expected` (0: no twin yet); false when someone else won. */
  put(tenant: string, device: string, doc: TwinDoc, expected: number): Promise<boolean>;
  /** Deletes one device's twin, or every twin of the tenant. */
  delete(tenant: string, device?: string): Promise<void>;
}
