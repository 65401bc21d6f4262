#!/usr/bin/env node
// Side-by-side MQTT benchmark: Plexus vs Mosquitto vs Aedes on this machine.
//
//   npm run build && node bench/mqtt.mjs [options]
//
// Every broker runs as a child process pinned to one CPU (taskset -c 0) on a
// free port; the load generator (mqtt-load, C, built from
// ../shared/tools/mqtt-load or taken from $MQTT_LOAD) is pinned to another
// (taskset -c 1). Each scenario starts a fresh broker. See bench/README.md.
//
// Options:
//   --quick             1 run of 3 s per scenario (default: median of 3 runs of 5 s)
//   --only LIST         scenarios, comma separated (default: all):
//                       qos0-fanin, qos1-fanin, qos0-fanout, qos1-latency, qos1-latency-capacity,
//                       fanin-1k, conns-10k;
//                       opt-in: qos1-latency-10k, qos1-latency-20k, qos1-latency-40k (fixed rates)
//   --brokers LIST      plexus,mosquitto,aedes (default: all three)
//   --node PATH         Node binary for the Plexus process (default: this one)
//   --aedes-node PATH   Node binary for the Aedes process (default: this one)
//   --reps N --duration S   override runs per scenario / seconds per run
//   --rate N            qos1-latency rate (default: half of Plexus's median QoS1 fan-in rate)
//   --capacity N        Plexus's paced QoS1 capacity in msg/s for qos1-latency-capacity, which runs at
//                       half of it (default: calibrated once per invocation on a fresh Plexus: paced
//                       QoS1 runs of 2 s at 20k, 30k, ... 200k msg/s, stopping at the first rate that is
//                       not delivered in full or queues, p50 > 1 ms; needed when Plexus is not benchmarked)
//   --conns N           connections in conns-10k (10000)   --idle N  idle connections in fanin-1k (1000)
//   --profile [SCEN]    after the runs, one extra Plexus run of SCEN (qos1-fanin) under
//                       node --cpu-prof; prints the top self-time functions (not in the table)
//   --out FILE          raw JSON (default bench/results/mqtt-<UTC stamp>.json; a .md table is written next to it)
//   --keep              keep the temporary directories (broker logs, data dir)
//   --plexus-dir DIR    run Plexus from DIR/dist (default: this checkout), e.g. a clean clone of one commit
//   --quiet-wait S      before each run, wait up to S s (60) for other processes to leave the CPUs idle
//   --max-noise PCT     repeat a run during which other processes used > PCT % of a core (25),
//                       at most --noise-retries N (3) times per scenario and broker (per rate
//                       in the capacity calibration); after that such runs count, marked noisy
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BROKER_CPU = '0';
const GEN_CPU = '1';
const ADMIN_PASSWORD = 'bench-admin-password';
const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"';

// ── options ──────────────────────────────────────────────────────────────
const DEFAULT_SCENARIOS = [
  'qos0-fanin',
  'qos1-fanin',
  'qos0-fanout',
  'qos1-latency',
  'qos1-latency-capacity',
  'fanin-1k',
  'conns-10k',
];
// Opt-in (--only): QoS1 latency at fixed rates, the same for every broker.
const FIXED_RATES = [10000, 20000, 40000];
const SCENARIO_IDS = [...DEFAULT_SCENARIOS, ...FIXED_RATES.map((r) => `qos1-latency-${r / 1000}k`)];
const BROKER_IDS = ['plexus', 'mosquitto', 'aedes'];

function parseArgs(argv) {
  const o = {
    quick: false,
    only: DEFAULT_SCENARIOS,
    brokers: BROKER_IDS,
    node: process.execPath,
    aedesNode: process.execPath,
    reps: undefined,
    duration: undefined,
    rate: undefined,
    capacity: undefined,
    conns: 10000,
    idle: 1000,
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
    else if (a === '--aedes-node') o.aedesNode = path.resolve(next());
    else if (a === '--reps') o.reps = Number(next());
    else if (a === '--duration') o.duration = Number(next());
    else if (a === '--rate') o.rate = Number(next());
    else if (a === '--capacity') o.capacity = Number(next());
    else if (a === '--conns') o.conns = Number(next());
    else if (a === '--idle') o.idle = Number(next());
    else if (a === '--profile') {
      o.profile =
        argv[i + 1] && !argv[i + 1].startsWith('--')
          ? list(next(), SCENARIO_IDS, 'scenario')[0]
          : 'qos1-fanin';
    } else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--keep') o.keep = true;
    else if (a === '--plexus-dir') o.plexusDir = path.resolve(next());
    else if (a === '--quiet-wait') o.quietWait = Number(next());
    else if (a === '--max-noise') o.maxNoise = Number(next());
    else if (a === '--noise-retries') o.noiseRetries = Number(next());
    else if (a === '-h' || a === '--help') {
      const text = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      const end = text.findIndex((l, i) => i > 0 && !l.startsWith('//'));
      process.stdout.write(
        `${text
          .slice(1, end)
          .map((l) => l.replace(/^\/\/ ?/, ''))
          .join('\n')}\n`,
      );
      process.exit(0);
    } else fail(`unknown option ${a} (see --help)`);
  }
  if (o.capacity !== undefined && !(o.capacity >= 2000))
    fail('--capacity needs a rate in msg/s (at least 2000)');
  o.reps ??= o.quick ? 1 : 3;
  o.duration ??= o.quick ? 3 : 5;
  // Keep the scenario order fixed (the latency rate comes from qos1-fanin).
  o.only = SCENARIO_IDS.filter((s) => o.only.includes(s));
  o.brokers = BROKER_IDS.filter((b) => o.brokers.includes(b));
  if (o.only.includes('qos1-latency-capacity') && o.capacity === undefined && !o.brokers.includes('plexus'))
    fail(
      "qos1-latency-capacity runs at half of Plexus's paced QoS1 capacity: add plexus to --brokers " +
        '(it is calibrated) or give it with --capacity N',
    );
  return o;
}

function fail(msg) {
  process.stderr.write(`bench/mqtt.mjs: ${msg}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
// The Plexus tree whose dist/ runs: this checkout, or (--plexus-dir) e.g. a clean clone of one commit.
const PLEXUS_DIR = opts.plexusDir ?? ROOT;
const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ── prerequisites ────────────────────────────────────────────────────────
const have = (cmd) => spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;

function checkPrerequisites() {
  if (os.platform() !== 'linux') fail('needs Linux (taskset, /proc)');
  if (!have('taskset')) fail('needs taskset (util-linux) to pin broker and generator to CPUs');
  if (os.cpus().length < 2) fail('needs at least 2 CPUs: broker on CPU 0, generator on CPU 1');
  if (opts.brokers.includes('plexus') && !fs.existsSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js')))
    fail(`${path.join(PLEXUS_DIR, 'dist/src/cli/main.js')} is missing: run \`npm run build\` first`);
  for (const [flag, bin] of [
    ['--node', opts.node],
    ['--aedes-node', opts.aedesNode],
  ]) {
    if (!fs.existsSync(bin)) fail(`${flag} ${bin}: no such file`);
  }
}

