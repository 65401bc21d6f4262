/**
 * Commands (ARCHITECTURE §6.1, docs/commands.md) end to end: the operator
 * REST API (send, ?wait, lists, cancel), devices on MQTT 5 (Response Topic
 * and Correlation Data), MQTT 3.1.1 (offline queue, persistent session), a
 * restart, devices that poll over HTTP, refused answers (exact PUBACK reason
 * codes with the raw packet client), time-outs, expiry, one-way commands and
 * the live stream. Group sends are in group.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IPublishPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem, userClient } from '../helpers/fixtures.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice, end, type TestDevice } from '../helpers/mqtt.js';
import { sleep, tenantApi, waitUntil } from '../helpers/mqtt-extra.js';
import {
  answerCommands,
  assertTimeline,
  type Command,
  commandsFilter,
  commandTopic,
  deviceHttp,
  docsOf,
  getCommand,
  listCommands,
  mqttDevice,
  NOT_AUTHORIZED,
  PAYLOAD_FORMAT_INVALID,
  postCommand,
  publishQos1,
  rawDevice,
  resultTopic,
  Stream,
  send,
  tokenOf,
} from './helpers.js';

describe('commands: MQTT 5 request/response, lifecycle and refusals', () => {
  let app: TestApp;
  let api: Client;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('round trip with ?wait=10s: the device answers on the Response Topic with the Correlation Data; sentAt ≤ deliveredAt ≤ completedAt', async () => {
    const d = await createDevice(api, { id: 'press-7' });
    const { c, got } = await mqttDevice(app, d);
    await c.subscribeAsync(commandsFilter(d.id), { qos: 1 });
    const seen: IPublishPacket[] = [];
    c.on('message', (_t, _p, packet) => seen.push(packet as unknown as IPublishPacket));
    answerCommands(c, () => ({ ok: true, result: { stopped: true } }));

    const from = Date.now();
    const r = await postCommand(
      api,
      d.id,
      { name: 'shutdown', params: { reason: 'overheat' }, timeout: '20s' },
      '?wait=10s',
    );
    const to = Date.now();
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const cmd = r.body;
    assert.ok(to - from < 5000, `answered when the device answered, not after the wait (${to - from} ms)`);
    assert.match(cmd.id, /^cmd-/);
    assert.deepEqual(
      {
        device: cmd.device,
        name: cmd.name,
        params: cmd.params,
        oneWay: cmd.oneWay,
        status: cmd.status,
        result: cmd.result,
        error: cmd.error,
        actor: cmd.actor,
        timeoutMs: cmd.timeoutMs,
        batch: cmd.batch,
      },
      {
        device: 'press-7',
        name: 'shutdown',
        params: { reason: 'overheat' },
        oneWay: false,
        status: 'succeeded',
        result: { stopped: true },
        error: undefined,
        actor: 'user:admin',
        timeoutMs: 20_000,
        batch: undefined,
      },
    );
    assert.equal(cmd.expiresAt, cmd.createdAt + 86_400_000, 'default ttl: one day');
    assertTimeline(cmd, from, to);

    // What the device received: one QoS 1 PUBLISH on its command topic with the request/response properties.
    assert.equal(got.length, 1);
    const m = got[0];
    assert.equal(m?.topic, commandTopic(d.id, cmd.id));
    assert.deepEqual(JSON.parse(m?.payload ?? ''), {
      id: cmd.id,
      name: 'shutdown',
      params: { reason: 'overheat' },
    });
    const packet = seen[0] as IPublishPacket;
    assert.equal(packet.qos, 1);
    assert.equal(packet.retain, false);
    assert.equal(packet.properties?.contentType, 'application/json');
    assert.equal(packet.properties?.responseTopic, resultTopic(d.id, cmd.id));
    assert.equal(Buffer.from(packet.properties?.correlationData ?? []).toString(), cmd.id);
    const expiry = packet.properties?.messageExpiryInterval ?? 0;
    assert.ok(expiry > 86_000 && expiry <= 86_400, `Message Expiry Interval is the ttl left: ${expiry}`);

    // GET (also with ?wait: it is finished, so at once) shows the same command.
    const again = await getCommand(api, cmd.id);
    assert.deepEqual(again, cmd);
    const t = Date.now();
    assert.deepEqual(await getCommand(api, cmd.id, '10s'), cmd);
    assert.ok(Date.now() - t < 1000, 'a finished command is answered at once');
    await end(c);
  });

  test('a failure answer ({"ok":false,"error":…}) gives status failed with the error', async () => {
    const d = await createDevice(api, { id: 'valve-1' });
    const { c } = await mqttDevice(app, d);
    await c.subscribeAsync(commandsFilter(d.id), { qos: 1 });
    answerCommands(c, (cmd) => ({ ok: false, error: { code: 'JAMMED', message: `cannot ${cmd.name}` } }));
    const from = Date.now();
    const cmd = await send(api, d.id, { name: 'open', params: { percent: 40 } }, '?wait=10s');
    assert.equal(cmd.status, 'failed');
    assert.deepEqual(cmd.error, { code: 'JAMMED', message: 'cannot open' });
    assert.equal(cmd.result, undefined);
    assertTimeline(cmd, from, Date.now());
    // A failure without an error says null.
    c.removeAllListeners('message');
    answerCommands(c, () => ({ ok: false }));
    const bare = await send(api, d.id, { name: 'close' }, '?wait=10s');
    assert.equal(bare.status, 'failed');
    assert.equal(bare.error, null);
    await end(c);
  });

  test('lists: a device’s commands and the tenant’s, newest first, filtered by status and device, paged', async () => {
    const d = await createDevice(api, { id: 'lister' });
    const other = await createDevice(api, { id: 'lister-2' });
    const a = await send(api, d.id, { name: 'a' });
    const b = await send(api, d.id, { name: 'b' });
    const x = await send(api, other.id, { name: 'x' });
    const c = await send(api, d.id, { name: 'c' });
    for (const q of [a, b, c, x]) assert.equal(q.status, 'queued', 'the device is offline');

    const ids = (items: Command[]) => items.map((i) => i.id);
    assert.deepEqual(ids(await listCommands(api, '/api/v1/devices/lister/commands')), [c.id, b.id, a.id]);
    const page1 = await api.get<{ items: Command[]; next?: string }>(
      '/api/v1/devices/lister/commands?limit=2',
    );
    assert.deepEqual(ids(page1.body.items), [c.id, b.id]);
    assert.equal(typeof page1.body.next, 'string');
    const page2 = await api.get<{ items: Command[]; next?: string }>(
      `/api/v1/devices/lister/commands?limit=2&cursor=${encodeURIComponent(page1.body.next ?? '')}`,
    );
    assert.deepEqual(ids(page2.body.items), [a.id]);
    assert.equal(page2.body.next, undefined);

    assert.equal((await api.post(`/api/v1/commands/${b.id}/cancel`)).status, 200);
    assert.deepEqual(ids(await listCommands(api, '/api/v1/devices/lister/commands?status=queued')), [
      c.id,
      a.id,
    ]);
    assert.deepEqual(ids(await listCommands(api, '/api/v1/commands?device=lister&status=cancelled')), [b.id]);
    assert.deepEqual(ids(await listCommands(api, '/api/v1/commands?device=lister-2')), [x.id]);
    assert.deepEqual(ids(await listCommands(api, '/api/v1/commands?device=lister&status=succeeded')), []);
    const all = ids(await listCommands(api, '/api/v1/commands?limit=1000'));
    const mine = all.filter((id) => [a.id, b.id, c.id, x.id].includes(id));
    assert.deepEqual(mine, [c.id, x.id, b.id, a.id], 'the tenant’s list, newest first');

    // ?wait on a command that does not finish: the answer comes after the wait, as it is then.
    const t = Date.now();
    const waited = await getCommand(api, a.id, '1s');
    assert.ok(Date.now() - t >= 900, `waited about 1 s (${Date.now() - t} ms)`);
    assert.equal(waited.status, 'queued');
    const t2 = Date.now();
    const posted = await send(api, d.id, { name: 'd' }, '?wait=1s');
    assert.ok(Date.now() - t2 >= 900, 'POST ?wait=1s also waits');
    assert.equal(posted.status, 'queued');
  });

  test('timeout: delivered but not answered → timed_out; a late answer is refused (0x99) and changes nothing', async () => {
    const d = await createDevice(api, { id: 'slow' });
    const c = await rawDevice(app, d);
    assert.deepEqual(await c.subscribe(commandsFilter(d.id), 1), [1]);
    const sent = send(api, d.id, { name: 'calibrate', timeout: '1s' }, '?wait=10s');
    const p = await c.next<IPublishPacket>('publish');
    c.send({ cmd: 'puback', messageId: p.messageId as number });
    const cmd = await sent;
    assert.equal(cmd.status, 'timed_out');
    assert.equal(cmd.error, 'no answer within its timeout');
    assert.equal(cmd.timeoutMs, 1000);
    assert.ok(cmd.sentAt !== undefined && cmd.deliveredAt !== undefined && cmd.completedAt !== undefined);
    assert.ok(cmd.completedAt - cmd.sentAt >= 1000, 'not before the timeout');
    assert.ok(cmd.completedAt - cmd.sentAt < 3500, 'within the sweep after the timeout');

    const late = await publishQos1(c, resultTopic(d.id, cmd.id), '{"ok":true}');
    assert.equal(late.code, PAYLOAD_FORMAT_INVALID);
    assert.match(late.reason ?? '', new RegExp(`command ${cmd.id} is already timed_out`));
    assert.deepEqual(await getCommand(api, cmd.id), cmd);

    // Sent but never acknowledged (QoS 0 subscription: no PUBACK): timed out from sent.
    const d0 = await createDevice(api, { id: 'no-ack' });
    const c0 = await rawDevice(app, d0);
    assert.deepEqual(await c0.subscribe(commandsFilter(d0.id), 0), [0]);
    const unacked = await send(api, d0.id, { name: 'ping', timeout: '1s' }, '?wait=10s');
    assert.equal(unacked.status, 'timed_out');
    assert.equal(unacked.deliveredAt, undefined, 'never delivered');
    assert.equal(typeof unacked.sentAt, 'number');
    c.destroy();
    c0.destroy();
  });

  test('ttl: a command never sent within its ttl → expired, and the device that connects later does not get it', async () => {
    const d = await createDevice(api, { id: 'sleeper' });
    const t = Date.now();
    const cmd = await send(api, d.id, { name: 'wake', ttl: '1s' });
    assert.equal(cmd.status, 'queued');
    assert.equal(cmd.expiresAt, cmd.createdAt + 1000);
    const done = await getCommand(api, cmd.id, '5s');
    assert.equal(done.status, 'expired');
    assert.equal(done.error, 'not delivered within its time-to-live');
    assert.equal(done.sentAt, undefined);
    assert.equal(done.deliveredAt, undefined);
    assert.ok((done.completedAt ?? 0) >= cmd.expiresAt, 'not before the ttl');
    assert.ok(Date.now() - t < 3500, 'expired by the sweep within about a second');

    const c = await rawDevice(app, d);
    await c.subscribe(commandsFilter(d.id), 1);
    await sleep(300);
    assert.deepEqual(c.publishes(), [], 'an expired command is not sent');
    c.destroy();
  });

  test('one-way: finished once delivered (completedAt = deliveredAt); an answer to it is refused', async () => {
    const d = await createDevice(api, { id: 'lamp' });
    const c = await rawDevice(app, d);
    await c.subscribe(commandsFilter(d.id), 1);
    const from = Date.now();
    const pending = send(api, d.id, { name: 'blink', params: { times: 3 }, oneWay: true }, '?wait=10s');
    const p = await c.next<IPublishPacket>('publish');
    c.send({ cmd: 'puback', messageId: p.messageId as number });
    const cmd = await pending;
    assert.deepEqual(JSON.parse(p.payload.toString()), { id: cmd.id, name: 'blink', params: { times: 3 } });
    assert.equal(cmd.status, 'delivered');
    assert.equal(cmd.oneWay, true);
    assertTimeline(cmd, from, Date.now());
    assert.equal(cmd.completedAt, cmd.deliveredAt);

    // Nothing moves it further: not the sweep after its timeout, not an answer.
    const refused = await publishQos1(c, resultTopic(d.id, cmd.id), '{"ok":true}');
    assert.equal(refused.code, PAYLOAD_FORMAT_INVALID);
    assert.match(refused.reason ?? '', /is already delivered/);
    const cancel = await api.post(`/api/v1/commands/${cmd.id}/cancel`);
    assertProblem(cancel, 409, 'COMMAND_FINISHED');
    assert.deepEqual(await getCommand(api, cmd.id), cmd);
    c.destroy();
  });

  test('a device that refuses the command PUBLISH (MQTT 5 PUBACK reason ≥ 0x80): the command failed, with the reason', async () => {
    const d = await createDevice(api, { id: 'refuser' });
    const c = await rawDevice(app, d);
    await c.subscribe(commandsFilter(d.id), 1);
    const pending = send(api, d.id, { name: 'blink', oneWay: true }, '?wait=2s');
    const p = await c.next<IPublishPacket>('publish');
    c.send({ cmd: 'puback', messageId: p.messageId as number, reasonCode: 0x80 });
    const cmd = await pending;
    c.destroy();
    assert.equal(cmd.status, 'failed', JSON.stringify(cmd));
    assert.equal(cmd.error, 'refused by the device (MQTT reason code 0x80)');
    assert.equal(cmd.deliveredAt, undefined);
  });

  test('cancel: a queued one (200, cancelled; again: 409), a delivered one; a device answering a cancelled command gets 0x99', async () => {
    const d = await createDevice(api, { id: 'gate' });
    const queued = await send(api, d.id, { name: 'lock' });
    assert.equal(queued.status, 'queued');
    const t = Date.now();
    const r = await api.post<Command>(`/api/v1/commands/${queued.id}/cancel`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'cancelled');
    assert.equal(r.body.error, 'cancelled');
    assert.ok((r.body.completedAt ?? 0) >= t);
    assert.deepEqual(await getCommand(api, queued.id), r.body);
    const again = assertProblem(
      await api.post(`/api/v1/commands/${queued.id}/cancel`),
      409,
      'COMMAND_FINISHED',
    );
    assert.match(again.detail, /already cancelled/);
    assertProblem(await api.post('/api/v1/commands/cmd-nope/cancel'), 404, 'COMMAND_NOT_FOUND');

    // The device comes online: the cancelled command is not sent; answering it anyway is refused.
    const c = await rawDevice(app, d);
    await c.subscribe(commandsFilter(d.id), 1);
    await sleep(300);
    assert.deepEqual(c.publishes(), [], 'a cancelled command is not sent');
    const a1 = await publishQos1(c, resultTopic(d.id, queued.id), '{"ok":true}');
    assert.equal(a1.code, PAYLOAD_FORMAT_INVALID);
    assert.match(a1.reason ?? '', /is already cancelled/);

    // Cancelled after the device has it: its answer is refused, the command stays cancelled.
    const live = send(api, d.id, { name: 'unlock' });
    const p = await c.next<IPublishPacket>('publish');
    c.send({ cmd: 'puback', messageId: p.messageId as number });
    const id = (await live).id;
    const delivered = await pollStatus(api, id, 'delivered');
    assert.equal(delivered.status, 'delivered');
    const cancelled = await api.post<Command>(`/api/v1/commands/${id}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'cancelled');
    const a2 = await publishQos1(c, resultTopic(d.id, id), '{"ok":true,"result":"unlocked"}');
    assert.equal(a2.code, PAYLOAD_FORMAT_INVALID);
    assert.match(a2.reason ?? '', new RegExp(`command ${id} is already cancelled`));
    const after = await getCommand(api, id);
    assert.equal(after.status, 'cancelled');
    assert.equal(after.result, undefined);
    c.destroy();
  });

  test('bad input: unknown device 404; bad name, timeout "0s", ttl "31d", wait "2m" → 400 COMMAND_INVALID; nothing created', async () => {
    const d = await createDevice(api, { id: 'strict-1' });
    assertProblem(
      await postCommand(api, 'no-such-device', { name: 'reboot' }),
      404,
      'REGISTRY_DEVICE_NOT_FOUND',
    );
    assertProblem(await api.get('/api/v1/commands/cmd-0000000000000000'), 404, 'COMMAND_NOT_FOUND');

    const invalid = async (body: unknown, path: string, query = '') => {
      const p = assertProblem(await postCommand(api, d.id, body, query), 400, 'COMMAND_INVALID');
      assert.deepEqual(
        p.errors?.map((e) => e.path),
        [path],
        JSON.stringify(p),
      );
    };
    await invalid({ name: 'bad name' }, '/body/name');
    await invalid({ name: '-starts-with-dash' }, '/body/name');
    await invalid({ name: 'reboot', timeout: '0s' }, '/body/timeout');
    await invalid({ name: 'reboot', timeout: 'soon' }, '/body/timeout');
    await invalid({ name: 'reboot', timeout: '2d' }, '/body/timeout');
    await invalid({ name: 'reboot', ttl: '31d' }, '/body/ttl');
    await invalid({ name: 'reboot', ttl: '0.5s' }, '/body/ttl');
    await invalid({ name: 'reboot', params: { blob: 'x'.repeat(70_000) } }, '/body/params');
    await invalid({ name: 'reboot' }, '/querystring/wait', '?wait=2m');
    await invalid({ name: 'reboot' }, '/querystring/wait', '?wait=forever');
    assertProblem(await api.get('/api/v1/commands/cmd-0000000000000000?wait=2m'), 400, 'COMMAND_INVALID');

    // params that are not an object: the service names the field (COMMAND_INVALID, docs/errors.md).
    for (const params of [[1, 2], 'text', 7, null]) {
      const r = await postCommand(api, d.id, { name: 'reboot', params });
      assertProblem(r, 400, 'COMMAND_INVALID');
      assert.deepEqual(
        (r.body as unknown as { errors: { path: string }[] }).errors.map((e) => e.path),
        ['/body/params'],
      );
    }
    assert.deepEqual(await listCommands(api, `/api/v1/devices/${d.id}/commands`), [], 'nothing was created');
  });

  test('refused answers: unknown id, another device’s command, malformed or not {"ok":…} → 0x99 with a reason; other correlation data is not an answer; nothing changes', async () => {
    const a = await createDevice(api, { id: 'dev-a' });
    const b = await createDevice(api, { id: 'dev-b' });
    const cmdA = await send(api, a.id, { name: 'reboot' });
    const cmdB = await send(api, b.id, { name: 'reboot', params: { soft: true } });
    const c = await rawDevice(app, b);

    const unknown = await publishQos1(c, resultTopic(b.id, 'cmd-nope'), '{"ok":true}');
    assert.equal(unknown.code, PAYLOAD_FORMAT_INVALID);
    assert.match(unknown.reason ?? '', /no command cmd-nope for this device/);

    const foreign = await publishQos1(c, resultTopic(b.id, cmdA.id), '{"ok":true,"result":"hijacked"}');
    assert.equal(foreign.code, PAYLOAD_FORMAT_INVALID);
    assert.match(foreign.reason ?? '', new RegExp(`no command ${cmdA.id} for this device`));
    // On the other device's own topic: not this device's to write.
    const acl = await publishQos1(c, resultTopic(a.id, cmdA.id), '{"ok":true}');
    assert.equal(acl.code, NOT_AUTHORIZED);
    assert.deepEqual(await getCommand(api, cmdA.id), cmdA, "the other device's command is unchanged");

    const cases: [string | Buffer, RegExp][] = [
      ['{"ok":', /command-result payload \(json\)/],
      [Buffer.from([0xff, 0xfe, 0x00]), /command-result payload \(json\)/],
      ['{"result":{"done":true}}', /"ok": true or false/],
      ['{"ok":"yes"}', /"ok": true or false/],
      ['[{"ok":true}]', /a command result is a JSON object/],
      ['true', /a command result is a JSON object/],
    ];
    for (const [payload, reason] of cases) {
      const r = await publishQos1(c, resultTopic(b.id, cmdB.id), payload);
      assert.equal(r.code, PAYLOAD_FORMAT_INVALID, `${String(payload)}: ${JSON.stringify(r)}`);
      assert.match(r.reason ?? '', reason, String(payload));
    }
    // Other correlation data: an application's own request/response (routed, PUBACK 0), not an answer
    // to the platform's command, which stays as it was.
    const otherCorrelation = await publishQos1(c, resultTopic(b.id, cmdB.id), '{"ok":true}', {
      correlationData: Buffer.from(cmdA.id),
    });
    assert.equal(otherCorrelation.code, 0);
    assert.deepEqual(await getCommand(api, cmdB.id), cmdB, 'unchanged by the refused answers');

    // The device then takes its command and answers properly: accepted (PUBACK 0, no reason).
    await c.subscribe(commandsFilter(b.id), 1);
    const p = await c.next<IPublishPacket>('publish');
    assert.equal(p.topic, commandTopic(b.id, cmdB.id));
    c.send({ cmd: 'puback', messageId: p.messageId as number });
    const okAck = await publishQos1(c, resultTopic(b.id, cmdB.id), '{"ok":true,"result":{"rebooted":1}}', {
      correlationData: Buffer.from(cmdB.id),
    });
    assert.deepEqual(okAck, { code: 0, reason: undefined });
    const done = await getCommand(api, cmdB.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result, { rebooted: 1 });
    // Answering twice: refused.
    const twice = await publishQos1(c, resultTopic(b.id, cmdB.id), '{"ok":false}');
    assert.equal(twice.code, PAYLOAD_FORMAT_INVALID);
    assert.match(twice.reason ?? '', /is already succeeded/);
    assert.deepEqual(await getCommand(api, cmdB.id), done);
    assert.deepEqual(await getCommand(api, cmdA.id), cmdA);
    c.destroy();

    // MQTT 3.1.1 has no failure code: a plain PUBACK, and still nothing changes.
    const c4 = await rawDevice(app, b, 4);
    const r4 = await publishQos1(c4, resultTopic(b.id, cmdA.id), '{"ok":true}');
    assert.deepEqual(r4, { code: 0, reason: undefined });
    assert.deepEqual(await getCommand(api, cmdA.id), cmdA);
    c4.destroy();
  });

  test('roles and tenants: a viewer reads but cannot send or cancel; another tenant sees nothing and its device cannot answer', async () => {
    const d = await createDevice(api, { id: 'shared-id' });
    const cmd = await send(api, d.id, { name: 'reboot' });
    const viewer = await userClient(api, app.url, { username: 'cmd-viewer', role: 'viewer' });
    assert.equal((await viewer.get(`/api/v1/commands/${cmd.id}`)).status, 200);
    assert.equal((await viewer.get(`/api/v1/devices/${d.id}/commands`)).status, 200);
    assert.equal((await postCommand(viewer, d.id, { name: 'reboot' })).status, 403);
    assert.equal((await viewer.post(`/api/v1/commands/${cmd.id}/cancel`)).status, 403);
    const operator = await userClient(api, app.url, { username: 'cmd-operator', role: 'operator' });
    const byOperator = await send(operator, d.id, { name: 'reboot' });
    assert.equal(byOperator.actor, 'user:cmd-operator');

    const acme = await tenantApi(app, api, 'acme');
    assertProblem(await acme.get(`/api/v1/commands/${cmd.id}`), 404, 'COMMAND_NOT_FOUND');
    assertProblem(await acme.post(`/api/v1/commands/${cmd.id}/cancel`), 404, 'COMMAND_NOT_FOUND');
    assert.deepEqual(await listCommands(acme, '/api/v1/commands'), []);
    // acme's device of the same id answers default's command id: unknown to it.
    const made = await acme.post<{ secret: string }>('/api/v1/devices', { id: 'shared-id' });
    assert.equal(made.status, 201);
    const twin: TestDevice = { id: 'shared-id', secret: made.body.secret, tenant: 'acme' };
    const c = await rawDevice(app, twin);
    const r = await publishQos1(c, resultTopic(twin.id, cmd.id), '{"ok":true}');
    assert.equal(r.code, PAYLOAD_FORMAT_INVALID);
    assert.match(r.reason ?? '', /no command .* for this device/);
    assert.deepEqual(await getCommand(api, cmd.id), cmd);
    c.destroy();
  });
});

/** Polls GET /commands/{id} until it has `status` (2 s at most). */
async function pollStatus(api: Client, id: string, status: string): Promise<Command> {
  const until = Date.now() + 2000;
  for (;;) {
    const c = await getCommand(api, id);
    if (c.status === status || Date.now() > until) return c;
    await sleep(10);
  }
}

