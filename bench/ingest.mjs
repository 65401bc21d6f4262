#!/usr/bin/env node
// Telemetry ingest benchmark (issue #4): MQTT devices publishing QoS 1
// telemetry end to end into SQLite, against the same load through Mosquitto
// alone (no storage), plus the 30-day history query, on this machine.
//
//   npm run build && node bench/ingest.mjs [options]
//
// In one invocation, each with a fresh broker (Plexus: a fresh copy of one
// provisioned data dir; broker pinned to CPU 0, load on CPU 1):
//   max     100 devices flood QoS 1 telemetry (5 keys per message, 64 in flight each): acked points/s;
//           Plexus's stored rows are then counted in SQLite and must equal the acked points
//   paced   the same devices at half of Plexus's max msg/s (spread over the devices in 1 ms ticks):
//           p50/p99/max publish→PUBACK
//   paced-50k  the same at 50,000 points/s (half of the 100,000 points/s target)
//   (all three also against Mosquitto, which PUBACKs on receipt and stores nothing)
//   query   30 days of 1 s points of one key (2,592,000) pushed through the device HTTP API in
//           batches (a second ingest figure), then GET /api/v1/devices/{id}/telemetry?keys=…&from=<30 days
//           ago>&to=<now>&points=500 timed 20 times (warm), and its answer checked
// The load generator is bench/ingest-gen.mjs (Node, raw sockets, pre-encoded frames); the history
// loader bench/ingest-http.mjs. See bench/README.md.
//
// Options:
//   --quick             1 run of 5 s per scenario (default: median of 3 runs of 10 s), 2 s warm-ups
//   --only LIST         max, paced, paced-50k, query (default: all; paced needs max or --rate)
//   --brokers LIST      plexus, mosquitto (default: both)
//   --node PATH         Node binary for Plexus (default: this one)
//   --gen-node PATH     Node binary for the load generator and the HTTP loader (default: this one)
//   --plexus-dir DIR    run Plexus from DIR/dist (default: this checkout), e.g. a clean clone of one commit
//   --plexus-cpus LIST  CPUs Plexus is pinned to (0); the generator always runs on CPU 1
//   --reps N --duration S --warmup S   runs per scenario, seconds per run, seconds of the warm-up run
//   --devices N         MQTT devices (100)   --window N  PUBLISHes in flight per device (64)
//   --keys N            values per message (5)
//   --rate N            paced rate in msg/s (default: half of Plexus's median max acked msg/s)
//   --days N            days of 1 s history for the query (30)   --batch N  points per HTTP request (5000)
//   --http-concurrency N  HTTP requests in flight while loading history (4)
//   --query-calls N     timed query calls (20)
//   --profile [SCEN]    after the runs, one extra Plexus run of SCEN (max; or paced, paced-50k) under
//                       node --cpu-prof; prints the top self-time functions of the main thread and of the
//                       SQLite writer thread (not in the table)
//   --out FILE          raw JSON (default bench/results/ingest-<UTC stamp>.json; a .md is written next to it)
//   --keep              keep the temporary directory (broker logs, data dirs)
//   --quiet-wait S      before each run, wait up to S s (60) for other processes to leave the CPUs idle
//   --max-noise PCT     repeat a run during which other processes used > PCT % of a core (25),
//                       at most --noise-retries N (3) times per scenario and broker
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  alive,
  cleanup,
  configure,
  countStored,
  cpuBetween,
  cpuSeconds,
  fmt,
  GEN_CPU,
  generate,
  have,
  median,
  Mosquitto,
  Plexus,
  pinned,
  plexusLogSummary,
  printHelp,
  profileThreads,
  quiet,
  ROOT,
  rssKb,
  settle,
  snapshot,
  tail,
} from './lib/harness.mjs';

const HTTP_SCRIPT = path.join(ROOT, 'bench/ingest-http.mjs');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

// ── options ──────────────────────────────────────────────────────────────
const SCENARIO_IDS = ['max', 'paced', 'paced-50k', 'query'];
const LOAD_IDS = ['max', 'paced', 'paced-50k'];
/** paced-50k: half of issue #4's 100,000 points/s. */
const TARGET_HALF_POINTS = 50_000;
const BROKER_IDS = ['plexus', 'mosquitto'];

