import { isValidKey } from '../../codecs/index.js';
import { parseDuration } from '../../core/duration.js';
import { createAnomaly } from './anomaly.js';
import { createAllAny, createFor, createNot } from './compose.js';
import { createEventMatch, createInactivity, createStatus } from './device.js';
import { compileExpression } from './expression.js';
import { createGeofence } from './geofence.js';
import { createRate } from './rate.js';
import { createRange, createThreshold } from './threshold.js';
import { createTwin } from './twin.js';
import { type Condition, OPS, type Op, type Scalar } from './types.js';
import { createWindow } from './window.js';

/** Where a rule is wrong: a JSON pointer into the rule document and why. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

const MAX_DEPTH = 8;
const MAX_PARTS = 32;
const DAY = 86_400_000;
const TYPES = [
  'threshold',
  'range',
  'window',
  'rate',
  'anomaly',
  'geofence',
  'inactivity',
  'status',
  'event',
  'twin',
  'expression',
  'all',
  'any',
  'not',
] as const;
const COMMON = ['type', 'for'];
const FIELDS: Record<(typeof TYPES)[number], readonly string[]> = {
  threshold: ['key', 'op', 'value'],
  range: ['key', 'min', 'max', 'when'],
  window: ['key', 'agg', 'window', 'mode', 'op', 'value'],
  rate: ['key', 'per', 'op', 'value'],
  anomaly: ['key', 'threshold', 'alpha', 'warmup'],
  geofence: ['lat', 'lon', 'area', 'trigger'],
  inactivity: ['after'],
  status: ['is'],
  event: ['eventType', 'where'],
  twin: ['side', 'path', 'op', 'value', 'pending'],
  expression: ['expr'],
  all: ['conditions'],
  any: ['conditions'],
  not: ['condition'],
};

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a rule's condition and compiles it, in one pass: every problem is
 * reported with its exact path (`/condition/conditions/1/window`), and only
 * a condition without problems is compiled. Unknown fields are refused, so
 * a typo (`"treshold"`, `"windwo"`) never silently means something else.
 */
export function parseCondition(
  raw: unknown,
  path = '/condition',
): { condition?: Condition; problems: Problem[] } {
  const problems: Problem[] = [];
  const condition = parse(raw, path, 0, problems);
  return problems.length === 0 && condition ? { condition, problems } : { problems };
}

