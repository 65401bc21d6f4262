import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { positiveInt, wholeNumber } from '../args.js';
import { examples } from './shared.js';

export interface SimFlags {
  readonly list?: boolean;
  readonly devices?: number;
  readonly rate?: number;
  readonly speed?: number;
  readonly duration?: number;
  readonly seed?: number;
  readonly mqttUrl?: string;
}

/** A positive number (`0.5`, `20`): rates and speeds may be fractional. */
function positiveNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a number above 0, got "${value}".`);
  }
  return n;
}

function durationMs(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new InvalidArgumentError(`expected a duration such as 30s, 10m or 2h, got "${value}".`);
  }
  return ms;
}

function seedNumber(value: string): number {
  const n = wholeNumber(value);
  if (n > 0xffffffff) throw new InvalidArgumentError(`expected a seed from 0 to 4294967295, got "${value}".`);
  return n;
}

export function registerSim(program: Command): void {
  examples(
    program
      .command('sim')
      .description('run a simulated fleet (a scenario pack) against the server until Ctrl-C')
      .argument('[scenario]', 'the scenario: factory, fleet, home, health or grid (--list)')
      .option('--list', 'list the scenarios and what each shows')
      .option('--devices <n>', 'number of simulated devices (default: the scenario’s)', positiveInt)
      .option(
        '--rate <r>',
        'telemetry messages per second, whole fleet (default: each device every few s)',
        positiveNumber,
      )
      .option('--speed <s>', 'simulated seconds per real second (default 1)', positiveNumber)
      .option('--duration <d>', 'stop after this long (e.g. 60s, 10m; default: until Ctrl-C)', durationMs)
      .option('--seed <n>', 'the same seed gives the same fleet and faults (default: random)', seedNumber)
      .option('--mqtt-url <url>', 'broker URL (default: the port from /api/v1/info on the --url host)')
      .action(async (scenario: string | undefined, flags: SimFlags, cmd: Command) =>
        (await import('../sim-run.js')).runSim(scenario, flags, cmd),
      ),
    'plexus sim factory --speed 30',
    'plexus sim fleet --devices 50 --rate 20 --duration 10m --seed 7',
    'plexus sim --list',
  );
}
