import type { FastifyRequest } from 'fastify';
import type { Permission, Principal } from '../auth/index.js';
import { AuthErrors } from '../auth/index.js';
import { PlexusError } from '../core/errors.js';

/** Who is calling and in which tenant they act. */
export interface RequestAuth {
  readonly principal: Principal;
  /** The principal's tenant, or for platform admins the one named by `Plexus-Tenant`. */
  readonly tenant: string;
  /** Bearer token as presented (for logout). */
  readonly token: string;
}

/** What the audit hook records for a mutating route. */
export interface AuditSpec {
  /** Dotted verb, e.g. `device.create`. */
  readonly action: string;
  readonly resource: string;
  /** Route param holding the object id, or a body field for creates. */
  readonly idParam?: string;
  readonly idBody?: string;
  /** Body field naming the actor when there is no principal yet (the login's user name). */
  readonly actorBody?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth | null;
    /** Set by handlers when the id is only known after the call (generated ids). */
    auditId: string | undefined;
    /** Tenant to file the audit record under when the request has no principal (login). */
    auditTenant: string | undefined;
  }
  interface FastifyContextConfig {
    /** No authentication (login, info). */
    public?: boolean;
    /** Required permission; checked before the handler runs. */
    permission?: Permission;
    audit?: AuditSpec;
  }
}

export function authOf(request: FastifyRequest): RequestAuth {
  if (!request.auth)
    throw new PlexusError(AuthErrors.UNAUTHENTICATED, 'send Authorization: Bearer <token or API key>');
  return request.auth;
}

/** The tenant the request acts in. */
export function tenantOf(request: FastifyRequest): string {
  return authOf(request).tenant;
}

export function actorOf(request: FastifyRequest): string {
  const p = request.auth?.principal;
  return p ? `${p.kind}:${p.id}` : 'anonymous';
}
