import { Counter, type Registry } from 'prom-client';

export interface CommandMetrics {
  /** Status changes (no per-device labels: cardinality stays bounded). */
  readonly statuses: Counter<'status'>;
  /** Device answers by result: accepted, refused (unknown or finished command, malformed answer). */
  readonly results: Counter<'result'>;
}

export function createCommandMetrics(registry: Registry): CommandMetrics {
  const registers = [registry];
  return {
    statuses: new Counter({
      name: 'plexus_commands_total',
      help: 'Commands entering each status: queued, sent, delivered, succeeded, failed, timed_out, expired, cancelled.',
      labelNames: ['status'],
      registers,
    }),
    results: new Counter({
      name: 'plexus_command_results_total',
      help: 'Command results from devices: accepted, refused (unknown, finished or malformed).',
      labelNames: ['result'],
      registers,
    }),
  };
}
