import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * V8 settings a broker wants, which must be given before V8 creates its heap
 * (NODE_OPTIONS may carry neither), so `plexus start` re-executes Node once
 * with them (process.execve: same pid, same stdio) or, where Node lacks
 * execve, relaunches itself as a child when it matters.
 *
 * - `--single-threaded-gc` on hosts with one usable CPU (a pinned process,
 *   a one-CPU container, a small gateway). V8 sizes its GC helper threads to
 *   the machine, not to the CPUs we may use; on one CPU they take turns with
 *   the main thread and every young-generation GC stalls it for 15-25 ms.
 *   Measured at 80k msg/s QoS 1 on one core (Node 24): p99 delivery latency
 *   47 ms with the helpers, 2.5 ms without (bench/RESULTS.md). With two CPUs
 *   or more the helpers pay off, so this is decided per host.
 * - `--max-semi-space-size=16` (MB) on Node 22 and later, whose V8 lets the
 *   young generation grow to 4x Node 20's. A burst of connections grows it to
 *   the maximum and it stays resident: 9 KB per connection at 10k idle
 *   connections (20 KB instead of 11 KB), for no measurable gain in
 *   throughput or latency. A --max-semi-space-size of the user's wins.
 */
export const SINGLE_THREADED_GC = '--single-threaded-gc';
export const YOUNG_GENERATION = '--max-semi-space-size=16';
/** Set in the re-executed process so it never re-executes again. */
const REEXEC_ENV = 'PLEXUS_NODE_FLAGS_SET';
/** `PLEXUS_GC=auto|single|parallel` overrides the single-threaded decision (auto by default). */
const MODE_ENV = 'PLEXUS_GC';

export interface RuntimeFacts {
  readonly cpus: number;
  readonly nodeMajor: number;
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** CPUs from a cgroup v2 `cpu.max` ("quota period" or "max period"); undefined when unlimited or unreadable. */
export function cpusFromCgroupMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return undefined;
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return q / p;
}

/** CPUs this process may use: its affinity mask, capped by a cgroup v2 quota. */
export function usableCpus(): number {
  let cpus = availableParallelism();
  try {
    const quota = cpusFromCgroupMax(readFileSync('/sys/fs/cgroup/cpu.max', 'utf8'));
    if (quota !== undefined) cpus = Math.min(cpus, quota);
  } catch {
    // No cgroup v2 (or not Linux): the affinity mask is all we know.
  }
  return cpus;
}

/** Valid values of PLEXUS_GC, checked before anything starts. */
export function gcModeProblem(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const mode = env[MODE_ENV];
  if (mode === undefined || ['auto', 'single', 'parallel'].includes(mode)) return undefined;
  return `${MODE_ENV} must be auto, single or parallel (got "${mode}")`;
}

/** The flags this process lacks (pure: inputs are the process's facts); empty when it has them or was re-executed. */
export function missingFlags(facts: RuntimeFacts): string[] {
  if (facts.env[REEXEC_ENV] === '1') return [];
  const given = [...facts.execArgv, ...(facts.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const has = (flag: string) => given.some((a) => a === flag || a.startsWith(`${flag}=`));
  const out: string[] = [];
  const mode = facts.env[MODE_ENV] ?? 'auto';
  if (!has(SINGLE_THREADED_GC) && (mode === 'single' || (mode === 'auto' && facts.cpus < 2))) {
    out.push(SINGLE_THREADED_GC);
  }
  if (facts.nodeMajor >= 22 && !has('--max-semi-space-size')) out.push(YOUNG_GENERATION);
  return out;
}

/**
 * Re-executes this command with `flags` added: in place where Node has
 * process.execve (22.15+, 24), which returns only on failure; otherwise, and
 * only for single-threaded GC (the flag that changes behaviour), as a child
 * that this process mirrors. Returns false when it did neither.
 */
export function reexecWith(flags: readonly string[]): boolean {
  if (flags.length === 0) return false;
  const args = [...flags, ...process.execArgv, ...process.argv.slice(1)];
  const env = { ...process.env, [REEXEC_ENV]: '1' };
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => void })
    .execve;
  if (execve) {
    execve(process.execPath, [process.execPath, ...args], env);
    return true; // not reached: execve replaces the process or throws
  }
  if (!flags.includes(SINGLE_THREADED_GC)) return false;
  relaunchAsChild(args, env);
  return true;
}

/**
 * Node 20: runs the command again in a child and mirrors it (signals in,
 * exit code out). The child has its own process group so a terminal's
 * Ctrl-C reaches it once, through us, and a second Ctrl-C still forces it.
 */
function relaunchAsChild(args: string[], env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, args, { stdio: 'inherit', env, detached: true });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
  child.on('error', (err) => {
    process.stderr.write(`plexus: could not start Node with ${SINGLE_THREADED_GC}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
}
