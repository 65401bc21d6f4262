import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentialsPath, forgetLogin, isExpired, loadLogin, saveLogin, urlKey } from './credentials.js';

test('urlKey ignores a trailing slash and host case', () => {
  assert.equal(urlKey('http://Plexus.local:8080/'), 'http://plexus.local:8080');
  assert.equal(urlKey('https://h/base/'), 'https://h/base');
});

test('isExpired reads epoch ms and ISO expiries; none never expires', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(isExpired({ token: 't', username: 'u' }, now), false);
  assert.equal(isExpired({ token: 't', username: 'u', expiresAt: now - 1 }, now), true);
  assert.equal(isExpired({ token: 't', username: 'u', expiresAt: '2024-05-02T00:00:00Z' }, now), false);
});

test('logins are saved per URL in a private file and can be forgotten', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-cred-'));
  const env = { PLEXUS_CONFIG_DIR: join(dir, 'cfg') };
  try {
    assert.equal(await loadLogin('http://a:1', env), undefined);
    await saveLogin('http://a:1/', { token: 'tok-a', username: 'admin' }, env);
    await saveLogin('http://b:2', { token: 'tok-b', username: 'bob', expiresAt: 1 }, env);
    assert.deepEqual(await loadLogin('http://a:1', env), { token: 'tok-a', username: 'admin' });
    assert.equal((await loadLogin('http://b:2', env))?.token, 'tok-b');
    assert.equal((await stat(credentialsPath(env))).mode & 0o777, 0o600);
    assert.equal(await forgetLogin('http://a:1', env), true);
    assert.equal(await forgetLogin('http://a:1', env), false);
    const file = JSON.parse(await readFile(credentialsPath(env), 'utf8'));
    assert.deepEqual(Object.keys(file.logins), ['http://b:2']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
