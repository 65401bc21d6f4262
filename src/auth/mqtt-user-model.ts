/**
 * MQTT users (docs/mqtt-users.md): plain MQTT clients of a tenant (Node-RED,
 * Grafana, a PLC) with a user name, a secret and ordered topic ACL rules.
 * Pure: names, rules and their problems; no I/O.
 */
import {
  ACL_ACTIONS,
  ACL_PERMISSIONS,
  type AclRule,
  aclTopicProblem,
  MAX_ACL_RULES,
  SYS_SCOPES,
  type SysScope,
} from '../core/topic-acl.js';

export { SYS_SCOPES, type SysScope };

export interface MqttUser {
  readonly tenant: string;
  readonly username: string;
  /** Ordered: the first rule that matches decides; no match denies. */
  readonly rules: readonly AclRule[];
  readonly sys: SysScope;
  /** `user:<name>` or `apikey:<id>` of whoever created it. */
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Last successful CONNECT, refreshed at most once a minute. */
  readonly lastLoginAt: string | null;
}

export interface StoredMqttUser extends MqttUser {
  /** SHA-256 of the secret: it is a 256-bit random value (ARCHITECTURE §4). */
  readonly secretHash: Buffer;
}

export const MQTT_USERNAME_MAX = 64;
export const MQTT_USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
/** CONNECT user names the broker reads as something else (`apikey[@tenant]` logs in with an API key). */
export const RESERVED_MQTT_USERNAMES: ReadonlySet<string> = new Set(['apikey']);

/**
 * Why `name` cannot be an MQTT user name, or undefined. The reasons name
 * the offending character: `+ # / $ NUL` would be topic syntax if a rule's
 * `%u` ever expanded them (the matcher refuses that too: defence in depth),
 * `@` separates the tenant in CONNECT user names.
 */
export function mqttUsernameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MQTT_USERNAME_MAX) return `must not exceed ${MQTT_USERNAME_MAX} characters`;
  if (RESERVED_MQTT_USERNAMES.has(name.toLowerCase()))
    return `"${name}" is reserved: the broker reads it as an API-key login`;
  for (const ch of name) {
    const why = CHARACTER_REASONS[ch];
    if (why !== undefined) return `must not contain ${why}`;
  }
  if (name.startsWith('$')) return 'must not start with "$" (reserved for server topics such as $SYS)';
  const bad = [...name].find((ch) => !/[A-Za-z0-9._-]/.test(ch));
  if (bad !== undefined)
    return `must not contain ${JSON.stringify(bad)}: use letters, digits, ".", "_" and "-"`;
  if (!/^[A-Za-z0-9]/.test(name)) return 'must start with a letter or a digit';
  return undefined;
}

const CHARACTER_REASONS: Readonly<Record<string, string>> = {
  '\u0000': 'the character U+0000',
  '+': '"+" (an MQTT wildcard)',
  '#': '"#" (an MQTT wildcard)',
  '/': '"/" (it separates topic levels)',
  '@': '"@" (it separates the user name from the tenant when connecting)',
};

/** A problem with one part of the input: `at` is its path (`['rules', 2, 'topic']`). */
export interface InputProblem {
  readonly at: readonly (string | number)[];
  readonly message: string;
}

/** `['rules', 2, 'topic']` → `rules[2].topic`, as people read it. */
export function dottedAt(at: readonly (string | number)[]): string {
  return at.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** `['rules', 2, 'topic']` → `/rules/2/topic` (JSON pointer, as the API's field errors are). */
export function pointerAt(at: readonly (string | number)[]): string {
  return at.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

const RULE_KEYS = ['permission', 'action', 'topic'] as const;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function oneOf(v: unknown, allowed: readonly string[]): boolean {
  return typeof v === 'string' && allowed.includes(v);
}

/**
 * Every problem of a rule list, each with its path: at most MAX_ACL_RULES
 * rules of exactly `{permission, action, topic}`, each topic a valid filter
 * whose placeholders fill whole levels. The API's schema checks the shape
 * too; this is what every other caller (and the message) relies on.
 */
export function aclRulesProblems(rules: unknown): InputProblem[] {
  if (!Array.isArray(rules)) return [{ at: ['rules'], message: 'must be a list of rules' }];
  if (rules.length > MAX_ACL_RULES)
    return [
      { at: ['rules'], message: `must not hold more than ${MAX_ACL_RULES} rules, got ${rules.length}` },
    ];
  const out: InputProblem[] = [];
  rules.forEach((rule: unknown, i) => {
    const at = (...p: (string | number)[]) => ['rules', i, ...p];
    if (!isObject(rule)) {
      out.push({ at: at(), message: 'must be an object {permission, action, topic}' });
      return;
    }
    for (const key of Object.keys(rule)) {
      if (!(RULE_KEYS as readonly string[]).includes(key))
        out.push({ at: at(key), message: 'is not a known field (permission, action, topic)' });
    }
    if (!oneOf(rule.permission, ACL_PERMISSIONS))
      out.push({ at: at('permission'), message: 'must be one of: "allow", "deny"' });
    if (!oneOf(rule.action, ACL_ACTIONS))
      out.push({ at: at('action'), message: 'must be one of: "publish", "subscribe", "both"' });
    if (typeof rule.topic !== 'string') out.push({ at: at('topic'), message: 'must be a string' });
    else {
      const problem = aclTopicProblem(rule.topic);
      if (problem !== undefined) out.push({ at: at('topic'), message: problem });
    }
  });
  return out;
}

/** Only the three fields, in a fixed order: what is stored and published. */
export function normalRules(rules: readonly AclRule[]): AclRule[] {
  return rules.map(({ permission, action, topic }) => ({ permission, action, topic }));
}
