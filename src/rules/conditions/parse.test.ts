import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCondition } from './parse.js';
import type { Signal } from './types.js';

const problemsOf = (raw: unknown) => parseCondition(raw).problems.map((p) => `${p.path}: ${p.message}`);

test('every kind of condition compiles from its documented shape', () => {
  const shapes: unknown[] = [
    { type: 'threshold', key: 'temperature', op: '>', value: 80, for: '2s' },
    { type: 'threshold', key: 'door', op: '==', value: 'open' },
    { type: 'range', key: 'pressure', min: 2, max: 6 },
    { type: 'window', key: 'vibration', agg: 'avg', window: '5m', op: '>', value: 2.5 },
    { type: 'window', key: 'errors', agg: 'count', window: '1h', mode: 'tumbling', op: '>=', value: 10 },
    { type: 'rate', key: 'level', per: '1m', op: '<', value: -5 },
    { type: 'anomaly', key: 'vibration', threshold: 4, alpha: 0.05, warmup: 60 },
    { type: 'geofence', area: { circle: { lat: 48.85, lon: 2.35, radius: 500 } }, trigger: 'exit' },
    {
      type: 'geofence',
      lat: 'gps.lat',
      lon: 'gps.lon',
      area: {
        polygon: [
          [0, 0],
          [0, 1],
          [1, 1],
        ],
      },
      trigger: 'inside',
    },
    { type: 'inactivity', after: '15m' },
    { type: 'status', is: 'offline', for: '1m' },
    { type: 'event', eventType: 'fault', where: { code: 7 } },
    {
      type: 'any',
      conditions: [
        { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '5m' },
        { type: 'not', condition: { type: 'status', is: 'online' } },
      ],
    },
  ];
  for (const raw of shapes) assert.deepEqual(problemsOf(raw), [], JSON.stringify(raw));
});

test('the compiled condition works: overheating for 2 s', () => {
  const { condition } = parseCondition({
    type: 'threshold',
    key: 'temperature',
    op: '>',
    value: 80,
    for: '2s',
  });
  assert.ok(condition);
  const state = condition.initial();
  const at = (ts: number, value: number): Signal => ({ kind: 'point', key: 'temperature', ts, value });
  assert.deepEqual(
    [at(0, 85), at(1000, 86), at(2000, 87)].map((s) => condition.step(state, s)),
    [false, false, true],
  );
  assert.deepEqual(condition.needs, { keys: ['temperature'], ticks: true });
});

test('problems name the exact place and say what is expected', () => {
  assert.deepEqual(problemsOf({ type: 'treshold', key: 't' }), [
    '/condition/type: type must be one of threshold, range, window, rate, anomaly, geofence, inactivity, status, event, twin, expression, all, any, not',
  ]);
  assert.deepEqual(problemsOf({ type: 'threshold', key: 't', op: '>', value: 1, windwo: '5m' }), [
    '/condition/windwo: unknown field for a threshold condition (fields: key, op, value, for)',
  ]);
  assert.deepEqual(problemsOf({ type: 'threshold', key: 'bad key!', op: '=>', value: 'hot' }), [
    '/condition/key: must be a telemetry key (letters, digits, _ . : -; up to 128)',
    '/condition/op: op must be one of > >= < <= == !=',
  ]);
  assert.deepEqual(problemsOf({ type: 'threshold', key: 't', op: '>', value: 'hot' }), [
    '/condition/op: only == and != compare strings',
  ]);
  assert.deepEqual(problemsOf({ type: 'window', key: 'v', agg: 'median', window: '2d', op: '>', value: 1 }), [
    '/condition/agg: must be one of avg, min, max, sum, count',
    '/condition/window: must be a duration such as "30s", "5m" or "1h", above 0 and at most 24 h',
  ]);
  assert.deepEqual(problemsOf({ type: 'range', key: 'p', min: 6, max: 2 }), [
    '/condition/max: max must not be below min',
  ]);
  assert.deepEqual(problemsOf({ type: 'range', key: 'p' }), ['/condition: a range needs min, max or both']);
  assert.deepEqual(problemsOf({ type: 'anomaly', key: 'v', alpha: 2 }), [
    '/condition/alpha: must be between 0.001 and 1',
  ]);
  assert.deepEqual(
    problemsOf({
      type: 'geofence',
      area: {
        polygon: [
          [0, 0],
          [95, 1],
          [1, 1],
        ],
      },
      trigger: 'enter',
    }),
    ['/condition/area/polygon/1: must be [lat, lon] with lat -90..90 and lon -180..180'],
  );
  assert.deepEqual(problemsOf({ type: 'inactivity', after: '5m', for: '1m' }), [
    '/condition/for: "for" does not apply to inactivity conditions',
  ]);
  assert.deepEqual(
    problemsOf({
      type: 'all',
      conditions: [{ type: 'threshold', key: 't', op: '>', value: 1 }, { type: 'status' }],
    }),
    ['/condition/conditions/1/is: must be one of online, offline'],
  );
  assert.deepEqual(problemsOf({ type: 'any', conditions: [] }), [
    '/condition/conditions: must be a list of 1 to 32 conditions',
  ]);
  assert.deepEqual(problemsOf('x > 3'), ['/condition: a condition is an object with a "type"']);
});

test('nesting is bounded (a rule cannot make evaluation recurse without end)', () => {
  let raw: unknown = { type: 'status', is: 'offline' };
  for (let i = 0; i < 9; i++) raw = { type: 'not', condition: raw };
  const problems = problemsOf(raw);
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /\/condition(\/condition){8}: conditions nest at most 8 levels deep/);
});

test('twin and expression conditions: shapes and precise problems', () => {
  for (const ok of [
    { type: 'twin', path: 'mode', op: '==', value: 'manual' },
    { type: 'twin', side: 'desired', path: 'setpoint', op: '>', value: 30 },
    { type: 'twin', pending: true, for: '10m' },
    { type: 'twin', pending: true, path: 'config.rate' },
    { type: 'expression', expr: 'abs(temperature - desired.setpoint) > 2', for: '5m' },
  ]) {
    assert.deepEqual(problemsOf(ok), [], JSON.stringify(ok));
  }
  assert.deepEqual(problemsOf({ type: 'twin', path: 'a..b', op: '>', value: 'x' }), [
    '/condition/path: must be a dotted path into the twin, e.g. "firmware.version"',
    '/condition/op: only == and != compare strings',
  ]);
  assert.deepEqual(problemsOf({ type: 'twin', pending: true, op: '==' }), [
    '/condition/op: does not go with "pending"',
  ]);
  assert.deepEqual(problemsOf({ type: 'twin', op: '==', value: 1 }), [
    '/condition/path: is required: the twin value to compare, e.g. "mode"',
  ]);
  assert.deepEqual(problemsOf({ type: 'expression', expr: 'temperature >> 3' }), [
    '/condition/expr: unexpected ">" at character 14',
  ]);
  assert.deepEqual(problemsOf({ type: 'expression' }), [
    '/condition/expr: must be an expression such as "temperature - ambient > 25"',
  ]);
});
