import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonTemplateProblem, render, renderJson, templateProblem } from './template.js';

test('templates substitute known variables only, as text', () => {
  assert.equal(
    render('{{device}} is at {{ value }} °C ({{rule}})', {
      device: 'press-7',
      value: 91.5,
      rule: 'overheat',
    }),
    'press-7 is at 91.5 °C (overheat)',
  );
  assert.equal(render('missing: [{{key}}]', {}), 'missing: []');
  assert.equal(templateProblem('{{device}} ok'), undefined);
  assert.match(templateProblem('{{process.env.SECRET}}') ?? '', /is not a template variable/);
  assert.match(
    templateProblem('{{constructor.constructor("return 1")()}}') ?? '',
    /is not a template variable/,
  );
  assert.equal(templateProblem('{{device}'), 'unbalanced {{ or }}');
});

test('JSON templates keep the type of a whole placeholder and report the bad path', () => {
  const body = { text: 'Alarm on {{device}}', value: '{{value}}', tags: ['{{severity}}', 'fixed'], n: 3 };
  assert.deepEqual(renderJson(body, { device: 'press-7', value: 91.5, severity: 'critical' }), {
    text: 'Alarm on press-7',
    value: 91.5,
    tags: ['critical', 'fixed'],
    n: 3,
  });
  assert.deepEqual(jsonTemplateProblem({ a: [{ b: '{{nope}}' }] }, '/actions/0/body'), {
    path: '/actions/0/body/a/0/b',
    message:
      '{{nope}} is not a template variable (use {{device}}, {{rule}}, {{key}}, {{value}}, {{ts}}, {{time}}, {{severity}}, {{alarm}}, {{tenant}})',
  });
});
