import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidKey } from '../../codecs/index.js';
import { compileExpression } from './expression.js';
import type { Scalar, Signal } from './types.js';

const compile = (src: string) => {
  const r = compileExpression(src, isValidKey);
  if ('problem' in r) throw new Error(r.problem);
  return r.condition;
};
const problem = (src: string) => {
  const r = compileExpression(src, isValidKey);
  return 'problem' in r ? r.problem : undefined;
};
const point = (key: string, value: Scalar, ts = 0): Signal => ({ kind: 'point', key, value, ts });
const twin = (
  version: number,
  desired: Record<string, unknown>,
  reported: Record<string, unknown> = {},
): Signal => ({
  kind: 'twin',
  ts: 0,
  version,
  desired,
  reported,
  delta: {},
});

test('arithmetic, comparison and logic with the usual precedence, over the latest values', () => {
  const c = compile('temperature - ambient > 25 && hypot(vib_x, vib_y, vib_z) > 4');
  assert.deepEqual([...c.needs.keys].sort(), ['ambient', 'temperature', 'vib_x', 'vib_y', 'vib_z']);
  const s = c.initial();
  assert.equal(c.step(s, point('temperature', 80)), undefined, 'ambient unknown: no answer');
  assert.equal(c.step(s, point('ambient', 60)), false, 'false && unknown is false');
  assert.equal(c.step(s, point('ambient', 20)), undefined, 'true && unknown: no answer');
  c.step(s, point('vib_x', 3));
  c.step(s, point('vib_y', 0));
  assert.equal(c.step(s, point('vib_z', 4)), true, 'hypot(3, 0, 4) = 5');
  assert.equal(c.step(s, point('other', 1)), undefined, 'a key it does not read');
  assert.equal(c.step(s, point('vib_z', 0)), false);
});

test('precedence and unary operators', () => {
  const c = compile('-a + 2 * 3 == 4 || !(b % 2 == 1)');
  const s = c.initial();
  c.step(s, point('b', 3));
  assert.equal(c.step(s, point('a', 2)), true, '-2 + 6 == 4');
  assert.equal(c.step(s, point('a', 1)), false, '-1 + 6 != 4 and b is odd');
});

test('strings, booleans, quoted keys and dotted keys', () => {
  const c = compile('mode == "manual" && `motor-1:on` && location.lat > 45');
  const s = c.initial();
  c.step(s, point('mode', 'manual'));
  c.step(s, point('motor-1:on', true));
  assert.equal(c.step(s, point('location.lat', 46)), true);
  assert.equal(c.step(s, point('motor-1:on', false)), false);
});

test('a wrong type at run time or a division by zero is unknown, not an error', () => {
  const c = compile('a / b > 1');
  const s = c.initial();
  c.step(s, point('a', 1));
  assert.equal(c.step(s, point('b', 0)), undefined);
  assert.equal(c.step(s, point('b', 'x')), undefined);
  assert.equal(c.step(s, point('b', 0.5)), true);
});

test('twin values: desired.x and reported.x, newest twin version only', () => {
  const c = compile('abs(temperature - desired.setpoint) > 2');
  assert.equal(c.needs.twin, true);
  const s = c.initial();
  assert.equal(c.step(s, twin(3, { setpoint: 21 })), undefined, 'no temperature yet');
  assert.equal(c.step(s, point('temperature', 25)), true);
  assert.equal(c.step(s, twin(4, { setpoint: 24 })), false);
  assert.equal(c.step(s, twin(2, { setpoint: 10 })), undefined, 'an older copy is ignored');
  assert.equal(c.step(s, twin(5, {})), undefined, 'setpoint removed: unknown');
});

test('bad expressions are refused with where and why', () => {
  assert.match(problem('temperature >') ?? '', /ends too early/);
  assert.match(problem('temperature > 90 )') ?? '', /expected an operator at character 18/);
  assert.match(problem('temperature = 90') ?? '', /use ==/);
  assert.match(problem('temperature > 90 & a') ?? '', /use &&/);
  assert.match(problem('exec(1) > 0') ?? '', /unknown function exec/);
  assert.match(problem('abs(1, 2) > 0') ?? '', /abs takes 1 argument/);
  assert.match(problem('"a" * 2 > 1') ?? '', /needs numbers, not a string/);
  assert.match(problem('temperature + 1') ?? '', /must be true or false, not a number/);
  assert.match(problem('1 && a') ?? '', /needs booleans, not a number/);
  assert.match(problem('1 > 0') ?? '', /reads no telemetry key/);
  assert.match(problem('a > `') ?? '', /unclosed `/);
  assert.match(
    problem('constructor.prototype > 1 || __proto__ > 1') ?? '',
    /__proto__ is not a telemetry key/,
  );
  assert.match(problem('a > 1; process.exit()') ?? '', /unexpected ";"/);
  assert.match(problem(`${'('.repeat(40)}a > 1${')'.repeat(40)}`) ?? '', /nested more than 32/);
  assert.match(problem(Array.from({ length: 140 }, () => 'a+1>b').join('||')) ?? '', /at most 400 parts/);
  assert.match(problem('') ?? '', /1 to 2000 characters/);
});

test('state is plain JSON: it survives a save and restore', () => {
  const c = compile('a + b > 10');
  const s = c.initial();
  c.step(s, point('a', 6));
  const restored = JSON.parse(JSON.stringify(s));
  assert.equal(c.step(restored, point('b', 5)), true);
});
