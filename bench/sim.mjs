#!/usr/bin/env node
// A simulated fleet as load (issue #9: the simulator is also a load generator): a fresh Plexus
// (pinned to CPU 0), and `runSimulation` of a scenario pack in this process (pinned to CPU 1)
// through the device SDK, so the load carries what real fleets send: the pack's profiles and
// rules firing, alarms, commands answered by the devices, twin reports.
//
//   npm run build && node bench/sim.mjs [options]
//
// Prints offered and acknowledged messages/s, SDK send → acknowledgement latency (p50/p99/max,
// which includes the SDK's own queueing), the story's counters (commands answered, open alarms),
// and CPU of Plexus and of the simulator, with the Node versions. Not a comparison with a peer
// (the scenario's rules and commands are Plexus's own): bench/ingest.mjs and bench/rules.mjs
// compare; this shows a realistic mix holds its rate.
//
// Options:
//   --pack NAME         factory (default), fleet, home, health, grid
//   --devices N         fleet size (1000)         --rate R    messages/s across the fleet (2000)
//   --speed S           sim seconds per real second (10), so faults and rules play out in the run
//   --duration S        seconds measured after all devices connected (20)
//   --node PATH         Node binary for Plexus (default: this one; run the script itself with the
//                       Node you want for the simulator)
//   --plexus-dir DIR    run Plexus and the simulator from DIR/dist (default: this checkout)
//   --seed N            the pack's seed (1)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanup, configure, cpuSeconds, GEN_CPU, Plexus, ROOT } from './lib/harness.mjs';

function parseArgs(argv) {
  const o = {
    pack: 'factory',
    devices: 1000,
    rate: 2000,
    speed: 10,
    duration: 20,
    node: process.execPath,
    plexusDir: ROOT,
    seed: 1,
  };
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a number above 0, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--pack') o.pack = next();
    else if (a === '--devices') o.devices = num('devices', next());
    else if (a === '--rate') o.rate = num('rate', next());
    else if (a === '--speed') o.speed = num('speed', next());
    else if (a === '--duration') o.duration = num('duration', next());
    else if (a === '--seed') o.seed = num('seed', next());
    else if (a === '--node') o.node = next();
    else if (a === '--plexus-dir') o.plexusDir = path.resolve(next());
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 24).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a} (--help lists them)`);
  }
  return o;
}

// The simulator runs in this process: pin it to the generators' CPU, away from Plexus.
if (process.env.PLEXUS_SIM_BENCH_PINNED !== '1') {
  const r = spawnSync('taskset', ['-c', GEN_CPU, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, PLEXUS_SIM_BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (x, d = 0) =>
  x === undefined ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main() {
  const o = parseArgs(process.argv.slice(2));
  configure({ plexusDir: o.plexusDir, plexusCpus: '0' });
  const { PACKS, runSimulation } = await import(pathToFileURL(path.join(o.plexusDir, 'dist/sim/index.js')).href);
  const pack = PACKS[o.pack];
  if (!pack) throw new Error(`--pack must be one of ${Object.keys(PACKS).join(', ')}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-sim-bench-'));
  const plexus = new Plexus(tmp, o.node);
  fs.mkdirSync(plexus.dataDir, { recursive: true });
  process.on('exit', cleanup);
  await plexus.start();
  await plexus.login();
  const url = `http://127.0.0.1:${plexus.httpPort}`;
  console.error(`Plexus ${plexus.version} on ${plexus.nodeVersion} (CPU 0); simulator on Node ${process.version} (CPU ${GEN_CPU})`);

  const latencies = [];
  let window; // CPU of Plexus and of this process, and the time, when the measured window opened
  let end; // the same when it closed
  const usage = () => {
    const u = process.cpuUsage();
    return { plexus: cpuSeconds(plexus.pid), sim: (u.user + u.system) / 1e6, t: Date.now() };
  };
  const ac = new AbortController();
  let measuring;
  const summary = await runSimulation({
    pack,
    devices: o.devices,
    rate: o.rate,
    speed: o.speed,
    seed: o.seed,
    url,
    auth: { token: plexus.token },
    signal: ac.signal,
    onLog: (line) => console.error(line),
    // Acknowledgements inside the window only: its rate and latencies.
    onAck: (ms) => window && !end && latencies.push(ms),
    onProgress: (p) => {
      // The window opens when the whole fleet is connected and closes --duration seconds later.
      if (!window && p.connected === p.devices) {
        window = usage();
        measuring = setTimeout(() => {
          end = usage();
          ac.abort();
        }, o.duration * 1000);
      }
    },
  });
  clearTimeout(measuring);
  if (!window || !end) throw new Error('the fleet never connected completely');
  const wall = (end.t - window.t) / 1000;
  const plexusCpu = (100 * (end.plexus - window.plexus)) / wall;
  const simCpu = (100 * (end.sim - window.sim)) / wall;
  await plexus.stop();
  const acked = latencies.length / wall;
  latencies.sort((a, b) => a - b);
  const rows = [
    ['scenario', `${o.pack}: ${o.devices} devices, speed ${o.speed}, seed ${o.seed}`],
    ['offered msg/s', fmt(o.rate)],
    ['acknowledged msg/s ↑', fmt(acked)],
    ['send → ack p50 ms ↓', fmt(pct(latencies, 50), 1)],
    ['send → ack p99 ms ↓', fmt(pct(latencies, 99), 1)],
    ['send → ack max ms ↓', fmt(latencies.at(-1), 1)],
    ['commands answered (whole run)', fmt(summary.commandsAnswered)],
    ['open alarms at the end', fmt(summary.alarmsActive)],
    ['SDK errors', fmt(summary.errors)],
    ['Plexus CPU % (all threads, window)', fmt(plexusCpu)],
    ['simulator CPU % (window)', fmt(simCpu)],
  ];
  console.log(`\nSimulated fleet as load, ${new Date().toISOString()}; ${os.cpus()[0]?.model} × ${os.cpus().length}`);
  console.log(`Plexus on ${plexus.nodeVersion}, simulator on Node ${process.version}; ${fmt(wall, 1)} s measured\n`);
  console.log('| measure | value |\n|---|---:|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(`bench/sim.mjs: ${err.message}`);
  process.exit(1);
});
