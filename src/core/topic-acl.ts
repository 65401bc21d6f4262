/**
 * Topic ACL rules of MQTT users and anonymous clients (docs/mqtt-users.md):
 * an ordered list of allow/deny rules over topic filters, first match wins,
 * default deny. Pure; compiled once per identity.
 *
 * `%u` (user name) and `%c` (client id) may fill a whole filter level. They
 * never widen a rule: the value is compared as a literal, and a value that is
 * absent, empty, starts with `$` or holds `+`, `#`, `/` or U+0000 makes an
 * allow rule never match and a deny rule match any value (the classic broker
 * CVE is a client id `#` turning `plant/%c/#` into `plant/#/#`).
 */
import Type from 'typebox';
import { topicFilterProblem } from './topic.js';

export const ACL_PERMISSIONS = ['allow', 'deny'] as const;
export const ACL_ACTIONS = ['publish', 'subscribe', 'both'] as const;
export const MAX_ACL_RULES = 100;
export const MAX_ACL_TOPIC_LENGTH = 512;
export const SYS_SCOPES = ['tenant', 'platform'] as const;
/** What a user's `$SYS/#` subscriptions see: its tenant's figures, or the whole platform's. */
export type SysScope = (typeof SYS_SCOPES)[number];

/**
 * One rule as the API and the config accept it. The topic's grammar is
 * checked after the schema (aclTopicProblem), for a precise reason.
 */
export const AclRuleSchema = Type.Object(
  {
    permission: Type.Enum(ACL_PERMISSIONS),
    action: Type.Enum(ACL_ACTIONS),
    topic: Type.String({
      maxLength: MAX_ACL_TOPIC_LENGTH,
      description: 'Topic filter (+ and # allowed); %u (user name) and %c (client id) fill a whole level.',
    }),
  },
  { additionalProperties: false },
);

export interface AclRule {
  readonly permission: (typeof ACL_PERMISSIONS)[number];
  readonly action: (typeof ACL_ACTIONS)[number];
  /** Topic filter; `%u` / `%c` stand for the user name / client id as a whole level. */
  readonly topic: string;
}

/** Whose rights are checked: the values the placeholders stand for. */
export interface AclSubject {
  /** Undefined for anonymous clients: `%u` rules then never allow. */
  readonly username: string | undefined;
  readonly clientId: string;
}

/** Why `topic` cannot be a rule's filter, or undefined when it can. */
export function aclTopicProblem(topic: string): string | undefined {
  if (topic.length > MAX_ACL_TOPIC_LENGTH) return `must not exceed ${MAX_ACL_TOPIC_LENGTH} characters`;
  if (topic.startsWith('$share/'))
    return 'must not be a shared subscription ($share/...): rules apply to the topic';
  for (const level of topic.split('/')) {
    if (level !== '%u' && level !== '%c' && (level.includes('%u') || level.includes('%c'))) {
      return `placeholder must fill a whole level, got "${level}"`;
    }
  }
  // Placeholders stand for a literal level: check the filter with one in their place.
  const problem = topicFilterProblem(topic.replace(/%[uc](?=\/|$)/g, 'x'));
  return problem === undefined ? undefined : `is not a valid topic filter: ${problem}`;
}

const PLUS = 1;
const HASH = 2;
const USER = 3;
const CLIENT = 4;
type Level = string | typeof PLUS | typeof HASH | typeof USER | typeof CLIENT;

interface Compiled {
  readonly allow: boolean;
  readonly publish: boolean;
  readonly subscribe: boolean;
  readonly levels: readonly Level[];
}

function compile(rule: AclRule): Compiled {
  const levels = rule.topic
    .split('/')
    .map((l): Level => (l === '+' ? PLUS : l === '#' ? HASH : l === '%u' ? USER : l === '%c' ? CLIENT : l));
  return {
    allow: rule.permission === 'allow',
    publish: rule.action !== 'subscribe',
    subscribe: rule.action !== 'publish',
    levels,
  };
}

/** A placeholder's value when it is safe to compare as a literal level. */
function safeValue(v: string | undefined): string | undefined {
  if (v === undefined || v.length === 0 || v.charCodeAt(0) === 0x24) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x2b || c === 0x23 || c === 0x2f || c === 0) return undefined; // + # / NUL
  }
  return v;
}

/**
 * A compiled rule list. Subscribing needs a rule that covers the whole
 * filter; each delivered message is checked again (`mayReceive`), so a deny
 * rule inside a wider allow still holds, and a changed list applies at once.
 */
export class TopicAcl {
  readonly rules: readonly AclRule[];
  readonly #compiled: readonly Compiled[];

  constructor(rules: readonly AclRule[]) {
    this.rules = rules;
    this.#compiled = rules.map(compile);
  }

  mayPublish(who: AclSubject, topic: string): boolean {
    const levels = topic.split('/');
    for (const r of this.#compiled) {
      if (r.publish && matches(r, levels, who)) return r.allow;
    }
    return false;
  }

  mayReceive(who: AclSubject, topic: string): boolean {
    const levels = topic.split('/');
    for (const r of this.#compiled) {
      if (r.subscribe && matches(r, levels, who)) return r.allow;
    }
    return false;
  }

  maySubscribe(who: AclSubject, filter: string): boolean {
    const levels = filter.split('/');
    for (const r of this.#compiled) {
      if (r.subscribe && covers(r, levels, who)) return r.allow;
    }
    return false;
  }
}

/** The literal a placeholder level compares with; null = matches any value (an unsafe value in a deny rule). */
function placeholder(
  r: Compiled,
  l: typeof USER | typeof CLIENT,
  who: AclSubject,
): string | null | undefined {
  const v = safeValue(l === USER ? who.username : who.clientId);
  if (v !== undefined) return v;
  return r.allow ? undefined : null;
}

/** Whether the rule's filter matches topic name `topic` (already split). */
function matches(r: Compiled, topic: readonly string[], who: AclSubject): boolean {
  const levels = r.levels;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as Level;
    // [MQTT-4.7.2-1]: wildcards in the first level do not match `$` topics.
    if (i === 0 && typeof l === 'number' && (topic[0] as string).startsWith('$')) return false;
    if (l === HASH) return true;
    const t = topic[i];
    if (t === undefined) return false;
    if (l === PLUS) continue;
    if (typeof l === 'string') {
      if (l !== t) return false;
      continue;
    }
    const v = placeholder(r, l, who);
    if (v === undefined) return false;
    if (v !== null && v !== t) return false;
  }
  return levels.length === topic.length;
}

/** Whether every topic the subscriber's `filter` (split) can match is matched by the rule. */
function covers(r: Compiled, filter: readonly string[], who: AclSubject): boolean {
  const levels = r.levels;
  for (let i = 0; i < filter.length; i++) {
    const l = levels[i];
    const f = filter[i] as string;
    if (l === undefined) return false;
    if (i === 0 && typeof l === 'number' && f.startsWith('$')) return false;
    if (l === HASH) return true;
    if (f === '#') return false;
    if (l === PLUS) continue;
    if (typeof l === 'string') {
      if (f === '+' || f !== l) return false;
      continue;
    }
    const v = placeholder(r, l, who);
    if (v === undefined) return false;
    if (v !== null && (f === '+' || f !== v)) return false;
  }
  return levels.length === filter.length || (levels.length === filter.length + 1 && levels.at(-1) === HASH);
}
