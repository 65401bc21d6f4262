import type { Command } from 'commander';
import {
  formatProgress,
  formatSummary,
  PACK_NAMES,
  PACKS,
  type Progress,
  runSimulation,
  type SimAuth,
  SimError,
  type Summary,
} from '../../sim/index.js';
import type { SimFlags } from './commands/sim.js';
import { type GlobalOptions, parseUrl } from './context.js';
import { isExpired, loadLogin } from './credentials.js';
import { CliError, unreachableLine, usageError } from './errors.js';
import { formatTable, printLine } from './output.js';

/**
 * `plexus sim` itself, loaded only when it runs: the simulator, its packs
 * and MQTT.js stay out of every other command's start-up.
 */
/** The same credentials as every other command: --api-key / PLEXUS_API_KEY, then the saved login. */
async function authOf(url: string, g: GlobalOptions): Promise<SimAuth> {
  if (g.apiKey) return { apiKey: g.apiKey };
  const login = await loadLogin(url);
  if (login === undefined) {
    throw new CliError([
      `Error: not logged in to ${url}`,
      '  run `plexus login`, or set PLEXUS_API_KEY (or pass --api-key) for scripts',
    ]);
  }
  if (isExpired(login))
    throw new CliError([`Error: your login to ${url} has expired: run \`plexus login\` again`]);
  return { token: login.token };
}

function cliErrorOf(err: unknown, url: string): unknown {
  if (!(err instanceof SimError)) return err;
  switch (err.code) {
    case 'SIM_OPTION_INVALID':
      return usageError(err.message);
    case 'SIM_UNREACHABLE':
      return new CliError([unreachableLine(url, err.cause)]);
    case 'SIM_API_ERROR': {
      const hint =
        err.status === 401
          ? ['Hint: the API key or saved login was refused: run `plexus login` or check PLEXUS_API_KEY']
          : err.status === 403
            ? ['Hint: the simulator creates profiles, rules and devices: it needs an admin login or API key']
            : [];
      return new CliError([
        `Error: ${err.message}${err.problemCode ? ` (${err.problemCode})` : ''}`,
        ...hint,
      ]);
    }
    default:
      return new CliError([`Error: ${err.message} (${err.code})`]);
  }
}

function list(json: boolean): void {
  const packs = Object.values(PACKS);
  if (json) {
    printLine(
      JSON.stringify(
        packs.map((p) => ({ name: p.name, title: p.title, description: p.description, ...p.defaults })),
        null,
        2,
      ),
    );
    return;
  }
  printLine(
    formatTable(
      ['SCENARIO', 'DEVICES', 'WHAT HAPPENS'],
      packs.map((p) => [p.name, String(p.defaults.devices), p.title]),
    ),
  );
}

/**
 * Progress on stderr (stdout keeps the summary): rewritten in place on a
 * terminal, one line every 5 s otherwise (logs, CI).
 */
function progressPrinter(name: string): { show(p: Progress): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    show(p) {
      const line = formatProgress(name, p);
      if (tty) {
        const width = Math.max(20, (process.stderr.columns ?? 120) - 1);
        process.stderr.write(`\r${line.slice(0, width)}\x1b[K`);
        shown = true;
      } else if (Date.now() - last >= 5000) {
        last = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
    end() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}

export async function runSim(scenario: string | undefined, flags: SimFlags, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const json = g.json === true;
  if (flags.list) return list(json);
  const names = PACK_NAMES.join(', ');
  if (scenario === undefined) throw usageError(`name a scenario: one of ${names} (plexus sim --list)`);
  const pack = PACKS[scenario];
  if (!pack) throw usageError(`unknown scenario "${scenario}": choose one of ${names}`);
  const url = parseUrl(g.url);
  const auth = await authOf(url, g);

  const ac = new AbortController();
  // First Ctrl-C stops cleanly (devices disconnect, summary); a second one does not wait.
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = progressPrinter(pack.name);
  if (!json) process.stderr.write(`${pack.title}\n`);
  let summary: Summary;
  try {
    summary = await runSimulation({
      pack,
      url,
      auth,
      signal: ac.signal,
      ...(g.tenant === undefined ? {} : { tenant: g.tenant }),
      ...(flags.devices === undefined ? {} : { devices: flags.devices }),
      ...(flags.rate === undefined ? {} : { rate: flags.rate }),
      ...(flags.speed === undefined ? {} : { speed: flags.speed }),
      ...(flags.duration === undefined ? {} : { durationMs: flags.duration }),
      ...(flags.seed === undefined ? {} : { seed: flags.seed }),
      ...(flags.mqttUrl === undefined ? {} : { mqttUrl: flags.mqttUrl }),
      ...(json
        ? {}
        : {
            onProgress: (p: Progress) => progress.show(p),
            onLog: (l: string) => process.stderr.write(`${l}\n`),
          }),
    });
  } catch (err) {
    progress.end();
    throw cliErrorOf(err, url);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  progress.end();
  printLine(
    json ? JSON.stringify({ scenario: pack.name, ...summary }, null, 2) : formatSummary(pack.name, summary),
  );
  // Every connection is closed; should a stray handle remain, do not hang the shell over it.
  setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
}