function parse(raw: unknown, path: string, depth: number, problems: Problem[]): Condition | undefined {
  const bad = (where: string, message: string) => {
    problems.push({ path: `${path}${where}`, message });
    return undefined;
  };
  if (depth >= MAX_DEPTH) return bad('', `conditions nest at most ${MAX_DEPTH} levels deep`);
  if (!isObject(raw)) return bad('', 'a condition is an object with a "type"');
  const type = raw.type;
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    return bad('/type', `type must be one of ${TYPES.join(', ')}`);
  }
  const t = type as (typeof TYPES)[number];
  const before = problems.length;
  for (const field of Object.keys(raw)) {
    if (!COMMON.includes(field) && !FIELDS[t].includes(field)) {
      bad(`/${field}`, `unknown field for a ${t} condition (fields: ${FIELDS[t].join(', ')}, for)`);
    }
  }
  const ok = () => problems.length === before;

  const key = (field = 'key', optional = false, fallback?: string): string => {
    const v = raw[field] ?? (optional ? fallback : undefined);
    if (typeof v !== 'string' || !isValidKey(v)) {
      bad(`/${field}`, 'must be a telemetry key (letters, digits, _ . : -; up to 128)');
      return '';
    }
    return v;
  };
  const num = (
    field: string,
    opts: { min?: number; max?: number; optional?: boolean; int?: boolean } = {},
  ) => {
    const v = raw[field];
    if (v === undefined && opts.optional) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))) {
      bad(`/${field}`, `must be a ${opts.int ? 'whole ' : ''}number`);
      return undefined;
    }
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
      bad(`/${field}`, `must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}`);
      return undefined;
    }
    return v;
  };
  const duration = (field: string, max: number, optional = false): number | undefined => {
    const v = raw[field];
    if (v === undefined && optional) return undefined;
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
    if (ms === undefined || ms <= 0 || ms > max) {
      bad(
        `/${field}`,
        `must be a duration such as "30s", "5m" or "1h", above 0 and at most ${max / 3_600_000} h`,
      );
      return undefined;
    }
    return ms;
  };
  const op = (): Op => {
    if (!(OPS as readonly unknown[]).includes(raw.op)) bad('/op', `op must be one of ${OPS.join(' ')}`);
    return raw.op as Op;
  };
  const choice = <T extends string>(field: string, options: readonly T[], fallback?: T): T => {
    const v = raw[field] ?? fallback;
    if (!(options as readonly unknown[]).includes(v))
      bad(`/${field}`, `must be one of ${options.join(', ')}`);
    return v as T;
  };

  let c: Condition | undefined;
  switch (t) {
    case 'threshold': {
      const k = key();
      const o = op();
      const v = raw.value;
      if (
        !['number', 'boolean', 'string'].includes(typeof v) ||
        (typeof v === 'number' && !Number.isFinite(v))
      ) {
        bad('/value', 'must be a number, boolean or string');
      } else if (typeof v !== 'number' && OPS.includes(o) && o !== '==' && o !== '!=') {
        bad('/op', `only == and != compare ${typeof v}s`);
      }
      if (ok()) c = createThreshold({ key: k, op: o, value: v as Scalar });
      break;
    }
    case 'range': {
      const k = key();
      const min = num('min', { optional: true });
      const max = num('max', { optional: true });
      const when = choice('when', ['outside', 'inside'] as const, 'outside');
      if (raw.min === undefined && raw.max === undefined) bad('', 'a range needs min, max or both');
      if (min !== undefined && max !== undefined && min > max) bad('/max', 'max must not be below min');
      if (ok())
        c = createRange({
          key: k,
          when,
          ...(min === undefined ? {} : { min }),
          ...(max === undefined ? {} : { max }),
        });
      break;
    }
    case 'window': {
      const k = key();
      const agg = choice('agg', ['avg', 'min', 'max', 'sum', 'count'] as const);
      const windowMs = duration('window', DAY);
      const mode = choice('mode', ['sliding', 'tumbling'] as const, 'sliding');
      const o = op();
      const value = num('value');
      if (ok())
        c = createWindow({ key: k, agg, windowMs: windowMs as number, mode, op: o, value: value as number });
      break;
    }
    case 'rate': {
      const k = key();
      const perMs = raw.per === undefined ? 1000 : duration('per', DAY);
      const o = op();
      const value = num('value');
      if (ok()) c = createRate({ key: k, perMs: perMs as number, op: o, value: value as number });
      break;
    }
    case 'anomaly': {
      const k = key();
      const threshold = num('threshold', { optional: true, min: 0.5, max: 100 }) ?? 3;
      const alpha = num('alpha', { optional: true, min: 0.001, max: 1 }) ?? 0.1;
      const warmup = num('warmup', { optional: true, min: 2, max: 100_000, int: true }) ?? 30;
      if (ok()) c = createAnomaly({ key: k, threshold, alpha, warmup });
      break;
    }
    case 'geofence': {
      const latKey = key('lat', true, 'lat');
      const lonKey = key('lon', true, 'lon');
      const trigger = choice('trigger', ['enter', 'exit', 'inside', 'outside'] as const);
      const area = parseArea(raw.area, `${path}/area`, problems);
      if (ok() && area) c = createGeofence({ latKey, lonKey, area, trigger });
      break;
    }
    case 'inactivity': {
      const afterMs = duration('after', 30 * DAY);
      if (ok()) c = createInactivity({ afterMs: afterMs as number });
      break;
    }
    case 'status': {
      const is = choice('is', ['online', 'offline'] as const);
      if (ok()) c = createStatus({ is });
      break;
    }
    case 'event': {
      const eventType = raw.eventType;
      if (typeof eventType !== 'string' || eventType.length === 0 || eventType.length > 128) {
        bad('/eventType', 'must be the event type, 1-128 characters');
      }
      if (raw.where !== undefined && !isObject(raw.where)) bad('/where', 'must be an object of field: value');
      if (ok()) {
        c = createEventMatch({
          eventType: eventType as string,
          ...(raw.where === undefined ? {} : { where: raw.where as Raw }),
        });
      }
      break;
    }
    case 'twin': {
      const path = raw.path;
      const okPath =
        typeof path === 'string' &&
        path.length <= 256 &&
        path.split('.').every((p) => /^[A-Za-z0-9_:-]{1,64}$/.test(p));
      if (path !== undefined && !okPath)
        bad('/path', 'must be a dotted path into the twin, e.g. "firmware.version"');
      if (raw.pending !== undefined) {
        if (raw.pending !== true) bad('/pending', 'must be true (holds while desired and reported differ)');
        for (const f of ['side', 'op', 'value'])
          if (raw[f] !== undefined) bad(`/${f}`, 'does not go with "pending"');
        if (ok())
          c = createTwin({
            pending: true,
            ...(path === undefined ? {} : { path: (path as string).split('.') }),
          });
        break;
      }
      if (path === undefined) bad('/path', 'is required: the twin value to compare, e.g. "mode"');
      const side = choice('side', ['reported', 'desired'] as const, 'reported');
      const o = op();
      const v = raw.value;
      if (
        !['number', 'boolean', 'string'].includes(typeof v) ||
        (typeof v === 'number' && !Number.isFinite(v))
      ) {
        bad('/value', 'must be a number, boolean or string');
      } else if (typeof v !== 'number' && OPS.includes(o) && o !== '==' && o !== '!=') {
        bad('/op', `only == and != compare ${typeof v}s`);
      }
      if (ok()) c = createTwin({ side, path: (path as string).split('.'), op: o, value: v as Scalar });
      break;
    }
    case 'expression': {
      if (typeof raw.expr !== 'string') {
        bad('/expr', 'must be an expression such as "temperature - ambient > 25"');
        break;
      }
      const r = compileExpression(raw.expr, isValidKey);
      if ('problem' in r) bad('/expr', r.problem);
      else c = r.condition as Condition;
      break;
    }
    case 'all':
    case 'any': {
      const list = raw.conditions;
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_PARTS) {
        bad('/conditions', `must be a list of 1 to ${MAX_PARTS} conditions`);
        break;
      }
      const parts = list.map((p, i) => parse(p, `${path}/conditions/${i}`, depth + 1, problems));
      if (ok()) c = createAllAny(t, parts as Condition[]);
      break;
    }
    case 'not': {
      const part = parse(raw.condition, `${path}/condition`, depth + 1, problems);
      if (ok() && part) c = createNot(part);
      break;
    }
  }
  if (raw.for !== undefined) {
    if (t === 'inactivity' || t === 'event') bad('/for', `"for" does not apply to ${t} conditions`);
    const forMs = duration('for', DAY);
    if (ok() && c && forMs !== undefined) c = createFor(c, forMs);
  }
  return ok() ? c : undefined;
}

