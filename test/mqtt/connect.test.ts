import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IConnackPacket, IDisconnectPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end, type TestDevice } from '../helpers/mqtt.js';
import { closed, createApiKey, keyOpts, RawClient } from '../helpers/mqtt-extra.js';

/** CONNACK code in the client's version: reason code (v5) or return code (3.1.1). */
function code(c: IConnackPacket): number | undefined {
  return c.reasonCode ?? c.returnCode;
}

describe('MQTT CONNECT: authentication, client ids, keep-alive, timeouts', () => {
  let app: TestApp;
  let api: Client;
  let dev: TestDevice;
  before(async () => {
    app = await startTestApp({
      env: {
        PLEXUS_MQTT_MAX_KEEP_ALIVE: '2',
        PLEXUS_MQTT_CONNECT_TIMEOUT: '1',
        PLEXUS_MQTT_MAX_AUTH_FAILURES: '1000',
      },
    });
    api = await adminClient(app);
    dev = await createDevice(api, { id: 'c-dev' });
  });
  after(() => app.stop());

  /** Connects a raw client with these fields and returns its CONNACK. */
  async function rawConnack(version: 4 | 5, fields: Parameters<RawClient['connect']>[0]) {
    const c = await RawClient.open(app.mqttPort, version);
    const connack = await c.connect(fields);
    return { c, connack };
  }

  test('the right secret is accepted (v5 and v3.1.1), also as id@default', async () => {
    for (const protocolVersion of [5, 4] as const) {
      const c = await connect(app, dev, { protocolVersion });
      assert.ok(c.connected);
      await end(c);
    }
    const { c, connack } = await rawConnack(5, {
      clientId: dev.id,
      username: `${dev.id}@default`,
      password: dev.secret,
    });
    assert.equal(code(connack), 0);
    assert.equal(connack.sessionPresent, false);
    c.destroy();
  });

  test('refusals: wrong secret, missing password, unknown device or tenant, wrong client id', async () => {
    const cases: { name: string; fields: Parameters<RawClient['connect']>[0]; v5: number; v3: number }[] = [
      {
        name: 'wrong secret',
        fields: { clientId: dev.id, username: dev.id, password: 'nope' },
        v5: 0x86,
        v3: 4,
      },
      { name: 'no password', fields: { clientId: dev.id, username: dev.id }, v5: 0x86, v3: 4 },
      // No credentials at all is an anonymous client, and anonymous access is off (issue #11).
      { name: 'no user name', fields: { clientId: dev.id }, v5: 0x87, v3: 5 },
      {
        name: 'unknown device',
        fields: { clientId: 'ghost', username: 'ghost', password: dev.secret },
        v5: 0x86,
        v3: 4,
      },
      {
        name: 'unknown tenant',
        fields: { clientId: dev.id, username: `${dev.id}@nosuch`, password: dev.secret },
        v5: 0x86,
        v3: 4,
      },
      {
        name: 'wrong client id',
        fields: { clientId: 'other', username: dev.id, password: dev.secret },
        v5: 0x85,
        v3: 2,
      },
    ];
    for (const k of cases) {
      for (const version of [5, 4] as const) {
        const { c, connack } = await rawConnack(version, k.fields);
        assert.equal(code(connack), version === 5 ? k.v5 : k.v3, `${k.name} v${version}`);
        if (version === 5) assert.ok(connack.properties?.reasonString, `${k.name}: reason string`);
        await c.waitClosed(1500);
      }
    }
  });

  test('API keys log in with any client id; a key of another tenant or a wrong key does not', async () => {
    const { key } = await createApiKey(api, 'viewer');
    for (const protocolVersion of [5, 4] as const) {
      const c = await connect(app, undefined, { ...keyOpts(key), protocolVersion });
      await end(c);
    }
    await assert.rejects(
      connect(app, undefined, { ...keyOpts('plx_wrong') }),
      (e: { code?: number }) => e.code === 0x86,
    );
    await assert.rejects(
      connect(app, undefined, { ...keyOpts(key, 'nosuch') }),
      (e: { code?: number }) => e.code === 0x86,
    );
  });

  test('an empty client id is assigned: the device id (v5 tells it), a fresh id for API keys', async () => {
    const { c, connack } = await rawConnack(5, { clientId: '', username: dev.id, password: dev.secret });
    assert.equal(code(connack), 0);
    assert.equal(connack.properties?.assignedClientIdentifier, dev.id);
    c.destroy();
    const v3 = await rawConnack(4, { clientId: '', username: dev.id, password: dev.secret });
    assert.equal(code(v3.connack), 0);
    v3.c.destroy();
    const { key } = await createApiKey(api, 'operator');
    const k = await rawConnack(5, { clientId: '', username: 'apikey', password: key });
    assert.equal(code(k.connack), 0);
    assert.match(k.connack.properties?.assignedClientIdentifier ?? '', /.+/);
    k.c.destroy();
  });

  test('server keep alive: a v5 client asking 0 or more than the maximum is told the maximum', async () => {
    for (const [asked, told] of [
      [0, 2],
      [60, 2],
      [1, undefined],
      [2, undefined],
    ] as const) {
      const { c, connack } = await rawConnack(5, {
        clientId: dev.id,
        username: dev.id,
        password: dev.secret,
        keepalive: asked,
      });
      assert.equal(code(connack), 0);
      assert.equal(connack.properties?.serverKeepAlive, told, `asked ${asked}`);
      c.destroy();
    }
  });

  test('session takeover: the first connection of a client id is closed (v5: DISCONNECT 0x8E)', async () => {
    const first = await connect(app, dev);
    const gotDisconnect = new Promise<IDisconnectPacket>((r) => first.once('disconnect', r));
    const second = await connect(app, dev);
    const d = await gotDisconnect;
    assert.equal(d.reasonCode, 0x8e);
    await closed(first);
    assert.ok(second.connected);
    const old3 = await connect(app, dev, { protocolVersion: 4 });
    const new3 = await connect(app, dev, { protocolVersion: 4 });
    await closed(old3);
    assert.ok(new3.connected);
    await end(second);
    await end(new3);
  });

  test('the first packet must be CONNECT: anything else closes the connection', async () => {
    for (const version of [5, 4] as const) {
      const c = await RawClient.open(app.mqttPort, version);
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'devices/c-dev/#', qos: 0 }] });
      await c.waitClosed(1000);
      assert.equal(c.all.length, 0, 'nothing is answered');
      const p = await RawClient.open(app.mqttPort, version);
      p.send({ cmd: 'pingreq' });
      await p.waitClosed(1000);
      assert.equal(p.all.length, 0);
    }
  });

  test('a second CONNECT on a connection closes it (v5: DISCONNECT 0x82)', async () => {
    for (const version of [5, 4] as const) {
      const { c, connack } = await rawConnack(version, {
        clientId: dev.id,
        username: dev.id,
        password: dev.secret,
      });
      assert.equal(code(connack), 0);
      void c.connect({ clientId: dev.id, username: dev.id, password: dev.secret }).catch(() => {});
      await c.waitClosed(1000);
      if (version === 5) {
        const d = c.all.find((p) => p.cmd === 'disconnect') as IDisconnectPacket | undefined;
        assert.equal(d?.reasonCode, 0x82);
      }
      assert.equal(c.all.filter((p) => p.cmd === 'connack').length, 1, 'no second CONNACK');
    }
  });

  describe('timeouts', { concurrency: true }, () => {
    for (const version of [5, 4] as const) {
      test(`keep-alive: a client silent for 1.5 × its keep-alive is disconnected (v${version})`, async () => {
        const { c } = await rawConnack(version, {
          clientId: `c-ka-${version}`,
          username: 'apikey',
          password: (await createApiKey(api, 'viewer')).key,
          keepalive: 1,
        });
        const t0 = Date.now();
        await c.waitClosed(3500);
        const took = Date.now() - t0;
        assert.ok(took >= 1400, `closed too early: ${took} ms`);
        assert.ok(took <= 2700, `closed too late: ${took} ms`);
        if (version === 5) {
          const d = c.all.find((p) => p.cmd === 'disconnect') as IDisconnectPacket | undefined;
          assert.equal(d?.reasonCode, 0x8d);
        }
      });
    }

    test('keep-alive: a client that pings stays connected', async () => {
      const { c } = await rawConnack(4, {
        clientId: dev.id,
        username: dev.id,
        password: dev.secret,
        keepalive: 1,
      });
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 600));
        c.send({ cmd: 'pingreq' });
        await c.next('pingresp', 1000);
      }
      assert.equal(c.isClosed, false);
      c.destroy();
    });

    test('CONNECT timeout: a socket that sends nothing is closed', async () => {
      const c = await RawClient.open(app.mqttPort);
      const t0 = Date.now();
      await c.waitClosed(3000);
      const took = Date.now() - t0;
      assert.ok(took >= 900, `closed too early: ${took} ms`);
      assert.ok(took <= 2300, `closed too late: ${took} ms`);
    });
  });
});
