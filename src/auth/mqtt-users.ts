import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { type FieldError, insertOrConflict, PlexusError } from '../core/errors.js';
import { randomSecret } from '../core/ids.js';
import type { AclRule } from '../core/topic-acl.js';
import { hashSecret, secretMatches } from '../registry/index.js';
import type { MqttUserStore, Page, PageQuery } from '../store/index.js';
import { AuthErrors } from './errors.js';
import {
  aclRulesProblems,
  dottedAt,
  type InputProblem,
  type MqttUser,
  mqttUsernameProblem,
  normalRules,
  pointerAt,
  type StoredMqttUser,
  SYS_SCOPES,
  type SysScope,
} from './mqtt-user-model.js';

export interface MqttUserDeps {
  readonly store: MqttUserStore;
  readonly bus: Bus;
  readonly clock: Clock;
  /**
   * Whether `id` is a device of `tenant` (the registry, wired in app.ts). A
   * CONNECT user name `name@tenant` must name one thing: a device or a user.
   */
  readonly deviceExists: (tenant: string, id: string) => Promise<boolean>;
}

/** Who asks: recorded as `createdBy`; only platform admins grant platform-wide `$SYS`. */
export interface MqttUserActor {
  /** `user:<name>` or `apikey:<id>`. */
  readonly by: string;
  readonly platformAdmin: boolean;
}

export interface MqttUserInput {
  readonly username: string;
  readonly rules: readonly AclRule[];
  readonly sys?: SysScope | undefined;
}

export interface MqttUserPatch {
  readonly rules?: readonly AclRule[] | undefined;
  readonly sys?: SysScope | undefined;
}

/** What the broker needs of a user that presented the right secret. */
export interface VerifiedMqttUser {
  readonly rules: readonly AclRule[];
  readonly sys: SysScope;
}

/** lastLoginAt is refreshed at most this often: a reconnect loop does not turn into writes. */
const LOGIN_TOUCH_MS = 60_000;
/** Compared against when the user is unknown, so both failures cost the same. */
const NO_HASH = hashSecret('');

const publicUser = ({ secretHash: _h, ...u }: StoredMqttUser): MqttUser => u;

/** Refuses the input with every problem at once: `rules[2].topic: ...` in the detail, pointers in `errors`. */
function refuse(problems: readonly InputProblem[]): never {
  const errors: FieldError[] = problems.map((p) => ({ path: `/body${pointerAt(p.at)}`, message: p.message }));
  const detail = problems.map((p) => `${dottedAt(p.at)}: ${p.message}`).join('; ');
  throw new PlexusError(AuthErrors.MQTT_USER_INVALID, detail, { errors });
}

function check(input: { username?: string; rules?: unknown; sys?: unknown }): void {
  const problems: InputProblem[] = [];
  if (input.username !== undefined) {
    const why = mqttUsernameProblem(input.username);
    if (why) problems.push({ at: ['username'], message: why });
  }
  if (input.rules !== undefined) problems.push(...aclRulesProblems(input.rules));
  if (input.sys !== undefined && !(SYS_SCOPES as readonly unknown[]).includes(input.sys)) {
    problems.push({ at: ['sys'], message: 'must be one of: "tenant", "platform"' });
  }
  if (problems.length) refuse(problems);
}

export type MqttUserService = ReturnType<typeof createMqttUserService>;

/**
 * MQTT users of a tenant (docs/mqtt-users.md): create, read, change rules,
 * rotate the secret, delete, and verify a CONNECT. Every change is
 * published on the bus so the broker applies it to live sessions at once.
 */