describe('commands: MQTT 3.1.1 devices, offline queue and sessions', () => {
  let app: TestApp;
  let api: Client;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('offline: three commands stay queued; the device connects (clean session), subscribes, gets them in order and answers all', async () => {
    const d = await createDevice(api, { id: 'meter-1' });
    const sent: Command[] = [];
    for (const [i, name] of ['first', 'second', 'third'].entries()) {
      const cmd = await send(api, d.id, { name, params: { n: i + 1 } });
      assert.equal(cmd.status, 'queued');
      assert.equal(cmd.sentAt, undefined);
      sent.push(cmd);
    }
    assert.deepEqual(
      (await listCommands(api, `/api/v1/devices/${d.id}/commands?status=queued`)).map((c) => c.id),
      sent.map((c) => c.id).reverse(),
    );

    const from = Date.now();
    const { c, got } = await mqttDevice(app, d, { protocolVersion: 4, clean: true });
    await sleep(200);
    assert.equal(got.length, 0, 'nothing before the device subscribes');
    answerCommands(c, (cmd) => ({ ok: true, result: { done: cmd.name } }));
    await c.subscribeAsync(commandsFilter(d.id), { qos: 1 });
    await waitUntil(() => got.length === 3, 3000, 'three commands');
    assert.deepEqual(
      docsOf(got, d.id),
      sent.map((s) => ({ id: s.id, name: s.name, params: s.params })),
      'in creation order',
    );
    assert.deepEqual(
      got.map((m) => m.topic),
      sent.map((s) => commandTopic(d.id, s.id)),
    );
    for (const m of got) {
      assert.equal(m.packet.qos, 1);
      assert.equal(m.packet.properties, undefined, 'MQTT 3.1.1 has no properties');
    }
    const done = await Promise.all(sent.map((s) => getCommand(api, s.id, '5s')));
    for (const [i, cmd] of done.entries()) {
      assert.equal(cmd.status, 'succeeded', JSON.stringify(cmd));
      assert.deepEqual(cmd.result, { done: sent[i]?.name });
      assertTimeline(cmd, sent[i]?.createdAt ?? 0, Date.now());
      assert.ok((cmd.sentAt ?? 0) >= from, 'sent once the device was there');
    }
    // Sent in creation order.
    assert.ok(done.every((cmd, i) => i === 0 || (cmd.sentAt ?? 0) >= (done[i - 1]?.sentAt ?? 0)));
    await end(c);
  });

  test('persistent session: subscribed once, offline when the command is sent, gets it when the session resumes', async () => {
    const d = await createDevice(api, { id: 'meter-2' });
    const first = await mqttDevice(app, d, { protocolVersion: 4, clean: false });
    await first.c.subscribeAsync(commandsFilter(d.id), { qos: 1 });
    await end(first.c);

    const one = await send(api, d.id, { name: 'read', params: { register: 40001 } });
    const two = await send(api, d.id, { name: 'reset' });
    await sleep(100);
    assert.equal((await getCommand(api, one.id)).status, 'queued', 'the device is not connected');

    const { c, got, connack } = await mqttDevice(app, d, { protocolVersion: 4, clean: false });
    assert.equal(connack.sessionPresent, true);
    answerCommands(c, () => ({ ok: true }));
    // The messages may have arrived before the listener above: answer those too.
    for (const m of got) {
      const cmd = JSON.parse(m.payload) as { id: string };
      c.publish(resultTopic(d.id, cmd.id), '{"ok":true}', { qos: 1 });
    }
    await waitUntil(() => got.length >= 2, 3000, 'the two commands');
    await sleep(100);
    assert.deepEqual(
      docsOf(got, d.id).map((x) => x.id),
      [one.id, two.id],
      'each once, in order, without subscribing again',
    );
    for (const cmd of [one, two]) {
      const done = await getCommand(api, cmd.id, '5s');
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
    }
    await end(c);
  });
});

