/**
 * E-mail actions against a real SMTP server (smtp-server, in this process):
 * a rule's e-mail arrives with its templates filled in; a server without
 * SMTP configuration refuses such rules when they are saved.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { waitUntil } from '../helpers/mqtt-extra.js';

interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly data: string;
}

describe('e-mail actions', () => {
  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let data = '';
      stream.on('data', (c: Buffer) => {
        data += c.toString();
      });
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
        });
        done();
      });
    },
  });
  let app: TestApp;
  let api: Client;

  before(async () => {
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    app = await startTestApp({
      env: {
        PLEXUS_ACTIONS_EMAIL_HOST: '127.0.0.1',
        PLEXUS_ACTIONS_EMAIL_PORT: String((smtp.server.address() as AddressInfo).port),
        PLEXUS_ACTIONS_EMAIL_FROM: 'plexus@plant.example',
      },
    });
    api = await adminClient(app);
  });
  after(async () => {
    await app.stop();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  test("the maintenance team's e-mail arrives with the device, value and rule filled in", async () => {
    const press = await createDevice(api, { id: 'press-9' });
    const put = await api.call('PUT', '/api/v1/rules/mail-on-heat', {
      target: { devices: ['press-9'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      alarm: { type: 'overheat', severity: 'major' },
      actions: [
        {
          type: 'email',
          to: ['maintenance@plant.example', 'lead@plant.example'],
          subject: 'Press {{device}} is at {{value}} °C',
          text: 'Rule {{rule}} ({{severity}}) fired.',
        },
      ],
    });
    assert.ok([200, 201].includes(put.status), JSON.stringify(put.body));
    const device = await connect(app, press);
    await device.publishAsync('devices/press-9/telemetry', JSON.stringify({ temperature: 93.5 }), { qos: 1 });
    await waitUntil(() => mails.length === 1, 5000, 'the e-mail');
    const [mail] = mails as [Mail];
    assert.equal(mail.from, 'plexus@plant.example');
    assert.deepEqual(mail.to, ['maintenance@plant.example', 'lead@plant.example']);
    // "Press press-9 is at 93.5 °C", MIME-encoded (RFC 2047) because of the degree sign.
    assert.match(mail.data, /^Subject: =\?UTF-8\?Q\?Press_press-9_is_at_93=2E5_=C2=B0C\?=\r$/m);
    assert.match(mail.data, /Rule mail-on-heat \(major\) fired\./);
    await end(device);
  });
});

describe('e-mail actions without SMTP configuration', () => {
  let app: TestApp;
  let api: Client;
  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('a rule with an e-mail action is refused when it is saved, saying what to configure', async () => {
    const r = await api.call<{ code: string; errors: { path: string; message: string }[] }>(
      'PUT',
      '/api/v1/rules/mail',
      {
        target: { profile: 'default' },
        condition: { type: 'status', is: 'offline' },
        actions: [{ type: 'email', to: ['ops@plant.example'] }],
      },
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'RULE_INVALID');
    assert.deepEqual(r.body.errors, [
      {
        path: '/body/actions/0/type',
        message:
          'this server sends no e-mail: set actions.email.host (PLEXUS_ACTIONS_EMAIL_HOST), or use a webhook',
      },
    ]);
  });
});
