#!/usr/bin/env node
// History loader for bench/ingest.mjs: pushes one key's points, one every
// --step ms, through the device HTTP API (`POST /device/v1/telemetry`, HTTP
// Basic auth, answered after the commit) in batches, a few requests in flight.
//
//   node bench/ingest-http.mjs --port P --device ID --secret S --from MS --count N [options]
//
// Options:
//   --host H          (127.0.0.1)
//   --key K           telemetry key (temperature)
//   --step MS         ms between points (1000)
//   --batch N         points per request (5000)
//   --concurrency N   requests in flight (4)
//   --timeout S       give up after S s (600)
// Values: 20 + 5·sin(day phase) + 0.5·sin(10-minute phase), so every hour has
// min ≈ 14.5 … max ≈ 25.5 over the day and an average near 20.
// Prints one JSON line: points, accepted, requests, wall_s, points_per_s, request latency, CPU.
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const o = {
  host: '127.0.0.1',
  port: 0,
  device: '',
  secret: '',
  key: 'temperature',
  from: 0,
  count: 0,
  step: 1000,
  batch: 5000,
  concurrency: 4,
  timeout: 600,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = () => argv[++i];
  if (a === '--host') o.host = v();
  else if (a === '--port') o.port = Number(v());
  else if (a === '--device') o.device = v();
  else if (a === '--secret') o.secret = v();
  else if (a === '--key') o.key = v();
  else if (a === '--from') o.from = Number(v());
  else if (a === '--count') o.count = Number(v());
  else if (a === '--step') o.step = Number(v());
  else if (a === '--batch') o.batch = Number(v());
  else if (a === '--concurrency') o.concurrency = Number(v());
  else if (a === '--timeout') o.timeout = Number(v());
  else if (a === '-h' || a === '--help') {
    const text = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
    const end = text.findIndex((l, j) => j > 0 && !l.startsWith('//'));
    process.stdout.write(
      `${text
        .slice(1, end)
        .map((l) => l.replace(/^\/\/ ?/, ''))
        .join('\n')}\n`,
    );
    process.exit(0);
  } else {
    process.stderr.write(`ingest-http: unknown option ${a}\n`);
    process.exit(2);
  }
}
if (!o.port || !o.device || !o.count || !o.from) {
  process.stderr.write('ingest-http: --port, --device, --secret, --from and --count are required\n');
  process.exit(2);
}

const DAY = 86_400_000;
const valueAt = (ts) =>
  Math.round(
    1000 * (20 + 5 * Math.sin((2 * Math.PI * ts) / DAY) + 0.5 * Math.sin((2 * Math.PI * ts) / 600_000)),
  ) / 1000;

function body(first, n) {
  const parts = new Array(n);
  for (let j = 0; j < n; j++) {
    const ts = o.from + (first + j) * o.step;
    parts[j] = `{"ts":${ts},"values":{"${o.key}":${valueAt(ts)}}}`;
  }
  return Buffer.from(`[${parts.join(',')}]`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
const auth = `Basic ${Buffer.from(`${o.device}:${o.secret}`).toString('base64')}`;

function post(buf) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: o.host,
        port: o.port,
        path: '/device/v1/telemetry',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': buf.length, authorization: auth },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(buf);
  });
}

const stats = { requests: 0, accepted: 0, busy: 0, errors: 0, error_detail: {}, latencies: [] };
let next = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const deadline = Date.now() + o.timeout * 1000;

const retry = []; // batches answered 503 (storage behind), sent again later

async function worker() {
  while ((next < o.count || retry.length > 0) && Date.now() < deadline) {
    let first;
    if (retry.length > 0) first = retry.shift();
    else {
      first = next;
      next += Math.min(o.batch, o.count - first);
    }
    const n = Math.min(o.batch, o.count - first);
    const buf = body(first, n);
    const s = performance.now();
    let r;
    try {
      r = await post(buf);
    } catch (err) {
      r = { status: 0, text: err.message };
    }
    stats.latencies.push(performance.now() - s);
    stats.requests++;
    if (r.status === 200) stats.accepted += JSON.parse(r.text).accepted;
    else if (r.status === 503) {
      stats.busy++;
      retry.push(first);
      await new Promise((res) => setTimeout(res, 1000));
    } else {
      stats.errors++;
      const k = `${r.status} ${r.text.slice(0, 200)}`;
      stats.error_detail[k] = (stats.error_detail[k] ?? 0) + 1;
    }
  }
}

await Promise.all(Array.from({ length: o.concurrency }, worker));
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const lat = stats.latencies.sort((a, b) => a - b);
const q = (p) =>
  lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)] * 10) / 10 : null;
agent.destroy();
process.stdout.write(
  `${JSON.stringify({
    points: o.count,
    accepted: stats.accepted,
    requests: stats.requests,
    batch: o.batch,
    concurrency: o.concurrency,
    wall_s: wall,
    points_per_s: stats.accepted / wall,
    request_ms: {
      p50: q(0.5),
      p99: q(0.99),
      max: lat.length ? Math.round(lat[lat.length - 1] * 10) / 10 : null,
    },
    gen_cpu_s: (cpu.user + cpu.system) / 1e6,
    gen_cpu_pct: Math.round((100 * (cpu.user + cpu.system)) / 1e6 / wall),
    node: process.version,
    busy_retried: stats.busy,
    errors: stats.errors,
    error_detail: stats.error_detail,
  })}\n`,
);
process.exit(stats.errors || stats.accepted !== o.count ? 1 : 0);
