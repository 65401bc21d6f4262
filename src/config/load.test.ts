import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PlexusError } from '../core/errors.js';
import { configLeaves, envName, loadConfig } from './load.js';

const dir = () => mkdtempSync(join(tmpdir(), 'plexus-config-'));

function failure(fn: () => unknown): PlexusError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PlexusError, 'throws a PlexusError');
    return err;
  }
  assert.fail('expected the config to be refused');
}

test('defaults apply with no file and no environment', () => {
  const c = loadConfig({ cwd: dir(), env: {} });
  assert.equal(c.dataDir, './data');
  assert.equal(c.http.port, 8080);
  assert.equal(c.log.level, 'info');
  assert.equal(c.admin.username, 'admin');
  assert.equal(c.admin.password, undefined);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.http), 'config is deep-frozen');
});

test('env names derive from the schema path', () => {
  assert.equal(envName(['http', 'port']), 'PLEXUS_HTTP_PORT');
  assert.equal(envName(['dataDir']), 'PLEXUS_DATA_DIR');
  assert.equal(envName(['auth', 'sessionTtlSeconds']), 'PLEXUS_AUTH_SESSION_TTL_SECONDS');
  const names = configLeaves().map((l) => l.env);
  for (const required of [
    'PLEXUS_DATA_DIR',
    'PLEXUS_HTTP_PORT',
    'PLEXUS_LOG_LEVEL',
    'PLEXUS_ADMIN_PASSWORD',
  ]) {
    assert.ok(names.includes(required), `${required} is a setting`);
  }
});

test('file < environment < flags', () => {
  const cwd = dir();
  writeFileSync(
    join(cwd, 'plexus.config.yaml'),
    'http:\n  port: 9000\n  host: 127.0.0.1\nlog:\n  level: debug\n',
  );
  const fromFile = loadConfig({ cwd, env: {} });
  assert.equal(fromFile.http.port, 9000);
  assert.equal(fromFile.http.host, '127.0.0.1');
  const fromEnv = loadConfig({ cwd, env: { PLEXUS_HTTP_PORT: '9100', PLEXUS_METRICS_ENABLED: 'false' } });
  assert.equal(fromEnv.http.port, 9100);
  assert.equal(fromEnv.metrics.enabled, false);
  assert.equal(fromEnv.log.level, 'debug', 'file values the env does not touch stay');
  const fromFlags = loadConfig({
    cwd,
    env: { PLEXUS_HTTP_PORT: '9100' },
    overrides: { http: { port: 9200 } },
  });
  assert.equal(fromFlags.http.port, 9200);
});

test('a JSON file given with --config is read; a missing one is an error', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'custom.json'), JSON.stringify({ dataDir: '/var/lib/plexus' }));
  assert.equal(loadConfig({ cwd, env: {}, file: 'custom.json' }).dataDir, '/var/lib/plexus');
  const err = failure(() => loadConfig({ cwd, env: {}, file: 'nope.json' }));
  assert.equal(err.code, 'CONFIG_FILE_UNREADABLE');
  assert.match(err.message, /nope\.json/);
});

test('every bad value is reported at once with its path and source', () => {
  const cwd = dir();
  writeFileSync(
    join(cwd, 'plexus.config.json'),
    JSON.stringify({ http: { port: 70000, colour: 'red' }, log: { level: 'loud' } }),
  );
  const err = failure(() => loadConfig({ cwd, env: { PLEXUS_AUTH_MAX_FAILURES: 'many' } }));
  assert.equal(err.code, 'CONFIG_INVALID');
  const paths = (err.errors ?? []).map((e) => e.path).sort();
  assert.deepEqual(paths, ['auth.maxFailures', 'http.colour', 'http.port', 'log.level']);
  assert.match(err.message, /http\.port: must be <= 65535/);
  assert.match(err.message, /http\.colour: is not a known field/);
  assert.match(err.message, /log\.level: must be one of: "trace", "debug"/);
  assert.match(err.message, /auth\.maxFailures: .*\(from environment PLEXUS_AUTH_MAX_FAILURES\)/);
});

test('malformed files name the file and the problem', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'plexus.config.yaml'), 'http: [unclosed\n');
  const err = failure(() => loadConfig({ cwd, env: {} }));
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.match(err.message, /plexus\.config\.yaml is not valid YAML/);
  const cwd2 = dir();
  writeFileSync(join(cwd2, 'plexus.config.json'), '[1, 2]');
  assert.match(failure(() => loadConfig({ cwd: cwd2, env: {} })).message, /must hold an object/);
});