function parseArgs(argv) {
  const o = {
    quick: false,
    only: SCENARIO_IDS,
    brokers: BROKER_IDS,
    node: process.execPath,
    genNode: process.execPath,
    plexusCpus: '0',
    reps: undefined,
    duration: undefined,
    warmup: undefined,
    devices: 100,
    window: 64,
    keys: 5,
    rate: undefined,
    days: 30,
    batch: 5000,
    httpConcurrency: 4,
    queryCalls: 20,
    profile: undefined,
    out: undefined,
    keep: false,
    quietWait: 60,
    maxNoise: 25,
    noiseRetries: 3,
  };
  const list = (v, allowed, what) => {
    const xs = v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    for (const x of xs)
      if (!allowed.includes(x)) fail(`unknown ${what} "${x}"; one of: ${allowed.join(', ')}`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = list(next(), SCENARIO_IDS, 'scenario');
    else if (a === '--brokers') o.brokers = list(next(), BROKER_IDS, 'broker');
    else if (a === '--node') o.node = path.resolve(next());
    else if (a === '--gen-node') o.genNode = path.resolve(next());
    else if (a === '--plexus-dir') o.plexusDir = path.resolve(next());
    else if (a === '--plexus-cpus') o.plexusCpus = next();
    else if (a === '--reps') o.reps = Number(next());
    else if (a === '--duration') o.duration = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--devices') o.devices = Number(next());
    else if (a === '--window') o.window = Number(next());
    else if (a === '--keys') o.keys = Number(next());
    else if (a === '--rate') o.rate = Number(next());
    else if (a === '--days') o.days = Number(next());
    else if (a === '--batch') o.batch = Number(next());
    else if (a === '--http-concurrency') o.httpConcurrency = Number(next());
    else if (a === '--query-calls') o.queryCalls = Number(next());
    else if (a === '--profile')
      o.profile =
        argv[i + 1] && !argv[i + 1].startsWith('--') ? list(next(), LOAD_IDS, 'scenario')[0] : 'max';
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--keep') o.keep = true;
    else if (a === '--quiet-wait') o.quietWait = Number(next());
    else if (a === '--max-noise') o.maxNoise = Number(next());
    else if (a === '--noise-retries') o.noiseRetries = Number(next());
    else if (a === '-h' || a === '--help') printHelp(import.meta.url);
    else fail(`unknown option ${a} (see --help)`);
  }
  o.reps ??= o.quick ? 1 : 3;
  o.duration ??= o.quick ? 5 : 10;
  o.warmup ??= o.quick ? 2 : 3;
  o.only = SCENARIO_IDS.filter((s) => o.only.includes(s));
  o.brokers = BROKER_IDS.filter((b) => o.brokers.includes(b));
  if (
    o.only.includes('paced') &&
    o.rate === undefined &&
    !(o.only.includes('max') && o.brokers.includes('plexus'))
  )
    fail("paced runs at half of Plexus's max msg/s: add max (with plexus) to the run, or give --rate N");
  if (o.only.includes('query') && !o.brokers.includes('plexus')) o.only = o.only.filter((s) => s !== 'query');
  if (!(o.window >= 1 && o.window <= 1024)) fail('--window is 1 … 1024');
  if (!(o.batch >= 1 && o.batch <= 10000))
    fail('--batch is 1 … 10000 (the codec takes at most 10,000 entries)');
  return o;
}

function fail(msg) {
  process.stderr.write(`bench/ingest.mjs: ${msg}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const PLEXUS_DIR = opts.plexusDir ?? ROOT;
const log = (msg) => process.stderr.write(`[ingest ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
configure({
  plexusDir: PLEXUS_DIR,
  plexusCpus: opts.plexusCpus,
  genNode: opts.genNode,
  quietWait: opts.quietWait,
  log,
});

// ── prerequisites ────────────────────────────────────────────────────────

function checkPrerequisites() {
  if (os.platform() !== 'linux') fail('needs Linux (taskset, /proc)');
  if (!have('taskset')) fail('needs taskset (util-linux) to pin broker and generator to CPUs');
  if (os.cpus().length < 2) fail('needs at least 2 CPUs: broker on CPU 0, generator on CPU 1');
  if (opts.brokers.includes('plexus') && !fs.existsSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js')))
    fail(`${path.join(PLEXUS_DIR, 'dist/src/cli/main.js')} is missing: run \`npm run build\` first`);
  for (const [flag, bin] of [
    ['--node', opts.node],
    ['--gen-node', opts.genNode],
  ]) {
    if (!fs.existsSync(bin)) fail(`${flag} ${bin}: no such file`);
  }
}

function mosquittoBinary() {
  if (fs.existsSync('/usr/sbin/mosquitto')) return '/usr/sbin/mosquitto';
  const r = spawnSync('bash', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// ── brokers (bench/lib/harness.mjs) ─────────────────────────────────────
class IngestPlexus extends Plexus {
  /** Profiles, the MQTT devices and the history device in the template data dir; returns their secrets. */
  async provision() {
    const t0 = Date.now();
    await this.login();
    const limits = { messagesPerSecond: 1000000, bytesPerSecond: 1000000000, burstSeconds: 2 };
    await this.api('POST', '/profiles', { id: 'bench', limits });
    // 30 days of history must be younger than the retention: the default (30 days) would refuse the oldest.
    await this.api('POST', '/profiles', { id: 'bench-history', retentionDays: 60, limits });
    const secrets = new Map();
    const ids = deviceIds();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        secrets.set(id, (await this.api('POST', '/devices', { id, profile: 'bench' })).secret);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    secrets.set(
      HISTORY_DEVICE,
      (await this.api('POST', '/devices', { id: HISTORY_DEVICE, profile: 'bench-history' })).secret,
    );
    log(`plexus: provisioned ${ids.length + 1} devices in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return secrets;
  }
}

// ── identities ───────────────────────────────────────────────────────────
const pad = (i, n) => String(i).padStart(n, '0');
const deviceIds = () =>
  Array.from({ length: opts.devices }, (_, i) => `ingest-dev-${pad(i, String(opts.devices - 1).length)}`);
const HISTORY_DEVICE = 'ingest-history';
const HISTORY_KEY = 'temperature';

function writeCreds(file, secretOf) {
  fs.writeFileSync(
    file,
    `${deviceIds()
      .map((id) => {
        const [user, pass] = secretOf(id);
        return `${id} ${user} ${pass} devices/${id}/telemetry`;
      })
      .join('\n')}\n`,
  );
}

// ── runs ─────────────────────────────────────────────────────────────────
const runs = [];
const incidents = [];

function noteIncident(broker, scenario, rep, symptom, extra = {}) {
  incidents.push({
    broker: broker.name,
    scenario,
    rep,
    symptom,
    log_tail: tail(broker.logFile, 40),
    ...extra,
  });
  log(`  !! ${broker.name} ${scenario}${rep ? ` #${rep}` : ''}: ${symptom}`);
}

/** The generator's arguments for a scenario. */
function loadArgs(credsFile, mode, rate, duration, tsFloor) {
  const a = [
    '--creds',
    credsFile,
    '--mode',
    mode,
    '--window',
    String(opts.window),
    '--keys',
    String(opts.keys),
    '--duration',
    String(duration),
    '--drain',
    '20',
  ];
  if (mode === 'paced') a.push('--rate', String(rate));
  if (tsFloor) a.push('--ts-floor', String(tsFloor));
  return a;
}

/**
 * A scenario (max or paced) against one broker: a fresh broker, a discarded warm-up run with the same
 * load, then --reps measured runs (noisy runs repeated). For Plexus, the stored rows are counted
 * afterwards and compared with every PUBACKed message × keys of all runs (warm-up included).
 */
async function scenarioRuns(broker, id, credsFile, rate) {
  const mode = id === 'max' ? 'flood' : 'paced';
  if (broker.name === 'plexus') broker.freshData(`data-${id}`);
  await broker.start();
  let tsFloor = 0;
  const all = []; // every generator result against this data dir
  const run = async (duration, rep) => {
    const args = loadArgs(credsFile, mode, rate, duration, tsFloor);
    const g = await generate(broker, args, duration + 120);
    all.push(g.result);
    if (g.result.ts_max) tsFloor = g.result.ts_max + 1;
    return { ...g, args };
  };
  log(`   warm-up ${opts.warmup} s`);
  const warm = await run(opts.warmup, 0);
  if (warm.result.errors)
    noteIncident(broker, id, 0, `warm-up: generator errors ${JSON.stringify(warm.result.error_detail)}`, {
      generator_stderr: warm.stderr,
    });
  let retries = 0;
  for (let rep = 1; rep <= opts.reps; rep++) {
    await settle(broker);
    if (!broker.alive) {
      noteIncident(broker, id, rep, `broker process died${broker.exitNote}`);
      break;
    }
    const quietBefore = await quiet(broker);
    const rss0 = rssKb(broker.pid);
    const g = await run(opts.duration, rep);
    const up = broker.alive;
    const r = g.result;
    const row = {
      broker: broker.name,
      scenario: id,
      rep,
      rss_before_kb: rss0,
      rss_peak_kb: g.rssPeak,
      broker_alive: up,
      broker_cpu: g.cpu,
      other_cpu_pct_before: quietBefore,
      other_cpu_pct: g.otherCpuPct,
      command: `taskset -c ${GEN_CPU} node bench/ingest-gen.mjs --port <port> ${g.args.join(' ')}`,
      result: r,
    };
    runs.push(row);
    log(
      `  ${broker.name} ${id} #${rep}: ${fmt(r.points_per_s)} points/s (${fmt(r.acked_per_s)} msg/s acked)` +
        (r.latency_us
          ? `, p50 ${fmt(r.latency_us.p50)} µs p99 ${fmt(r.latency_us.p99)} µs max ${fmt(r.latency_us.max)} µs`
          : '') +
        `; broker CPU ${fmt(g.cpu?.pct)} % (main ${fmt(g.cpu?.main_pct)}, other threads ${fmt(g.cpu?.other_threads_pct)}),` +
        ` generator CPU ${fmt(r.gen_cpu_window_pct)} %, other processes ${fmt(g.otherCpuPct)} %` +
        `${r.errors ? `; errors ${JSON.stringify(r.error_detail)}` : ''}${up ? '' : '  BROKER DIED'}`,
    );
    if (up && g.otherCpuPct > opts.maxNoise && retries < opts.noiseRetries) {
      row.discarded = `noisy: other processes used ${g.otherCpuPct} % of a core`;
      log(`   run discarded (${row.discarded}); repeating it`);
      retries++;
      rep--;
      continue;
    }
    if (up && g.otherCpuPct > opts.maxNoise) {
      row.noisy_kept = true;
      noteIncident(
        broker,
        id,
        rep,
        `kept although other processes used ${g.otherCpuPct} % of a core during it (${opts.noiseRetries} repetitions used up)`,
      );
    }
    if (!up) noteIncident(broker, id, rep, `broker process died during the run${broker.exitNote}`);
    else if (r.errors)
      noteIncident(broker, id, rep, `generator errors ${JSON.stringify(r.error_detail)}`, {
        generator_stderr: g.stderr,
      });
  }
  await broker.stop();
  if (broker.name !== 'plexus') return null;
  // Every PUBACKed point must be stored exactly once: count rows with Plexus stopped (all committed).
  const acked = all.reduce((s, r) => s + (r.acked ?? 0), 0);
  const sent = all.reduce((s, r) => s + (r.sent ?? 0), 0);
  const v = countStored(broker.dataDir);
  const check = {
    scenario: id,
    messages_sent: sent,
    messages_acked: acked,
    points_acked: acked * opts.keys,
    ...v,
  };
  check.ok = v.rows === check.points_acked && v.rollup_1m_count === v.rows && v.rollup_1h_count === v.rows;
  log(
    `   stored: ${fmt(v.rows)} rows for ${fmt(check.points_acked)} acked points (${fmt(acked)} messages, ${fmt(sent)} sent);` +
      ` 1m rollups count ${fmt(v.rollup_1m_count)}, 1h ${fmt(v.rollup_1h_count)}; ${check.ok ? 'OK' : 'MISMATCH'}`,
  );
  if (!check.ok)
    noteIncident(
      broker,
      id,
      0,
      `stored rows ${v.rows} ≠ acked points ${check.points_acked} (or rollup counts differ)`,
      { check },
    );
  return check;
}

// ── query scenario ───────────────────────────────────────────────────────
function httpGet(port, p, token, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: 'GET',
        agent,
        headers: { authorization: `Bearer ${token}` },
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
    req.end();
  });
}

/** Loads --days of 1 s points of one key over the device HTTP API, then times the 500-point query. */
async function queryScenario(plexus, secret) {
  plexus.freshData('data-query');
  await plexus.start();
  const count = Math.round((opts.days * DAY) / 1000);
  const lastTs = Math.floor(Date.now() / 1000) * 1000 - 1000;
  const from = lastTs - (count - 1) * 1000;
  await quiet(plexus);
  log(
    `   loading ${fmt(count)} points (${opts.days} days at 1 s) in batches of ${opts.batch}, ${opts.httpConcurrency} in flight`,
  );
  const args = [
    HTTP_SCRIPT,
    '--port',
    String(plexus.httpPort),
    '--device',
    HISTORY_DEVICE,
    '--secret',
    secret,
    '--key',
    HISTORY_KEY,
    '--from',
    String(from),
    '--count',
    String(count),
    '--batch',
    String(opts.batch),
    '--concurrency',
    String(opts.httpConcurrency),
  ];
  const pid = plexus.pid;
  const a = snapshot(pid);
  let rssPeak = rssKb(pid);
  const poll = setInterval(() => {
    const r = rssKb(pid);
    if (r !== null && r > rssPeak) rssPeak = r;
  }, 200);
  const child = pinned(GEN_CPU, [opts.genNode, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => alive(child.pid) && process.kill(child.pid, 'SIGKILL'), 900_000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  clearInterval(poll);
  const b = snapshot(pid);
  let load;
  try {
    load = JSON.parse(stdout.trim().split('\n').pop());
  } catch {
    load = {
      errors: 1,
      error_detail: { loader: `no output (exit ${code ?? signal}) ${stderr.slice(-400)}` },
    };
  }
  const cpu = cpuBetween(pid, a, b);
  const other = cpu && load.gen_cpu_s !== undefined ? cpu.machine_busy_s - cpu.cpu_s - load.gen_cpu_s : null;
  const loadRow = {
    ...load,
    broker_cpu: cpu,
    rss_peak_kb: rssPeak,
    other_cpu_pct: other === null ? null : Math.round((1000 * Math.max(0, other)) / cpu.wall_s) / 10,
    command: `taskset -c ${GEN_CPU} node bench/ingest-http.mjs ${args.slice(1).join(' ').replace(secret, '<secret>')}`,
  };
  log(
    `   loaded ${fmt(load.accepted)} of ${fmt(count)} points in ${fmt(load.wall_s)} s: ${fmt(load.points_per_s)} points/s;` +
      ` request p50 ${fmt(load.request_ms?.p50)} ms p99 ${fmt(load.request_ms?.p99)} ms; broker CPU ${fmt(cpu?.pct)} %` +
      ` (main ${fmt(cpu?.main_pct)}, other threads ${fmt(cpu?.other_threads_pct)}); loader CPU ${fmt(load.gen_cpu_pct)} %` +
      `${load.errors ? `; errors ${JSON.stringify(load.error_detail)}` : ''}`,
  );
  if (load.errors || load.accepted !== count)
    noteIncident(
      plexus,
      'query',
      0,
      `history load: ${load.accepted} of ${count} points accepted; ${JSON.stringify(load.error_detail)}`,
    );

  // The query: 30 days up to now, about 500 points, as a chart would ask.
  await settle(plexus);
  await quiet(plexus);
  await plexus.login();
  const qTo = Date.now();
  const qFrom = qTo - opts.days * DAY;
  const url = `/api/v1/devices/${HISTORY_DEVICE}/telemetry?keys=${HISTORY_KEY}&from=${qFrom}&to=${qTo}&points=500`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const timed = async () => {
    const s = performance.now();
    const r = await httpGet(plexus.httpPort, url, plexus.token, agent);
    const ms = performance.now() - s;
    if (r.status !== 200) throw new Error(`GET ${url} → ${r.status} ${r.text.slice(0, 300)}`);
    return { ms, body: JSON.parse(r.text), bytes: r.text.length };
  };
  const first = await timed(); // the first call after start: prepares statements, warms the page cache
  for (let i = 0; i < 3; i++) await timed();
  const times = [];
  let answer;
  const c0 = cpuSeconds(plexus.pid);
  for (let i = 0; i < opts.queryCalls; i++) {
    const t = await timed();
    times.push(t.ms);
    answer = t;
  }
  const c1 = cpuSeconds(plexus.pid);
  // Check the answer: at most 500 buckets, aggregates within the loaded values' range, and (one more
  // call with agg=count) every point in the range counted.
  const items = answer.body.items;
  const interval = answer.body.interval;
  const problems = [];
  if (!Array.isArray(items) || items.length === 0) problems.push('no items');
  if (items.length > 500) problems.push(`${items.length} buckets > 500`);
  for (const it of items) {
    if (!(it.min <= it.avg && it.avg <= it.max))
      problems.push(`bucket ${it.ts}: min ${it.min} avg ${it.avg} max ${it.max}`);
    if (!(it.min >= 14 && it.max <= 26))
      problems.push(`bucket ${it.ts}: values outside 14…26 (${it.min} … ${it.max})`);
    if (problems.length > 5) break;
  }
  const countAnswer = await httpGet(plexus.httpPort, `${url}&agg=count`, plexus.token, agent);
  const counted = JSON.parse(countAnswer.text).items.reduce((s, it) => s + it.count, 0);
  // As src/telemetry/queries.ts reads it: hour rollups for whole-hour intervals, minute rollups for
  // whole minutes (the range then starts at the bucket holding `from`), raw points otherwise.
  const unit = interval % HOUR === 0 ? HOUR : interval % MINUTE === 0 ? MINUTE : 0;
  const widened = unit ? qFrom - (qFrom % interval) : qFrom;
  let expected = 0;
  for (let i = 0; i < count; i++) {
    const ts = from + i * 1000;
    const b = unit ? ts - (ts % unit) : ts;
    if (b >= widened && b <= qTo) expected++;
  }
  if (counted !== expected) problems.push(`the buckets count ${counted} points, expected ${expected}`);
  agent.destroy();
  const sorted = [...times].sort((x, y) => x - y);
  const query = {
    url: url.replace(/from=\d+&to=\d+/, `from=<${opts.days} days ago>&to=<now>`),
    calls: times.length,
    first_call_ms: first.ms,
    median_ms: median(times),
    p90_ms: sorted[Math.ceil(0.9 * sorted.length) - 1],
    max_ms: sorted[sorted.length - 1],
    min_ms: sorted[0],
    times_ms: times.map((t) => Math.round(t * 100) / 100),
    broker_cpu_ms_per_call: c0 !== null && c1 !== null ? (1000 * (c1 - c0)) / times.length : null,
    buckets: items.length,
    interval_ms: interval,
    response_bytes: answer.bytes,
    points_counted: counted,
    points_expected: expected,
    sample: items.slice(0, 2),
    problems,
    ok: problems.length === 0,
  };
  log(
    `   query: ${items.length} buckets of ${interval / 60000} min; median ${fmt(query.median_ms)} ms, max ${fmt(query.max_ms)} ms` +
      ` (first call ${fmt(first.ms)} ms); answer ${query.ok ? 'OK' : `WRONG: ${problems.join('; ')}`}`,
  );
  if (!query.ok) noteIncident(plexus, 'query', 0, `query answer: ${problems.join('; ')}`);
  await plexus.stop();
  const stored = countStored(plexus.dataDir);
  loadRow.stored = stored;
  if (stored.rows !== count)
    noteIncident(plexus, 'query', 0, `history: ${stored.rows} rows stored for ${count} points`);
  return { load: loadRow, query };
}

// ── CPU profile (one extra Plexus max run, not in the table) ─────────────
async function profileRun(plexus, credsFile, id, rate) {
  const mode = id === 'max' ? 'flood' : 'paced';
  const dir = path.join(plexus.dir, 'cpuprof');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  plexus.freshData('data-profile');
  await plexus.start(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const serverPid = plexus.pid;
  const warm = await generate(plexus, loadArgs(credsFile, mode, rate, opts.warmup, 0), 120);
  await settle(plexus);
  await quiet(plexus);
  const floor = (warm.result.ts_max ?? 0) + 1;
  const t0 = process.hrtime.bigint();
  const g = await generate(
    plexus,
    loadArgs(credsFile, mode, rate, opts.duration, floor),
    opts.duration + 120,
  );
  const t1 = process.hrtime.bigint();
  await plexus.stop();
  const { threads, error } = profileThreads(dir, serverPid, t0, t1);
  if (error) return { error };
  return {
    scenario: id,
    rate: mode === 'paced' ? rate : null,
    points_per_s: g.result.points_per_s,
    latency_us: g.result.latency_us,
    broker_cpu: g.cpu,
    threads,
  };
}

// ── summary ──────────────────────────────────────────────────────────────
const cpuRows = [
  ['broker CPU % (window, all threads)', '', (x) => x.broker_cpu?.pct],
  ['  of which main thread %', '', (x) => x.broker_cpu?.main_pct],
  ['  of which other threads % (SQLite writer)', '', (x) => x.broker_cpu?.other_threads_pct],
  [
    '  SQLite writes, bytes per acked point (other threads)',
    '',
    (x) =>
      x.broker_cpu?.other_threads_write_bytes && x.result.acked_in_window
        ? x.broker_cpu.other_threads_write_bytes / (x.result.acked_in_window * opts.keys)
        : null,
  ],
  ['broker peak RSS, MiB', '', (x) => (x.rss_peak_kb == null ? null : x.rss_peak_kb / 1024)],
  ['generator CPU % (window)', '', (x) => x.result.gen_cpu_window_pct],
  ['other processes CPU % (noise)', '', (x) => x.other_cpu_pct],
];
const METRICS = {
  max: [
    ['acked points/s', '↑', (x) => x.result.points_per_s],
    ['acked msg/s', '↑', (x) => x.result.acked_per_s],
    ['publish→PUBACK p50 µs (flood: queueing)', '', (x) => x.result.latency_us?.p50],
    ['publish→PUBACK p99 µs (flood: queueing)', '', (x) => x.result.latency_us?.p99],
    ...cpuRows,
  ],
  paced: [
    ['target msg/s', '', (x) => x.result.target_rate],
    ['target points/s', '', (x) => (x.result.target_rate ?? 0) * opts.keys],
    ['acked points/s', '↑', (x) => x.result.points_per_s],
    ['publish→PUBACK p50 µs', '↓', (x) => x.result.latency_us?.p50],
    ['publish→PUBACK p99 µs', '↓', (x) => x.result.latency_us?.p99],
    ['publish→PUBACK p99.9 µs', '↓', (x) => x.result.latency_us?.p999],
    ['publish→PUBACK max µs', '↓', (x) => x.result.latency_us?.max],
    ['messages held back by the window', '', (x) => x.result.window_waits],
    ...cpuRows,
  ],
};
METRICS['paced-50k'] = METRICS.paced;

function summarize(names) {
  const summary = {};
  for (const id of LOAD_IDS) {
    if (!opts.only.includes(id)) continue;
    summary[id] = {};
    for (const [name, , f] of METRICS[id]) {
      summary[id][name] = {};
      for (const b of names) {
        const rs = runs.filter((r) => r.broker === b && r.scenario === id && !r.discarded);
        summary[id][name][b] = rs.length ? median(rs.map(f)) : null;
      }
    }
  }
  return summary;
}

function report(names, summary, meta, checks, history, profile) {
  const hasM = names.includes('mosquitto') && names.includes('plexus');
  let out = `Telemetry ingest benchmark, ${meta.date}\n\n`;
  out += `- ${meta.machine}\n`;
  const v = meta.versions;
  if (v.plexus)
    out += `- Plexus ${v.plexus} at commit ${meta.commit || '?'}${meta.src_changes ? ` with ${meta.src_changes} uncommitted change(s) in src/` : ''} (${meta.plexus_dir === ROOT ? 'this checkout' : meta.plexus_dir}; dist/ built ${meta.dist_built}) on Node ${v.plexus_node}, SQLite via ${v.sqlite_driver}\n`;
  const who = [];
  if (v.mosquitto)
    who.push(
      `${v.mosquitto.replace(/^mosquitto version/, 'Mosquitto')} (no storage, no subscriber; stock settings but set_tcp_nodelay true)`,
    );
  who.push(
    `load generator (bench/ingest-gen.mjs) and HTTP loader on Node ${v.gen_node}`,
    `bench script on Node ${v.bench_node}`,
  );
  out += `- ${who.join('; ')}\n`;
  const pinning =
    opts.plexusCpus === '0'
      ? "broker on CPU 0 (Plexus's SQLite writer thread shares it with the main thread)"
      : `Plexus on CPUs ${opts.plexusCpus} (--plexus-cpus; sharing the generator's CPU), Mosquitto on CPU 0`;
  out += `- ${pinning}, generator on CPU ${GEN_CPU}; MQTT 3.1.1, QoS 1, ${opts.devices} devices, ${opts.keys} keys per message (${meta.payload_bytes ?? '?'}-byte JSON payload with its own ms timestamp), ${opts.window} PUBLISHes in flight per device; median of ${opts.reps} run(s) of ${opts.duration} s after a ${opts.warmup} s warm-up, fresh broker (and fresh copy of the provisioned data dir) per scenario\n`;
  if (opts.only.includes('paced'))
    out += `- paced at ${fmt(meta.paced_rate)} msg/s = ${fmt(meta.paced_rate * opts.keys)} points/s (${meta.paced_rate_source}), spread over the devices in 1 ms ticks\n`;
  if (opts.only.includes('paced-50k'))
    out += `- paced-50k at ${fmt(meta.paced_50k_rate)} msg/s = ${fmt(meta.paced_50k_rate * opts.keys)} points/s (half of the 100,000 points/s target), likewise\n`;
  const discarded = runs.filter((r) => r.discarded).length;
  out += `- ${discarded} run(s) discarded and repeated because other processes used more than ${opts.maxNoise} % of a core during them\n\n`;

  if (LOAD_IDS.some((id) => opts.only.includes(id))) {
    out += `| scenario | metric | ${names.join(' | ')} |${hasM ? ' Plexus/Mosquitto |' : ''}\n`;
    out += `|---|---|${names.map(() => '---:').join('|')}|${hasM ? '---:|' : ''}\n`;
    for (const id of LOAD_IDS) {
      if (!summary[id]) continue;
      let first = true;
      for (const [name, dir] of METRICS[id]) {
        const vals = summary[id][name];
        const cells = names.map((n) =>
          n === 'mosquitto' && /main thread|other threads/.test(name) ? '' : fmt(vals[n]),
        );
        const ratio =
          hasM && dir && vals.plexus != null && vals.mosquitto
            ? `${(vals.plexus / vals.mosquitto).toFixed(2)}×`
            : '';
        out += `| ${first ? id : ''} | ${name}${dir ? ` ${dir}` : ''} | ${cells.join(' | ')} |${hasM ? ` ${ratio} |` : ''}\n`;
        first = false;
      }
      const c = checks[id];
      if (c && names.includes('plexus')) {
        const cell = `${c.ok ? 'yes' : 'NO'}: ${fmt(c.rows)} rows = ${fmt(c.points_acked)} acked points`;
        out += `|  | stored rows = acked points (all runs incl. warm-up) | ${names.map((n) => (n === 'plexus' ? cell : 'n/a (no storage)')).join(' | ')} |${hasM ? '  |' : ''}\n`;
      }
    }
    out += '\n↑ higher is better, ↓ lower is better; the ratio is Plexus divided by Mosquitto.\n';
  }

  if (history) {
    const l = history.load;
    const q = history.query;
    out += `\nHistory and query (Plexus only): ${opts.days} days of 1 s points of one key through the device HTTP API, then the chart query\n\n`;
    out += '| step | metric | plexus |\n|---|---|---:|\n';
    out += `| load (POST /device/v1/telemetry, ${fmt(opts.batch)} points per request, ${opts.httpConcurrency} in flight) | points stored | ${fmt(l.stored?.rows)} of ${fmt(l.points)} |\n`;
    out += `|  | ingest points/s ↑ | ${fmt(l.points_per_s)} |\n`;
    out += `|  | wall time s | ${fmt(l.wall_s)} |\n`;
    out += `|  | request p50 / p99 ms | ${fmt(l.request_ms?.p50)} / ${fmt(l.request_ms?.p99)} |\n`;
    out += `|  | broker CPU % (all threads / main / other threads) | ${fmt(l.broker_cpu?.pct)} / ${fmt(l.broker_cpu?.main_pct)} / ${fmt(l.broker_cpu?.other_threads_pct)} |\n`;
    out += `|  | SQLite writes, bytes per point (other threads) | ${fmt(l.broker_cpu?.other_threads_write_bytes / Math.max(1, l.accepted))} |\n`;
    out += `|  | broker peak RSS, MiB | ${fmt(l.rss_peak_kb / 1024)} |\n`;
    out += `|  | loader CPU % | ${fmt(l.gen_cpu_pct)} |\n`;
    out += `|  | database size, MiB | ${fmt(l.stored?.db_bytes / 2 ** 20)} |\n`;
    out += `| query \`${q.url}\` | buckets returned (interval) | ${q.buckets} (${q.interval_ms / 60000} min) |\n`;
    out += `|  | answer checked (≤ 500 buckets, min ≤ avg ≤ max in range, counts = ${fmt(q.points_expected)} points) | ${q.ok ? 'yes' : `NO: ${q.problems.join('; ')}`} |\n`;
    out += `|  | median ms of ${q.calls} warm calls ↓ | ${fmt(q.median_ms)} |\n`;
    out += `|  | p90 / max ms ↓ | ${fmt(q.p90_ms)} / ${fmt(q.max_ms)} |\n`;
    out += `|  | first call after start ms | ${fmt(q.first_call_ms)} |\n`;
    out += `|  | broker CPU ms per call | ${fmt(q.broker_cpu_ms_per_call)} |\n`;
    out += `|  | response bytes | ${fmt(q.response_bytes)} |\n`;
    out +=
      '\nQuery times are client-side wall time over loopback (request sent → whole response read), one call at a time on a keep-alive connection.\n';
  }

  const t = targets(summary, checks, history, meta);
  if (t.length) {
    out += '\nTargets (issue #4):\n\n| target | Plexus | met |\n|---|---:|---|\n';
    for (const x of t) out += `| ${x.target} | ${x.value} | ${x.met ? 'yes' : 'NO'} |\n`;
  }
  if (incidents.length) {
    out += '\nIncidents (details in the JSON):\n\n';
    for (const i of incidents)
      out += `- ${i.broker} ${i.scenario}${i.rep ? ` run ${i.rep}` : ''}: ${i.symptom}\n`;
  }
  if (
    meta.plexus_log &&
    (Object.keys(meta.plexus_log.warnings_and_errors).length || meta.plexus_log.non_json_lines.length)
  ) {
    out += '\nPlexus log (warn and above, by message):\n\n';
    for (const [k, n] of Object.entries(meta.plexus_log.warnings_and_errors)) out += `- ${n} × level ${k}\n`;
    for (const l of meta.plexus_log.non_json_lines) out += `- \`${l.slice(0, 200)}\`\n`;
  }
  if (profile?.threads) {
    const lat =
      profile.latency_us && profile.rate
        ? `, p50 ${fmt(profile.latency_us.p50)} µs p99 ${fmt(profile.latency_us.p99)} µs`
        : '';
    out += `\nPlexus CPU profile (${profile.scenario}${profile.rate ? ` at ${fmt(profile.rate)} msg/s` : ''}, one extra run, ${fmt(profile.points_per_s)} points/s${lat} under the profiler; broker CPU ${fmt(profile.broker_cpu?.pct)} %: main thread ${fmt(profile.broker_cpu?.main_pct)} %, other threads ${fmt(profile.broker_cpu?.other_threads_pct)} %), top self time over the measured run:\n`;
    for (const th of profile.threads) {
      out += `\n${th.thread} (${th.sampled_ms} ms sampled over ${th.window}):\n\n| function | self ms | self % |\n|---|---:|---:|\n`;
      for (const p of th.top) out += `| \`${p.function}\` | ${p.self_ms} | ${p.self_pct} |\n`;
    }
  } else if (profile?.error) out += `\nCPU profile: ${profile.error}\n`;
  return { text: out, targets: t };
}

function targets(summary, checks, history, meta) {
  const t = [];
  const max = summary.max?.['acked points/s']?.plexus;
  if (max != null)
    t.push({
      target: `≥ 100,000 points/s sustained (MQTT QoS 1, ${opts.keys} keys per message, acked after the commit)`,
      value: `${fmt(max)} points/s${checks.max ? (checks.max.ok ? ', all stored' : ', STORAGE MISMATCH') : ''}`,
      met: max >= 100000 && (checks.max?.ok ?? true),
    });
  for (const [id, rate, what] of [
    ['paced', meta.paced_rate, 'half of the measured max rate'],
    ['paced-50k', meta.paced_50k_rate, 'half of the 100,000 points/s target'],
  ]) {
    const p99 = summary[id]?.['publish→PUBACK p99 µs']?.plexus;
    if (p99 == null) continue;
    const acked = summary[id]['acked points/s'].plexus;
    const target = rate * opts.keys;
    t.push({
      target: `p99 publish→PUBACK < 25 ms at ${what} (${id}: ${fmt(target)} points/s)`,
      value: `${(p99 / 1000).toFixed(2)} ms (p50 ${(summary[id]['publish→PUBACK p50 µs'].plexus / 1000).toFixed(2)} ms) at ${fmt(acked)} points/s`,
      // Kept up: the acked rate within the window trails the sent one only by what is in flight at its end.
      met: p99 < 25000 && acked >= 0.95 * target,
    });
  }
  if (history?.query) {
    const q = history.query;
    t.push({
      target: `${opts.days}-day query of one key at 1 s resolution as ≤ 500 aggregated points < 50 ms`,
      value: `median ${fmt(q.median_ms)} ms, max ${fmt(q.max_ms)} ms of ${q.calls} (${q.buckets} buckets${q.ok ? '' : ', ANSWER WRONG'})`,
      met: q.max_ms < 50 && q.ok,
    });
  }
  return t;
}

// ── main ─────────────────────────────────────────────────────────────────
async function main() {
  checkPrerequisites();
  const started = new Date();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-ingest-'));
  const brokers = [];
  for (const name of opts.brokers) {
    if (name === 'plexus') brokers.push(new IngestPlexus(tmp, opts.node));
    else {
      const bin = mosquittoBinary();
      if (!bin) {
        log('mosquitto is not installed (apt-get install mosquitto): skipping it');
        continue;
      }
      brokers.push(new Mosquitto(tmp, bin));
    }
  }
  const names = brokers.map((b) => b.name);
  const plexus = brokers.find((b) => b.name === 'plexus');
  const mosquitto = brokers.find((b) => b.name === 'mosquitto');
  log(
    `temp dir ${tmp}; ${opts.reps} run(s) × ${opts.duration} s; scenarios ${opts.only.join(', ')}; brokers ${names.join(', ')}`,
  );

  const anonCreds = path.join(tmp, 'creds-anon.txt');
  writeCreds(anonCreds, () => ['-', '-']);
  const plexusCreds = path.join(tmp, 'creds-plexus.txt');
  let secrets;
  if (plexus) {
    log('=== plexus: provisioning the template data dir');
    await plexus.start();
    secrets = await plexus.provision();
    await plexus.stop();
    writeCreds(plexusCreds, (id) => [id, secrets.get(id)]);
  }

  const checks = {};
  let pacedRate = opts.rate;
  const pacedRateSource = opts.rate ? 'given with --rate' : "half of Plexus's median max acked msg/s";
  if (opts.only.includes('max')) {
    for (const b of brokers) {
      log(`=== ${b.name}: max (flood, ${opts.window} in flight per device)`);
      const c = await scenarioRuns(b, 'max', b === plexus ? plexusCreds : anonCreds);
      if (c) checks.max = c;
    }
  }
  if (opts.only.includes('paced')) {
    if (pacedRate === undefined) {
      const med = median(
        runs
          .filter((r) => r.broker === 'plexus' && r.scenario === 'max' && !r.discarded)
          .map((r) => r.result.acked_per_s),
      );
      if (!med) fail('no Plexus max rate to pace at (all max runs failed); give --rate N');
      pacedRate = Math.max(100, Math.round(med / 2 / 100) * 100);
    }
    for (const b of brokers) {
      log(`=== ${b.name}: paced at ${pacedRate} msg/s`);
      const c = await scenarioRuns(b, 'paced', b === plexus ? plexusCreds : anonCreds, pacedRate);
      if (c) checks.paced = c;
    }
  }
  const paced50kRate = Math.round(TARGET_HALF_POINTS / opts.keys);
  if (opts.only.includes('paced-50k')) {
    for (const b of brokers) {
      log(`=== ${b.name}: paced-50k at ${paced50kRate} msg/s (${fmt(paced50kRate * opts.keys)} points/s)`);
      const c = await scenarioRuns(b, 'paced-50k', b === plexus ? plexusCreds : anonCreds, paced50kRate);
      if (c) checks['paced-50k'] = c;
    }
  }
  let history;
  if (opts.only.includes('query') && plexus) {
    log(`=== plexus: ${opts.days} days of history over HTTP, then the query`);
    history = await queryScenario(plexus, secrets.get(HISTORY_DEVICE));
  }
  let profile;
  if (opts.profile && plexus) {
    const rate = opts.profile === 'paced' ? pacedRate : opts.profile === 'paced-50k' ? paced50kRate : 0;
    if (opts.profile === 'paced' && !rate) log('   no paced rate (run max or give --rate): no profile');
    else {
      log(`=== plexus: CPU profile of one ${opts.profile} run`);
      profile = await profileRun(plexus, plexusCreds, opts.profile, rate);
    }
  }
  for (const b of brokers) await b.stop();

  const git = (args) =>
    spawnSync('git', ['-C', PLEXUS_DIR, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const someRun = runs.find((r) => r.result.payload_bytes);
  const meta = {
    date: started.toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    src_changes: git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length,
    plexus_dir: PLEXUS_DIR,
    dist_built: fs.existsSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js'))
      ? fs.statSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js')).mtime.toISOString()
      : null,
    machine: `${os.cpus()[0]?.model} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`,
    versions: {
      plexus: plexus?.version ?? null,
      plexus_node: plexus?.nodeVersion ?? null,
      sqlite_driver: plexus
        ? Number(plexus.nodeVersion.replace(/^v/, '').split('.')[0]) >= 22
          ? 'better-sqlite3@13 (Node-API)'
          : 'better-sqlite3@12'
        : null,
      mosquitto: mosquitto?.version ?? null,
      gen_node: spawnSync(opts.genNode, ['--version'], { encoding: 'utf8' }).stdout.trim(),
      bench_node: process.version,
    },
    payload_bytes: someRun?.result.payload_bytes ?? null,
    paced_rate: pacedRate ?? null,
    paced_rate_source: pacedRateSource,
    paced_50k_rate: paced50kRate,
    plexus_log: plexusLogSummary(plexus),
  };
  const summary = summarize(names);
  const { text, targets: tgt } = report(names, summary, meta, checks, history, profile);

  const stamp = started.toISOString().replace(/\..*$/, '').replace(/:/g, '-');
  const out = opts.out ?? path.join(ROOT, 'bench/results', `ingest-${stamp}Z.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const argv = process.argv.slice(2);
  fs.writeFileSync(
    out,
    `${JSON.stringify(
      {
        meta: { ...meta, command: `node bench/ingest.mjs ${argv.join(' ')}`.trim(), options: opts },
        summary,
        targets: tgt,
        storage_checks: checks,
        history,
        incidents,
        profile,
        runs,
      },
      null,
      2,
    )}\n`,
  );
  fs.writeFileSync(out.replace(/\.json$/, '.md'), text);
  process.stdout.write(`\n${text}\nraw results: ${path.relative(process.cwd(), out)}\n`);
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

main().catch((err) => {
  process.stderr.write(`bench/ingest.mjs failed: ${err.stack ?? err}\n`);
  cleanup();
  process.exit(1);
});