describe('commands: a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-commands-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('a queued command survives a restart and is delivered when the device connects; one whose ttl ran out meanwhile expires', async () => {
    let app = await startTestApp({ keepDataDir: dataDir });
    let d: TestDevice;
    let session: TestDevice;
    let kept: Command;
    let short: Command;
    let forSession: Command;
    try {
      const api = await adminClient(app);
      d = await createDevice(api, { id: 'pump-3' });
      kept = await send(api, d.id, { name: 'prime', params: { litres: 2 } });
      short = await send(api, d.id, { name: 'flush', ttl: '1s' });
      assert.equal(kept.status, 'queued');
      // An MQTT 3.1.1 device with a persistent session: subscribed, then offline when its command is sent.
      session = await createDevice(api, { id: 'pump-4' });
      const first = await mqttDevice(app, session, { protocolVersion: 4, clean: false });
      await first.c.subscribeAsync(commandsFilter(session.id), { qos: 1 });
      await end(first.c);
      forSession = await send(api, session.id, { name: 'stop' });
      assert.equal(forSession.status, 'queued');
    } finally {
      await app.stop();
    }
    app = await startTestApp({ keepDataDir: dataDir });
    try {
      const api = await adminClient(app);
      assert.deepEqual(await getCommand(api, kept.id), kept, 'stored as it was');
      await waitUntil(() => Date.now() > short.expiresAt + 50, 3000, 'the short ttl to pass');
      const { c, got } = await mqttDevice(app, d);
      answerCommands(c, () => ({ ok: true, result: 'primed' }));
      await c.subscribeAsync(commandsFilter(d.id), { qos: 1 });
      const done = await getCommand(api, kept.id, '5s');
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.equal(done.result, 'primed');
      assertTimeline(done, kept.createdAt, Date.now());
      await sleep(200);
      assert.deepEqual(docsOf(got, d.id), [{ id: kept.id, name: 'prime', params: { litres: 2 } }]);
      const expired = await getCommand(api, short.id, '3s');
      assert.equal(expired.status, 'expired');
      assert.equal(expired.sentAt, undefined);
      await end(c);

      // The persistent session resumes after the restart: the command comes without subscribing again.
      const back = await mqttDevice(app, session, { protocolVersion: 4, clean: false });
      assert.equal(back.connack.sessionPresent, true);
      await waitUntil(() => back.got.length >= 1, 3000, 'the command on the resumed session');
      assert.deepEqual(docsOf(back.got, session.id), [{ id: forSession.id, name: 'stop', params: {} }]);
      back.c.publish(resultTopic(session.id, forSession.id), '{"ok":true}', { qos: 1 });
      const stopped = await getCommand(api, forSession.id, '5s');
      assert.equal(stopped.status, 'succeeded', JSON.stringify(stopped));
      await end(back.c);
    } finally {
      await app.stop();
    }
  });
});