function mosquittoBinary() {
  if (fs.existsSync('/usr/sbin/mosquitto')) return '/usr/sbin/mosquitto';
  const r = spawnSync('bash', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The load generator: $MQTT_LOAD, or built from ../shared/tools/mqtt-load into a temp dir. */
function loadGenerator(tmp) {
  if (process.env.MQTT_LOAD) {
    if (!fs.existsSync(process.env.MQTT_LOAD)) fail(`MQTT_LOAD=${process.env.MQTT_LOAD}: no such file`);
    return process.env.MQTT_LOAD;
  }
  const src = process.env.MQTT_LOAD_SRC ?? path.resolve(ROOT, '../shared/tools/mqtt-load');
  if (!fs.existsSync(path.join(src, 'mqtt-load.c')))
    fail(`mqtt-load sources not found in ${src}; set MQTT_LOAD_SRC=<dir> or MQTT_LOAD=<built binary>`);
  const missing = ['cc', 'make'].filter((c) => !have(c));
  if (missing.length)
    fail(
      `building the load generator needs ${missing.join(' and ')} (a C compiler and make; on Debian/Ubuntu: ` +
        'apt-get install build-essential), or set MQTT_LOAD=<path to a built mqtt-load binary>',
    );
  const dir = path.join(tmp, 'mqtt-load');
  fs.cpSync(src, dir, { recursive: true });
  fs.rmSync(path.join(dir, 'mqtt-load'), { force: true });
  const r = spawnSync('make', ['-C', dir], { encoding: 'utf8' });
  if (r.status !== 0) fail(`building mqtt-load failed:\n${r.stdout}${r.stderr}`);
  return path.join(dir, 'mqtt-load');
}

// ── processes ────────────────────────────────────────────────────────────
const children = new Set();
function cleanup() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {}
  }
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('exit', cleanup);

/** Runs `argv` through bash (raised fd limit) and taskset on `cpu`; the pid is the program's own (exec). */
function pinned(cpu, argv, { env, logFile } = {}) {
  const out = logFile ? fs.openSync(logFile, 'a') : 'pipe';
  const child = spawn('bash', ['-c', `${ULIMIT}; exec taskset -c ${cpu} "$@"`, 'bash', ...argv], {
    env: env ?? process.env,
    stdio: ['ignore', out, out],
  });
  if (logFile) fs.closeSync(out);
  children.add(child);
  child.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      child.exitStatus = { code, signal };
      resolve({ code, signal });
    }),
  );
  return child;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return (
      fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    );
  } catch {
    return false;
  }
};
function rssKb(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return null;
  }
}
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function cpuSeconds(pid) {
  try {
    const f = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return null;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port, child, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(child.pid)) return false;
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ── brokers ──────────────────────────────────────────────────────────────
class Broker {
  constructor(name, tmp) {
    this.name = name;
    this.dir = path.join(tmp, name);
    fs.mkdirSync(this.dir, { recursive: true });
    this.logFile = path.join(this.dir, `${name}.log`);
    this.child = undefined;
    this.port = undefined;
    this.starts = 0;
  }

  get pid() {
    return this.child?.pid;
  }

  async start(extraNodeArgs = []) {
    await this.stop();
    this.port = await freePort();
    this.starts++;
    fs.appendFileSync(
      this.logFile,
      `\n===== start #${this.starts} on port ${this.port} at ${new Date().toISOString()}\n`,
    );
    this.child = pinned(BROKER_CPU, this.command(extraNodeArgs), { env: this.env(), logFile: this.logFile });
    if (!(await waitPort(this.port, this.child)) || !(await this.ready())) {
      throw new Error(
        `${this.name} did not come up on port ${this.port}; log ${this.logFile}:\n${tail(this.logFile)}`,
      );
    }
    await sleep(300);
  }

  async ready() {
    return true;
  }

  async stop() {
    const c = this.child;
    if (!c) return;
    this.child = undefined;
    if (alive(c.pid)) {
      process.kill(c.pid, 'SIGTERM');
      const t = setTimeout(() => alive(c.pid) && process.kill(c.pid, 'SIGKILL'), 15000);
      await c.exited;
      clearTimeout(t);
    } else await c.exited;
  }

  get alive() {
    return this.child !== undefined && alive(this.child.pid);
  }

  /** How the broker process ended, for incident notes ('' while unknown). */
  get exitNote() {
    const s = this.child?.exitStatus;
    return s ? ` (${s.signal ? `signal ${s.signal}` : `exit code ${s.code}`})` : '';
  }
}

class Mosquitto extends Broker {
  constructor(tmp, bin) {
    super('mosquitto', tmp);
    this.bin = bin;
    this.version = spawnSync(bin, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  }
  command() {
    const conf = path.join(this.dir, 'mosquitto.conf');
    // Stock settings but for the listener, anonymous access (no auth, as Aedes), a queue as deep as
    // Plexus's in this bench, and quiet logging (Plexus runs at warn).
    fs.writeFileSync(
      conf,
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        'max_queued_messages 100000',
        'persistence false',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'connection_messages false',
        '',
      ].join('\n'),
    );
    return [this.bin, '-c', conf];
  }
  env() {
    return process.env;
  }
}

class AedesBroker extends Broker {
  constructor(tmp, node) {
    super('aedes', tmp);
    this.node = node;
    this.version = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'node_modules/aedes/package.json'), 'utf8'),
    ).version;
    this.nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  }
  command() {
    return [this.node, path.join(ROOT, 'bench/aedes-server.mjs'), String(this.port), '127.0.0.1'];
  }
  env() {
    return process.env;
  }
}

class Plexus extends Broker {
  constructor(tmp, node) {
    super('plexus', tmp);
    this.node = node;
    this.nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    this.version = JSON.parse(fs.readFileSync(path.join(PLEXUS_DIR, 'package.json'), 'utf8')).version;
    this.dataDir = path.join(this.dir, 'data');
    this.httpPort = undefined;
    this.serverPid = undefined;
  }
  /** The serving process: `plexus start` on one CPU relaunches Node (single-threaded GC), so it may not be the child. */
  get pid() {
    return this.serverPid ?? this.child?.pid;
  }
  command(extraNodeArgs) {
    fs.rmSync(path.join(this.dataDir, 'ports.json'), { force: true });
    this.serverPid = undefined;
    return [this.node, ...extraNodeArgs, path.join(PLEXUS_DIR, 'dist/src/cli/main.js'), 'start'];
  }
  env() {
    return {
      ...process.env,
      PLEXUS_DATA_DIR: this.dataDir,
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_HTTP_HOST: '127.0.0.1',
      PLEXUS_MQTT_HOST: '127.0.0.1',
      PLEXUS_MQTT_PORT: String(this.port),
      PLEXUS_LOG_LEVEL: 'warn',
      PLEXUS_LOG_FORMAT: 'json',
      PLEXUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PLEXUS_MQTT_CONNECTIONS_PER_SECOND: '100000',
      PLEXUS_MQTT_MAX_QUEUED_MESSAGES: '100000',
    };
  }
  async ready() {
    const file = path.join(this.dataDir, 'ports.json');
    const end = Date.now() + 20000;
    while (Date.now() < end) {
      if (fs.existsSync(file)) {
        try {
          const ports = JSON.parse(fs.readFileSync(file, 'utf8'));
          this.httpPort = ports.http;
          this.serverPid = ports.pid;
          return true;
        } catch {}
      }
      if (!this.alive) return false;
      await sleep(100);
    }
    return false;
  }

  async api(method, p, body, token = this.token) {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/api/v1${p}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text}`);
    return JSON.parse(text);
  }

  /** Profile with high limits, the devices the scenarios need, and API keys; returns credential files. */
  async provision(credsDir, { idle }) {
    const t0 = Date.now();
    this.token = (
      await this.api('POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, null)
    ).token;
    await this.api('POST', '/profiles', {
      id: 'bench',
      limits: { messagesPerSecond: 1000000, bytesPerSecond: 1000000000, burstSeconds: 2 },
    });
    const viewer = (await this.api('POST', '/apikeys', { name: 'bench-viewer', role: 'viewer' })).key;
    const operator = (await this.api('POST', '/apikeys', { name: 'bench-operator', role: 'operator' })).key;
    const ids = [...pubIds(), ...idleIds(idle)];
    const secrets = new Map();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        secrets.set(id, (await this.api('POST', '/devices', { id, profile: 'bench' })).secret);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    writeCreds(credsDir, {
      device: (id) => [id, secrets.get(id)],
      viewer: ['apikey', viewer],
      operator: ['apikey', operator],
      idle,
    });
    log(
      `plexus: provisioned ${ids.length} devices and 2 API keys in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
}

