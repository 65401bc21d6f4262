#!/usr/bin/env node
// Rule engine benchmark (issue #6): "with 1,000 rules over 10,000 devices, the end-to-end rate of
// issue 'Telemetry' stays within 20 % of its rule-less figure, and p99 from publish to webhook call
// stays under 50 ms at half load", on this machine.
//
//   npm run build && node bench/rules.mjs [options]
//
// One data dir is provisioned once over the REST API: 10,000 devices in 10 profiles, 100 groups
// and labels (site, zone); a copy of it gets 1,000 enabled rules (bench/rules-set.mjs: thresholds,
// ranges, 10 s window averages, rates, anomalies, `for` durations, all/any, geofences, inactivity;
// targeting profiles, groups, labels and device lists). Then, each with a fresh copy and a fresh
// Plexus (pinned to CPU 0; generators on CPU 1):
//   baseline         no rules: every device connected, flooding QoS 1 JSON telemetry (5 keys, --window
//                    in flight per device): max acked points/s (bench/ingest-gen.mjs)
//   rules            the same with the 1,000 rules: max acked points/s, the ratio to baseline, and the
//                    engine's own counters afterwards (GET /metrics, alarm counts)
//   webhook-latency  with the rules, paced at half of baseline's acked msg/s: all but --hook-devices
//                    devices through bench/ingest-gen.mjs, the hook devices through bench/rules-hook.mjs,
//                    whose k1 alternates across a rule's threshold (webhook action, throttle 0s);
//                    publish → webhook arrival p50/p99/max
//   paced-no-rules   informational: the same paced load (hook devices included) on the rule-less data dir,
//                    so publish→PUBACK and CPU with and without the rules can be told apart
// Every PUBACKed point must be stored (rows counted in SQLite after each scenario).
//
// Options:
//   --quick             1 run of 5 s per scenario (default: median of 3 runs of 10 s), 2 s warm-ups
//   --only LIST         baseline, rules, paced-no-rules, webhook-latency (default: all; the paced ones need
//                       baseline or --rate)
//   --node PATH         Node binary for Plexus (default: this one)
//   --gen-node PATH     Node binary for the generators (default: this one)
//   --plexus-dir DIR    run Plexus from DIR/dist (default: this checkout), e.g. a clean clone of one commit
//   --reps N --duration S --warmup S   runs per scenario, seconds per run, seconds of the warm-up run
//   --devices N         devices (10000)   --rules N  rules (1000)   --window N  PUBLISHes in flight per device (1)
//   --hook-devices N    devices publishing the alternating value in webhook-latency (200)
//   --rate N            the paced scenarios' total msg/s (default: half of baseline's median acked msg/s)
//   --profile [SCEN]    after the runs, one extra Plexus run of SCEN (rules; or baseline, webhook-latency)
//                       under node --cpu-prof; prints the top self-time functions (not in the table)
//   --out FILE          raw JSON (default bench/results/rules-<UTC stamp>.json; a .md is written next to it)
//   --keep              keep the temporary directory (Plexus log, data dirs)
//   --quiet-wait S      before each run, wait up to S s (60) for other processes to leave the CPUs idle
//   --max-noise PCT     repeat a run during which other processes used > PCT % of a core (25),
//                       at most --noise-retries N (3) times per scenario
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  alive,
  cleanup,
  configure,
  countStored,
  fmt,
  freePort,
  GEN_CPU,
  generate,
  have,
  median,
  Plexus,
  pinned,
  plexusLogSummary,
  printHelp,
  profileThreads,
  quiet,
  ROOT,
  rssKb,
  settle,
  sleep,
  tail,
} from './lib/harness.mjs';
import { buildRules, fleet, HOOK_RULE, KEYS } from './rules-set.mjs';

const HOOK_SCRIPT = path.join(ROOT, 'bench/rules-hook.mjs');
const SCENARIO_IDS = ['baseline', 'rules', 'paced-no-rules', 'webhook-latency'];
const PACED = new Set(['paced-no-rules', 'webhook-latency']);
const P99_TARGET_MS = 50;
const RATIO_TARGET = 0.8;