describe('commands: devices that poll over HTTP', () => {
  let app: TestApp;
  let api: Client;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('long poll: a command sent 300 ms after the poll started is handed over at once; the answer is stored; a second answer is 409', async () => {
    const d = await createDevice(api, { id: 'http-1' });
    const empty = await deviceHttp(app, d, 'GET', '/commands');
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    assert.deepEqual(empty.body, { items: [] });

    const t0 = Date.now();
    const poll = deviceHttp(app, d, 'GET', '/commands?wait=5');
    await sleep(300);
    const posted = await send(api, d.id, { name: 'open', params: { valve: 2 } });
    assert.ok(['queued', 'delivered'].includes(posted.status), posted.status);
    const r = await poll;
    const elapsed = Date.now() - t0;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { items: [{ id: posted.id, name: 'open', params: { valve: 2 } }] });
    assert.ok(elapsed >= 300 && elapsed < 2000, `answered when the command came (${elapsed} ms)`);

    const delivered = await getCommand(api, posted.id);
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.sentAt, delivered.deliveredAt, 'handed over in the poll answer');
    assert.equal(delivered.completedAt, undefined);

    const ok = await deviceHttp(
      app,
      d,
      'POST',
      `/commands/${posted.id}/result`,
      '{"ok":true,"result":{"opened":true}}',
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body, { accepted: 1 });
    const done = await getCommand(api, posted.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result, { opened: true });
    assertTimeline(done, t0, Date.now());

    const twice = await deviceHttp(app, d, 'POST', `/commands/${posted.id}/result`, '{"ok":false}');
    assert.equal(twice.status, 409, JSON.stringify(twice.body));
    assert.match(twice.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(twice.body.code, 'DEVICE_HTTP_RESULT_REFUSED');
    assert.match(String(twice.body.detail), /is already succeeded/);
    assert.deepEqual(await getCommand(api, posted.id), done);
  });

  test('queued commands come oldest first, `limit` at a time, once each; failures, refusals and an empty wait', async () => {
    const d = await createDevice(api, { id: 'http-2' });
    const other = await createDevice(api, { id: 'http-3' });
    const c1 = await send(api, d.id, { name: 'one' });
    const c2 = await send(api, d.id, { name: 'two' });
    const c3 = await send(api, d.id, { name: 'three' });
    const foreign = await send(api, other.id, { name: 'theirs' });
    const doc = (c: Command) => ({ id: c.id, name: c.name, params: {} });
    assert.deepEqual((await deviceHttp(app, d, 'GET', '/commands?limit=2')).body, {
      items: [doc(c1), doc(c2)],
    });
    assert.deepEqual((await deviceHttp(app, d, 'GET', '/commands?wait=0')).body, { items: [doc(c3)] });
    const t = Date.now();
    assert.deepEqual((await deviceHttp(app, d, 'GET', '/commands?wait=1')).body, { items: [] });
    assert.ok(Date.now() - t >= 900, 'waited about a second for nothing');

    const failed = await deviceHttp(
      app,
      d,
      'POST',
      `/commands/${c1.id}/result`,
      '{"ok":false,"error":"busy"}',
    );
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    const f = await getCommand(api, c1.id);
    assert.equal(f.status, 'failed');
    assert.equal(f.error, 'busy');

    const stolen = await deviceHttp(app, d, 'POST', `/commands/${foreign.id}/result`, '{"ok":true}');
    assert.equal(stolen.status, 409);
    assert.equal(stolen.body.code, 'DEVICE_HTTP_RESULT_REFUSED');
    const unknown = await deviceHttp(app, d, 'POST', '/commands/cmd-nope/result', '{"ok":true}');
    assert.equal(unknown.status, 409);
    const malformed = await deviceHttp(app, d, 'POST', `/commands/${c2.id}/result`, '{"ok":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'DEVICE_HTTP_PAYLOAD_INVALID');
    const noOk = await deviceHttp(app, d, 'POST', `/commands/${c2.id}/result`, '{"done":true}');
    assert.equal(noOk.status, 409, JSON.stringify(noOk.body));
    assert.match(String(noOk.body.detail), /"ok": true or false/);
    assert.equal((await getCommand(api, c2.id)).status, 'delivered', 'unchanged by the refused answers');
    assert.deepEqual(await getCommand(api, foreign.id), foreign, "the other device's command is unchanged");

    const badAuth = await deviceHttp(app, { ...d, secret: 'wrong' }, 'GET', '/commands');
    assert.equal(badAuth.status, 401);
  });
});