// ── identities (one per device: devices/<id>/telemetry, sink on devices/+/telemetry) ──
const pad = (i, n) => String(i).padStart(n, '0');
const pubIds = () => Array.from({ length: 100 }, (_, i) => `bench-dev-${pad(i, 2)}`);
const idleIds = (n) => Array.from({ length: n }, (_, i) => `bench-idle-${pad(i, 5)}`);

function writeCreds(dir, { device, viewer, operator, idle }) {
  fs.mkdirSync(dir, { recursive: true });
  const line = (id, [user, pass], topic) => `${id} ${user} ${pass} ${topic}`;
  const w = (name, lines) => fs.writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
  w(
    'fanin-pubs.txt',
    pubIds().map((id) => line(id, device(id), `devices/${id}/telemetry`)),
  );
  w('fanin-sub.txt', [line('bench-sink', viewer, 'devices/+/telemetry')]);
  w('fanout-pub.txt', [line('bench-app', operator, 'bench/fanout')]);
  w(
    'fanout-subs.txt',
    Array.from({ length: 100 }, (_, i) => line(`bench-fan-${pad(i, 2)}`, viewer, 'bench/fanout')),
  );
  w(
    'idle.txt',
    idleIds(idle).map((id) => line(id, device(id), `devices/${id}/telemetry`)),
  );
}

// ── generator runs ───────────────────────────────────────────────────────
let GEN;

/** Busy CPU seconds of the whole machine (all CPUs, incl. interrupts and steal) from /proc/stat. */
function machineBusySeconds() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / TICK;
}

/**
 * One mqtt-load run against `broker`; resolves with its JSON (or an error
 * record), its stderr, the broker's peak RSS during the run and how busy the
 * rest of the machine was (other processes compete for the two pinned CPUs).
 */