type Area = { circle: { lat: number; lon: number; radius: number } } | { polygon: [number, number][] };

function parseArea(raw: unknown, path: string, problems: Problem[]): Area | undefined {
  const bad = (where: string, message: string) => {
    problems.push({ path: `${path}${where}`, message });
    return undefined;
  };
  const lat = (v: unknown) => typeof v === 'number' && v >= -90 && v <= 90;
  const lon = (v: unknown) => typeof v === 'number' && v >= -180 && v <= 180;
  if (!isObject(raw))
    return bad('', 'area is {"circle": {lat, lon, radius}} or {"polygon": [[lat, lon], ...]}');
  if (isObject(raw.circle)) {
    const { lat: a, lon: b, radius } = raw.circle;
    if (!lat(a)) return bad('/circle/lat', 'must be a latitude (-90..90)');
    if (!lon(b)) return bad('/circle/lon', 'must be a longitude (-180..180)');
    if (typeof radius !== 'number' || !(radius > 0 && radius <= 20_000_000)) {
      return bad('/circle/radius', 'must be a radius in metres (above 0, at most 20,000 km)');
    }
    return { circle: { lat: a as number, lon: b as number, radius } };
  }
  if (Array.isArray(raw.polygon)) {
    const pts = raw.polygon;
    if (pts.length < 3 || pts.length > 10_000)
      return bad('/polygon', 'a polygon has 3 to 10,000 [lat, lon] points');
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i];
      if (!Array.isArray(p) || p.length !== 2 || !lat(p[0]) || !lon(p[1])) {
        return bad(`/polygon/${i}`, 'must be [lat, lon] with lat -90..90 and lon -180..180');
      }
    }
    return { polygon: pts as [number, number][] };
  }
  return bad('', 'area is {"circle": {lat, lon, radius}} or {"polygon": [[lat, lon], ...]}');
}