describe('commands: the live stream', () => {
  let app: TestApp;
  let api: Client;
  let token: string;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    token = await tokenOf(app);
  });
  after(() => app.stop());

  test('kind "commands": every status change of a command arrives as {type:"command", …}', async () => {
    const d = await createDevice(api, { id: 'watched' });
    const quiet = await createDevice(api, { id: 'unwatched' });
    const s = await Stream.open(app, token);
    await s.subscribe([d.id], ['commands']);
    const notAsked = await Stream.open(app, token);
    await notAsked.subscribe('*', ['telemetry', 'status']);

    const { c } = await mqttDevice(app, d);
    await c.subscribeAsync(commandsFilter(d.id), { qos: 1 });
    answerCommands(c, () => ({ ok: true, result: { level: 3 } }));
    const from = Date.now();
    const cmd = await send(api, d.id, { name: 'dim', params: { level: 3 } }, '?wait=10s');
    assert.equal(cmd.status, 'succeeded');
    await s.next((m) => m.type === 'command' && m.id === cmd.id && m.status === 'succeeded');
    const mine = s.all.filter((m) => m.type === 'command' && m.id === cmd.id);
    assert.deepEqual(
      mine.map((m) => m.status),
      ['queued', 'sent', 'delivered', 'succeeded'],
    );
    for (const m of mine) {
      assert.equal(m.device, d.id);
      assert.equal(m.name, 'dim');
      assert.equal(typeof m.ts, 'number');
      assert.ok((m.ts as number) >= from && (m.ts as number) <= Date.now());
      assert.equal('tenant' in m, false, 'the tenant is not repeated');
    }
    assert.deepEqual(mine.at(-1), {
      type: 'command',
      device: d.id,
      id: cmd.id,
      name: 'dim',
      status: 'succeeded',
      ts: mine.at(-1)?.ts,
      result: { level: 3 },
    });

    // Queued (the device went away) and cancelled; a command to a device not subscribed to is not seen.
    await end(c);
    const other = await send(api, quiet.id, { name: 'dim' });
    const waiting = await send(api, d.id, { name: 'never', ttl: '1h' });
    assert.equal(waiting.status, 'queued');
    const cancel = await api.post(`/api/v1/commands/${waiting.id}/cancel`);
    assert.equal(cancel.status, 200);
    const cancelled = await s.next((m) => m.id === waiting.id && m.status === 'cancelled');
    assert.equal(cancelled.error, 'cancelled');
    assert.deepEqual(
      s.all.filter((m) => m.id === waiting.id).map((m) => m.status),
      ['queued', 'cancelled'],
    );
    assert.deepEqual(
      s.all.filter((m) => m.id === other.id),
      [],
      'not subscribed to that device',
    );
    assert.deepEqual(
      notAsked.all.filter((m) => m.type === 'command'),
      [],
      'commands were not asked for',
    );
    s.close();
    notAsked.close();
  });
});
