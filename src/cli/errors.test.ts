import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProblem, problemLines, unreachableLine } from './errors.js';

test('a problem reads "Error: title: detail (code)" with one line per field error', () => {
  const problem = parseProblem(
    JSON.stringify({
      type: 'about:blank',
      title: 'Invalid request',
      status: 400,
      detail: 'body/labels must be an object',
      code: 'CORE_VALIDATION',
      errors: [{ path: '/labels', message: 'must be object' }],
    }),
  );
  assert.deepEqual(problemLines(400, 'Bad Request', problem), [
    'Error: Invalid request: body/labels must be an object (CORE_VALIDATION)',
    '  /labels: must be object',
  ]);
});

test('a detail equal to the title is not repeated; a missing code is left out', () => {
  const problem = parseProblem('{"title":"Forbidden","detail":"Forbidden","status":403}');
  assert.deepEqual(problemLines(403, 'Forbidden', problem), ['Error: Forbidden']);
});

test("Fastify's default {error, message} shape is understood too", () => {
  const problem = parseProblem('{"statusCode":415,"error":"Unsupported Media Type","message":"no parser"}');
  assert.deepEqual(problemLines(415, '', problem), ['Error: Unsupported Media Type: no parser']);
});

test('a body that is not a problem falls back to the HTTP status', () => {
  assert.equal(parseProblem('<html>bad gateway</html>'), undefined);
  assert.equal(parseProblem('[]'), undefined);
  assert.deepEqual(problemLines(502, 'Bad Gateway', undefined), ['Error: HTTP 502 Bad Gateway']);
});

test('connection refused says how to start the server', () => {
  const err = new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
  });
  assert.equal(
    unreachableLine('http://127.0.0.1:8080', err),
    'Error: cannot reach Plexus at http://127.0.0.1:8080 (is it running? start it with: npx plexus start)',
  );
  const both = new TypeError('fetch failed', { cause: new AggregateError([{ code: 'ECONNREFUSED' }]) });
  assert.match(unreachableLine('http://localhost:8080', both), /is it running\?/);
});

test('unknown hosts and timeouts get their own words', () => {
  const dns = new TypeError('fetch failed', {
    cause: Object.assign(new Error('dns'), { code: 'ENOTFOUND' }),
  });
  assert.equal(
    unreachableLine('http://nowhere:8080', dns),
    'Error: cannot reach Plexus at http://nowhere:8080: unknown host',
  );
  const slow = new DOMException('timed out', 'TimeoutError');
  assert.equal(unreachableLine('http://h:1', slow), 'Error: Plexus at http://h:1 did not answer in time');
});
