#!/usr/bin/env node
// A Plexus server with a small, living fleet, for working on the dashboard
// and taking its screenshots: presses with temperature and vibration, trucks
// moving around Lyon, a thermostat with a twin, rules, an alarm or two.
//
//   npm run build && node scripts/dashboard-demo.mjs [--port 18080] [--mqtt-port 11883] [--data DIR]
//
// Prints the URL and the admin's password; Ctrl-C stops it. With the Vite
// dev server: PLEXUS_DEV_API=http://127.0.0.1:18080 npm run dev:web
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { createApp } from '../dist/src/app.js';
import { loadConfig } from '../dist/src/config/load.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '18080' },
    'mqtt-port': { type: 'string', default: '11883' },
    data: { type: 'string' },
    'overheat-after': { type: 'string', default: '60' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(
    'node scripts/dashboard-demo.mjs [--port 18080] [--mqtt-port 11883] [--data DIR] [--overheat-after SECONDS]',
  );
  process.exit(0);
}
const PASSWORD = 'demo-admin-password';
const dataDir = args.data ?? mkdtempSync(join(tmpdir(), 'plexus-demo-'));
const config = loadConfig({
  cwd: dataDir,
  env: {
    PLEXUS_DATA_DIR: dataDir,
    PLEXUS_HTTP_PORT: args.port,
    PLEXUS_HTTP_HOST: '127.0.0.1',
    PLEXUS_MQTT_PORT: args['mqtt-port'],
    PLEXUS_MQTT_HOST: '127.0.0.1',
    PLEXUS_LOG_LEVEL: 'warn',
    PLEXUS_ADMIN_PASSWORD: PASSWORD,
  },
});
const app = createApp(config);
const ports = await app.start();
const url = `http://127.0.0.1:${ports.http}`;

async function call(method, path, body, token) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const { body: login } = await call('POST', '/api/v1/auth/login', { username: 'admin', password: PASSWORD });
const api = (method, path, body) => call(method, path, body, login.token);

await api('POST', '/api/v1/profiles', {
  id: 'press',
  name: 'Hydraulic press',
  telemetry: {
    temperature: { type: 'number', unit: '°C', min: -20, max: 200 },
    vibration: { type: 'number', unit: 'mm/s' },
  },
});
await api('POST', '/api/v1/profiles', { id: 'truck', name: 'Delivery truck' });
await api('POST', '/api/v1/profiles', { id: 'thermostat', name: 'Thermostat' });
for (const g of ['line-1', 'line-2', 'lyon-depot']) await api('POST', '/api/v1/groups', { id: g, name: g });
const secrets = {};
const add = async (id, profile, groups, labels) => {
  const r = await api('POST', '/api/v1/devices', { id, profile, groups, labels, name: id });
  if (r.status === 201) secrets[id] = r.body.secret;
};
for (let i = 1; i <= 6; i++)
  await add(`press-${i}`, 'press', [i <= 3 ? 'line-1' : 'line-2'], { site: 'lyon' });
for (let i = 1; i <= 5; i++) await add(`truck-${i}`, 'truck', ['lyon-depot'], { site: 'lyon' });
await add('thermo-1', 'thermostat', [], { room: 'office' });
for (let i = 1; i <= 20; i++)
  await add(`sensor-${String(i).padStart(2, '0')}`, 'default', [], { site: 'grenoble' });
await api('PUT', '/api/v1/rules/press-overheat', {
  description: 'A press above 90 °C for 10 s',
  target: { profile: 'press' },
  condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '10s' },
  alarm: { type: 'overheat', severity: 'major', message: '{{device}} is at {{value}} °C' },
});
await api('PUT', '/api/v1/rules/press-vibration', {
  target: { profile: 'press' },
  condition: { type: 'anomaly', key: 'vibration', threshold: 4 },
  alarm: { type: 'unusual-vibration', severity: 'warning' },
});
await api('PUT', '/api/v1/rules/truck-speeding', {
  target: { profile: 'truck' },
  condition: { type: 'threshold', key: 'speed', op: '>', value: 90 },
  alarm: { type: 'speeding', severity: 'minor' },
});
await api('PATCH', '/api/v1/devices/thermo-1/twin', { desired: { setpoint: 21, mode: 'comfort' } });

// The living part: presses (press-3 overheats after a minute), trucks circling, the thermostat.
const clients = [];
const connect = (id) =>
  new Promise((resolve) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${ports.mqtt}`, {
      clientId: id,
      username: id,
      password: secrets[id],
      protocolVersion: 5,
    });
    c.once('connect', () => resolve(c));
    clients.push(c);
  });
const start = Date.now();
for (let i = 1; i <= 5; i++) {
  const id = `press-${i}`;
  const c = await connect(id);
  c.subscribe(`devices/${id}/commands/+`);
  c.on('message', (topic, payload) => {
    const cmd = JSON.parse(payload.toString());
    c.publish(
      `devices/${id}/commands/${topic.split('/').pop()}/result`,
      JSON.stringify({ ok: true, result: { done: cmd.name } }),
    );
  });
  let t = 60 + i * 3;
  setInterval(() => {
    const hot = id === 'press-3' && Date.now() - start > Number(args['overheat-after']) * 1000;
    t += (hot ? 0.8 : 0) + (Math.random() - 0.5) * 0.6 + (hot ? 0 : (65 - t) * 0.05);
    c.publish(
      `devices/${id}/telemetry`,
      JSON.stringify({
        temperature: Math.round(t * 10) / 10,
        vibration: Math.round((2 + Math.random()) * 100) / 100,
      }),
    );
  }, 1000);
}
for (let i = 1; i <= 5; i++) {
  const id = `truck-${i}`;
  const c = await connect(id);
  let a = (i / 5) * 2 * Math.PI;
  setInterval(() => {
    a += 0.01 + i * 0.002;
    const r = 0.02 + i * 0.01;
    c.publish(
      `devices/${id}/telemetry`,
      JSON.stringify({
        lat: 45.76 + r * Math.sin(a),
        lon: 4.84 + r * 1.4 * Math.cos(a),
        speed: Math.round(50 + 40 * Math.abs(Math.sin(a * 3))),
        fuel: 80 - i * 5,
      }),
    );
  }, 2000);
}
const thermo = await connect('thermo-1');
thermo.publish(
  'devices/thermo-1/twin/reported',
  JSON.stringify({ setpoint: 21, mode: 'comfort', firmware: { version: '2.4.1' } }),
);
setInterval(
  () => thermo.publish('devices/thermo-1/telemetry', JSON.stringify({ temperature: 20.5 + Math.random() })),
  5000,
);

console.log(`Plexus demo: ${url}  (admin / ${PASSWORD}); MQTT on ${ports.mqtt}; data in ${dataDir}`);
const stop = async () => {
  for (const c of clients) c.end(true);
  await app.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