async function generate(broker, args, timeoutS) {
  const pid = broker.pid;
  const cpu0 = cpuSeconds(pid);
  const busy0 = machineBusySeconds();
  const t0 = process.hrtime.bigint();
  const child = pinned(GEN_CPU, [
    GEN,
    '--host',
    '127.0.0.1',
    '--port',
    String(broker.port),
    '--label',
    broker.name,
    ...args,
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  let rssPeak = rssKb(pid);
  const poll = setInterval(() => {
    const r = rssKb(pid);
    if (r !== null && (rssPeak === null || r > rssPeak)) rssPeak = r;
  }, 200);
  const timer = setTimeout(() => alive(child.pid) && process.kill(child.pid, 'SIGKILL'), timeoutS * 1000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  clearInterval(poll);
  const t1 = process.hrtime.bigint();
  const cpu1 = cpuSeconds(pid);
  const wall = Number(t1 - t0) / 1e9;
  const last = stdout.trim().split('\n').pop();
  let result;
  try {
    result = JSON.parse(last);
  } catch {
    result = { errors: 1, error_detail: { generator: `no output (exit ${code ?? signal})` } };
  }
  const brokerCpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
  const other = machineBusySeconds() - busy0 - (brokerCpu ?? 0) - (result.gen_cpu_s ?? 0);
  return {
    result,
    stderr: stderr.trim().split('\n').slice(-8).join('\n'),
    t0,
    t1,
    brokerCpu,
    rssPeak,
    // Busy CPU time not spent by the broker process or the generator (other processes, and the
    // kernel's network work charged to no one), in % of one core.
    otherCpuPct: Math.round((1000 * Math.max(0, other)) / wall) / 10,
  };
}

/** Waits (up to --quiet-wait s) until other processes leave the two CPUs (nearly) idle; returns their busy %. */
async function quiet(broker) {
  const end = Date.now() + opts.quietWait * 1000;
  let said = false;
  for (;;) {
    const b0 = machineBusySeconds();
    const c0 = broker?.pid ? cpuSeconds(broker.pid) : 0;
    await sleep(1000);
    const other = 100 * (machineBusySeconds() - b0 - ((broker?.pid ? cpuSeconds(broker.pid) : 0) - c0));
    if (other < 15 || Date.now() > end) {
      if (other >= 15)
        log(
          `   machine still busy (${other.toFixed(0)} % of a core used by other processes); running anyway`,
        );
      return Math.round(other);
    }
    if (!said)
      log(`   waiting for the machine to be quiet: other processes use ${other.toFixed(0)} % of a core`);
    said = true;
  }
}

/** Starts `n` idle connections that stay open until `stop()`. */
async function idleClients(broker, n, credsDir) {
  const ready = path.join(broker.dir, `idle-ready-${Date.now()}`);
  const args = ['--mode', 'conns', '--conns', String(n), '--hold', '3600', '--ready-file', ready];
  if (credsDir) args.push('--creds', path.join(credsDir, 'idle.txt'));
  const child = pinned(GEN_CPU, [GEN, '--host', '127.0.0.1', '--port', String(broker.port), ...args]);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.resume();
  const end = Date.now() + 60000;
  while (!fs.existsSync(ready) && alive(child.pid) && Date.now() < end) await sleep(50);
  const up = fs.existsSync(ready);
  return {
    up,
    stderr: () => stderr.trim().split('\n').slice(-5).join('\n'),
    async stop() {
      if (alive(child.pid)) process.kill(child.pid, 'SIGTERM');
      await child.exited;
    },
  };
}

/** Established TCP connections to `port` on 127.0.0.1 (the broker side of each). */
function establishedTo(port) {
  const r = spawnSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).length : null;
}

// ── scenarios ────────────────────────────────────────────────────────────
const creds = (dir, ...pairs) => (dir ? pairs.flatMap(([flag, file]) => [flag, path.join(dir, file)]) : []);
const FANIN = [
  ['--creds', 'fanin-pubs.txt'],
  ['--sub-creds', 'fanin-sub.txt'],
];
const FANOUT = [
  ['--creds', 'fanout-pub.txt'],
  ['--sub-creds', 'fanout-subs.txt'],
];

// 100 QoS 1 publishers paced at `rate` msg/s in total → 1 QoS 1 subscriber; every payload carries its send time.
const latencyArgs = (c, rate) => [
  '--mode',
  'latency',
  '--qos',
  '1',
  '--pubs',
  '100',
  '--rate',
  String(rate),
  ...creds(c, ...FANIN),
];

const SCENARIOS = {
  'qos0-fanin': {
    title: 'QoS0 fan-in: 100 publishers → 1 subscriber (devices/+/telemetry)',
    args: (c) => ['--mode', 'fanin', '--qos', '0', '--pubs', '100', ...creds(c, ...FANIN)],
  },
  'qos1-fanin': {
    title: 'QoS1 fan-in: 100 publishers (window 64 each) → 1 QoS1 subscriber',
    args: (c) => ['--mode', 'fanin', '--qos', '1', '--pubs', '100', ...creds(c, ...FANIN)],
  },
  'qos0-fanout': {
    title: 'QoS0 fan-out: 1 publisher → 100 subscribers on bench/fanout',
    args: (c) => ['--mode', 'fanout', '--qos', '0', '--subs', '100', ...creds(c, ...FANOUT)],
  },
  'qos1-latency': {
    title:
      "QoS1 publish→delivery latency, 100 publishers → 1 subscriber, paced at half of Plexus's QoS1 fan-in rate",
    args: latencyArgs,
  },
  'qos1-latency-capacity': {
    title:
      "QoS1 publish→delivery latency, 100 publishers → 1 subscriber, paced at half of Plexus's paced QoS1 capacity",
    args: latencyArgs,
  },
  ...Object.fromEntries(
    FIXED_RATES.map((rate) => [
      `qos1-latency-${rate / 1000}k`,
      {
        title: `QoS1 publish→delivery latency, 100 publishers → 1 subscriber, paced at ${rate} msg/s`,
        rate,
        args: (c) => latencyArgs(c, rate),
      },
    ]),
  ),
  'fanin-1k': {
    title: 'QoS1 fan-in (as qos1-fanin) with 1,000 more idle clients connected',
    idle: true,
    args: (c) => ['--mode', 'fanin', '--qos', '1', '--pubs', '100', ...creds(c, ...FANIN)],
  },
  'conns-10k': {
    title: '10,000 idle connections (keepalive 60): setup rate and broker memory',
    conns: true,
  },
};

const runs = [];
const incidents = [];

function record(broker, scenario, rep, extra) {
  const row = { broker: broker.name, scenario, rep, ...extra };
  runs.push(row);
  const r = row.result ?? {};
  const brief =
    r.mode === 'conns'
      ? `${r.connected}/${r.conns} up, ${Math.round(r.connects_per_s)} conn/s, RSS ${row.rss_before_kb}→${row.rss_after_kb} KB`
      : `${Math.round(r.delivered_per_s ?? 0)} delivered/s, sent ${r.sent}, received ${r.received}` +
        (r.latency_us ? `, p50 ${r.latency_us.p50} µs p99 ${r.latency_us.p99} µs` : '');
  log(
    `  ${broker.name} ${scenario} #${rep}: ${brief}${r.errors ? ` errors ${JSON.stringify(r.error_detail)}` : ''}` +
      `${row.broker_alive === false ? '  BROKER DIED' : ''}; other processes ${row.other_cpu_pct} % of a core`,
  );
  return row;
}

function noteIncident(broker, scenario, rep, symptom, args, stderr) {
  const cmd = `taskset -c ${GEN_CPU} mqtt-load --port <port> ${args.join(' ')}`;
  incidents.push({
    broker: broker.name,
    scenario,
    rep,
    symptom,
    command: cmd,
    generator_stderr: stderr,
    log_tail: tail(broker.logFile, 60),
  });
  log(`  !! ${broker.name} ${scenario} #${rep}: ${symptom}`);
}

/** Checks one load run for a dead broker, a stall or lost messages. */
function checkRun(broker, scenario, rep, row, args, stderr) {
  const r = row.result;
  if (row.broker_alive === false)
    return noteIncident(
      broker,
      scenario,
      rep,
      `broker process died during the run${broker.exitNote}`,
      args,
      stderr,
    );
  if (r.errors)
    noteIncident(broker, scenario, rep, `generator errors ${JSON.stringify(r.error_detail)}`, args, stderr);
  if (r.mode === undefined) return;
  if (!r.received_in_window && !r.received)
    return noteIncident(broker, scenario, rep, 'nothing delivered (stall)', args, stderr);
  // QoS 0 floods end with data still in socket buffers: only PUBACKed QoS 1 messages must all arrive.
  if (r.qos !== 1) return;
  const expected = r.acked;
  const lost = expected - r.received;
  if (lost > 0 && lost / expected > 0.001)
    noteIncident(
      broker,
      scenario,
      rep,
      `${lost} of ${expected} PUBACKed messages not delivered after the drain (${((100 * lost) / expected).toFixed(1)} %)`,
      args,
      stderr,
    );
}

/** Waits (up to 15 s) until the broker is idle again: a broker still working off the previous run's backlog would skew the next. */
async function settle(broker) {
  const end = Date.now() + 15000;
  await sleep(300);
  let prev = cpuSeconds(broker.pid);
  while (Date.now() < end && broker.alive) {
    await sleep(250);
    const now = cpuSeconds(broker.pid);
    if (now === null || prev === null || now - prev < 0.05) return;
    prev = now;
  }
}

/**
 * A run during which other processes took more than --max-noise % of a core is discarded and repeated,
 * up to --noise-retries times per scenario (`retries` so far); after that it is kept, marked `noisy`.
 */
function noisy(row, retries) {
  if (row.other_cpu_pct <= opts.maxNoise) return false;
  const why = `noisy: other processes used ${row.other_cpu_pct} % of a core`;
  if (retries >= opts.noiseRetries) {
    row.noisy = why;
    log(`   ${why}; kept, no retries left`);
    return false;
  }
  row.discarded = why;
  log(`   run discarded (${why}); repeating it`);
  return true;
}

async function loadRuns(broker, id, credsDir, rate) {
  const sc = SCENARIOS[id];
  const args = [...sc.args(credsDir, rate), '--duration', String(opts.duration)];
  const timeout = opts.duration + 90;
  await broker.start();
  let idle;
  if (sc.idle) {
    idle = await idleClients(broker, opts.idle, credsDir);
    if (!idle.up)
      noteIncident(
        broker,
        id,
        0,
        `${opts.idle} idle clients did not all connect`,
        ['--mode', 'conns'],
        idle.stderr(),
      );
  }
  // Discarded warm-up (JIT, allocator) with the same load.
  const warm = await generate(broker, [...sc.args(credsDir, rate), '--duration', '2', '--drain', '1'], 60);
  await settle(broker);
  if (!broker.alive) {
    noteIncident(
      broker,
      id,
      0,
      `broker process died during (or right after) the warm-up run${broker.exitNote}`,
      args,
      warm.stderr,
    );
    if (idle) await idle.stop();
    await broker.start();
    if (sc.idle) idle = await idleClients(broker, opts.idle, credsDir);
  }
  let retries = 0;
  for (let rep = 1; rep <= opts.reps; rep++) {
    await settle(broker);
    if (!broker.alive) {
      noteIncident(
        broker,
        id,
        rep,
        `broker process died after the previous run (while draining its backlog)${broker.exitNote}; restarted`,
        args,
        '',
      );
      if (idle) await idle.stop();
      await broker.start();
      if (sc.idle) idle = await idleClients(broker, opts.idle, credsDir);
    }
    const quietBefore = await quiet(broker);
    const rss0 = rssKb(broker.pid);
    const { result, stderr, brokerCpu, rssPeak, otherCpuPct } = await generate(broker, args, timeout);
    const up = broker.alive;
    const row = record(broker, id, rep, {
      rss_before_kb: rss0,
      rss_peak_kb: rssPeak,
      rss_after_kb: up ? rssKb(broker.pid) : null,
      broker_cpu_s: up ? brokerCpu : null,
      broker_alive: up,
      other_cpu_pct_before: quietBefore,
      other_cpu_pct: otherCpuPct,
      ...(idle ? { idle_open: establishedTo(broker.port) } : {}),
      result,
    });
    if (up && noisy(row, retries)) {
      retries++;
      rep--;
      continue;
    }
    checkRun(broker, id, rep, row, args, stderr);
  }
  if (idle) await idle.stop();
  await broker.stop();
}

async function connRuns(broker, credsDir) {
  const n = opts.conns;
  const args = [
    '--mode',
    'conns',
    '--conns',
    String(n),
    '--hold',
    '3',
    ...creds(credsDir, ['--creds', 'idle.txt']),
  ];
  let retries = 0;
  for (let rep = 1; rep <= opts.reps; rep++) {
    await broker.start(); // fresh broker each time: a clean memory baseline
    const quietBefore = await quiet(broker);
    const rss0 = rssKb(broker.pid);
    const ready = path.join(broker.dir, `conns-ready-${rep}`);
    fs.rmSync(ready, { force: true });
    const pending = generate(broker, [...args, '--ready-file', ready], 120);
    let done = false;
    pending.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    while (!fs.existsSync(ready) && !done) await sleep(20);
    let rss1 = null;
    let open = null;
    if (!done) {
      await sleep(2000); // let the broker settle with every connection open
      rss1 = rssKb(broker.pid);
      open = establishedTo(broker.port);
    }
    const { result, stderr, brokerCpu, otherCpuPct } = await pending;
    const up = broker.alive;
    const row = record(broker, 'conns-10k', rep, {
      rss_before_kb: rss0,
      rss_after_kb: rss1,
      open_at_sample: open,
      broker_cpu_s: up ? brokerCpu : null,
      broker_alive: up,
      other_cpu_pct_before: quietBefore,
      other_cpu_pct: otherCpuPct,
      result,
    });
    if (up && noisy(row, retries)) {
      retries++;
      rep--;
      await broker.stop();
      continue;
    }
    if (!up) noteIncident(broker, 'conns-10k', rep, `broker process died${broker.exitNote}`, args, stderr);
    else if (result.errors || result.connected !== n)
      noteIncident(
        broker,
        'conns-10k',
        rep,
        `${result.connected ?? 0}/${n} connected; errors ${JSON.stringify(result.error_detail)}`,
        args,
        stderr,
      );
    await broker.stop();
  }
}

// ── paced capacity of Plexus (the max load of qos1-latency-capacity) ─────
const LADDER = { from: 20000, step: 10000, to: 200000, duration: 2 };
const CAPACITY_RULE =
  'a rate passes when ≥ 99 % of it is delivered, every PUBACKed message arrives and p50 ≤ 1,000 µs (no queueing)';

/** Why one calibration step did not pass (undefined: it passed). */
function ladderFailure(rate, up, r) {
  if (!up) return 'broker died';
  if (r.errors) return `generator errors ${JSON.stringify(r.error_detail)}`;
  if (!r.latency_us) return 'no latency result';
  if (!(r.delivered_per_s >= 0.99 * rate))
    return `delivered ${fmt(r.delivered_per_s)} msg/s, < 99 % of the rate`;
  if (r.acked > r.received) return `${r.acked - r.received} PUBACKed messages not delivered`;
  if (r.latency_us.p50 > 1000) return `p50 ${fmt(r.latency_us.p50)} µs > 1,000 µs (queueing)`;
}

/**
 * Plexus's paced QoS 1 capacity: the highest rate of the ladder (20k, 30k, … 200k msg/s, 2 s each,
 * stopping at the first failure) that one fresh broker, after a 2 s warm-up, delivers in full without
 * queueing. Paced publishers send about one message per broker read, and each read costs its own
 * syscalls (a PUBACK write among them), so this is well below the unpaced fan-in rate, where one read
 * carries hundreds of pipelined messages.
 */
async function calibrateCapacity(plexus, credsDir) {
  const id = 'qos1-latency-capacity';
  const ladder = [];
  await plexus.start();
  await generate(plexus, [...latencyArgs(credsDir, LADDER.from), '--duration', '2', '--drain', '1'], 60);
  let retries = 0;
  for (let rate = LADDER.from; rate <= LADDER.to; rate += LADDER.step) {
    await settle(plexus);
    if (!plexus.alive) {
      ladder.push({ rate, pass: false, reason: 'broker died after the previous step' });
      noteIncident(
        plexus,
        id,
        0,
        `broker process died during the capacity calibration${plexus.exitNote}`,
        [],
        '',
      );
      break;
    }
    await quiet(plexus);
    const args = [...latencyArgs(credsDir, rate), '--duration', String(LADDER.duration)];
    const { result: r, stderr, brokerCpu, otherCpuPct } = await generate(plexus, args, LADDER.duration + 90);
    const up = plexus.alive;
    const step = {
      rate,
      delivered_per_s: r.delivered_per_s ?? null,
      latency_us: r.latency_us ?? null,
      acked: r.acked ?? null,
      received: r.received ?? null,
      broker_cpu_pct:
        up && brokerCpu !== null && r.gen_wall_s ? Math.round((1000 * brokerCpu) / r.gen_wall_s) / 10 : null,
      other_cpu_pct: otherCpuPct,
    };
    ladder.push(step);
    if (up && otherCpuPct > opts.maxNoise) {
      const noise = `noisy: other processes used ${otherCpuPct} % of a core`;
      if (retries < opts.noiseRetries) {
        retries++;
        step.discarded = noise;
        log(`   capacity step ${rate} msg/s discarded (${noise}); repeating it`);
        rate -= LADDER.step;
        continue;
      }
      step.noisy = noise; // kept: no retries left
    }
    retries = 0; // --noise-retries per step
    const why = ladderFailure(rate, up, r);
    step.pass = !why;
    step.reason = why ?? null;
    log(
      `   capacity step ${rate} msg/s: ${fmt(r.delivered_per_s)} delivered/s, p50 ${fmt(r.latency_us?.p50)} µs` +
        ` p99 ${fmt(r.latency_us?.p99)} µs, broker CPU ${fmt(step.broker_cpu_pct)} %; ${why ? `fails: ${why}` : 'passes'}`,
    );
    // A dead broker, generator errors or lost PUBACKed messages are incidents; falling behind is the expected end.
    if (!up || r.errors || r.acked > r.received)
      checkRun(plexus, `${id} (calibration)`, 0, { broker_alive: up, result: r }, args, stderr);
    if (why) break;
  }
  await plexus.stop();
  const passed = ladder.filter((s) => s.pass);
  return { capacity: passed.length ? passed[passed.length - 1].rate : null, ladder };
}

/** qos1-latency-capacity's rate: half of the capacity, rounded to 1,000 msg/s. */
const halfCapacity = (capacity) => Math.max(1000, Math.round(capacity / 2 / 1000) * 1000);

// ── CPU profile of Plexus (one extra run, not in the table) ─────────────
/** Top self-time functions of a .cpuprofile, counting only samples inside [from, to] (µs, CLOCK_MONOTONIC) when given. */
function summarizeProfile(file, { from, to } = {}, top = 15) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const count = (windowed) => {
    const self = new Map();
    let total = 0;
    let t = prof.startTime;
    for (let i = 0; i < prof.samples.length; i++) {
      const dt = prof.timeDeltas[i] ?? 0;
      t += dt;
      if (windowed && (t < from || t > to)) continue;
      total += dt;
      const cf = byId.get(prof.samples[i]).callFrame;
      const where = cf.url
        ? `${cf.url.replace(`file://${PLEXUS_DIR}/`, '').replace(/^file:\/\//, '')}:${cf.lineNumber + 1}`
        : '';
      const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + dt);
    }
    return { self, total };
  };
  let { self, total } = count(from !== undefined);
  const windowed = total > 0 && from !== undefined;
  if (!windowed) ({ self, total } = count(false));
  return {
    window: windowed ? 'the measured run only' : 'the whole process lifetime',
    sampled_ms: Math.round(total / 1000),
    top: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({
        function: fn,
        self_ms: Math.round(us / 1000),
        self_pct: Math.round((1000 * us) / total) / 10,
      })),
  };
}

