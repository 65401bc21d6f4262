#!/usr/bin/env node
// A device in 70 lines: sends a temperature every few seconds, obeys the
// `shutdown` and `start` commands, follows the desired `intervalS` from its
// twin and reports what it does. See docs/device-sdk.md.
//
//   URL=mqtt://127.0.0.1:1883 ID=press-7 SECRET=... node examples/device.mjs
//
// URL may be mqtt://, mqtts://, ws://host:8080/mqtt, wss://, or http(s)://host:8080
// (the device HTTP API). TENANT is optional (devices of tenant `default` omit it).
import { DeviceSdkError, PlexusDevice } from 'plexus/device';

const { URL: url, ID: id, SECRET: secret, TENANT: tenant } = process.env;
if (!url || !id || !secret) {
  console.error(
    'usage: URL=mqtt://127.0.0.1:1883 ID=<device id> SECRET=<device secret> node examples/device.mjs',
  );
  process.exit(2);
}

let dev;
try {
  dev = new PlexusDevice({ url, id, secret, ...(tenant ? { tenant } : {}) });
} catch (err) {
  console.error(err.message); // e.g. "url: protocol ftp: is not one of mqtt:, ..."
  process.exit(2);
}

let running = true;
let intervalS = 5;
let temperature = 20;

dev.onCommand('shutdown', async (params) => {
  running = false;
  console.log('shutdown:', params);
  void dev.report({ running }).catch(() => {}); // the twin shows it; a failure is reported on 'error'
  return { stopped: true };
});
dev.onCommand('start', async () => {
  running = true;
  void dev.report({ running }).catch(() => {});
  return { running };
});
dev.onDesired(async (state, version) => {
  if (typeof state.intervalS === 'number' && state.intervalS >= 1) intervalS = state.intervalS;
  console.log(`desired v${version}:`, state);
  await dev.report({ intervalS });
});
dev.on('connected', () => console.log(`connected to ${url} as ${id}`));
dev.on('disconnected', (why) => console.log(`disconnected (${why.message}); points are kept until back`));
dev.on('error', (err) => console.error('error:', err.message));

try {
  await dev.connect();
} catch (err) {
  // AUTH_FAILED: wrong id/secret (or tenant); UNREACHABLE only with connectTimeoutMs.
  console.error(err instanceof DeviceSdkError ? `${err.code}: ${err.message}` : err);
  process.exit(1);
}
await dev.report({ running, intervalS });

let timer;
const tick = () => {
  // Heats up while running, cools down towards 20 °C when stopped.
  temperature += running ? Math.random() * 0.5 : (20 - temperature) * 0.2;
  const t = Math.round(temperature * 10) / 10;
  dev.telemetry({ temperature: t, running }).then(
    () => console.log(`sent temperature ${t}  (stats ${JSON.stringify(dev.stats)})`),
    (err) => console.error(`not sent: ${err.code}: ${err.message}`),
  );
  timer = setTimeout(tick, intervalS * 1000);
};
tick();

process.once('SIGINT', async () => {
  clearTimeout(timer);
  await dev.close(); // sends what is still buffered (2 s grace), then disconnects
  process.exit(0);
});
