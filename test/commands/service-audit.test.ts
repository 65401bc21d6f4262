/**
 * Commands sent by the platform itself (rules, rollouts) go through the same
 * service as the REST API's and are audited there; the REST API records its
 * own calls, so those are not recorded twice. Real SQLite stores, registry
 * and audit service; no transport (the command stays queued).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createCommandService } from '../../src/commands/index.js';
import { createMemoryBus } from '../../src/core/bus-memory.js';
import { systemClock } from '../../src/core/clock.js';
import { createRegistryService } from '../../src/registry/index.js';
import { createAuditService } from '../../src/security/index.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';

test('a command from the platform (a rule) is audited by the service; one marked audited is not recorded again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-cmd-audit-'));
  const log = pino({ level: 'silent' });
  const stores = createSqliteStores(dir, log);
  const bus = createMemoryBus(log);
  try {
    const registry = createRegistryService({ store: stores.registry, bus, clock: systemClock });
    const audit = createAuditService({ store: stores.audit, bus, clock: systemClock, log });
    const commands = createCommandService({
      store: stores.commands,
      registry,
      bus,
      clock: systemClock,
      log,
      metrics: new Registry(),
      audit: (e) => audit.record(e),
    });
    await registry.createTenant({ id: 'default' });
    await registry.createDevice('default', { id: 'press-7' });
    const byRule = await commands.send(
      'default',
      'press-7',
      { name: 'shutdown', params: { why: 'heat' } },
      'rule:overheat',
    );
    const byApi = await commands.send('default', 'press-7', { name: 'reset' }, 'user:alice', {
      audited: true,
    });
    const page = await audit.list('default', { limit: 10, action: 'command.create' });
    assert.deepEqual(
      page.items.map((r) => [r.actor, r.resourceId, r.details]),
      [['rule:overheat', byRule.id, { device: 'press-7', name: 'shutdown', params: { why: 'heat' } }]],
    );
    assert.equal(byApi.status, 'queued');
    commands.stop();
  } finally {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
