import { createHash } from 'node:crypto';
import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { insertOrConflict, PlexusError } from '../core/errors.js';
import { FailureThrottle } from '../core/failure-throttle.js';
import { randomId, randomSecret } from '../core/ids.js';
import type { AuthStore, PageQuery } from '../store/index.js';
import { AuthErrors } from './errors.js';
import {
  API_KEY_PREFIX,
  type ApiKey,
  type Principal,
  type Role,
  SESSION_TOKEN_PREFIX,
  type StoredUser,
  type User,
} from './model.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './passwords.js';

export interface AuthDeps {
  readonly store: AuthStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly config: {
    readonly sessionTtlSeconds: number;
    readonly maxFailures: number;
    readonly failureWindowSeconds: number;
  };
}

/** Tokens and keys are random 256-bit values: SHA-256 is the right storage hash. */
const tokenHash = (token: string) => createHash('sha256').update(token).digest();

const publicUser = ({ passwordHash: _h, ...u }: StoredUser): User => u;

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService({ store, bus, clock, config }: AuthDeps) {
  const now = () => new Date(clock.now()).toISOString();
  const throttle = new FailureThrottle(
    { maxFailures: config.maxFailures, windowMs: config.failureWindowSeconds * 1000 },
    clock,
  );

  function refuseIfThrottled(address: string) {
    const wait = throttle.retryAfter(address);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new PlexusError(
        AuthErrors.TOO_MANY_ATTEMPTS,
        `too many failed attempts from this address; retry in ${seconds} s`,
        {
          headers: { 'retry-after': String(seconds) },
        },
      );
    }
  }

  function invalid(address: string, message: string): PlexusError {
    throttle.fail(address);
    return new PlexusError(AuthErrors.INVALID_CREDENTIALS, message);
  }

  /** A session token or API key → principal; throws a plain Error saying why not. */
  async function resolveToken(token: string): Promise<Principal> {
    const hash = tokenHash(token);
    if (token.startsWith(API_KEY_PREFIX)) {
      const key = await store.getApiKeyByHash(hash);
      if (!key) throw new Error('the API key is not valid');
      await store.touchApiKey(key.id, now());
      return { kind: 'apikey', id: key.id, tenant: key.tenant, role: key.role, platformAdmin: false };
    }
    const stale = new Error('the session token is not valid or has expired; log in again');
    const session = await store.getSession(hash);
    if (!session || session.expiresAt <= clock.now()) {
      if (session) await store.deleteSession(hash);
      throw stale;
    }
    const user = await store.getUser(session.username);
    if (!user) throw stale;
    return {
      kind: 'user',
      id: user.username,
      tenant: user.tenant,
      role: user.role,
      platformAdmin: user.platformAdmin,
    };
  }

  async function requireUser(username: string, scope: string | undefined): Promise<StoredUser> {
    const u = await store.getUser(username);
    // Another tenant's user answers 404 like a missing one: names do not leak.
    if (!u || (scope !== undefined && u.tenant !== scope)) {
      throw new PlexusError(AuthErrors.USER_NOT_FOUND, `user ${username} does not exist`);
    }
    return u;
  }

  /** A tenant admin must not take over (or remove) a platform admin of the same tenant. */
  function guardPlatformAdmin(target: StoredUser, actor: Principal | undefined) {
    if (
      target.platformAdmin &&
      actor &&
      !actor.platformAdmin &&
      !(actor.kind === 'user' && actor.id === target.username)
    ) {
      throw new PlexusError(
        AuthErrors.FORBIDDEN,
        'only platform admins may change or delete a platform admin',
      );
    }
  }

  return {
    /** Checks a password; the same 401 whether the user or the password is wrong. */
    async login(
      username: string,
      password: string,
      address: string,
    ): Promise<{ token: string; expiresAt: string; user: User }> {
      refuseIfThrottled(address);
      const user = await store.getUser(username);
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!user || !ok) throw invalid(address, 'user name or password is wrong');
      const token = randomSecret(SESSION_TOKEN_PREFIX);
      const expiresAt = clock.now() + config.sessionTtlSeconds * 1000;
      await store.insertSession({ tokenHash: tokenHash(token), username, createdAt: now(), expiresAt });
      const updated: StoredUser = { ...user, lastLoginAt: now() };
      await store.updateUser(updated);
      return { token, expiresAt: new Date(expiresAt).toISOString(), user: publicUser(updated) };
    },

    async logout(token: string): Promise<void> {
      await store.deleteSession(tokenHash(token));
    },

    /** Resolves a bearer token (session token or API key) to a principal. */
    async authenticate(token: string, address: string): Promise<Principal> {
      try {
        return await resolveToken(token);
      } catch (err) {
        refuseIfThrottled(address);
        throw invalid(address, (err as Error).message);
      }
    },

    /** An API key → principal, or undefined; for transports that keep their own throttles (MQTT). */
    async verifyApiKey(key: string): Promise<Principal | undefined> {
      if (!key.startsWith(API_KEY_PREFIX)) return undefined;
      return resolveToken(key).catch(() => undefined);
    },

    /** Records a failed attempt from elsewhere (e.g. the broker) against the same throttle. */
    recordFailure: (address: string) => throttle.fail(address),
    retryAfter: (address: string) => throttle.retryAfter(address),
    pruneSessions: () => store.deleteExpiredSessions(clock.now()),

    // ── users ──────────────────────────────────────────────────────────────
    async createUser(input: {
      username: string;
      password: string;
      role: Role;
      tenant: string;
      platformAdmin?: boolean;
    }): Promise<User> {
      if (await store.getUser(input.username)) {
        throw new PlexusError(AuthErrors.USER_EXISTS, `user ${input.username} already exists`);
      }
      const at = now();
      const user: StoredUser = {
        username: input.username,
        tenant: input.tenant,
        role: input.role,
        platformAdmin: input.platformAdmin ?? false,
        passwordHash: await hashPassword(input.password),
        createdAt: at,
        updatedAt: at,
        lastLoginAt: null,
      };
      await insertOrConflict(
        () => store.insertUser(user),
        AuthErrors.USER_EXISTS,
        `user ${input.username} already exists`,
      );
      return publicUser(user);
    },
    getUser: async (username: string, scope: string | undefined) =>
      publicUser(await requireUser(username, scope)),
    findUser: (username: string) => store.getUser(username),
    async listUsers(scope: string | undefined, q: PageQuery) {
      const page = await store.listUsers(scope, q);
      return { ...page, items: page.items.map(publicUser) };
    },
    async updateUser(
      username: string,
      scope: string | undefined,
      patch: { password?: string | undefined; role?: Role | undefined },
      actor?: Principal,
    ) {
      const u = await requireUser(username, scope);
      guardPlatformAdmin(u, actor);
      const next: StoredUser = {
        ...u,
        role: patch.role ?? u.role,
        passwordHash: patch.password ? await hashPassword(patch.password) : u.passwordHash,
        updatedAt: now(),
      };
      await store.updateUser(next);
      // A changed password or role ends the user's sessions: they log in again.
      if (patch.password || (patch.role && patch.role !== u.role)) await store.deleteSessionsOf(username);
      return publicUser(next);
    },
    async deleteUser(username: string, scope: string | undefined, actor?: Principal): Promise<void> {
      const u = await requireUser(username, scope);
      guardPlatformAdmin(u, actor);
      if (u.platformAdmin && (await store.countPlatformAdmins()) <= 1) {
        throw new PlexusError(AuthErrors.LAST_ADMIN, 'the last platform admin cannot be deleted');
      }
      await store.deleteUser(username);
    },
    countPlatformAdmins: () => store.countPlatformAdmins(),

    // ── API keys ───────────────────────────────────────────────────────────
    async createApiKey(input: {
      tenant: string;
      name: string;
      role: Role;
      createdBy: string;
    }): Promise<ApiKey & { key: string }> {
      const key = randomSecret(API_KEY_PREFIX);
      const record = {
        id: randomId('key'),
        ...input,
        keyHash: tokenHash(key),
        createdAt: now(),
        lastUsedAt: null,
      };
      await store.insertApiKey(record);
      const { keyHash: _h, ...pub } = record;
      return { ...pub, key };
    },
    async getApiKey(tenant: string, id: string): Promise<ApiKey> {
      const k = await store.getApiKey(tenant, id);
      if (!k) throw new PlexusError(AuthErrors.APIKEY_NOT_FOUND, `API key ${id} does not exist`);
      return k;
    },
    listApiKeys: (tenant: string, q: PageQuery) => store.listApiKeys(tenant, q),
    async deleteApiKey(tenant: string, id: string): Promise<void> {
      if (!(await store.deleteApiKey(tenant, id))) {
        throw new PlexusError(AuthErrors.APIKEY_NOT_FOUND, `API key ${id} does not exist`);
      }
      bus.publish('registry', { kind: 'apikey-revoked', tenant, apikey: id });
    },
  };
}
