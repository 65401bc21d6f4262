import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type {
  MqttMessageRecord,
  MqttQueuedRecord,
  MqttSessionRecord,
  MqttStore,
} from '../../src/store/index.js';
import type { ContractOptions } from './registry.contract.js';

const msg = (topic: string, payload: string, over: Partial<MqttMessageRecord> = {}): MqttMessageRecord => ({
  topic,
  payload: Buffer.from(payload),
  qos: 1,
  retain: false,
  properties: {},
  receivedAt: 1_700_000_000_000,
  ...over,
});

const session = (clientId: string, over: Partial<MqttSessionRecord> = {}): MqttSessionRecord => ({
  tenant: 'acme',
  clientId,
  identity: { kind: 'apikey', tenant: 'acme', id: 'key-1', role: 'viewer' },
  expiryInterval: 3600,
  disconnectedAt: 1_700_000_000_500,
  subscriptions: [
    { filter: 'devices/+/telemetry', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
  ],
  will: null,
  ...over,
});

/** The MQTT broker's durable state, on any backend. */
export function runMqttContract(opts: ContractOptions): void {
  describe(`mqtt store contract (${opts.name})`, { ...(opts.skip ? { skip: opts.skip } : {}) }, () => {
    let s: MqttStore;
    let close: () => Promise<void>;
    beforeEach(async () => {
      const created = await opts.create();
      s = created.stores.mqtt;
      close = created.close;
    });
    afterEach(() => close());

    test('a session round-trips with its subscriptions, will and messages in order', async () => {
      const will = {
        delay: 30,
        message: msg('devices/a/status', 'gone', {
          properties: { correlationData: Buffer.from([1, 2]), contentType: 'text/plain' },
        }),
      };
      const messages: MqttQueuedRecord[] = [
        {
          message: msg('t/1', 'one'),
          qos: 1,
          retain: false,
          subscriptionIds: [7],
          packetId: 12,
          state: 'pubrel',
        },
        { message: msg('t/2', 'two', { from: 'x' }), qos: 2, retain: true, subscriptionIds: [] },
      ];
      await s.saveSession(session('c1', { will }), messages);
      const [loaded, ...rest] = await s.loadSessions();
      assert.equal(rest.length, 0);
      assert.deepEqual(loaded?.session, session('c1', { will }));
      assert.deepEqual(loaded?.messages, messages);
      const props = loaded?.session.will?.message.properties as { correlationData?: unknown } | undefined;
      assert.ok(Buffer.isBuffer(props?.correlationData), 'correlation data comes back as bytes');
    });

    test('saving again replaces the messages; appends add in order; delete removes all', async () => {
      await s.saveSession(session('c1'), [
        { message: msg('t/old', 'old'), qos: 1, retain: false, subscriptionIds: [] },
      ]);
      await s.saveSession(session('c1', { disconnectedAt: null }), []);
      await s.appendMessages([
        {
          tenant: 'acme',
          clientId: 'c1',
          item: { message: msg('t/a', 'a'), qos: 1, retain: false, subscriptionIds: [] },
        },
        {
          tenant: 'acme',
          clientId: 'c1',
          item: { message: msg('t/b', 'b'), qos: 2, retain: false, subscriptionIds: [] },
        },
      ]);
      const loaded = await s.loadSessions();
      assert.equal(loaded[0]?.session.disconnectedAt, null);
      assert.deepEqual(
        loaded[0]?.messages.map((m) => m.message.topic),
        ['t/a', 't/b'],
      );
      await s.deleteSession('acme', 'c1');
      assert.deepEqual(await s.loadSessions(), []);
    });

    test('sessions are keyed by tenant and client id', async () => {
      await s.saveSession(session('c1'), []);
      await s.saveSession(session('c1', { tenant: 'globex' }), []);
      await s.deleteSession('acme', 'c1');
      assert.deepEqual(
        (await s.loadSessions()).map((l) => l.session.tenant),
        ['globex'],
      );
    });

    test('retained messages are set, replaced and cleared per tenant and topic', async () => {
      await s.setRetained('acme', 'a/b', msg('a/b', 'v1', { retain: true }));
      await s.setRetained(
        'acme',
        'a/b',
        msg('a/b', 'v2', { retain: true, properties: { contentType: 'text/plain' } }),
      );
      await s.setRetained('globex', 'a/b', msg('a/b', 'other', { retain: true }));
      const byTenant = Object.fromEntries((await s.loadRetained()).map((r) => [r.tenant, r.message]));
      assert.equal(byTenant.acme?.payload.toString(), 'v2');
      assert.deepEqual(byTenant.acme?.properties, { contentType: 'text/plain' });
      assert.equal(byTenant.globex?.payload.toString(), 'other');
      await s.setRetained('acme', 'a/b', undefined);
      assert.deepEqual(
        (await s.loadRetained()).map((r) => r.tenant),
        ['globex'],
      );
    });
  });
}
