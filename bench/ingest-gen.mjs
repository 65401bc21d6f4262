#!/usr/bin/env node
// MQTT telemetry load generator for bench/ingest.mjs: N devices on raw TCP
// sockets publish QoS 1 telemetry and time every PUBLISH → PUBACK.
//
//   node bench/ingest-gen.mjs --port P --creds FILE [options]
//
// Each device connects with MQTT 3.1.1 (CONNECT encoded with mqtt-packet,
// its own client id, username and password), then publishes pre-encoded
// frames to its topic: `{"ts":<13 digits>,"values":{"k1":…,…}}`, where only
// the packet id and the fixed-width timestamp digits are patched per message.
// Timestamps are unique per device: max(now, previous + 1) ms, and never
// below --ts-floor (so runs against the same store never repeat one).
// PUBACKs are parsed from the byte stream; a message's latency is the time
// from the write that carried it to the read that carried its PUBACK
// (performance.now(), once per write and once per read).
//
// Options:
//   --host H            broker address (127.0.0.1)
//   --port P            broker port (required)
//   --creds FILE        one device per line: `client-id username password topic` ('-' = none)
//   --mode M            flood: keep --window messages in flight per device, a new one for each PUBACK
//                       paced: --rate messages/s in total, spread over the devices in 1 ms ticks
//                       (round robin; a device never has more than --window in flight: the rest waits
//                       for its PUBACKs and is counted in `window_waits`)
//   --rate N            paced: messages per second, all devices together
//   --window N          unacknowledged PUBLISHes per device (64)
//   --keys N            values per message (5): k1 … kN
//   --duration S        seconds of publishing (10)
//   --drain S           after that, wait up to S s (15) for the outstanding PUBACKs
//   --ts-floor MS       smallest timestamp to use (epoch ms; default 0)
//   --connect-timeout S all devices must be connected within S s (30)
//   --label X           name in the output
// Prints one JSON line on stdout (acked, acked_per_s, points_per_s, latency_us, gen_cpu_window_pct, …);
// exits 0 when every device connected and every PUBLISH was acknowledged, 1 otherwise.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mqttPacket = createRequire(path.join(ROOT, 'package.json'))('mqtt-packet');

function parseArgs(argv) {
  const o = {
    host: '127.0.0.1',
    port: 0,
    creds: '',
    mode: 'flood',
    rate: 0,
    window: 64,
    keys: 5,
    duration: 10,
    drain: 15,
    tsFloor: 0,
    connectTimeout: 30,
    label: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) fail(`${a} needs a value`);
      return x;
    };
    if (a === '--host') o.host = v();
    else if (a === '--port') o.port = Number(v());
    else if (a === '--creds') o.creds = v();
    else if (a === '--mode') o.mode = v();
    else if (a === '--rate') o.rate = Number(v());
    else if (a === '--window') o.window = Number(v());
    else if (a === '--keys') o.keys = Number(v());
    else if (a === '--duration') o.duration = Number(v());
    else if (a === '--drain') o.drain = Number(v());
    else if (a === '--ts-floor') o.tsFloor = Number(v());
    else if (a === '--connect-timeout') o.connectTimeout = Number(v());
    else if (a === '--label') o.label = v();
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
    } else fail(`unknown option ${a}`);
  }
  if (!o.port) fail('--port is required');
  if (!o.creds) fail('--creds is required');
  if (o.mode !== 'flood' && o.mode !== 'paced') fail('--mode is flood or paced');
  if (o.mode === 'paced' && !(o.rate > 0)) fail('--mode paced needs --rate N');
  if (!(o.window >= 1 && o.window <= 1024)) fail('--window is 1 … 1024');
  return o;
}

