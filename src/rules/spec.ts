import { parseDuration } from '../core/duration.js';
import { isValidId } from '../core/ids.js';
import { type Condition, type Problem, parseCondition } from './conditions/index.js';
import { jsonTemplateProblem, templateProblem } from './template.js';

export const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ACTION_TYPES = ['webhook', 'email', 'command', 'twin', 'publish'] as const;

export interface RuleTarget {
  readonly devices?: readonly string[];
  readonly groups?: readonly string[];
  readonly profile?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A rule as stored and served: the document the user wrote, checked and with defaults filled in. */
export interface RuleSpec {
  readonly name: string;
  readonly description?: string;
  readonly enabled: boolean;
  readonly target: RuleTarget;
  readonly condition: Record<string, unknown>;
  readonly alarm?: {
    readonly type: string;
    readonly severity: Severity;
    readonly autoClear: boolean;
    readonly message?: string;
  };
  readonly actions: readonly Record<string, unknown>[];
  /** Least time between two firings' actions for one device (ms); 0: every firing acts. */
  readonly throttleMs: number;
}

const DEFAULT_THROTTLE_MS = 60_000;
const MAX_ACTIONS = 16;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a rule document (REST body, one entry of `plexus rules apply`)
 * and compiles its condition. Every problem has the exact JSON pointer and
 * what is expected; a rule with problems is never half-accepted.
 */
export function parseRule(raw: unknown): { rule?: RuleSpec; condition?: Condition; problems: Problem[] } {
  const problems: Problem[] = [];
  const bad = (path: string, message: string) => {
    problems.push({ path, message });
  };
  if (!isObject(raw)) return { problems: [{ path: '', message: 'a rule is a JSON object' }] };
  const known = ['name', 'description', 'enabled', 'target', 'condition', 'alarm', 'actions', 'throttle'];
  for (const k of Object.keys(raw))
    if (!known.includes(k)) bad(`/${k}`, `unknown field (fields: ${known.join(', ')})`);

  const name = raw.name;
  if (typeof name !== 'string' || !isValidId(name))
    bad('/name', 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit');
  if (
    raw.description !== undefined &&
    (typeof raw.description !== 'string' || raw.description.length > 1000)
  ) {
    bad('/description', 'must be text of at most 1,000 characters');
  }
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') bad('/enabled', 'must be true or false');
  const target = parseTarget(raw.target, bad);
  const { condition, problems: cp } = parseCondition(raw.condition, '/condition');
  problems.push(...cp);
  const alarm = parseAlarm(raw.alarm, bad);
  const actions = raw.actions ?? [];
  if (!Array.isArray(actions) || actions.length > MAX_ACTIONS)
    bad('/actions', `must be a list of at most ${MAX_ACTIONS} actions`);
  else {
    for (let i = 0; i < actions.length; i++) checkAction(actions[i], `/actions/${i}`, bad);
  }
  if (raw.alarm === undefined && Array.isArray(actions) && actions.length === 0) {
    bad('', 'a rule needs an alarm, actions or both: otherwise it does nothing');
  }
  let throttleMs = DEFAULT_THROTTLE_MS;
  if (raw.throttle !== undefined) {
    const ms =
      typeof raw.throttle === 'string' || typeof raw.throttle === 'number'
        ? parseDuration(raw.throttle)
        : undefined;
    if (ms === undefined || ms > 86_400_000) bad('/throttle', 'must be a duration from "0s" to "1d"');
    else throttleMs = ms;
  }
  if (problems.length > 0 || !condition) return { problems };
  return {
    rule: {
      name: name as string,
      ...(raw.description === undefined ? {} : { description: raw.description as string }),
      enabled: raw.enabled !== false,
      target: target as RuleTarget,
      condition: raw.condition as Raw,
      ...(alarm ? { alarm } : {}),
      actions: actions as Raw[],
      throttleMs,
    },
    condition,
    problems,
  };
}

function parseTarget(raw: unknown, bad: (path: string, message: string) => void): RuleTarget | undefined {
  const what = 'target names devices, groups, a profile and/or labels, e.g. {"profile": "press"}';
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    bad('/target', what);
    return undefined;
  }
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'devices' || k === 'groups') {
      if (
        !Array.isArray(v) ||
        v.length === 0 ||
        v.length > 10_000 ||
        !v.every((x) => typeof x === 'string' && isValidId(x))
      ) {
        bad(`/target/${k}`, `must be a list of 1 to 10,000 ${k === 'devices' ? 'device' : 'group'} ids`);
      }
    } else if (k === 'profile') {
      if (typeof v !== 'string' || !isValidId(v)) bad('/target/profile', 'must be a profile id');
    } else if (k === 'labels') {
      if (
        !isObject(v) ||
        Object.keys(v).length === 0 ||
        !Object.values(v).every((x) => typeof x === 'string')
      ) {
        bad('/target/labels', 'must be an object of label: value (text)');
      }
    } else bad(`/target/${k}`, `unknown field: ${what}`);
  }
  return raw as RuleTarget;
}

