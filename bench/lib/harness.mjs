// Plumbing shared by the Plexus benchmarks (bench/ingest.mjs, bench/rules.mjs): pinned child
// processes (and killing them on exit), per-process and per-thread CPU from /proc, the brokers
// (Plexus from a data dir, Mosquitto), one run of the load generator bench/ingest-gen.mjs, waiting
// for a quiet machine and an idle broker, stored-row counts, CPU profile summaries, number format.
// A script sets `cfg` (configure) once after parsing its options.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GEN_CPU = '1';
export const ADMIN_PASSWORD = 'bench-admin-password';
const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"';
export const GEN_SCRIPT = path.join(ROOT, 'bench/ingest-gen.mjs');

/** Settings of the calling script: Plexus tree and CPUs, generator Node, quiet wait, logger, extra Plexus env. */
export const cfg = {
  plexusDir: ROOT,
  plexusCpus: '0',
  genNode: process.execPath,
  quietWait: 60,
  plexusEnv: {},
  log: (msg) => process.stderr.write(`${msg}\n`),
};
export function configure(o) {
  Object.assign(cfg, o);
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Prints the leading comment block of a script (its --help) and exits. */
export function printHelp(url) {
  const text = fs.readFileSync(fileURLToPath(url), 'utf8').split('\n');
  const end = text.findIndex((l, j) => j > 0 && !l.startsWith('//'));
  process.stdout.write(
    `${text
      .slice(1, end)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n')}\n`,
  );
  process.exit(0);
}

export const have = (cmd) =>
  spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;

/** better-sqlite3 for this Node (as src/store/sqlite/driver.ts picks it), to count stored rows read-only. */
export function sqlite() {
  const major = Number(process.versions.node.split('.')[0]);
  const req = createRequire(path.join(ROOT, 'package.json'));
  return req(major >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3');
}

// ── processes ────────────────────────────────────────────────────────────
export const children = new Set();
export function cleanup() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {}
  }
  for (const pid of extraPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
export const extraPids = new Set(); // Plexus serving processes relaunched by their launcher (Node < 22.15)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}
process.on('exit', cleanup);

/** Runs `argv` through bash (raised fd limit) and taskset on `cpus`; the pid is the program's own (exec). */
export function pinned(cpus, argv, { env, logFile, stdin = 'ignore' } = {}) {
  const out = logFile ? fs.openSync(logFile, 'a') : 'pipe';
  const child = spawn('bash', ['-c', `${ULIMIT}; exec taskset -c ${cpus} "$@"`, 'bash', ...argv], {
    env: env ?? process.env,
    stdio: [stdin, out, out],
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

export const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return (
      fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    );
  } catch {
    return false;
  }
};
export function rssKb(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return null;
  }
}
export const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
export function statCpu(file) {
  try {
    const f = fs
      .readFileSync(file, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return null;
  }
}
export const cpuSeconds = (pid) => statCpu(`/proc/${pid}/stat`);
/** CPU seconds and bytes written per thread of `pid`: tid → { comm, cpu, wchar, syscw }. */
export function threadCpu(pid) {
  const out = new Map();
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const cpu = statCpu(`/proc/${pid}/task/${tid}/stat`);
      let comm = '';
      let wchar = 0;
      let syscw = 0;
      try {
        comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        const io = fs.readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8');
        wchar = Number(/^wchar:\s+(\d+)/m.exec(io)?.[1] ?? 0);
        syscw = Number(/^syscw:\s+(\d+)/m.exec(io)?.[1] ?? 0);
      } catch {}
      if (cpu !== null) out.set(Number(tid), { comm, cpu, wchar, syscw });
    }
  } catch {}
  return out;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitPort(port, child, ms = 20000) {
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

export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Busy CPU seconds of the whole machine (all CPUs, incl. interrupts and steal) from /proc/stat. */
export function machineBusySeconds() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / TICK;
}

// ── brokers ──────────────────────────────────────────────────────────────
export class Broker {
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
  get cpus() {
    return '0';
  }
  async start(extraNodeArgs = []) {
    await this.stop();
    this.port = await freePort();
    this.starts++;
    fs.appendFileSync(
      this.logFile,
      `\n===== start #${this.starts} on port ${this.port} at ${new Date().toISOString()}\n`,
    );
    this.child = pinned(this.cpus, this.command(extraNodeArgs), { env: this.env(), logFile: this.logFile });
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
    const server = this.pid;
    this.child = undefined;
    if (alive(c.pid)) {
      process.kill(c.pid, 'SIGTERM');
      const t = setTimeout(() => alive(c.pid) && process.kill(c.pid, 'SIGKILL'), 20000);
      await c.exited;
      clearTimeout(t);
    } else await c.exited;
    // A relaunched server (Node without execve) is a child of the launcher: make sure it is gone too.
    if (server && server !== c.pid) {
      const end = Date.now() + 20000;
      while (alive(server) && Date.now() < end) await sleep(100);
      if (alive(server)) process.kill(server, 'SIGKILL');
      extraPids.delete(server);
    }
  }
  get alive() {
    return this.child !== undefined && alive(this.pid);
  }
  get exitNote() {
    const s = this.child?.exitStatus;
    return s ? ` (${s.signal ? `signal ${s.signal}` : `exit code ${s.code}`})` : '';
  }
}

export class Mosquitto extends Broker {
  constructor(tmp, bin) {
    super('mosquitto', tmp);
    this.bin = bin;
    this.version = spawnSync(bin, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  }
  command() {
    const conf = path.join(this.dir, 'mosquitto.conf');
    // Stock settings but for the listener, anonymous access, no persistence, quiet logging, and
    // Nagle off: Plexus disables it too, and with it on a PUBACK waits for the device's next packet
    // (its TCP ACK), so paced publish→PUBACK latency would measure the device's send interval.
    fs.writeFileSync(
      conf,
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence false',
        'set_tcp_nodelay true',
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

export class Plexus extends Broker {
  constructor(tmp, node) {
    super('plexus', tmp);
    this.node = node;
    this.nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    this.version = JSON.parse(fs.readFileSync(path.join(cfg.plexusDir, 'package.json'), 'utf8')).version;
    this.dataDir = path.join(this.dir, 'template');
    this.httpPort = undefined;
    this.serverPid = undefined;
    this.token = undefined;
  }
  get cpus() {
    return cfg.plexusCpus;
  }
  get pid() {
    return this.serverPid ?? this.child?.pid;
  }
  /** A fresh copy of the provisioned template data dir (or of `from`) for the next start. */
  freshData(name, from = 'template') {
    const dir = path.join(this.dir, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(path.join(this.dir, from), dir, { recursive: true });
    fs.rmSync(path.join(dir, 'ports.json'), { force: true });
    this.dataDir = dir;
    return dir;
  }
  command(extraNodeArgs) {
    fs.rmSync(path.join(this.dataDir, 'ports.json'), { force: true });
    this.serverPid = undefined;
    this.token = undefined;
    return [this.node, ...extraNodeArgs, path.join(cfg.plexusDir, 'dist/src/cli/main.js'), 'start'];
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
      ...cfg.plexusEnv,
    };
  }
  async ready() {
    const file = path.join(this.dataDir, 'ports.json');
    const end = Date.now() + 30000;
    while (Date.now() < end) {
      if (fs.existsSync(file)) {
        try {
          const ports = JSON.parse(fs.readFileSync(file, 'utf8'));
          this.httpPort = ports.http;
          this.serverPid = ports.pid;
          if (ports.pid !== this.child.pid) extraPids.add(ports.pid);
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
  async login() {
    this.token = (
      await this.api('POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, null)
    ).token;
  }
}

// ── runs ─────────────────────────────────────────────────────────────────
/** CPU of the broker (whole process and per thread) and of the machine at one moment. */
export function snapshot(pid) {
  return { t: performance.now(), cpu: cpuSeconds(pid), threads: threadCpu(pid), busy: machineBusySeconds() };
}

/** Broker CPU in a window [a, b]: whole process %, main thread %, other threads % (by name). */
export function cpuBetween(pid, a, b) {
  const wall = (b.t - a.t) / 1000;
  if (!(wall > 0) || a.cpu === null || b.cpu === null) return null;
  const main = (b.threads.get(pid)?.cpu ?? 0) - (a.threads.get(pid)?.cpu ?? 0);
  const others = {};
  let busiest = 0; // the busiest thread but the main one: the SQLite writer under ingest
  // Bytes the other threads wrote (write syscalls): the SQLite writer's WAL and checkpoint writes,
  // as no other thread but the main one touches sockets.
  let wchar = 0;
  let syscw = 0;
  for (const [tid, x] of b.threads) {
    if (tid === pid) continue;
    wchar += x.wchar - (a.threads.get(tid)?.wchar ?? 0);
    syscw += x.syscw - (a.threads.get(tid)?.syscw ?? 0);
    const d = x.cpu - (a.threads.get(tid)?.cpu ?? 0);
    if (d > busiest) busiest = d;
    if (d > 0) others[x.comm || String(tid)] = (others[x.comm || String(tid)] ?? 0) + d;
  }
  const pct = (s) => Math.round((1000 * s) / wall) / 10;
  return {
    wall_s: wall,
    cpu_s: b.cpu - a.cpu,
    pct: pct(b.cpu - a.cpu),
    main_pct: pct(main),
    other_threads_pct: pct(Object.values(others).reduce((s, x) => s + x, 0)),
    busiest_other_thread_pct: pct(busiest),
    other_threads_write_bytes: wchar,
    other_threads_write_calls: syscw,
    threads_pct: Object.fromEntries(
      Object.entries(others)
        .map(([k, v]) => [k, pct(v)])
        .filter(([, v]) => v >= 0.5),
    ),
    machine_busy_s: b.busy - a.busy,
  };
}

/**
 * One load run (ingest-gen.mjs pinned to the generator's CPU) against `broker`; resolves with its
 * JSON, the broker's CPU inside the measurement window, its peak RSS and how busy the rest of the
 * machine was in that window; `onWindowStart`/`onWindowEnd` are called as the generator opens and closes its window.
 */
export async function generate(broker, args, timeoutS, { onWindowStart, onWindowEnd } = {}) {
  const pid = broker.pid;
  const child = pinned(GEN_CPU, [
    cfg.genNode,
    GEN_SCRIPT,
    '--port',
    String(broker.port),
    '--label',
    broker.name,
    ...args,
  ]);
  let stdout = '';
  let stderr = '';
  let start;
  let end;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!start && stdout.includes('#window-start\n')) {
      start = snapshot(pid);
      onWindowStart?.();
    }
    if (!end && stdout.includes('#window-end\n')) {
      end = snapshot(pid);
      onWindowEnd?.();
    }
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
  const last = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  let result;
  try {
    result = JSON.parse(last);
  } catch {
    result = { errors: 1, error_detail: { generator: `no output (exit ${code ?? signal})` } };
  }
  const cpu = start && end ? cpuBetween(pid, start, end) : null;
  let otherPct = null;
  if (cpu && result.gen_cpu_s !== undefined) {
    const other = cpu.machine_busy_s - cpu.cpu_s - result.gen_cpu_s;
    otherPct = Math.round((1000 * Math.max(0, other)) / cpu.wall_s) / 10;
  }
  return {
    result,
    stderr: stderr.trim().split('\n').slice(-8).join('\n'),
    cpu,
    rssPeak,
    otherCpuPct: otherPct,
  };
}

/** Waits (up to --quiet-wait s) until other processes leave the two CPUs (nearly) idle; returns their busy %. */
export async function quiet(broker) {
  const end = Date.now() + cfg.quietWait * 1000;
  let said = false;
  for (;;) {
    const b0 = machineBusySeconds();
    const c0 = broker?.pid ? cpuSeconds(broker.pid) : 0;
    await sleep(1000);
    const other = 100 * (machineBusySeconds() - b0 - ((broker?.pid ? cpuSeconds(broker.pid) : 0) - c0));
    if (other < 15 || Date.now() > end) {
      if (other >= 15)
        cfg.log(
          `   machine still busy (${other.toFixed(0)} % of a core used by other processes); running anyway`,
        );
      return Math.round(other);
    }
    if (!said)
      cfg.log(`   waiting for the machine to be quiet: other processes use ${other.toFixed(0)} % of a core`);
    said = true;
  }
}

/** Waits (up to 20 s) until the broker is idle again (a commit backlog or GC after the last run). */
export async function settle(broker) {
  const end = Date.now() + 20000;
  await sleep(300);
  let prev = cpuSeconds(broker.pid);
  while (Date.now() < end && broker.alive) {
    await sleep(250);
    const now = cpuSeconds(broker.pid);
    if (now === null || prev === null || now - prev < 0.05) return;
    prev = now;
  }
}

export function countStored(dataDir) {
  const Database = sqlite();
  // Telemetry has its own file since the rules work of issue #6; older builds kept it in plexus.db.
  const split = path.join(dataDir, 'telemetry.db');
  const file = fs.existsSync(split) ? split : path.join(dataDir, 'plexus.db');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const one = (sql) => Object.values(db.prepare(sql).get())[0] ?? 0;
    return {
      rows: one('SELECT count(*) FROM telemetry'),
      series: one('SELECT count(*) FROM telemetry_series'),
      rollup_1m_count: one('SELECT sum(count) FROM telemetry_1m'),
      rollup_1h_count: one('SELECT sum(count) FROM telemetry_1h'),
      db_bytes: fs.statSync(file).size,
    };
  } finally {
    db.close();
  }
}

// ── CPU profile ──────────────────────────────────────────────────────────
export function summarizeProfile(file, { from, to } = {}, top = 15) {
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
        ? `${cf.url.replace(`file://${cfg.plexusDir}/`, '').replace(/^file:\/\//, '')}:${cf.lineNumber + 1}`
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
    window: windowed ? 'the measured run only' : 'the whole thread lifetime',
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

/**
 * The profiles `node --cpu-prof` wrote for the server `serverPid` into `dir`, each thread summarized
 * over the window [t0, t1] (process.hrtime.bigint() values); { error } when there are none.
 */
export function profileThreads(dir, serverPid, t0, t1, top = 15) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${serverPid}.`));
  if (!files.length) return { error: 'no .cpuprofile written' };
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread, the SQLite writer a worker.
  let threads = files
    .map((f) => {
      const tid = Number(f.split('.').at(-3));
      return {
        thread: tid === 0 ? 'main thread' : `worker thread ${tid} (SQLite writer)`,
        file: path.join(dir, f),
        ...summarizeProfile(path.join(dir, f), { from: Number(t0 / 1000n), to: Number(t1 / 1000n) }, top),
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
  // Node 24 re-executes `plexus start` in place (same pid): the launcher's own short profile has no
  // samples in the measured window and is left out.
  if (threads.some((t) => t.window === 'the measured run only'))
    threads = threads.filter((t) => t.window === 'the measured run only');
  return { threads };
}

// ── summary helpers ──────────────────────────────────────────────────────
export const median = (v) => {
  const s = v.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmt = (x, digits) =>
  x === null || x === undefined || Number.isNaN(x)
    ? 'n/a'
    : digits !== undefined
      ? x.toFixed(digits)
      : Math.abs(x) >= 1000
        ? Math.round(x).toLocaleString('en-US')
        : Math.abs(x) >= 10
          ? x.toFixed(0)
          : x.toFixed(2);

export function plexusLogSummary(plexus) {
  if (!plexus || !fs.existsSync(plexus.logFile)) return undefined;
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
  return { warnings_and_errors: counts, first: entries.slice(0, 5), non_json_lines: other.slice(0, 20) };
}
