import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  readonly authFailures: Counter<'kind'>;
}

/** One registry per app instance (no global default registry: tests run several apps). */
export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plexus_' });
  return {
    registry,
    requests: new Counter({
      name: 'plexus_http_requests_total',
      help: 'HTTP requests by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'plexus_http_request_duration_seconds',
      help: 'HTTP request duration.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'plexus_auth_failures_total',
      help: 'Rejected operator authentications: login (wrong password), token (bad token or key), throttled (held back).',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
