import type { RuleSpec } from '../../api/types';
import { duration } from '../../lib/format';

/** A rule document as the editor holds it: plain JSON, the shape `PUT /rules/{name}` takes. */
export type RuleDocument = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The server keeps `throttle` as milliseconds (`throttleMs`); documents write a duration. */
export function toDocument(spec: RuleSpec): RuleDocument {
  const { throttleMs, ...rest } = spec;
  const throttle =
    throttleMs % 60_000 === 0 && throttleMs > 0
      ? `${throttleMs / 60_000}m`
      : throttleMs % 1000 === 0
        ? `${throttleMs / 1000}s`
        : `${throttleMs}ms`;
  return { ...rest, throttle };
}

/** A new rule: a useful one, to edit rather than write from nothing. */
export const STARTER: RuleDocument = {
  name: 'press-overheat-5m',
  description: 'A press above 90 °C for 5 minutes needs maintenance',
  enabled: true,
  target: { profile: 'press' },
  condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '5m' },
  alarm: { type: 'overheat', severity: 'major', message: '{{device}} is at {{value}} °C', autoClear: true },
  actions: [],
  throttle: '10m',
};

/** One example of each condition kind (docs/rules.md §2), for the "Condition" helper. */
export const CONDITIONS: Record<string, Record<string, unknown>> = {
  threshold: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '5m' },
  range: { type: 'range', key: 'temperature', min: 10, max: 80, when: 'outside', for: '1m' },
  window: { type: 'window', key: 'vibration', agg: 'avg', window: '5m', op: '>', value: 2.5 },
  rate: { type: 'rate', key: 'temperature', per: '1m', op: '>', value: 5 },
  anomaly: { type: 'anomaly', key: 'vibration', threshold: 3 },
  geofence: {
    type: 'geofence',
    area: { circle: { lat: 45.76, lon: 4.84, radius: 300 } },
    trigger: 'exit',
  },
  inactivity: { type: 'inactivity', after: '10m' },
  status: { type: 'status', is: 'offline', for: '5m' },
  event: { type: 'event', eventType: 'door-open', where: {} },
  twin: { type: 'twin', pending: true, for: '10m' },
  expression: { type: 'expression', expr: 'temperature > 90 && vibration > 3', for: '1m' },
  all: {
    type: 'all',
    conditions: [
      { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      { type: 'threshold', key: 'vibration', op: '>', value: 3 },
    ],
    for: '1m',
  },
  any: {
    type: 'any',
    conditions: [
      { type: 'threshold', key: 'temperature', op: '>', value: 95 },
      { type: 'inactivity', after: '15m' },
    ],
  },
};

/** One example of each action kind (docs/rules.md §3), for the "Add action" helper. */
export const ACTIONS: Record<string, Record<string, unknown>> = {
  webhook: {
    type: 'webhook',
    url: 'http://cmms.plant.local/api/work-orders',
    body: { asset: '{{device}}', reading: '{{value}}', rule: '{{rule}}' },
  },
  command: { type: 'command', name: 'slow-down', params: { because: '{{device}} at {{value}}' } },
  twin: { type: 'twin', desired: { mode: 'safe' } },
  publish: { type: 'publish', topic: 'alerts/{{device}}', payload: { reading: '{{value}}' }, qos: 1 },
  email: {
    type: 'email',
    to: ['maintenance@plant.example'],
    subject: '{{device}} is at {{value}}',
    text: 'Rule {{rule}} ({{severity}}) fired at {{time}}.',
  },
};

export const pretty = (doc: unknown) => JSON.stringify(doc, null, 2);

/** Parses the editor's text; the error says where (line and column) JSON.parse stopped. */
export function parseDocument(text: string): { doc?: RuleDocument; error?: string } {
  try {
    const doc: unknown = JSON.parse(text);
    if (!isObject(doc)) return { error: 'The rule document must be a JSON object: { … }' };
    return { doc };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(message);
    if (!pos) return { error: message };
    const before = text.slice(0, Number(pos[1]));
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    return { error: `${message.replace(/ in JSON at position \d+.*$/, '')} (line ${line}, column ${col})` };
  }
}

const EXPR_WORDS = new Set([
  'abs',
  'sqrt',
  'round',
  'floor',
  'ceil',
  'pow',
  'min',
  'max',
  'hypot',
  'true',
  'false',
]);