function fail(msg) {
  process.stderr.write(`ingest-gen: ${msg}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const RING = 1024; // send times per device, indexed by packet id mod RING (window ≤ RING)

// ── frames ───────────────────────────────────────────────────────────────
/** A QoS 1 PUBLISH to `topic` with the telemetry payload; offsets of the packet id and the 13 ts digits. */
function template(topic, deviceIndex) {
  const values = [];
  for (let k = 1; k <= opts.keys; k++) {
    // Fixed per device and key, plausible sensor readings: 20.000 … 29.999.
    values.push(`"k${k}":${(20 + ((deviceIndex * 7 + k * 13) % 10000) / 1000).toFixed(3)}`);
  }
  const payload = Buffer.from(`{"ts":0000000000000,"values":{${values.join(',')}}}`);
  const tsAt = payload.indexOf('0000000000000');
  const topicBytes = Buffer.from(topic);
  const remaining = 2 + topicBytes.length + 2 + payload.length;
  const lenBytes = [];
  let n = remaining;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    lenBytes.push(b);
  } while (n > 0);
  const frame = Buffer.alloc(1 + lenBytes.length + remaining);
  let off = 0;
  frame[off++] = 0x32; // PUBLISH, QoS 1
  for (const b of lenBytes) frame[off++] = b;
  frame.writeUInt16BE(topicBytes.length, off);
  off += 2;
  topicBytes.copy(frame, off);
  off += topicBytes.length;
  const pidAt = off;
  off += 2;
  payload.copy(frame, off);
  return { frame, pidAt, tsAt: off + tsAt, payloadBytes: payload.length };
}

function putTs(buf, at, ts) {
  let n = ts;
  for (let i = 12; i >= 0; i--) {
    buf[at + i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

// ── devices ──────────────────────────────────────────────────────────────
const lines = fs
  .readFileSync(opts.creds, 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const devices = lines.map((l, i) => {
  const [clientId, user, pass, topic] = l.split(/\s+/);
  const t = template(topic, i);
  return {
    i,
    clientId,
    user: user === '-' ? undefined : user,
    pass: pass === '-' ? undefined : pass,
    topic,
    ...t,
    sock: undefined,
    connected: false,
    nextPid: 1,
    inflight: 0,
    pending: 0, // paced: messages due but held back by the window
    lastTs: 0,
    sentAt: new Float64Array(RING),
    rest: null, // a partial frame from the last read
  };
});

const stats = {
  sent: 0,
  acked: 0,
  ackedInWindow: 0,
  sentInWindow: 0,
  windowWaits: 0,
  unexpected: 0,
  errors: 0,
  errorDetail: {},
  disconnects: 0,
  maxTs: 0,
};
let latencies = new Float32Array(1 << 20);
let nLat = 0;
let measuring = false;
let stopping = false;

function noteError(what) {
  stats.errors++;
  stats.errorDetail[what] = (stats.errorDetail[what] ?? 0) + 1;
}

function recordLatency(ms) {
  if (nLat === latencies.length) {
    const bigger = new Float32Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[nLat++] = ms;
}

/** Writes `k` new PUBLISHes of device `d` in one socket write. */
function publish(d, k) {
  if (k <= 0 || !d.connected) return;
  const len = d.frame.length;
  const buf = Buffer.allocUnsafe(len * k);
  const now = performance.now();
  const wall = Date.now();
  let ts = Math.max(wall, d.lastTs + 1, opts.tsFloor);
  for (let j = 0; j < k; j++) {
    const off = j * len;
    d.frame.copy(buf, off);
    const pid = d.nextPid;
    d.nextPid = pid === 65535 ? 1 : pid + 1;
    buf[off + d.pidAt] = pid >> 8;
    buf[off + d.pidAt + 1] = pid & 0xff;
    putTs(buf, off + d.tsAt, ts);
    d.sentAt[pid % RING] = now;
    d.lastTs = ts;
    ts++;
  }
  if (d.lastTs > stats.maxTs) stats.maxTs = d.lastTs;
  d.inflight += k;
  stats.sent += k;
  if (measuring) stats.sentInWindow += k;
  d.sock.write(buf);
}

/** After PUBACKs: flood refills the window; paced sends what waited for room. */
function refill(d) {
  if (stopping) return;
  if (opts.mode === 'flood') publish(d, opts.window - d.inflight);
  else if (d.pending > 0) {
    const k = Math.min(d.pending, opts.window - d.inflight);
    d.pending -= k;
    publish(d, k);
  }
}

let drained; // resolves when nothing is in flight after stopping
function checkDrained() {
  if (stopping && drained && devices.every((d) => d.inflight === 0 || !d.connected)) drained();
}

function onData(d, chunk) {
  const now = performance.now();
  let buf = chunk;
  if (d.rest) {
    buf = Buffer.concat([d.rest, chunk]);
    d.rest = null;
  }
  let off = 0;
  let acks = 0;
  while (off < buf.length) {
    const type = buf[off];
    // Fast path: PUBACK of MQTT 3.1.1 is 4 bytes, 0x40 0x02 id id.
    if (type === 0x40 && off + 4 <= buf.length && buf[off + 1] === 2) {
      const pid = (buf[off + 2] << 8) | buf[off + 3];
      const sent = d.sentAt[pid % RING];
      if (measuring) {
        recordLatency(now - sent);
        stats.ackedInWindow++;
      }
      stats.acked++;
      d.inflight--;
      acks++;
      off += 4;
      continue;
    }
    // Anything else: length-prefixed frame (CONNACK, or an unexpected packet).
    let len = 0;
    let mult = 1;
    let p = off + 1;
    let complete = false;
    while (p < buf.length) {
      const b = buf[p++];
      len += (b & 0x7f) * mult;
      mult *= 128;
      if (!(b & 0x80)) {
        complete = true;
        break;
      }
    }
    if (!complete || p + len > buf.length) {
      d.rest = buf.subarray(off);
      break;
    }
    if (type === 0x20) {
      // CONNACK
      const rc = buf[p + 1];
      if (rc === 0) {
        d.connected = true;
        d.onConnack?.();
      } else {
        noteError(`connack rc ${rc}`);
        d.onConnack?.(new Error(`CONNACK rc ${rc}`));
      }
    } else {
      stats.unexpected++;
      noteError(`unexpected packet type 0x${type.toString(16)}`);
    }
    off = p + len;
  }
  if (acks > 0) {
    refill(d);
    if (stopping) checkDrained();
  }
}

function connect(d) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: opts.host, port: opts.port });
    d.sock = sock;
    sock.setNoDelay(true);
    let settled = false;
    d.onConnack = (err) => {
      if (settled) return;
      settled = true;
      d.onConnack = undefined;
      if (err) reject(err);
      else resolve();
    };
    sock.on('connect', () => {
      const pkt = {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 600,
        clientId: d.clientId,
      };
      if (d.user !== undefined) pkt.username = d.user;
      if (d.pass !== undefined) pkt.password = Buffer.from(d.pass);
      sock.write(mqttPacket.generate(pkt));
    });
    sock.on('data', (chunk) => onData(d, chunk));
    sock.on('error', (err) => {
      noteError(`socket ${err.code ?? err.message}`);
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    sock.on('close', () => {
      if (d.connected && !d.closing) {
        stats.disconnects++;
        noteError('closed by the broker');
      }
      d.connected = false;
      if (!settled) {
        settled = true;
        reject(new Error('closed before CONNACK'));
      }
      checkDrained();
    });
  });
}

async function connectAll() {
  const t0 = performance.now();
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < devices.length) {
      const d = devices[next++];
      try {
        await connect(d);
      } catch (err) {
        failures++;
        process.stderr.write(`ingest-gen: ${d.clientId}: ${err.message}\n`);
      }
    }
  };
  const timeout = new Promise((r) => setTimeout(r, opts.connectTimeout * 1000).unref());
  await Promise.race([Promise.all(Array.from({ length: 20 }, worker)), timeout]);
  return { connected: devices.filter((d) => d.connected).length, failures, ms: performance.now() - t0 };
}

// ── run ──────────────────────────────────────────────────────────────────
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, n, q) {
  if (n === 0) return null;
  const i = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[i];
}

async function main() {
  const conn = await connectAll();
  const out = {
    label: opts.label,
    mode: opts.mode,
    devices: devices.length,
    connected: conn.connected,
    connect_ms: Math.round(conn.ms),
    window: opts.window,
    keys: opts.keys,
    payload_bytes: devices[0]?.payloadBytes ?? null,
    target_rate: opts.mode === 'paced' ? opts.rate : null,
    duration_s: opts.duration,
  };
  if (conn.connected < devices.length) {
    noteError('not all devices connected');
  }
  const live = devices.filter((d) => d.connected);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  process.stdout.write('#window-start\n');
  let ticker;
  if (opts.mode === 'flood') {
    for (const d of live) publish(d, opts.window);
  } else {
    // Paced: every tick, the messages due since the start go out round robin over the devices.
    let due = 0;
    let rr = 0;
    const perDevice = new Int32Array(devices.length);
    const tick = () => {
      if (stopping) return;
      const want = Math.floor((opts.rate * (performance.now() - t0)) / 1000);
      let k = want - due;
      due = want;
      if (k > 0 && live.length > 0) {
        const touched = [];
        while (k > 0) {
          const idx = live[rr].i;
          if (perDevice[idx] === 0) touched.push(idx);
          perDevice[idx]++;
          rr = (rr + 1) % live.length;
          k--;
        }
        for (const idx of touched) {
          const d = devices[idx];
          const want = perDevice[idx];
          perDevice[idx] = 0;
          const room = Math.max(0, opts.window - d.inflight);
          const now = Math.min(room, want);
          if (want > now) {
            d.pending += want - now;
            stats.windowWaits += want - now;
          }
          publish(d, now);
        }
      }
      ticker = setTimeout(tick, 1);
    };
    tick();
  }
  await sleep(opts.duration * 1000);
  stopping = true;
  measuring = false;
  const t1 = performance.now();
  const cpu1 = process.cpuUsage(cpu0);
  process.stdout.write('#window-end\n');
  clearTimeout(ticker);
  const pendingAtStop = devices.reduce((s, d) => s + d.pending, 0);
  // Drain: wait for the PUBACKs of everything still in flight (its storage must be counted too).
  const inflightAtStop = devices.reduce((s, d) => s + (d.connected ? d.inflight : 0), 0);
  const tDrain = performance.now();
  await Promise.race([
    new Promise((r) => {
      drained = r;
      checkDrained();
    }),
    sleep(opts.drain * 1000),
  ]);
  const drainMs = performance.now() - tDrain;
  const unacked = devices.reduce((s, d) => s + d.inflight, 0);
  if (unacked > 0) noteError('PUBLISHes not acknowledged by the end of the drain');
  for (const d of devices) {
    d.closing = true;
    if (d.sock && !d.sock.destroyed) {
      if (d.connected)
        d.sock.end(Buffer.from([0xe0, 0x00])); // DISCONNECT
      else d.sock.destroy();
    }
  }
  const wall = (t1 - t0) / 1000;
  const lat = latencies.subarray(0, nLat).sort();
  const us = (x) => (x === null ? null : Math.round(x * 10000) / 10);
  Object.assign(out, {
    sent: stats.sent,
    acked: stats.acked,
    sent_in_window: stats.sentInWindow,
    acked_in_window: stats.ackedInWindow,
    acked_per_s: stats.ackedInWindow / wall,
    points_per_s: (stats.ackedInWindow * opts.keys) / wall,
    sent_per_s: stats.sentInWindow / wall,
    inflight_at_stop: inflightAtStop,
    paced_pending_at_stop: pendingAtStop,
    window_waits: stats.windowWaits,
    drain_ms: Math.round(drainMs),
    unacked_after_drain: unacked,
    disconnects: stats.disconnects,
    latency_us: nLat
      ? {
          n: nLat,
          p50: us(percentile(lat, nLat, 0.5)),
          p90: us(percentile(lat, nLat, 0.9)),
          p99: us(percentile(lat, nLat, 0.99)),
          p999: us(percentile(lat, nLat, 0.999)),
          max: us(lat[nLat - 1]),
        }
      : null,
    gen_wall_s: wall,
    gen_cpu_s: (cpu1.user + cpu1.system) / 1e6,
    gen_cpu_window_pct: Math.round((1000 * (cpu1.user + cpu1.system)) / 1e6 / wall) / 10,
    gen_cpu_total_s: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    ts_max: stats.maxTs,
    node: process.version,
    errors: stats.errors,
    error_detail: stats.errorDetail,
  });
  await sleep(100);
  for (const d of devices) d.sock?.destroy();
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(stats.errors ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`ingest-gen failed: ${err.stack ?? err}\n`);
  process.stdout.write(
    `${JSON.stringify({ errors: 1, error_detail: { generator: String(err.message) } })}\n`,
  );
  process.exit(1);
});
