import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  collect,
  collectAssignment,
  collectLabelFilters,
  collectLabels,
  parseLabel,
  positiveInt,
} from './args.js';

test('parseLabel splits at the first =, keeping = and empty values in the value', () => {
  assert.deepEqual(parseLabel('site=lyon'), ['site', 'lyon']);
  assert.deepEqual(parseLabel('expr=a=b'), ['expr', 'a=b']);
  assert.deepEqual(parseLabel('empty='), ['empty', '']);
});

test('parseLabel refuses a label without key or =', () => {
  assert.throws(() => parseLabel('site'), InvalidArgumentError);
  assert.throws(() => parseLabel('=lyon'), /expected key=value, got "=lyon"/);
  assert.throws(() => parseLabel(''), InvalidArgumentError);
});

test('repeatable collectors accumulate; labels let the later value win', () => {
  assert.deepEqual(collectLabels('b=2', collectLabels('a=1')), { a: '1', b: '2' });
  assert.deepEqual(collectLabels('a=2', { a: '1' }), { a: '2' });
  assert.deepEqual(collect('g2', collect('g1')), ['g1', 'g2']);
  assert.deepEqual(collectLabelFilters('b=2', ['a=1']), ['a=1', 'b=2']);
  assert.throws(() => collectLabelFilters('nope'), InvalidArgumentError);
});

test('positiveInt takes whole numbers from 1 up only', () => {
  assert.equal(positiveInt('25'), 25);
  for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3'])
    assert.throws(() => positiveInt(bad), InvalidArgumentError, bad);
});

test('collectAssignment nests dotted keys and reads JSON values, else strings', () => {
  let patch = collectAssignment('temp.target=21');
  patch = collectAssignment('temp.unit=C', patch);
  patch = collectAssignment('mode=eco', patch);
  patch = collectAssignment('old=null', patch);
  patch = collectAssignment('list=[1,2]', patch);
  patch = collectAssignment('flag=true', patch);
  patch = collectAssignment('quoted="7"', patch);
  assert.deepEqual(patch, {
    temp: { target: 21, unit: 'C' },
    mode: 'eco',
    old: null,
    list: [1, 2],
    flag: true,
    quoted: '7',
  });
  assert.throws(() => collectAssignment('a..b=1'), InvalidArgumentError);
  assert.throws(() => collectAssignment('=1'), InvalidArgumentError);
  assert.throws(() => collectAssignment('novalue'), InvalidArgumentError);
});