/** The telemetry keys a condition reads (for the dry run's chart), nested conditions included. */
export function conditionKeys(condition: unknown): string[] {
  const keys = new Set<string>();
  const walk = (c: unknown) => {
    if (!isObject(c)) return;
    if (typeof c.key === 'string') keys.add(c.key);
    if (c.type === 'geofence') {
      keys.add(typeof c.lat === 'string' ? c.lat : 'lat');
      keys.add(typeof c.lon === 'string' ? c.lon : 'lon');
    }
    if (c.type === 'expression' && typeof c.expr === 'string') {
      const text = c.expr.replace(/"[^"]*"/g, '');
      for (const m of text.matchAll(/`([^`]+)`|([A-Za-z_][\w.]*)/g)) {
        const name = m[1] ?? m[2] ?? '';
        if (!EXPR_WORDS.has(name) && !/^(desired|reported)\./.test(name)) keys.add(name);
      }
    }
    if (Array.isArray(c.conditions)) for (const x of c.conditions) walk(x);
    walk(c.condition);
  };
  walk(condition);
  return [...keys].slice(0, 4);
}

/** "threshold", or "all: threshold, window" for combinations. */
export function conditionSummary(condition: Record<string, unknown>): string {
  const type = String(condition.type ?? '?');
  if ((type === 'all' || type === 'any') && Array.isArray(condition.conditions))
    return `${type}: ${condition.conditions.map((c) => (isObject(c) ? String(c.type) : '?')).join(', ')}`;
  if (type === 'not' && isObject(condition.condition)) return `not ${String(condition.condition.type)}`;
  return type;
}

/** A one-line description of a condition: "temperature > 90 for 5m". */
export function conditionText(condition: Record<string, unknown>): string {
  const c = condition;
  const hold = typeof c.for === 'string' || typeof c.for === 'number' ? ` for ${c.for}` : '';
  switch (c.type) {
    case 'threshold':
      return `${c.key} ${c.op} ${c.value}${hold}`;
    case 'window':
      return `${c.agg}(${c.key}, ${c.window}) ${c.op} ${c.value}${hold}`;
    case 'range':
      return `${c.key} ${c.when === 'inside' ? 'inside' : 'outside'} ${c.min}..${c.max}${hold}`;
    case 'rate':
      return `Δ${c.key}/${c.per ?? '1s'} ${c.op} ${c.value}${hold}`;
    case 'inactivity':
      return `no data for ${c.after}`;
    case 'anomaly':
      return `${c.key} unusual (z > ${c.threshold ?? 3})${hold}`;
    case 'status':
      return `device ${c.is}${hold}`;
    case 'event':
      return `event ${c.eventType}`;
    case 'geofence':
      return `geofence ${c.trigger ?? 'enter'}${hold}`;
    case 'twin':
      return c.pending
        ? `twin pending${c.path ? ` at ${c.path}` : ''}${hold}`
        : `${c.side ?? 'reported'}.${c.path} ${c.op} ${JSON.stringify(c.value)}${hold}`;
    case 'expression':
      return `${c.expr}${hold}`;
    default:
      return conditionSummary(c) + hold;
  }
}

export function targetSummary(target: RuleSpec['target']): string {
  const parts: string[] = [];
  if (target.profile) parts.push(`profile ${target.profile}`);
  if (target.groups)
    parts.push(`${target.groups.length === 1 ? 'group' : 'groups'} ${target.groups.join(', ')}`);
  if (target.devices)
    parts.push(target.devices.length <= 3 ? target.devices.join(', ') : `${target.devices.length} devices`);
  if (target.labels)
    parts.push(
      Object.entries(target.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    );
  return parts.join(' · ') || 'every device';
}

export const throttleText = (ms: number) => (ms === 0 ? 'no throttle' : `throttle ${duration(ms)}`);

/**
 * Where a server path (`/condition/op`) is in the editor's text: the range
 * of the last property on the way, found by walking the names in order.
 * Good enough to put the cursor there; exact for documents it formatted.
 */
export function locate(text: string, path: string): { start: number; end: number } | undefined {
  const parts = path.split('/').filter(Boolean);
  let at = 0;
  let found: { start: number; end: number } | undefined;
  for (const p of parts) {
    if (/^\d+$/.test(p)) continue;
    const i = text.indexOf(`"${p}"`, at);
    if (i < 0) break;
    const lineEnd = text.indexOf('\n', i);
    found = { start: i, end: lineEnd < 0 ? text.length : lineEnd };
    at = i + p.length + 2;
  }
  return found;
}
