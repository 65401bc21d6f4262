import { Counter, Gauge, type Registry } from 'prom-client';

export interface TelemetryMetrics {
  readonly points: Counter<'result'>;
  readonly events: Counter<'result'>;
}

/** Ingest counters (no per-device labels: cardinality stays bounded). */
export function createTelemetryMetrics(registry: Registry, backlog: () => number): TelemetryMetrics {
  const registers = [registry];
  new Gauge({
    name: 'plexus_telemetry_write_backlog',
    help: 'Points and events waiting for the storage commit.',
    registers,
    collect() {
      this.set(backlog());
    },
  });
  return {
    points: new Counter({
      name: 'plexus_telemetry_points_total',
      help: 'Telemetry points by result: stored, duplicate (already stored), rejected (invalid), failed (storage error or overload).',
      labelNames: ['result'],
      registers,
    }),
    events: new Counter({
      name: 'plexus_telemetry_events_total',
      help: 'Device events by result: stored, rejected, failed.',
      labelNames: ['result'],
      registers,
    }),
  };
}
