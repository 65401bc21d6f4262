#!/usr/bin/env node
// Webhook-latency helper of bench/rules.mjs: H devices publish QoS 1 telemetry in which k1
// alternates between --low and --high (the other keys stay put), so a rule `k1 > threshold` with a
// webhook action (throttle 0s) stops and starts holding on every other message; an HTTP server in
// this process receives the webhooks. Publish → webhook latency is measured per firing: the time of
// the socket write of a high message (performance.now()) to the arrival of the webhook whose body
// carries that message's device and ts (`{"device": "{{device}}", "ts": "{{ts}}"}`).
//
//   node bench/rules-hook.mjs --port P --hook-port Q --creds FILE --rate N [options]
//
// Prints `#ready` once every device is connected and the server listens; then reads commands on
// stdin: `start` begins publishing (each device every H / rate s, staggered; its first message is
// low), `stop` stops, waits up to --drain s for the outstanding PUBACKs and webhooks, prints one
// JSON line and exits.
//
// Options:
//   --port P        MQTT port of Plexus (127.0.0.1)      --hook-port Q  port of the webhook receiver
//   --creds FILE    one device per line: `client-id username password topic`
//   --rate N        messages per second, all devices together
//   --keys N        values per message (5): k1 … kN      --low X --high Y  k1's values (25, 45)
//   --drain S       (10)                                  --ts-floor MS  smallest timestamp (0)
//   --expect-webhooks 0|1  0: the same load, but no rule is expected to call back (1)
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mqtt = createRequire(path.join(ROOT, 'package.json'))('mqtt');

const o = {
  port: 0,
  hookPort: 0,
  creds: '',
  rate: 0,
  keys: 5,
  low: 25,
  high: 45,
  drain: 10,
  tsFloor: 0,
  expect: 1,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = argv[++i];
  const key =
    { '--port': 'port', '--hook-port': 'hookPort', '--creds': 'creds', '--rate': 'rate' }[a] ??
    {
      '--keys': 'keys',
      '--low': 'low',
      '--high': 'high',
      '--drain': 'drain',
      '--ts-floor': 'tsFloor',
      '--expect-webhooks': 'expect',
    }[a];
  if (!key || v === undefined) {
    process.stderr.write(`rules-hook: bad option ${a}\n`);
    process.exit(2);
  }
  o[key] = key === 'creds' ? v : Number(v);
}

const devices = fs
  .readFileSync(o.creds, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l, i) => {
    const [id, user, pass, topic] = l.trim().split(/\s+/);
    return { i, id, user, pass, topic, n: 0, lastTs: 0, client: undefined, timer: undefined };
  });

const stats = { sent: 0, acked: 0, highs: 0, webhooks: 0, matched: 0, unmatched: 0, errors: {} };
const noteError = (what) => {
  stats.errors[what] = (stats.errors[what] ?? 0) + 1;
};
/** device|ts of a high message → performance.now() at its publish. */
const waiting = new Map();
const hookMs = [];
const ackMs = [];
let inflight = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const now = performance.now();
    stats.webhooks++;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const key = `${body.device}|${body.ts}`;
      const at = waiting.get(key);
      if (at === undefined) stats.unmatched++;
      else {
        waiting.delete(key);
        stats.matched++;
        hookMs.push(now - at);
      }
    } catch {
      noteError('webhook body is not JSON');
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});

function connect(d) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${o.port}`, {
      clientId: d.id,
      username: d.user,
      password: d.pass,
      protocolVersion: 4,
      clean: true,
      keepalive: 600,
      reconnectPeriod: 0,
      connectTimeout: 60_000,
    });
    d.client = c;
    c.once('connect', () => resolve());
    c.on('error', (err) => {
      noteError(`mqtt ${err.code ?? err.message}`);
      reject(err);
    });
  });
}

function publishOne(d) {
  const high = d.n % 2 === 1;
  d.n++;
  const ts = Math.max(Date.now(), d.lastTs + 1, o.tsFloor);
  d.lastTs = ts;
  const values = [`"k1":${high ? o.high : o.low}`];
  for (let k = 2; k <= o.keys; k++)
    values.push(`"k${k}":${(20 + ((d.i * 7 + k * 13) % 10000) / 1000).toFixed(3)}`);
  const payload = `{"ts":${ts},"values":{${values.join(',')}}}`;
  const at = performance.now();
  if (high && o.expect) {
    waiting.set(`${d.id}|${ts}`, at);
  }
  if (high) stats.highs++;
  stats.sent++;
  inflight++;
  d.client.publish(d.topic, payload, { qos: 1 }, (err) => {
    inflight--;
    if (err) noteError(`publish ${err.message}`);
    else {
      stats.acked++;
      ackMs.push(performance.now() - at);
    }
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null;
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    n: s.length,
    p50: r(pct(s, 0.5)),
    p90: r(pct(s, 0.9)),
    p99: r(pct(s, 0.99)),
    p999: r(pct(s, 0.999)),
    max: r(s.at(-1) ?? null),
  };
};

async function main() {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.hookPort, '127.0.0.1', resolve);
  });
  for (let i = 0; i < devices.length; i += 50) await Promise.all(devices.slice(i, i + 50).map(connect));
  process.stdout.write('#ready\n');
  const periodMs = (1000 * devices.length) / o.rate;
  let t0;
  let cpu0;
  let stopped = false;
  const lines = [];
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    while (lines.length) {
      const cmd = lines.shift().trim();
      if (cmd === 'start' && t0 === undefined) {
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        devices.forEach((d, j) => {
          setTimeout(
            () => {
              if (stopped) return;
              publishOne(d);
              d.timer = setInterval(() => publishOne(d), periodMs);
            },
            (periodMs * j) / devices.length,
          );
        });
      } else if (cmd === 'stop') void stop();
    }
  });
  async function stop() {
    if (stopped) return;
    stopped = true;
    const wall = t0 === undefined ? 0 : (performance.now() - t0) / 1000;
    const cpu = t0 === undefined ? { user: 0, system: 0 } : process.cpuUsage(cpu0);
    for (const d of devices) clearInterval(d.timer);
    const end = performance.now() + o.drain * 1000;
    while ((inflight > 0 || waiting.size > 0) && performance.now() < end) await sleep(50);
    const out = {
      devices: devices.length,
      rate: o.rate,
      wall_s: wall,
      sent: stats.sent,
      acked: stats.acked,
      unacked: inflight,
      highs_sent: stats.highs,
      webhooks: stats.webhooks,
      matched: stats.matched,
      unmatched: stats.unmatched,
      missing: waiting.size,
      webhook_ms: summary(hookMs),
      puback_ms: summary(ackMs),
      cpu_s: (cpu.user + cpu.system) / 1e6,
      cpu_pct: wall ? Math.round(((100 * (cpu.user + cpu.system)) / 1e6 / wall) * 10) / 10 : null,
      errors: stats.errors,
    };
    for (const d of devices) d.client.end(true);
    server.close();
    process.stdout.write(`${JSON.stringify(out)}\n`);
    process.exit(0);
  }
}

main().catch((err) => {
  process.stderr.write(`rules-hook failed: ${err.stack ?? err}\n`);
  process.stdout.write(`${JSON.stringify({ errors: { hook: String(err.message) } })}\n`);
  process.exit(1);
});