// ── options ──────────────────────────────────────────────────────────────
function parseArgs(argv) {
  const o = {
    quick: false,
    only: SCENARIO_IDS,
    node: process.execPath,
    genNode: process.execPath,
    devices: 10_000,
    rules: 1000,
    window: 1,
    hookDevices: 200,
    keep: false,
    quietWait: 60,
    maxNoise: 25,
    noiseRetries: 3,
  };
  const list = (v) => {
    const xs = v.split(',').map((x) => x.trim());
    for (const x of xs)
      if (!SCENARIO_IDS.includes(x)) fail(`unknown scenario "${x}"; one of: ${SCENARIO_IDS.join(', ')}`);
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
    else if (a === '--only') o.only = list(next());
    else if (a === '--node') o.node = path.resolve(next());
    else if (a === '--gen-node') o.genNode = path.resolve(next());
    else if (a === '--plexus-dir') o.plexusDir = path.resolve(next());
    else if (a === '--reps') o.reps = Number(next());
    else if (a === '--duration') o.duration = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--devices') o.devices = Number(next());
    else if (a === '--rules') o.rules = Number(next());
    else if (a === '--window') o.window = Number(next());
    else if (a === '--hook-devices') o.hookDevices = Number(next());
    else if (a === '--rate') o.rate = Number(next());
    else if (a === '--profile')
      o.profile = argv[i + 1] && !argv[i + 1].startsWith('--') ? list(next())[0] : 'rules';
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
  if (o.only.some((id) => PACED.has(id)) && o.rate === undefined && !o.only.includes('baseline'))
    fail(
      "the paced scenarios run at half of baseline's acked msg/s: add baseline to the run, or give --rate N",
    );
  if (!(o.devices >= 100)) fail('--devices is at least 100');
  if (!(o.hookDevices >= 1 && o.hookDevices < o.devices / 2)) fail('--hook-devices is 1 … devices/2');
  if (!(o.rules >= 100)) fail('--rules is at least 100');
  if (!(o.window >= 1 && o.window <= 1024)) fail('--window is 1 … 1024');
  return o;
}

function fail(msg) {
  process.stderr.write(`bench/rules.mjs: ${msg}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const PLEXUS_DIR = opts.plexusDir ?? ROOT;
const log = (msg) => process.stderr.write(`[rules ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
configure({
  plexusDir: PLEXUS_DIR,
  genNode: opts.genNode,
  quietWait: opts.quietWait,
  log,
  // Webhooks go to the receiver on 127.0.0.1 (a server that denies private networks would refuse it).
  plexusEnv: { PLEXUS_ACTIONS_WEBHOOK_DENY_PRIVATE_NETWORKS: 'false' },
});
const FLEET = fleet(opts.devices, opts.hookDevices);

function checkPrerequisites() {
  if (os.platform() !== 'linux') fail('needs Linux (taskset, /proc)');
  if (!have('taskset')) fail('needs taskset (util-linux) to pin Plexus and the generators to CPUs');
  if (os.cpus().length < 2) fail('needs at least 2 CPUs: Plexus on CPU 0, generators on CPU 1');
  if (!fs.existsSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js')))
    fail(`${path.join(PLEXUS_DIR, 'dist/src/cli/main.js')} is missing: run \`npm run build\` first`);
  for (const [flag, bin] of [
    ['--node', opts.node],
    ['--gen-node', opts.genNode],
  ])
    if (!fs.existsSync(bin)) fail(`${flag} ${bin}: no such file`);
}

// ── provisioning ─────────────────────────────────────────────────────────
/** Profiles, groups and devices into `template`; then a copy with the rules, `template-rules`. */
async function provision(plexus, hookPort) {
  const t0 = Date.now();
  plexus.dataDir = path.join(plexus.dir, 'template');
  await plexus.start();
  await plexus.login();
  const limits = { messagesPerSecond: 1000000, bytesPerSecond: 1000000000, burstSeconds: 2 };
  for (const p of FLEET.profiles) await plexus.api('POST', '/profiles', { id: p, limits });
  for (const g of FLEET.groups) await plexus.api('POST', '/groups', { id: g });
  const secrets = new Map();
  let next = 0;
  const worker = async () => {
    while (next < FLEET.devices.length) {
      const d = FLEET.devices[next++];
      const body = { id: d.id, profile: d.profile, groups: d.groups, labels: d.labels };
      secrets.set(d.id, (await plexus.api('POST', '/devices', body)).secret);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await plexus.stop();
  log(
    `plexus: ${FLEET.devices.length} devices, ${FLEET.profiles.length} profiles, ${FLEET.groups.length} groups in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const t1 = Date.now();
  plexus.freshData('template-rules');
  await plexus.start();
  await plexus.login();
  const rules = buildRules(FLEET, opts.rules, `http://127.0.0.1:${hookPort}/hook`);
  // One connection per request: applying rules keeps Plexus busy for seconds after it answers, and a
  // reused keep-alive connection can then be reset under the next request.
  for (let i = 0; i < rules.length; i += 100) {
    const res = await fetch(`http://127.0.0.1:${plexus.httpPort}/api/v1/rules/apply`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${plexus.token}`,
        connection: 'close',
      },
      body: JSON.stringify({ rules: rules.slice(i, i + 100) }),
    });
    if (!res.ok) throw new Error(`POST /rules/apply (rules ${i}…) → ${res.status} ${await res.text()}`);
  }
  const listed = await plexus.api('GET', '/rules?limit=1');
  await plexus.stop();
  const stats = ruleStats(rules);
  log(
    `plexus: ${rules.length} rules applied in ${((Date.now() - t1) / 1000).toFixed(1)} s (${JSON.stringify(stats.conditions)})`,
  );
  return { secrets, rules, stats, listed: listed.total ?? null };
}

/** What the rule set is made of: condition types, target kinds, rules per device, keys read. */
function ruleStats(rules) {
  const conditions = {};
  const targetsBy = {};
  const perDevice = new Map();
  const keys = {};
  const walk = (c) => {
    if (c.conditions) for (const x of c.conditions) walk(x);
    if (c.key) keys[c.key] = (keys[c.key] ?? 0) + 1;
    if (c.type === 'geofence') for (const k of [c.lat, c.lon]) keys[k] = (keys[k] ?? 0) + 1;
    if (c.type === 'inactivity') keys['* (inactivity)'] = (keys['* (inactivity)'] ?? 0) + 1;
  };
  for (const r of rules) {
    const c = r.condition;
    const kind = `${c.type}${c.for ? ' + for' : ''}`;
    conditions[kind] = (conditions[kind] ?? 0) + 1;
    const t = Object.keys(r.target).sort().join('+');
    targetsBy[t] = (targetsBy[t] ?? 0) + 1;
    walk(c);
    for (const d of FLEET.devices)
      if (covers(r.target, d)) perDevice.set(d.id, (perDevice.get(d.id) ?? 0) + 1);
  }
  const counts = FLEET.devices.map((d) => perDevice.get(d.id) ?? 0);
  return {
    conditions,
    targets: targetsBy,
    keys_read_by_rules: keys,
    rules_per_device: { min: Math.min(...counts), median: median(counts), max: Math.max(...counts) },
    rule_device_pairs: counts.reduce((s, x) => s + x, 0),
  };
}

/** As src/rules/targeting.ts decides it. */
function covers(t, d) {
  if (t.devices && !t.devices.includes(d.id)) return false;
  if (t.groups && !t.groups.some((g) => d.groups.includes(g))) return false;
  if (t.profile !== undefined && t.profile !== d.profile) return false;
  if (t.labels && !Object.entries(t.labels).every(([k, v]) => d.labels[k] === v)) return false;
  return true;
}

function writeCreds(file, devices, secrets) {
  fs.writeFileSync(
    file,
    `${devices.map((d) => `${d.id} ${d.id} ${secrets.get(d.id)} devices/${d.id}/telemetry`).join('\n')}\n`,
  );
}

// ── runs ─────────────────────────────────────────────────────────────────
const withRules = (id) => id === 'rules' || id === 'webhook-latency';
const runs = [];
const incidents = [];

function noteIncident(plexus, scenario, rep, symptom, extra = {}) {
  incidents.push({ scenario, rep, symptom, log_tail: tail(plexus.logFile, 40), ...extra });
  log(`  !! ${scenario}${rep ? ` #${rep}` : ''}: ${symptom}`);
}

function genArgs(creds, { mode, rate, duration, tsFloor }) {
  const a = [
    '--creds',
    creds,
    '--mode',
    mode,
    '--window',
    String(opts.window),
    '--keys',
    String(KEYS.length),
  ];
  a.push('--duration', String(duration), '--drain', '30', '--connect-timeout', '180');
  if (mode === 'paced') a.push('--rate', String(rate));
  if (tsFloor) a.push('--ts-floor', String(tsFloor));
  return a;
}

/** Starts rules-hook.mjs on the generators' CPU; resolves once its devices are connected. */
async function startHook(plexus, creds, rate, hookPort, tsFloor, expect) {
  const args = [opts.genNode, HOOK_SCRIPT, '--port', String(plexus.port), '--hook-port', String(hookPort)];
  args.push('--expect-webhooks', expect ? '1' : '0');
  args.push(
    '--creds',
    creds,
    '--rate',
    String(rate),
    '--keys',
    String(KEYS.length),
    '--ts-floor',
    String(tsFloor),
  );
  const child = pinned(GEN_CPU, args, { stdin: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const end = Date.now() + 120_000;
  while (!out.includes('#ready\n')) {
    if (!alive(child.pid) || Date.now() > end)
      throw new Error(`rules-hook did not get ready: ${err.slice(-500)}`);
    await sleep(50);
  }
  return {
    start: () => child.stdin.write('start\n'),
    stop: () => child.stdin.write('stop\n'),
    async result() {
      const timer = setTimeout(() => alive(child.pid) && process.kill(child.pid, 'SIGKILL'), 60_000);
      await child.exited;
      clearTimeout(timer);
      try {
        return JSON.parse(
          out
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .pop(),
        );
      } catch {
        return { errors: { hook: `no output: ${err.slice(-400)}` } };
      }
    },
  };
}

/**
 * One run of a scenario: the flood (baseline, rules) or the paced load plus the hook devices
 * (webhook-latency). Resolves with the generator's run (generate()), the hook's JSON, and the
 * other-processes CPU % with the hook's own CPU taken out.
 */
async function oneRun(plexus, id, duration, ctx) {
  if (!PACED.has(id)) {
    const g = await generate(
      plexus,
      genArgs(ctx.allCreds, { mode: 'flood', duration, tsFloor: ctx.tsFloor }),
      duration + 240,
    );
    return { ...g, hook: null, other: g.otherCpuPct };
  }
  const rest = Math.round((ctx.rate * (opts.devices - opts.hookDevices)) / opts.devices);
  const hookRate = ctx.rate - rest;
  const hook = await startHook(
    plexus,
    ctx.hookCreds,
    hookRate,
    ctx.hookPort,
    ctx.tsFloor,
    id === 'webhook-latency',
  );
  const g = await generate(
    plexus,
    genArgs(ctx.restCreds, { mode: 'paced', rate: rest, duration, tsFloor: ctx.tsFloor }),
    duration + 240,
    { onWindowStart: hook.start, onWindowEnd: hook.stop },
  );
  hook.stop();
  const h = await hook.result();
  const other =
    g.otherCpuPct === null || !g.cpu
      ? g.otherCpuPct
      : Math.max(0, Math.round(10 * (g.otherCpuPct - (100 * (h.cpu_s ?? 0)) / g.cpu.wall_s)) / 10);
  return { ...g, hook: h, other, hookRate, restRate: rest };
}

/** Prometheus text → the rule engine's and alarms' and actions' samples. */
async function engineCounters(plexus) {
  const res = await fetch(`http://127.0.0.1:${plexus.httpPort}/metrics`);
  const text = await res.text();
  const out = {};
  for (const line of text.split('\n')) {
    if (!/^plexus_(rule_|alarms_|actions_|nodejs_heap_size_used_bytes|nodejs_gc_duration_seconds_(sum|count))/.test(line))
      continue;
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  await plexus.login();
  const alarms = await plexus.api('GET', '/alarms/counts');
  return { metrics: out, alarms };
}

const counter = (c, name, label) =>
  Object.entries(c?.metrics ?? {})
    .filter(([k]) => k.startsWith(name) && (!label || k.includes(label)))
    .reduce((s, [, v]) => s + v, 0);

/** A scenario: fresh data copy, fresh Plexus, a discarded warm-up, --reps measured runs (noisy ones repeated). */
async function scenario(plexus, id, ctx) {
  plexus.freshData(`data-${id}`, withRules(id) ? 'template-rules' : 'template');
  await plexus.start();
  ctx.tsFloor = 0;
  const all = [];
  const run = async (duration) => {
    const g = await oneRun(plexus, id, duration, ctx);
    all.push(g);
    if (g.result.ts_max) ctx.tsFloor = Math.max(ctx.tsFloor, g.result.ts_max + 1, Date.now() + 1);
    return g;
  };
  log(`   warm-up ${opts.warmup} s`);
  const warm = await run(opts.warmup);
  if (warm.result.errors)
    noteIncident(plexus, id, 0, `warm-up: generator errors ${JSON.stringify(warm.result.error_detail)}`);
  let retries = 0;
  for (let rep = 1; rep <= opts.reps; rep++) {
    await settle(plexus);
    if (!plexus.alive) {
      noteIncident(plexus, id, rep, `Plexus died${plexus.exitNote}`);
      break;
    }
    const quietBefore = await quiet(plexus);
    const rss0 = rssKb(plexus.pid);
    const g = await run(opts.duration);
    const r = g.result;
    const h = g.hook;
    const row = {
      scenario: id,
      rep,
      rss_before_kb: rss0,
      rss_peak_kb: g.rssPeak,
      broker_alive: plexus.alive,
      broker_cpu: g.cpu,
      other_cpu_pct_before: quietBefore,
      other_cpu_pct: g.other,
      rates: PACED.has(id) ? { total: ctx.rate, generator: g.restRate, hook: g.hookRate } : undefined,
      result: r,
      hook: h,
    };
    runs.push(row);
    log(
      `  ${id} #${rep}: ${fmt(r.points_per_s + (h ? (h.acked * KEYS.length) / (h.wall_s || 1) : 0))} points/s acked` +
        (r.latency_us ? `, PUBACK p50 ${fmt(r.latency_us.p50)} µs p99 ${fmt(r.latency_us.p99)} µs` : '') +
        (h
          ? `; webhooks ${h.matched}/${h.highs_sent}, publish→webhook p50 ${fmt(h.webhook_ms?.p50)} ms p99 ${fmt(h.webhook_ms?.p99)} ms max ${fmt(h.webhook_ms?.max)} ms`
          : '') +
        `; Plexus CPU ${fmt(g.cpu?.pct)} % (main ${fmt(g.cpu?.main_pct)}), generator ${fmt(r.gen_cpu_window_pct)} %, other ${fmt(g.other)} %` +
        `${r.errors ? `; errors ${JSON.stringify(r.error_detail)}` : ''}${row.broker_alive ? '' : '  PLEXUS DIED'}`,
    );
    if (row.broker_alive && g.other > opts.maxNoise && retries < opts.noiseRetries) {
      row.discarded = `noisy: other processes used ${g.other} % of a core`;
      log(`   run discarded (${row.discarded}); repeating it`);
      retries++;
      rep--;
      continue;
    }
    if (row.broker_alive && g.other > opts.maxNoise) {
      row.noisy_kept = true;
      noteIncident(
        plexus,
        id,
        rep,
        `kept although other processes used ${g.other} % of a core (retries used up)`,
      );
    }
    if (!row.broker_alive) noteIncident(plexus, id, rep, `Plexus died during the run${plexus.exitNote}`);
    else if (r.errors) noteIncident(plexus, id, rep, `generator errors ${JSON.stringify(r.error_detail)}`);
    if (h && (Object.keys(h.errors ?? {}).length || h.missing || h.unacked))
      noteIncident(
        plexus,
        id,
        rep,
        `hook devices: ${h.missing} firing(s) without webhook, ${h.unacked} unacked, errors ${JSON.stringify(h.errors)}`,
      );
  }
  await settle(plexus);
  let engine = null;
  if (plexus.alive) {
    try {
      engine = await engineCounters(plexus);
    } catch (err) {
      noteIncident(plexus, id, 0, `reading /metrics or alarm counts failed: ${err.message}`);
    }
  }
  await plexus.stop();
  // Every PUBACKed point must be stored exactly once.
  const acked = all.reduce((s, g) => s + (g.result.acked ?? 0) + (g.hook?.acked ?? 0), 0);
  const stored = countStored(plexus.dataDir);
  const check = { scenario: id, points_acked: acked * KEYS.length, ...stored };
  check.ok = stored.rows === check.points_acked;
  log(
    `   stored ${fmt(stored.rows)} rows for ${fmt(check.points_acked)} acked points: ${check.ok ? 'OK' : 'MISMATCH'}`,
  );
  if (!check.ok)
    noteIncident(plexus, id, 0, `stored rows ${stored.rows} ≠ acked points ${check.points_acked}`);
  if (engine)
    log(
      `   engine: ${fmt(counter(engine, 'plexus_rule_transitions_total', 'firing="true"'))} firings, ${fmt(counter(engine, 'plexus_rule_transitions_total', 'firing="false"'))} clears, ` +
        `${fmt(counter(engine, 'plexus_rule_errors_total'))} errors, ${fmt(counter(engine, 'plexus_alarms_raised_total'))} alarms raised, ` +
        `${fmt(counter(engine, 'plexus_actions_total', 'result="done"'))} actions done; open alarms ${fmt(engine.alarms?.total)}`,
    );
  return { check, engine };
}

// ── CPU profile (one extra run, not in the table) ────────────────────────
async function profileRun(plexus, id, ctx) {
  const dir = path.join(plexus.dir, 'cpuprof');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  plexus.freshData('data-profile', withRules(id) ? 'template-rules' : 'template');
  await plexus.start(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const serverPid = plexus.pid;
  ctx.tsFloor = 0;
  const warm = await oneRun(plexus, id, opts.warmup, ctx);
  ctx.tsFloor = Math.max((warm.result.ts_max ?? 0) + 1, Date.now() + 1);
  await settle(plexus);
  await quiet(plexus);
  const t0 = process.hrtime.bigint();
  const g = await oneRun(plexus, id, opts.duration, ctx);
  const t1 = process.hrtime.bigint();
  await plexus.stop();
  const { threads, error } = profileThreads(dir, serverPid, t0, t1, 25);
  if (error) return { error };
  return { scenario: id, points_per_s: g.result.points_per_s, hook: g.hook, broker_cpu: g.cpu, threads };
}

// ── summary ──────────────────────────────────────────────────────────────
const hookPts = (x) => (x.hook ? (x.hook.acked * KEYS.length) / (x.hook.wall_s || 1) : 0);
const FLOOD = [
  ['acked points/s', '↑', (x) => x.result.points_per_s],
  ['acked msg/s', '↑', (x) => x.result.acked_per_s],
  ['publish→PUBACK p50 µs (flood: queueing)', '', (x) => x.result.latency_us?.p50],
  ['publish→PUBACK p99 µs (flood: queueing)', '', (x) => x.result.latency_us?.p99],
];
const CPU = [
  ['Plexus CPU % (window, all threads)', '', (x) => x.broker_cpu?.pct],
  ['  of which main thread %', '', (x) => x.broker_cpu?.main_pct],
  ['  of which other threads % (SQLite writer)', '', (x) => x.broker_cpu?.other_threads_pct],
  ['Plexus peak RSS, MiB', '', (x) => (x.rss_peak_kb == null ? null : x.rss_peak_kb / 1024)],
  ['devices connected', '', (x) => (x.result.connected ?? 0) + (x.hook?.devices ?? 0)],
  ['generator CPU % (window)', '', (x) => x.result.gen_cpu_window_pct],
  ['other processes CPU % (noise)', '', (x) => x.other_cpu_pct],
];
const HOOK = [
  ['target msg/s (all devices)', '', (x) => x.rates?.total],
  ['target points/s', '', (x) => (x.rates?.total ?? 0) * KEYS.length],
  ['acked points/s', '↑', (x) => x.result.points_per_s + hookPts(x)],
  ['publish→PUBACK p50 µs (paced devices)', '↓', (x) => x.result.latency_us?.p50],
  ['publish→PUBACK p99 µs (paced devices)', '↓', (x) => x.result.latency_us?.p99],
  ['hook devices', '', (x) => x.hook?.devices],
  ['firings sent (high values)', '', (x) => x.hook?.highs_sent],
  ['webhooks received for them', '', (x) => x.hook?.matched],
  ['publish→webhook p50 ms', '↓', (x) => x.hook?.webhook_ms?.p50],
  ['publish→webhook p90 ms', '↓', (x) => x.hook?.webhook_ms?.p90],
  ['publish→webhook p99 ms', '↓', (x) => x.hook?.webhook_ms?.p99],
  ['publish→webhook max ms', '↓', (x) => x.hook?.webhook_ms?.max],
  ['hook devices publish→PUBACK p99 ms', '↓', (x) => x.hook?.puback_ms?.p99],
];

function summarize() {
  const s = {};
  for (const id of opts.only) {
    const rows = runs.filter((r) => r.scenario === id && !r.discarded);
    s[id] = {};
    for (const [name, , f] of [...(PACED.has(id) ? HOOK : FLOOD), ...CPU])
      s[id][name] = rows.length ? median(rows.map(f)) : null;
  }
  return s;
}

function report(summary, meta, results, profile) {
  const v = meta.versions;
  let out = `Rule engine benchmark (issue #6), ${meta.date}\n\n`;
  out += `- ${meta.machine}\n`;
  out += `- Plexus ${v.plexus} at commit ${meta.commit || '?'}${meta.src_changes ? ` with ${meta.src_changes} uncommitted change(s) in src/` : ''} (${meta.plexus_dir === ROOT ? 'this checkout' : meta.plexus_dir}; dist/ built ${meta.dist_built}) on **Node ${v.plexus_node}**; generators on Node ${v.gen_node}; bench script on Node ${v.bench_node}\n`;
  out += `- Plexus (main thread and SQLite writer) on CPU 0, generators (bench/ingest-gen.mjs, bench/rules-hook.mjs and the webhook receiver) on CPU ${GEN_CPU}; MQTT 3.1.1 QoS 1, JSON \`{"ts":…,"values":{k1…k${KEYS.length}}}\` (${KEYS.length} keys per message); median of ${opts.reps} run(s) of ${opts.duration} s after a ${opts.warmup} s warm-up, fresh Plexus and fresh copy of the data dir per scenario\n`;
  const st = meta.rule_set;
  out += `- fleet: ${fmt(opts.devices)} devices, all connected and publishing (${opts.window} PUBLISHes in flight per device in the flood), ${FLEET.profiles.length} profiles, ${FLEET.groups.length} groups, labels site (${FLEET.sites}) and zone (${FLEET.zones})\n`;
  if (st) {
    out += `- rules: ${fmt(st.count)} enabled; conditions ${Object.entries(st.conditions)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; targets ${Object.entries(st.targets)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}\n`;
    out += `- rules per device: min ${st.rules_per_device.min}, median ${st.rules_per_device.median}, max ${st.rules_per_device.max} (${fmt(st.rule_device_pairs)} rule×device pairs); rules reading each key: ${Object.entries(
      st.keys_read_by_rules,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}\n`;
  }
  if (opts.only.some((id) => PACED.has(id)))
    out += `- paced scenarios: ${fmt(meta.rate)} msg/s in total (${meta.rate_source}); ${opts.hookDevices} of the devices (through bench/rules-hook.mjs) alternate k1 between 25 and 45 across rule \`${HOOK_RULE}\` (k1 > 40, webhook to the bench, throttle 0s), the others are paced through bench/ingest-gen.mjs (paced-no-rules: the same load on the rule-less data dir)\n`;
  const discarded = runs.filter((r) => r.discarded).length;
  out += `- ${discarded} run(s) discarded and repeated because other processes used more than ${opts.maxNoise} % of a core during them\n\n`;

  const floodIds = ['baseline', 'rules'].filter((id) => summary[id]);
  if (floodIds.length) {
    const both = floodIds.length === 2;
    out += `| max (flood) | ${floodIds.join(' | ')} |${both ? ' rules/baseline |' : ''}\n|---|${floodIds.map(() => '---:').join('|')}|${both ? '---:|' : ''}\n`;
    for (const [name, dir] of [...FLOOD, ...CPU]) {
      const cells = floodIds.map((id) => fmt(summary[id][name]));
      const ratio =
        both && dir && summary.baseline[name]
          ? `${(summary.rules[name] / summary.baseline[name]).toFixed(2)}×`
          : '';
      out += `| ${name}${dir ? ` ${dir}` : ''} | ${cells.join(' | ')} |${both ? ` ${ratio} |` : ''}\n`;
    }
    out += `| stored rows = acked points (all runs) | ${floodIds.map((id) => storedCell(results[id]?.check)).join(' | ')} |${both ? ' |' : ''}\n\n`;
  }
  const pacedIds = ['paced-no-rules', 'webhook-latency'].filter((id) => summary[id]);
  if (pacedIds.length) {
    out += `| paced at half load | ${pacedIds.map((id) => (id === 'webhook-latency' ? 'webhook-latency (with the rules)' : 'paced-no-rules (informational)')).join(' | ')} |\n|---|${pacedIds.map(() => '---:').join('|')}|\n`;
    for (const [name, dir] of [...HOOK, ...CPU]) {
      const cells = pacedIds.map((id) =>
        id === 'paced-no-rules' && /webhook|firings/.test(name) ? '' : fmt(summary[id][name]),
      );
      out += `| ${name}${dir ? ` ${dir}` : ''} | ${cells.join(' | ')} |\n`;
    }
    out += `| stored rows = acked points (all runs) | ${pacedIds.map((id) => storedCell(results[id]?.check)).join(' | ')} |\n\n`;
  }
  const engineIds = opts.only.filter((id) => results[id]?.engine);
  if (engineIds.length) {
    out += `| engine counters at the end of the scenario (GET /metrics, GET /api/v1/alarms/counts) | ${engineIds.join(' | ')} |\n|---|${engineIds.map(() => '---:').join('|')}|\n`;
    const e = (id) => results[id].engine;
    for (const [name, f] of [
      [
        'plexus_rule_transitions_total{firing="true"}',
        (c) => counter(c, 'plexus_rule_transitions_total', 'firing="true"'),
      ],
      [
        'plexus_rule_transitions_total{firing="false"}',
        (c) => counter(c, 'plexus_rule_transitions_total', 'firing="false"'),
      ],
      ['plexus_rule_errors_total', (c) => counter(c, 'plexus_rule_errors_total')],
      ['plexus_alarms_raised_total', (c) => counter(c, 'plexus_alarms_raised_total')],
      ['plexus_actions_total{result="done"}', (c) => counter(c, 'plexus_actions_total', 'result="done"')],
      [
        'plexus_actions_total{result="failed" or "retried"}',
        (c) =>
          counter(c, 'plexus_actions_total', 'result="failed"') +
          counter(c, 'plexus_actions_total', 'result="retried"'),
      ],
      ['open alarms', (c) => c.alarms?.total],
      // Why GC pauses grow with the rules: the live heap they keep (rule states, per-device lists).
      ['JS heap used, MiB', (c) => counter(c, 'plexus_nodejs_heap_size_used_bytes') / 2 ** 20],
      ['GC time, ms (whole scenario)', (c) => 1000 * counter(c, 'plexus_nodejs_gc_duration_seconds_sum')],
      ['GC runs (whole scenario)', (c) => counter(c, 'plexus_nodejs_gc_duration_seconds_count')],
    ])
      out += `| ${name} | ${engineIds.map((id) => fmtInt(f(e(id)))).join(' | ')} |\n`;
    out += '\n';
  }
  out +=
    '↑ higher is better, ↓ lower is better. Points/s and msg/s count PUBACKed messages inside the window.\n';
  const t = targets(summary, results);
  if (t.length) {
    out += `\nTargets (issue #6), Plexus on Node ${v.plexus_node}:\n\n| target | measured | met |\n|---|---:|---|\n`;
    for (const x of t) out += `| ${x.target} | ${x.value} | ${x.met ? 'yes' : 'NO'} |\n`;
  }
  if (incidents.length) {
    out += '\nIncidents (details in the JSON):\n\n';
    for (const i of incidents) out += `- ${i.scenario}${i.rep ? ` run ${i.rep}` : ''}: ${i.symptom}\n`;
  }
  const pl = meta.plexus_log;
  if (pl && (Object.keys(pl.warnings_and_errors).length || pl.non_json_lines.length)) {
    out += '\nPlexus log (warn and above, by message):\n\n';
    for (const [k, n] of Object.entries(pl.warnings_and_errors)) out += `- ${n} × level ${k}\n`;
    for (const l of pl.non_json_lines) out += `- \`${l.slice(0, 200)}\`\n`;
  }
  if (profile?.threads) {
    out += `\nPlexus CPU profile (${profile.scenario}, one extra run, ${fmt(profile.points_per_s)} points/s under the profiler; Plexus CPU ${fmt(profile.broker_cpu?.pct)} %: main thread ${fmt(profile.broker_cpu?.main_pct)} %), top self time over the measured run:\n`;
    for (const th of profile.threads) {
      out += `\n${th.thread} (${th.sampled_ms} ms sampled over ${th.window}):\n\n| function | self ms | self % |\n|---|---:|---:|\n`;
      for (const p of th.top) out += `| \`${p.function}\` | ${p.self_ms} | ${p.self_pct} |\n`;
    }
  } else if (profile?.error) out += `\nCPU profile: ${profile.error}\n`;
  return { text: out, targets: t };
}

const fmtInt = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const storedCell = (c) =>
  c ? `${c.ok ? 'yes' : 'NO'}: ${fmt(c.rows)} rows = ${fmt(c.points_acked)}` : 'n/a';

function targets(summary, results) {
  const t = [];
  const base = summary.baseline?.['acked points/s'];
  const withRules = summary.rules?.['acked points/s'];
  if (base && withRules != null) {
    const ratio = withRules / base;
    const fired = counter(results.rules?.engine, 'plexus_rule_transitions_total');
    // Runs of one scenario more than 1.5× apart (stalls, noise) make a ratio of medians meaningless.
    const spread = ['baseline', 'rules'].map((id) => {
      const xs = runs.filter((r) => r.scenario === id && !r.discarded).map((r) => r.result.points_per_s);
      return { id, min: Math.min(...xs), max: Math.max(...xs) };
    });
    const wild = spread.filter((x) => x.max > 1.5 * x.min);
    t.push({
      target: `max acked points/s with ${fmt(opts.rules)} rules over ${fmt(opts.devices)} devices ≥ ${RATIO_TARGET} × without rules`,
      value:
        `${ratio.toFixed(2)}× (${fmt(withRules)} vs ${fmt(base)} points/s; engine: ${fmtInt(fired)} transitions)` +
        (wild.length
          ? `; INCONCLUSIVE: ${wild.map((x) => `${x.id} runs ${fmt(x.min)}-${fmt(x.max)}`).join(', ')}`
          : ''),
      met: ratio >= RATIO_TARGET && (results.rules?.check?.ok ?? true) && fired > 0 && wild.length === 0,
    });
  }
  const w = summary['webhook-latency'];
  if (w?.['publish→webhook p99 ms'] != null) {
    const kept = w['acked points/s'] >= 0.95 * w['target points/s'];
    const all = w['webhooks received for them'] === w['firings sent (high values)'];
    const firings = runs
      .filter((r) => r.scenario === 'webhook-latency' && !r.discarded)
      .reduce((n, r) => n + (r.hook?.highs_sent ?? 0), 0);
    const enough = firings >= 300;
    t.push({
      target: `p99 publish→webhook < ${P99_TARGET_MS} ms at half load (${fmt(w['target points/s'])} points/s, with the rules)`,
      value: `${w['publish→webhook p99 ms'].toFixed(2)} ms (p50 ${w['publish→webhook p50 ms'].toFixed(2)} ms, max ${w['publish→webhook max ms'].toFixed(1)} ms); ${fmt(w['acked points/s'])} points/s acked${all ? '' : '; SOME FIRINGS WITHOUT WEBHOOK'}${enough ? '' : `; INCONCLUSIVE: only ${firings} firings in all runs`}`,
      met: w['publish→webhook p99 ms'] < P99_TARGET_MS && kept && all && enough,
    });
  }
  return t;
}

// ── main ─────────────────────────────────────────────────────────────────
async function main() {
  checkPrerequisites();
  const started = new Date();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-rules-'));
  const plexus = new Plexus(tmp, opts.node);
  log(
    `temp dir ${tmp}; ${opts.reps} run(s) × ${opts.duration} s; scenarios ${opts.only.join(', ')}; Plexus on Node ${plexus.nodeVersion}`,
  );
  const hookPort = await freePort();
  log(
    `=== provisioning (${fmt(opts.devices)} devices, ${fmt(opts.rules)} rules; webhook receiver port ${hookPort})`,
  );
  const prov = await provision(plexus, hookPort);
  const hookIds = new Set(FLEET.hookDevices.map((d) => d.id));
  const ctx = {
    allCreds: path.join(tmp, 'creds-all.txt'),
    restCreds: path.join(tmp, 'creds-rest.txt'),
    hookCreds: path.join(tmp, 'creds-hook.txt'),
    hookPort,
    rate: opts.rate,
  };
  writeCreds(ctx.allCreds, FLEET.devices, prov.secrets);
  writeCreds(
    ctx.restCreds,
    FLEET.devices.filter((d) => !hookIds.has(d.id)),
    prov.secrets,
  );
  writeCreds(ctx.hookCreds, FLEET.hookDevices, prov.secrets);

  const results = {};
  for (const id of opts.only) {
    if (PACED.has(id) && ctx.rate === undefined) {
      const med = median(
        runs.filter((r) => r.scenario === 'baseline' && !r.discarded).map((r) => r.result.acked_per_s),
      );
      if (!med) fail('no baseline rate to pace at (every baseline run failed); give --rate N');
      ctx.rate = Math.max(opts.hookDevices, Math.round(med / 2 / 100) * 100);
    }
    log(
      `=== ${id}${PACED.has(id) ? ` at ${fmt(ctx.rate)} msg/s` : ` (flood, ${opts.window} in flight per device)`}`,
    );
    results[id] = await scenario(plexus, id, ctx);
  }
  let profile;
  if (opts.profile) {
    if (PACED.has(opts.profile) && ctx.rate === undefined)
      log('   no paced rate (run baseline or give --rate): no profile');
    else {
      log(`=== CPU profile of one ${opts.profile} run`);
      profile = await profileRun(plexus, opts.profile, ctx);
    }
  }
  await plexus.stop();

  const git = (args) =>
    spawnSync('git', ['-C', PLEXUS_DIR, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const meta = {
    date: started.toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    src_changes: git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length,
    plexus_dir: PLEXUS_DIR,
    dist_built: fs.statSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js')).mtime.toISOString(),
    machine: `${os.cpus()[0]?.model} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`,
    versions: {
      plexus: plexus.version,
      plexus_node: plexus.nodeVersion,
      gen_node: spawnSync(opts.genNode, ['--version'], { encoding: 'utf8' }).stdout.trim(),
      bench_node: process.version,
    },
    rule_set: { count: prov.rules.length, listed: prov.listed, ...prov.stats },
    rate: ctx.rate ?? null,
    rate_source: opts.rate ? 'given with --rate' : "half of baseline's median acked msg/s",
    plexus_log: plexusLogSummary(plexus),
  };
  const summary = summarize();
  const { text, targets: tgt } = report(summary, meta, results, profile);
  const stamp = started.toISOString().replace(/\..*$/, '').replace(/:/g, '-');
  const out = opts.out ?? path.join(ROOT, 'bench/results', `rules-${stamp}Z.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const command = `node bench/rules.mjs ${process.argv.slice(2).join(' ')}`.trim();
  fs.writeFileSync(
    out,
    `${JSON.stringify({ meta: { ...meta, command, options: opts }, summary, targets: tgt, results, incidents, profile, rule_sample: prov.rules.slice(0, 40), runs }, null, 2)}\n`,
  );
  fs.writeFileSync(out.replace(/\.json$/, '.md'), `${text}\nCommand: \`${command}\`\n`);
  process.stdout.write(`\n${text}\nraw results: ${path.relative(process.cwd(), out)}\n`);
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

main().catch((err) => {
  process.stderr.write(`bench/rules.mjs failed: ${err.stack ?? err}\n`);
  cleanup();
  process.exit(1);
});
