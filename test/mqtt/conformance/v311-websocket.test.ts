import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import { bytes, connectPacket, publishPacket } from '../../helpers/raw-mqtt.js';
import { startV311, type V311 } from './v311-setup.js';

/** A raw MQTT 3.1.1 client over WebSocket: sends frames as told, parses what comes back. */
class WsMqtt {
  readonly received: Packet[] = [];
  closed = false;
  readonly #waiters = new Set<() => void>();
  private constructor(readonly ws: WebSocket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => {
      this.received.push(p);
      this.#notify();
    });
    ws.on('message', (data: Buffer) => parser.parse(data));
    ws.on('close', () => {
      this.closed = true;
      this.#notify();
    });
    ws.on('error', () => {});
  }

  static open(url: string, protocols: string[] = ['mqtt']): Promise<WsMqtt> {
    const ws = new WebSocket(url, protocols);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsMqtt(ws)));
      ws.once('error', reject);
    });
  }

  until(cond: () => boolean, timeoutMs = 2000): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (cond()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      this.#waiters.add(check);
    });
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

describe('MQTT 3.1.1 conformance: MQTT over WebSocket', () => {
  let s: V311;
  let url: string;
  before(async () => {
    s = await startV311();
    url = `${s.app.url.replace('http', 'ws')}/mqtt`;
  });
  after(() => s.app.stop());

  const connectBytes = (id: string) => bytes(connectPacket(undefined, 4, s.login(id)), 4);

  test('[3.1.1 MQTT-6.0.0-4] the server selects the subprotocol "mqtt"', async () => {
    const c = await WsMqtt.open(url, ['mqtt']);
    assert.equal(c.ws.protocol, 'mqtt');
    c.ws.close();
  });

  test('[3.1.1 MQTT-6.0.0-2] MQTT packets are not aligned with WebSocket frames: split and joined packets both work', async () => {
    const c = await WsMqtt.open(url);
    const connect = connectBytes('ws-split');
    // CONNECT in three frames, one byte first.
    c.ws.send(connect.subarray(0, 1));
    c.ws.send(connect.subarray(1, 7));
    c.ws.send(connect.subarray(7));
    assert.ok(await c.until(() => c.received.length === 1), 'CONNACK');
    assert.equal(c.received[0]?.cmd, 'connack');
    // SUBSCRIBE, a PUBLISH and half a PINGREQ in one frame; the other half alone.
    const sub = bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ws/split', qos: 0 }] }, 4);
    const pub = bytes(publishPacket('ws/split', 'joined'), 4);
    c.ws.send(Buffer.concat([sub, pub, Buffer.from([0xc0])]));
    c.ws.send(Buffer.from([0x00]));
    assert.ok(await c.until(() => c.received.length === 4));
    assert.deepEqual(
      c.received.map((p) => p.cmd),
      ['connack', 'suback', 'publish', 'pingresp'],
    );
    c.ws.close();
  });

  test('[3.1.1 MQTT-7.1.1-1] byte-stream transports: a message published over TCP reaches a subscriber over WebSocket', async () => {
    const c = await WsMqtt.open(url);
    c.ws.send(connectBytes('ws-transport'));
    c.ws.send(
      bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ws/transport', qos: 1 }] }, 4),
    );
    assert.ok(await c.until(() => c.received.length === 2), 'CONNACK and SUBACK');
    const tcp = await s.client('ws-transport-tcp');
    tcp.send(publishPacket('ws/transport', 'over tcp'));
    assert.ok(await c.until(() => c.received.length === 3), 'the message');
    const got = c.received[2] as IPublishPacket;
    assert.deepEqual([got.topic, got.payload.toString()], ['ws/transport', 'over tcp']);
    tcp.destroy();
    c.ws.close();
  });

  test('[3.1.1 MQTT-6.0.0-1] a text WebSocket frame closes the connection', async () => {
    const c = await WsMqtt.open(url);
    c.ws.send(connectBytes('ws-text'));
    assert.ok(await c.until(() => c.received.length === 1), 'CONNACK');
    c.ws.send(Buffer.from([0xc0, 0x00]).toString('latin1'), { binary: false });
    assert.ok(await c.until(() => c.closed, 2000), 'closed after a text frame');
    assert.deepEqual(
      c.received.map((p) => p.cmd),
      ['connack'],
      'the PINGREQ in a text frame is not answered',
    );
  });
});
