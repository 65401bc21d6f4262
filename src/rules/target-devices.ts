import type { RegistryService } from '../registry/index.js';
import type { RuleTarget } from './spec.js';
import { type DeviceFacts, targets } from './targeting.js';

type Lister = Pick<RegistryService, 'findDevice' | 'listDevices'>;

/**
 * The devices a rule's target covers, read from the registry: a device
 * list is looked up id by id; otherwise the tenant's devices are listed
 * with the profile, single group and labels as filters, and each checked
 * against the whole target.
 */
export async function* targetedDevices(
  registry: Lister,
  tenant: string,
  t: RuleTarget,
): AsyncGenerator<DeviceFacts> {
  const facts = (d: DeviceFacts): DeviceFacts => ({
    id: d.id,
    profile: d.profile,
    groups: d.groups,
    labels: d.labels,
  });
  if (t.devices) {
    for (const id of t.devices) {
      const d = await registry.findDevice(tenant, id);
      if (d && targets(t, d)) yield facts(d);
    }
    return;
  }
  let after: string | undefined;
  do {
    const page = await registry.listDevices(
      tenant,
      {
        ...(t.profile === undefined ? {} : { profile: t.profile }),
        ...(t.groups?.length === 1 ? { group: t.groups[0] } : {}),
        ...(t.labels === undefined ? {} : { labels: t.labels }),
      },
      { limit: 1000, ...(after === undefined ? {} : { after }) },
    );
    for (const d of page.items) if (targets(t, d)) yield facts(d);
    after = page.nextAfter;
  } while (after !== undefined);
}