function parseAlarm(raw: unknown, bad: (path: string, message: string) => void): RuleSpec['alarm'] {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    bad(
      '/alarm',
      'alarm is {"type": "...", "severity": "critical|major|minor|warning|info", "autoClear"?: true}',
    );
    return undefined;
  }
  for (const k of Object.keys(raw)) {
    if (!['type', 'severity', 'autoClear', 'message'].includes(k))
      bad(`/alarm/${k}`, 'unknown field (type, severity, autoClear, message)');
  }
  if (typeof raw.type !== 'string' || !isValidId(raw.type))
    bad('/alarm/type', 'must be an alarm type such as "overheat" (letters, digits, . _ -)');
  const severity = raw.severity ?? 'major';
  if (!(SEVERITIES as readonly unknown[]).includes(severity))
    bad('/alarm/severity', `must be one of ${SEVERITIES.join(', ')}`);
  if (raw.autoClear !== undefined && typeof raw.autoClear !== 'boolean')
    bad('/alarm/autoClear', 'must be true or false');
  if (raw.message !== undefined) {
    const p = typeof raw.message === 'string' ? templateProblem(raw.message) : 'must be text';
    if (p) bad('/alarm/message', p);
  }
  return {
    type: raw.type as string,
    severity: severity as Severity,
    autoClear: raw.autoClear !== false,
    ...(typeof raw.message === 'string' ? { message: raw.message } : {}),
  };
}

const ACTION_FIELDS: Record<(typeof ACTION_TYPES)[number], readonly string[]> = {
  webhook: ['url', 'method', 'headers', 'body', 'secret'],
  email: ['to', 'subject', 'text'],
  command: ['name', 'params', 'device', 'timeout', 'ttl'],
  twin: ['desired', 'device'],
  publish: ['topic', 'payload', 'qos', 'retain'],
};

function checkAction(raw: unknown, path: string, bad: (path: string, message: string) => void): void {
  if (!isObject(raw) || !(ACTION_TYPES as readonly unknown[]).includes(raw.type)) {
    bad(`${path}/type`, `an action has a type: ${ACTION_TYPES.join(', ')}`);
    return;
  }
  const type = raw.type as (typeof ACTION_TYPES)[number];
  for (const k of Object.keys(raw)) {
    if (!['type', 'on', ...ACTION_FIELDS[type]].includes(k)) {
      bad(
        `${path}/${k}`,
        `unknown field for a ${type} action (fields: ${ACTION_FIELDS[type].join(', ')}, on)`,
      );
    }
  }
  if (raw.on !== undefined && !['fire', 'clear', 'both'].includes(raw.on as string))
    bad(`${path}/on`, 'must be fire, clear or both');
  const text = (field: string, required: boolean) => {
    const v = raw[field];
    if (v === undefined) {
      if (required) bad(`${path}/${field}`, 'is required');
      return;
    }
    const p = typeof v === 'string' ? templateProblem(v) : 'must be text';
    if (p) bad(`${path}/${field}`, p);
  };
  const json = (field: string) => {
    const p = raw[field] === undefined ? undefined : jsonTemplateProblem(raw[field], `${path}/${field}`);
    if (p) bad(p.path, p.message);
  };
  const deviceId = () => {
    if (raw.device !== undefined && (typeof raw.device !== 'string' || !isValidId(raw.device))) {
      bad(`${path}/device`, 'must be a device id (default: the device that fired)');
    }
  };
  switch (type) {
    case 'webhook': {
      let url: URL | undefined;
      try {
        url = typeof raw.url === 'string' ? new URL(raw.url) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
        bad(`${path}/url`, 'must be an http:// or https:// URL');
      if (
        raw.method !== undefined &&
        !['POST', 'PUT', 'PATCH', 'DELETE', 'GET'].includes(raw.method as string)
      ) {
        bad(`${path}/method`, 'must be POST, PUT, PATCH, DELETE or GET');
      }
      if (raw.headers !== undefined) {
        if (!isObject(raw.headers)) bad(`${path}/headers`, 'must be an object of header: text');
        else json('headers');
      }
      json('body');
      if (raw.secret !== undefined && (typeof raw.secret !== 'string' || raw.secret.length < 16)) {
        bad(`${path}/secret`, 'must be text of at least 16 characters (the HMAC-SHA256 key)');
      }
      break;
    }
    case 'email':
      if (
        !Array.isArray(raw.to) ||
        raw.to.length === 0 ||
        raw.to.length > 50 ||
        !raw.to.every((a) => typeof a === 'string' && EMAIL.test(a))
      ) {
        bad(`${path}/to`, 'must be a list of 1 to 50 e-mail addresses');
      }
      text('subject', false);
      text('text', false);
      break;
    case 'command':
      if (typeof raw.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(raw.name)) {
        bad(`${path}/name`, 'must be a command name (1-64 letters, digits, . _ -)');
      }
      if (raw.params !== undefined && !isObject(raw.params)) bad(`${path}/params`, 'must be an object');
      else json('params');
      deviceId();
      for (const f of ['timeout', 'ttl']) {
        const v = raw[f];
        if (
          v !== undefined &&
          (typeof v !== 'string' && typeof v !== 'number' ? true : parseDuration(v) === undefined)
        ) {
          bad(`${path}/${f}`, 'must be a duration such as "30s" or "10m"');
        }
      }
      break;
    case 'twin':
      if (!isObject(raw.desired) || Object.keys(raw.desired).length === 0)
        bad(`${path}/desired`, 'must be a non-empty object (a merge patch)');
      else json('desired');
      deviceId();
      break;
    case 'publish':
      text('topic', true);
      if (typeof raw.topic === 'string' && /[+#]|^\$/.test(raw.topic))
        bad(`${path}/topic`, 'must be a topic name (no + or #, not starting with $)');
      if (raw.payload === undefined) bad(`${path}/payload`, 'is required (text or a JSON template)');
      else json('payload');
      if (raw.qos !== undefined && raw.qos !== 0 && raw.qos !== 1) bad(`${path}/qos`, 'must be 0 or 1');
      if (raw.retain !== undefined && typeof raw.retain !== 'boolean')
        bad(`${path}/retain`, 'must be true or false');
      break;
  }
}
