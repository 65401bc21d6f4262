/**
 * Group sends (docs/commands.md §2): one command per device of a group (or
 * of a profile and labels), created at once and offered at `rate` per
 * second; a fleet of 500 simulated MQTT 5 devices, 20 of them offline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/fixtures.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice, type TestDevice } from '../helpers/mqtt.js';
import { sleep } from '../helpers/mqtt-extra.js';
import { type BatchCreated, type BatchSummary, type Command, FleetDevice, listCommands } from './helpers.js';

const FLEET = 500;
/** Every 25th device stays offline: 20 of 500. */
const offline = (i: number) => i % 25 === 0;

/** Runs `fn` over `items`, `size` at a time. */
async function inChunks<T, R>(items: readonly T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

describe('commands: group sends', () => {
  let app: TestApp;
  let api: Client;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  test(`fan-out to ${FLEET} devices of a group: 480 answer (succeeded), 20 offline expire after their ttl`, async () => {
    const t0 = Date.now();
    assert.equal((await api.post('/api/v1/groups', { id: 'fleet' })).status, 201);
    const numbers = Array.from({ length: FLEET }, (_, i) => i);
    const devices: TestDevice[] = await inChunks(numbers, 50, (i) =>
      createDevice(api, { id: `f-${String(i).padStart(3, '0')}`, groups: ['fleet'] }),
    );
    const online = devices.filter((_, i) => !offline(i));
    assert.equal(online.length, 480);
    const clients: FleetDevice[] = [];
    try {
      clients.push(...(await inChunks(online, 100, (d) => FleetDevice.connect(app.mqttPort, d))));
      const tReady = Date.now();

      const r = await api.post<BatchCreated>('/api/v1/groups/fleet/commands', {
        name: 'reboot',
        params: { delay: 0 },
        timeout: '3s',
        ttl: '4s',
        rate: 1000,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 500));
      const batch = r.body;
      assert.match(batch.id, /^batch-/);
      assert.equal(batch.total, FLEET);
      assert.equal(batch.items.length, FLEET);
      assert.deepEqual(
        batch.items.map((i) => i.device).sort(),
        devices.map((d) => d.id).sort(),
        'one command per device of the group',
      );
      assert.equal(new Set(batch.items.map((i) => i.commandId)).size, FLEET, 'distinct command ids');
      assert.ok(
        batch.items.every((i) => i.status === 'queued'),
        'created queued',
      );

      // Settled: every online device answered, every offline one expired (ttl 4 s, sweep each second).
      let summary: BatchSummary | undefined;
      const until = Date.now() + 15_000;
      for (;;) {
        const s = await api.get<BatchSummary>(`/api/v1/commands/batches/${batch.id}`);
        assert.equal(s.status, 200, JSON.stringify(s.body));
        summary = s.body;
        if ((summary.counts.succeeded ?? 0) + (summary.counts.expired ?? 0) === FLEET) break;
        if (Date.now() > until) break;
        await sleep(200);
      }
      assert.deepEqual(summary, {
        id: batch.id,
        name: 'reboot',
        target: { group: 'fleet' },
        total: FLEET,
        createdAt: summary.createdAt,
        counts: { succeeded: 480, expired: 20 },
      });
      assert.ok(summary.createdAt >= tReady && summary.createdAt <= Date.now());

      // Each online device got exactly its own command, once, and its answer was accepted (PUBACK 0).
      const byDevice = new Map(batch.items.map((i) => [i.device, i.commandId]));
      for (const c of clients) {
        assert.deepEqual(
          c.received.map((x) => [x.id, x.name]),
          [[byDevice.get(c.id), 'reboot']],
          c.id,
        );
        assert.deepEqual(c.answerAcks, [0], `${c.id}: answer accepted`);
      }
      // Paced: 1000/s in slices of a tenth of a second, so 480 devices span about 0.4 s, not one burst.
      const times = clients.map((c) => c.received[0]?.at ?? 0);
      const spread = Math.max(...times) - Math.min(...times);
      assert.ok(spread >= 300, `offered over about 0.4 s (${spread.toFixed(0)} ms)`);

      // The batch's commands, by status: the expired ones are exactly the offline devices'.
      const expired = await listCommands(api, `/api/v1/commands?batch=${batch.id}&status=expired&limit=1000`);
      assert.deepEqual(
        expired.map((c) => c.device).sort(),
        devices.filter((_, i) => offline(i)).map((d) => d.id),
      );
      for (const c of expired) {
        assert.equal(c.batch, batch.id);
        assert.equal(c.sentAt, undefined);
        assert.equal(c.error, 'not delivered within its time-to-live');
      }
      const succeeded = await listCommands(
        api,
        `/api/v1/commands?batch=${batch.id}&status=succeeded&limit=1000`,
      );
      assert.equal(succeeded.length, 480);
      for (const c of succeeded) {
        assert.equal(c.batch, batch.id);
        assert.equal(c.actor, 'user:admin');
        assert.deepEqual(c.params, { delay: 0 });
        assert.ok(
          c.sentAt !== undefined &&
            c.deliveredAt !== undefined &&
            c.completedAt !== undefined &&
            c.sentAt <= c.deliveredAt &&
            c.deliveredAt <= c.completedAt,
          JSON.stringify(c),
        );
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    const took = Date.now() - t0;
    assert.ok(took < 20_000, `the fan-out test took ${took} ms`);
  });

  test('POST /commands/batches by profile and labels reaches exactly the matching devices; GET the batch', async () => {
    assert.equal((await api.post('/api/v1/profiles', { id: 'pump' })).status, 201);
    const make = (id: string, profile: string | undefined, site: string) =>
      createDevice(api, { id, ...(profile ? { profile } : {}), labels: { site } });
    await make('pump-a1', 'pump', 'a');
    await make('pump-a2', 'pump', 'a');
    await make('pump-b1', 'pump', 'b');
    await make('other-a1', undefined, 'a');

    const r = await api.post<BatchCreated>('/api/v1/commands/batches', {
      target: { profile: 'pump', labels: { site: 'a' } },
      name: 'purge',
      params: { seconds: 5 },
      oneWay: true,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.total, 2);
    assert.deepEqual(r.body.items.map((i) => i.device).sort(), ['pump-a1', 'pump-a2']);
    const s = await api.get<BatchSummary>(`/api/v1/commands/batches/${r.body.id}`);
    assert.equal(s.status, 200);
    assert.deepEqual(
      { ...s.body, createdAt: 0 },
      {
        id: r.body.id,
        name: 'purge',
        target: { profile: 'pump', labels: { site: 'a' } },
        total: 2,
        createdAt: 0,
        counts: { queued: 2 },
      },
    );
    const one = await api.get<Command>(`/api/v1/commands/${r.body.items[0]?.commandId}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.batch, r.body.id);
    assert.equal(one.body.oneWay, true);
    assert.deepEqual(one.body.params, { seconds: 5 });
  });

  test('refusals: unknown group 404, a group without devices 422, bad rate or name 400, unknown batch 404', async () => {
    assertProblem(
      await api.post('/api/v1/groups/no-such-group/commands', { name: 'reboot' }),
      404,
      'REGISTRY_GROUP_NOT_FOUND',
    );
    assert.equal((await api.post('/api/v1/groups', { id: 'empty' })).status, 201);
    assertProblem(
      await api.post('/api/v1/groups/empty/commands', { name: 'reboot' }),
      422,
      'COMMAND_NO_DEVICES',
    );
    assertProblem(
      await api.post('/api/v1/commands/batches', { target: { labels: { site: 'nowhere' } }, name: 'reboot' }),
      422,
      'COMMAND_NO_DEVICES',
    );
    assert.equal((await api.post('/api/v1/groups', { id: 'small' })).status, 201);
    await createDevice(api, { id: 'small-1', groups: ['small'] });
    assertProblem(
      await api.post('/api/v1/groups/small/commands', { name: 'reboot', rate: 0 }),
      400,
      'API_VALIDATION',
    );
    assertProblem(
      await api.post('/api/v1/groups/small/commands', { name: 'bad name' }),
      400,
      'COMMAND_INVALID',
    );
    assertProblem(
      await api.post('/api/v1/commands/batches', { target: {}, name: 'reboot' }),
      400,
      'API_VALIDATION',
    );
    assertProblem(await api.get('/api/v1/commands/batches/batch-nope'), 404, 'COMMAND_NOT_FOUND');
    assert.deepEqual(await listCommands(api, '/api/v1/devices/small-1/commands'), [], 'nothing was created');
    // And one that works, to the single device (offline: queued).
    const ok = await api.post<BatchCreated>('/api/v1/groups/small/commands', { name: 'reboot' });
    assert.equal(ok.status, 201);
    assert.deepEqual(
      ok.body.items.map((i) => [i.device, i.status]),
      [['small-1', 'queued']],
    );
    const [only] = await listCommands(api, '/api/v1/devices/small-1/commands');
    assert.equal(only?.id, ok.body.items[0]?.commandId);
  });
});