async function profileRun(plexus, id, credsDir, rate) {
  const dir = path.join(plexus.dir, 'cpuprof');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  await plexus.start(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const serverPid = plexus.pid; // a relaunching launcher writes a (tiny) profile of its own
  const sc = SCENARIOS[id];
  await generate(plexus, [...sc.args(credsDir, rate), '--duration', '2', '--drain', '1'], 60);
  await settle(plexus);
  await quiet(plexus);
  const run = await generate(
    plexus,
    [...sc.args(credsDir, rate), '--duration', String(opts.duration)],
    opts.duration + 90,
  );
  await plexus.stop();
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${serverPid}.`));
  if (!file) return { scenario: id, error: 'no .cpuprofile written' };
  const summary = summarizeProfile(path.join(dir, file), {
    from: Number(run.t0 / 1000n),
    to: Number(run.t1 / 1000n),
  });
  return {
    scenario: id,
    delivered_per_s: run.result.delivered_per_s,
    file: path.join(dir, file),
    ...summary,
  };
}

// ── summary ──────────────────────────────────────────────────────────────
const median = (v) => {
  const s = v.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits) =>
  x === null || x === undefined || Number.isNaN(x)
    ? 'n/a'
    : digits !== undefined
      ? x.toFixed(digits)
      : Math.abs(x) >= 1000
        ? Math.round(x).toLocaleString('en-US')
        : Math.abs(x) >= 10
          ? x.toFixed(0)
          : x.toFixed(2);

const lossPct = (r) => {
  if (r.mode === 'fanout') return (100 * (r.sent * r.subs - r.received)) / Math.max(1, r.sent * r.subs);
  if (r.qos === 1) return (100 * (r.acked - r.received)) / Math.max(1, r.acked);
  return (100 * (r.sent - r.received)) / Math.max(1, r.sent);
};
const cpuPct = (row) => (row.broker_cpu_s === null ? null : (100 * row.broker_cpu_s) / row.result.gen_wall_s);
const deliveredRow = ['delivered msg/s', '↑', (x) => x.result.delivered_per_s];
const cpuRows = [
  ['broker peak RSS, MiB', '', (x) => (x.rss_peak_kb == null ? null : x.rss_peak_kb / 1024)],
  ['broker CPU % (of its core, whole run)', '', cpuPct],
  ['generator CPU % (window)', '', (x) => x.result.gen_cpu_window_pct],
  ['other processes CPU % (noise)', '', (x) => x.other_cpu_pct],
];
const latencyRows = [
  ['target msg/s', '', (x) => x.result.target_rate],
  deliveredRow,
  ['p50 µs', '↓', (x) => x.result.latency_us?.p50],
  ['p99 µs', '↓', (x) => x.result.latency_us?.p99],
  ['max µs', '↓', (x) => x.result.latency_us?.max],
  ['PUBACKed but not delivered %', '↓', (x) => lossPct(x.result)],
  ...cpuRows,
];
const METRICS = {
  'qos0-fanin': [
    deliveredRow,
    ['sent but not delivered by the end of the drain %', '', (x) => lossPct(x.result)],
    ...cpuRows,
  ],
  'qos1-fanin': [deliveredRow, ['PUBACKed but not delivered %', '↓', (x) => lossPct(x.result)], ...cpuRows],
  'qos0-fanout': [
    deliveredRow,
    ['sent×subs but not delivered by the end of the drain %', '', (x) => lossPct(x.result)],
    ...cpuRows,
  ],
  'qos1-latency': latencyRows,
  'qos1-latency-capacity': latencyRows,
  ...Object.fromEntries(FIXED_RATES.map((rate) => [`qos1-latency-${rate / 1000}k`, latencyRows])),
  'fanin-1k': [
    deliveredRow,
    ['PUBACKed but not delivered %', '↓', (x) => lossPct(x.result)],
    ['idle clients still connected after the run', '', (x) => x.idle_open ?? null],
    ...cpuRows,
  ],
  'conns-10k': [
    ['connected', '', (x) => x.result.connected],
    ['connects/s', '↑', (x) => x.result.connects_per_s],
    ['CONNACK p99 µs', '↓', (x) => x.result.connack_us?.p99],
    ['broker RSS idle, MiB', '', (x) => (x.rss_before_kb === null ? null : x.rss_before_kb / 1024)],
    ['broker RSS with all open, MiB', '', (x) => (x.rss_after_kb === null ? null : x.rss_after_kb / 1024)],
    ['other processes CPU % (noise)', '', (x) => x.other_cpu_pct],
    [
      'KB per idle connection',
      '↓',
      (x) =>
        x.rss_after_kb === null || x.rss_before_kb === null
          ? null
          : (x.rss_after_kb - x.rss_before_kb) / Math.max(1, x.result.connected),
    ],
  ],
};

function summarize(brokers) {
  const summary = {};
  for (const id of opts.only) {
    summary[id] = {};
    for (const [name, , f] of METRICS[id]) {
      summary[id][name] = {};
      for (const b of brokers) {
        const rs = runs.filter((r) => r.broker === b.name && r.scenario === id && !r.discarded);
        summary[id][name][b.name] = rs.length ? median(rs.map(f)) : null;
      }
    }
  }
  return summary;
}

function died(id, name) {
  const rs = runs.filter((r) => r.broker === name && r.scenario === id && !r.discarded);
  const d = rs.filter((r) => r.broker_alive === false).length;
  const warm = incidents.filter(
    (i) => i.broker === name && i.scenario === id && /warm-up/.test(i.symptom),
  ).length;
  return { d, warm, n: rs.length };
}

function table(brokers, summary, meta) {
  const names = brokers.map((b) => b.name);
  const ratioCols = [];
  if (names.includes('plexus') && names.includes('aedes')) ratioCols.push(['Plexus/Aedes', 'aedes']);
  if (names.includes('plexus') && names.includes('mosquitto'))
    ratioCols.push(['Plexus/Mosquitto', 'mosquitto']);
  let out = `MQTT broker benchmark, ${meta.date}\n\n`;
  out += `- ${meta.machine}\n`;
  if (meta.versions.plexus)
    out += `- Plexus at commit ${meta.commit || '?'}${meta.src_changes ? ` with ${meta.src_changes} uncommitted change(s) in src/` : ''} (${meta.plexus_dir === ROOT ? 'this checkout' : meta.plexus_dir}; dist/ built ${meta.dist_built})\n`;
  const v = meta.versions;
  const who = [];
  if (v.plexus) who.push(`Plexus ${v.plexus} on Node ${v.plexus_node}`);
  if (v.mosquitto) who.push(v.mosquitto.replace(/^mosquitto version/, 'Mosquitto'));
  if (v.aedes) who.push(`Aedes ${v.aedes} on Node ${v.aedes_node}`);
  out += `- ${who.join('; ')}; bench script on Node ${v.bench_node}\n`;
  out += `- broker on CPU ${BROKER_CPU}, mqtt-load on CPU ${GEN_CPU}; MQTT 3.1.1, 100-byte payloads; median of ${opts.reps} run(s) of ${opts.duration} s each (after a 2 s warm-up), fresh broker per scenario\n`;
  if (opts.only.includes('qos1-latency'))
    out += `- qos1-latency paced at ${meta.latencyRate ?? 'n/a'} msg/s (${meta.latencyRateSource})\n`;
  const cap = meta.paced_capacity;
  if (opts.only.includes('qos1-latency-capacity'))
    out += `- qos1-latency-capacity paced at ${cap?.latency_rate ?? 'n/a'} msg/s: half of Plexus's paced QoS1 capacity, ${cap?.msg_per_s ?? 'n/a'} msg/s (${cap?.source ?? 'not measured'}${cap?.ladder ? '; ladder below the targets' : ''})\n`;
  const discarded = runs.filter((r) => r.discarded).length;
  const kept = runs.filter((r) => r.noisy).length;
  out += `- ${discarded} run(s) discarded and repeated because other processes used more than ${opts.maxNoise} % of a core during them${kept ? `; ${kept} such run(s) kept because the scenario's ${opts.noiseRetries} retries were used up` : ''}\n\n`;
  out += `| scenario | metric | ${names.join(' | ')} |${ratioCols.map(([t]) => ` ${t} |`).join('')}\n`;
  out += `|---|---|${names.map(() => '---:').join('|')}|${ratioCols.map(() => '---:|').join('')}\n`;
  for (const id of opts.only) {
    let first = true;
    for (const [name, dir] of METRICS[id]) {
      const v = summary[id][name];
      const cells = names.map((n) => {
        let s = fmt(v[n]);
        if (first) {
          const { d, warm, n: total } = died(id, n);
          if (d) s += ` (died in ${d}/${total} runs)`;
          else if (warm) s += ' (died in warm-up)';
        }
        return s;
      });
      const ratios = ratioCols.map(([, other]) =>
        dir && !name.includes('not delivered') && v.plexus != null && v[other]
          ? `${(v.plexus / v[other]).toFixed(2)}×`
          : '',
      );
      out += `| ${first ? id : ''} | ${name}${dir ? ` ${dir}` : ''} | ${cells.join(' | ')} |${ratios.map((r) => ` ${r} |`).join('')}\n`;
      first = false;
    }
  }
  out += `\n↑ higher is better, ↓ lower is better${ratioCols.length ? '; ratios are Plexus divided by the other broker' : ''}.\n`;
  return out;
}

function targets(summary, names, meta) {
  const t = [];
  const has = (b) => names.includes(b);
  if (!has('plexus')) return t;
  for (const id of ['qos0-fanin', 'qos1-fanin', 'qos0-fanout', 'fanin-1k']) {
    if (!summary[id]) continue;
    const v = summary[id]['delivered msg/s'];
    const aedesDied = died(id, 'aedes').d > 0 || died(id, 'aedes').warm > 0;
    if (has('aedes') && v.plexus != null && v.aedes)
      t.push({
        target: `${id}: ≥ 2× Aedes throughput`,
        value: `${(v.plexus / v.aedes).toFixed(2)}×${aedesDied ? ' (Aedes died in this scenario)' : ''}`,
        met: v.plexus / v.aedes >= 2,
      });
    if (has('mosquitto') && v.plexus != null && v.mosquitto)
      t.push({
        target: `${id}: ≥ 60 % of Mosquitto`,
        value: `${((100 * v.plexus) / v.mosquitto).toFixed(0)} %`,
        met: v.plexus / v.mosquitto >= 0.6,
      });
  }
  // Max load for a paced latency test = the highest paced rate Plexus sustains (qos1-latency-capacity).
  const cap = meta.paced_capacity;
  if (summary['qos1-latency-capacity']?.['p99 µs']?.plexus != null) {
    const p99 = summary['qos1-latency-capacity']['p99 µs'].plexus;
    t.push({
      target: `QoS1 p99 publish→delivery < 5 ms at half of max load (max = Plexus's paced capacity, ${fmt(cap?.msg_per_s)} msg/s)`,
      value: `${(p99 / 1000).toFixed(2)} ms at ${fmt(cap?.latency_rate)} msg/s`,
      met: p99 < 5000,
    });
  }
  // The shared tool's scenario d: half of the unpaced fan-in rate, an overload for paced publishers.
  if (summary['qos1-latency']?.['p99 µs']?.plexus != null) {
    const p99 = summary['qos1-latency']['p99 µs'].plexus;
    t.push({
      target:
        "QoS1 p99 publish→delivery < 5 ms at half of the unpaced QoS1 fan-in rate (shared tool's scenario d)",
      value: `${(p99 / 1000).toFixed(2)} ms at ${fmt(meta.latencyRate)} msg/s`,
      met: p99 < 5000,
      informational: true,
    });
  }
  if (summary['conns-10k']?.['KB per idle connection']?.plexus != null) {
    const kb = summary['conns-10k']['KB per idle connection'].plexus;
    t.push({ target: '< 20 KB per idle connection', value: `${kb.toFixed(1)} KB`, met: kb < 20 });
  }
  return t;
}

// ── main ─────────────────────────────────────────────────────────────────
async function main() {
  checkPrerequisites();
  const started = new Date();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-bench-'));
  GEN = loadGenerator(tmp);
  const brokers = [];
  for (const name of opts.brokers) {
    if (name === 'plexus') brokers.push(new Plexus(tmp, opts.node));
    else if (name === 'aedes') {
      if (!fs.existsSync(path.join(ROOT, 'node_modules/aedes/package.json'))) {
        log('aedes is not installed (npm install): skipping it');
        continue;
      }
      brokers.push(new AedesBroker(tmp, opts.aedesNode));
    } else {
      const bin = mosquittoBinary();
      if (!bin) {
        log('mosquitto is not installed (apt-get install mosquitto): skipping it');
        continue;
      }
      brokers.push(new Mosquitto(tmp, bin));
    }
  }
  const needIdle = opts.only.includes('conns-10k')
    ? opts.conns
    : opts.only.includes('fanin-1k')
      ? opts.idle
      : 0;
  if (opts.only.includes('fanin-1k') && opts.only.includes('conns-10k') && opts.idle > opts.conns)
    opts.conns = opts.idle;
  const anonCreds = path.join(tmp, 'creds-anon');
  writeCreds(anonCreds, {
    device: () => ['-', '-'],
    viewer: ['-', '-'],
    operator: ['-', '-'],
    idle: Math.max(needIdle, opts.idle),
  });
  log(
    `generator ${GEN}; temp dir ${tmp}; ${opts.reps} run(s) × ${opts.duration} s; scenarios ${opts.only.join(', ')}`,
  );

  let latencyRate = opts.rate;
  let latencyRateSource = opts.rate
    ? 'given with --rate'
    : "half of Plexus's median QoS1 fan-in delivered msg/s";
  // Plexus's paced QoS1 capacity: given, or calibrated once (on first use) for qos1-latency-capacity.
  let capacity = opts.capacity
    ? { msg_per_s: opts.capacity, source: 'given with --capacity', ladder: null }
    : undefined;
  const plexusCreds = path.join(tmp, 'creds-plexus');
  for (const broker of brokers) {
    const credsDir = broker.name === 'plexus' ? plexusCreds : anonCreds;
    log(`=== ${broker.name}`);
    if (broker.name === 'plexus') {
      await broker.start();
      await broker.provision(plexusCreds, { idle: Math.max(needIdle, opts.idle) });
      await broker.stop();
    }
    for (const id of opts.only) {
      log(` -- ${id}`);
      if (id === 'conns-10k') {
        await connRuns(broker, credsDir);
        continue;
      }
      if (id === 'qos1-latency' && latencyRate === undefined) {
        const plexus = brokers.find((b) => b.name === 'plexus');
        if (!plexus) fail('qos1-latency needs Plexus in the run (for its QoS1 fan-in rate) or --rate N');
        const rateOf = () =>
          median(
            runs
              .filter((r) => r.broker === 'plexus' && r.scenario === 'qos1-fanin' && !r.discarded)
              .map((r) => r.result.delivered_per_s),
          );
        let med = rateOf();
        if (!med) {
          log('   (calibrating: Plexus QoS1 fan-in for the latency rate)');
          await loadRuns(plexus, 'qos1-fanin', plexusCreds);
          med = rateOf();
          latencyRateSource += ' (calibration run)';
        }
        latencyRate = Math.max(100, Math.round(med / 2 / 100) * 100);
        log(`   latency rate ${latencyRate} msg/s`);
      }
      if (id === 'qos1-latency-capacity') {
        if (capacity === undefined) {
          // parseArgs made sure Plexus is benchmarked, and it runs first: its credentials exist.
          const plexus = brokers.find((b) => b.name === 'plexus');
          log("   (calibrating: Plexus's paced QoS1 capacity, a fresh broker)");
          const cal = await calibrateCapacity(plexus, plexusCreds);
          capacity = { msg_per_s: cal.capacity, source: 'calibrated', ladder: cal.ladder };
          if (cal.capacity)
            log(`   paced capacity ${cal.capacity} msg/s; latency rate ${halfCapacity(cal.capacity)}`);
          else
            noteIncident(
              plexus,
              id,
              0,
              `capacity calibration: not even ${LADDER.from} msg/s passed; scenario skipped`,
              latencyArgs(plexusCreds, LADDER.from),
              '',
            );
        }
        if (!capacity.msg_per_s) {
          log('   skipped (no paced capacity)');
          continue;
        }
        await loadRuns(broker, id, credsDir, halfCapacity(capacity.msg_per_s));
        continue;
      }
      await loadRuns(broker, id, credsDir, SCENARIOS[id].rate ?? latencyRate);
    }
    await broker.stop();
  }

  let profile;
  const plexus = brokers.find((b) => b.name === 'plexus');
  if (opts.profile && plexus) {
    log(`=== plexus CPU profile during ${opts.profile}`);
    profile = await profileRun(plexus, opts.profile, plexusCreds, latencyRate ?? 1000);
  }

  const git = (args) =>
    spawnSync('git', ['-C', PLEXUS_DIR, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const meta = {
    date: started.toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    // dist/ is what runs: built from this commit plus any uncommitted changes to src/.
    src_changes: git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length,
    plexus_dir: PLEXUS_DIR,
    dist_built: fs.existsSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js'))
      ? fs.statSync(path.join(PLEXUS_DIR, 'dist/src/cli/main.js')).mtime.toISOString()
      : null,
    machine: `${os.cpus()[0]?.model} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`,
    versions: {
      plexus: plexus?.version ?? null,
      plexus_node: plexus?.nodeVersion ?? null,
      mosquitto: brokers.find((b) => b.name === 'mosquitto')?.version ?? null,
      aedes: brokers.find((b) => b.name === 'aedes')?.version ?? null,
      aedes_node: brokers.find((b) => b.name === 'aedes')?.nodeVersion ?? null,
      bench_node: process.version,
    },
    latencyRate,
    latencyRateSource,
    paced_capacity: capacity
      ? {
          ...capacity,
          latency_rate: capacity.msg_per_s ? halfCapacity(capacity.msg_per_s) : null,
          rule: capacity.ladder
            ? `a fresh Plexus, a 2 s warm-up at ${fmt(LADDER.from)} msg/s, then one paced QoS1 run of ${LADDER.duration} s (100 publishers → 1 subscriber) per rate from ${fmt(LADDER.from)} up in steps of ${fmt(LADDER.step)} to ${fmt(LADDER.to)} msg/s, stopping at the first failure; ${CAPACITY_RULE}; capacity = the highest passing rate`
            : null,
        }
      : null,
  };
  // Warnings and errors Plexus logged (JSON lines, pino levels: 40 warn, 50 error, 60 fatal).
  let plexusLog;
  if (plexus) {
    const lines = fs.readFileSync(plexus.logFile, 'utf8').split('\n');
    const entries = lines.flatMap((l) => {
      try {
        const e = JSON.parse(l);
        return typeof e.level === 'number' && e.level >= 40 ? [e] : [];
      } catch {
        return [];
      }
    });
    const counts = {};
    for (const e of entries) counts[`${e.level} ${e.msg}`] = (counts[`${e.level} ${e.msg}`] ?? 0) + 1;
    const other = lines.filter(
      (l) => l && !l.startsWith('{') && !l.startsWith('=====') && !/^(Plexus is running|First start)/.test(l),
    );
    plexusLog = {
      warnings_and_errors: counts,
      first: entries.slice(0, 5),
      non_json_lines: other.slice(0, 20),
    };
  }
  const summary = summarize(brokers);
  const tgt = targets(
    summary,
    brokers.map((b) => b.name),
    meta,
  );
  let text = table(brokers, summary, meta);
  if (tgt.length) {
    text += '\nTargets (issue #3):\n\n| target | Plexus | met |\n|---|---:|---|\n';
    for (const t of tgt)
      text += `| ${t.target} | ${t.value} | ${t.informational ? `informational, not the target (${t.met ? 'under' : 'over'} 5 ms)` : t.met ? 'yes' : 'NO'} |\n`;
  }
  const ladder = meta.paced_capacity?.ladder;
  if (ladder) {
    const c = meta.paced_capacity.msg_per_s;
    text += `\nPlexus's paced QoS1 capacity (the max load of qos1-latency-capacity): ${c ? `${fmt(c)} msg/s` : 'none, no rate passed'}${c === LADDER.to ? ' (the top of the ladder: a lower bound)' : ''}. Calibration: ${meta.paced_capacity.rule}.\n\n`;
    text +=
      '| rate msg/s | delivered msg/s | p50 µs | p99 µs | max µs | PUBACKed but not delivered | broker CPU % | other processes CPU % | result |\n';
    text += '|---:|---:|---:|---:|---:|---:|---:|---:|---|\n';
    for (const s of ladder) {
      const result = s.discarded
        ? `discarded (${s.discarded}), repeated`
        : `${s.pass ? 'pass' : `FAIL: ${s.reason}`}${s.noisy ? ` (${s.noisy}; kept, no retries left)` : ''}`;
      const lost = s.acked == null || s.received == null ? 'n/a' : Math.max(0, s.acked - s.received);
      text += `| ${fmt(s.rate)} | ${fmt(s.delivered_per_s)} | ${fmt(s.latency_us?.p50)} | ${fmt(s.latency_us?.p99)} | ${fmt(s.latency_us?.max)} | ${lost} | ${fmt(s.broker_cpu_pct)} | ${fmt(s.other_cpu_pct)} | ${result} |\n`;
    }
  }
  if (incidents.length) {
    text += '\nIncidents (see the JSON for commands, generator output and broker log tails):\n\n';
    for (const i of incidents)
      text += `- ${i.broker} ${i.scenario}${i.rep ? ` run ${i.rep}` : ''}: ${i.symptom}\n`;
  }
  if (plexusLog && (Object.keys(plexusLog.warnings_and_errors).length || plexusLog.non_json_lines.length)) {
    text += '\nPlexus log (warn and above, by message):\n\n';
    for (const [k, n] of Object.entries(plexusLog.warnings_and_errors)) text += `- ${n} × level ${k}\n`;
    for (const l of plexusLog.non_json_lines) text += `- \`${l.slice(0, 200)}\`\n`;
  }
  if (profile?.top) {
    text += `\nPlexus CPU profile (${profile.scenario}, one extra run, ${fmt(profile.delivered_per_s)} delivered msg/s under the profiler), top self time over ${profile.window} (${profile.sampled_ms} ms sampled):\n\n| function | self ms | self % |\n|---|---:|---:|\n`;
    for (const p of profile.top) text += `| \`${p.function}\` | ${p.self_ms} | ${p.self_pct} |\n`;
  }

  const stamp = started.toISOString().replace(/\..*$/, '').replace(/:/g, '-');
  const out = opts.out ?? path.join(ROOT, 'bench/results', `mqtt-${stamp}Z.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const argv = process.argv.slice(2);
  fs.writeFileSync(
    out,
    `${JSON.stringify({ meta: { ...meta, command: `node bench/mqtt.mjs ${argv.join(' ')}`.trim(), options: opts }, summary, targets: tgt, incidents, plexus_log: plexusLog, profile, runs }, null, 2)}\n`,
  );
  fs.writeFileSync(out.replace(/\.json$/, '.md'), text);
  process.stdout.write(`\n${text}\nraw results: ${path.relative(process.cwd(), out)}\n`);
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

main().catch((err) => {
  process.stderr.write(`bench/mqtt.mjs failed: ${err.stack ?? err}\n`);
  cleanup();
  process.exit(1);
});