test('a short admin password is refused', () => {
  const err = failure(() => loadConfig({ cwd: dir(), env: { PLEXUS_ADMIN_PASSWORD: 'short' } }));
  assert.match(err.message, /admin\.password/);
});

test('docs/configuration.md documents every setting and its environment variable', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  for (const leaf of configLeaves()) {
    assert.ok(
      doc.includes(`| \`${leaf.path.join('.')}\` | \`${leaf.env}\` |`),
      `${leaf.path.join('.')} is documented`,
    );
  }
});

test('a TLS certificate without its key is refused, naming the missing one', () => {
  const err = failure(() => loadConfig({ cwd: dir(), env: { PLEXUS_MQTTS_CERT: '/etc/plexus/cert.pem' } }));
  assert.deepEqual(
    (err.errors ?? []).map((e) => e.path),
    ['mqtts.key'],
  );
  assert.match(err.message, /mqtts\.key: is required when cert is set/);
});

test('PLEXUS_STORE_URL alone selects PostgreSQL; kind and url must agree', () => {
  const url = 'postgres://plexus:secret@db.example:5432/plexus';
  const pg = loadConfig({ cwd: dir(), env: { PLEXUS_STORE_URL: url } });
  assert.deepEqual(pg.store, { kind: 'postgres', url, poolSize: 10, tls: 'off' });
  assert.equal(loadConfig({ cwd: dir(), env: {} }).store.kind, 'sqlite');

  const noUrl = failure(() => loadConfig({ cwd: dir(), env: { PLEXUS_STORE_KIND: 'postgres' } }));
  assert.match(noUrl.message, /store\.url: is required when store\.kind is postgres/);
  const both = failure(() =>
    loadConfig({ cwd: dir(), env: { PLEXUS_STORE_KIND: 'sqlite', PLEXUS_STORE_URL: url } }),
  );
  assert.match(both.message, /store\.kind: is sqlite, but store\.url is set/);
  const notPg = failure(() => loadConfig({ cwd: dir(), env: { PLEXUS_STORE_URL: 'mysql://db/plexus' } }));
  assert.deepEqual(
    (notPg.errors ?? []).map((e) => e.path),
    ['store.url'],
  );
  const pool = failure(() =>
    loadConfig({ cwd: dir(), env: { PLEXUS_STORE_URL: url, PLEXUS_STORE_POOL_SIZE: '0' } }),
  );
  assert.match(pool.message, /store\.poolSize/);
});

test('anonymous MQTT: off by default; rules as JSON in the environment, each topic checked with its path', () => {
  const defaults = loadConfig({ cwd: dir(), env: {} }).mqtt;
  assert.equal(defaults.allowAnonymous, false);
  assert.equal(defaults.anonymous.tenant, 'default');
  assert.deepEqual(
    defaults.anonymous.rules.map((r) => `${r.permission} ${r.action} ${r.topic}`),
    ['deny both devices/#', 'allow both #'],
  );
  const rules = [{ permission: 'allow', action: 'subscribe', topic: '$SYS/#' }];
  const on = loadConfig({
    cwd: dir(),
    env: { PLEXUS_MQTT_ALLOW_ANONYMOUS: 'true', PLEXUS_MQTT_ANONYMOUS_RULES: JSON.stringify(rules) },
  });
  assert.equal(on.mqtt.allowAnonymous, true);
  assert.deepEqual(on.mqtt.anonymous.rules, rules);
  const notJson = failure(() => loadConfig({ cwd: dir(), env: { PLEXUS_MQTT_ANONYMOUS_RULES: 'allow #' } }));
  assert.match(notJson.message, /mqtt\.anonymous\.rules/);
  const bad = failure(() =>
    loadConfig({
      cwd: dir(),
      env: {
        PLEXUS_MQTT_ANONYMOUS_RULES: JSON.stringify([
          { permission: 'allow', action: 'both', topic: 'a/#/b' },
          { permission: 'maybe', action: 'both', topic: 'x' },
        ]),
      },
    }),
  );
  assert.match(bad.message, /mqtt\.anonymous\.rules\.1\.permission/);
  const badTopic = failure(() =>
    loadConfig({
      cwd: dir(),
      env: {
        PLEXUS_MQTT_ANONYMOUS_RULES: JSON.stringify([
          { permission: 'allow', action: 'both', topic: 'a/#/b' },
        ]),
      },
    }),
  );
  assert.match(badTopic.message, /mqtt\.anonymous\.rules\.0\.topic: is not a valid topic filter/);
});
