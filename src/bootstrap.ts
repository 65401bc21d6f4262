import { randomBytes } from 'node:crypto';
import type { AuthService } from './auth/index.js';
import type { RegistryService } from './registry/index.js';

export interface BootstrapResult {
  /** Set only when this start created the first admin. */
  readonly admin?: { readonly username: string; readonly password: string; readonly generated: boolean };
}

/**
 * First start: tenant `default` (with its default profile) and a platform
 * admin. The password comes from config (PLEXUS_ADMIN_PASSWORD) or is
 * generated and handed back once to be printed; it is never logged.
 */
export async function bootstrap(
  deps: { registry: RegistryService; auth: AuthService },
  admin: { username: string; password?: string | undefined },
): Promise<BootstrapResult> {
  if (!(await deps.registry.findTenant('default'))) {
    await deps.registry.createTenant({ id: 'default', name: 'Default' });
  }
  if ((await deps.auth.countPlatformAdmins()) > 0) return {};
  const generated = admin.password === undefined;
  const password = admin.password ?? randomBytes(12).toString('base64url');
  await deps.auth.createUser({
    username: admin.username,
    password,
    role: 'admin',
    tenant: 'default',
    platformAdmin: true,
  });
  return { admin: { username: admin.username, password, generated } };
}