export function createMqttUserService({ store, bus, clock, deviceExists }: MqttUserDeps) {
  const now = () => new Date(clock.now()).toISOString();
  const notFound = (username: string) =>
    new PlexusError(AuthErrors.MQTT_USER_NOT_FOUND, `MQTT user ${username} does not exist`);

  async function requireUser(tenant: string, username: string): Promise<StoredMqttUser> {
    const u = await store.get(tenant, username);
    if (!u) throw notFound(username);
    return u;
  }

  function guardPlatform(actor: MqttUserActor, sys: SysScope | undefined, what: string): void {
    if (sys === 'platform' && !actor.platformAdmin) {
      throw new PlexusError(
        AuthErrors.FORBIDDEN,
        `only platform admins may ${what} an MQTT user with sys "platform" (it sees the whole platform's $SYS figures)`,
      );
    }
  }

  async function save(next: StoredMqttUser): Promise<void> {
    if (!(await store.update(next))) throw notFound(next.username);
  }

  return {
    async create(
      tenant: string,
      input: MqttUserInput,
      actor: MqttUserActor,
    ): Promise<MqttUser & { secret: string }> {
      check(input);
      const sys = input.sys ?? 'tenant';
      guardPlatform(actor, sys, 'create');
      const { username } = input;
      const exists = `MQTT user ${username} already exists`;
      if (await store.get(tenant, username)) throw new PlexusError(AuthErrors.MQTT_USER_EXISTS, exists);
      if (await deviceExists(tenant, username)) {
        throw new PlexusError(
          AuthErrors.MQTT_USER_NAME_TAKEN,
          `${username} is a device of this tenant: an MQTT user name must not equal a device id (both log in as ${username})`,
        );
      }
      const secret = randomSecret();
      const at = now();
      const user: StoredMqttUser = {
        tenant,
        username,
        rules: normalRules(input.rules),
        sys,
        secretHash: hashSecret(secret),
        createdBy: actor.by,
        createdAt: at,
        updatedAt: at,
        lastLoginAt: null,
      };
      await insertOrConflict(() => store.insert(user), AuthErrors.MQTT_USER_EXISTS, exists);
      return { ...publicUser(user), secret };
    },

    get: async (tenant: string, username: string): Promise<MqttUser> =>
      publicUser(await requireUser(tenant, username)),
    list: (tenant: string, q: PageQuery): Promise<Page<MqttUser>> => store.list(tenant, q),
    /** For the registry's port: a device id must not equal an MQTT user name of its tenant. */
    exists: async (tenant: string, username: string): Promise<boolean> =>
      (await store.get(tenant, username)) !== undefined,

    /** Replaces the rule list and/or sys; live sessions switch to them (bus `mqtt-user-updated`). */
    async update(
      tenant: string,
      username: string,
      patch: MqttUserPatch,
      actor: MqttUserActor,
    ): Promise<MqttUser> {
      check(patch);
      const u = await requireUser(tenant, username);
      guardPlatform(actor, u.sys, 'change');
      guardPlatform(actor, patch.sys, 'change');
      const rules = patch.rules === undefined ? u.rules : normalRules(patch.rules);
      const sys = patch.sys ?? u.sys;
      if (patch.rules === undefined && patch.sys === undefined) return publicUser(u);
      const next: StoredMqttUser = { ...u, rules, sys, updatedAt: now() };
      await save(next);
      bus.publish('registry', { kind: 'mqtt-user-updated', tenant, username, rules, sys });
      return publicUser(next);
    },

    /** A new secret (shown once); the old one stops working and its sessions end. */
    async rotateSecret(
      tenant: string,
      username: string,
      actor: MqttUserActor,
    ): Promise<MqttUser & { secret: string }> {
      const u = await requireUser(tenant, username);
      guardPlatform(actor, u.sys, 'rotate the secret of');
      const secret = randomSecret();
      const next: StoredMqttUser = { ...u, secretHash: hashSecret(secret), updatedAt: now() };
      await save(next);
      bus.publish('registry', { kind: 'mqtt-user-secret-rotated', tenant, username });
      return { ...publicUser(next), secret };
    },

    async delete(tenant: string, username: string, actor: MqttUserActor): Promise<void> {
      const u = await requireUser(tenant, username);
      guardPlatform(actor, u.sys, 'delete');
      if (!(await store.delete(tenant, username))) throw notFound(username);
      bus.publish('registry', { kind: 'mqtt-user-deleted', tenant, username });
    },

    /** A CONNECT's user name and secret → the user's rules, or undefined (unknown or wrong: one answer). */
    async verify(tenant: string, username: string, secret: string): Promise<VerifiedMqttUser | undefined> {
      const u = mqttUsernameProblem(username) === undefined ? await store.get(tenant, username) : undefined;
      if (!secretMatches(secret, u?.secretHash ?? NO_HASH) || !u) return undefined;
      const t = clock.now();
      if (u.lastLoginAt === null || Date.parse(u.lastLoginAt) <= t - LOGIN_TOUCH_MS) {
        // A failed touch must not refuse a valid login.
        await store.touchLogin(tenant, username, new Date(t).toISOString()).catch(() => undefined);
      }
      return { rules: u.rules, sys: u.sys };
    },
  };
}
