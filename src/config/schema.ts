import Type, { type Static } from 'typebox';

/**
 * The one configuration schema (STYLE.md §9): defaults, descriptions and the
 * `PLEXUS_*` environment names (derived from the path: `http.port` →
 * `PLEXUS_HTTP_PORT`) all come from here. `restartRequired` marks settings a
 * running node only picks up at start; today that is all of them.
 */
const Port = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description, restartRequired: true });

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      minLength: 1,
      default: './data',
      description: 'Directory for the SQLite database, ports.json and other state.',
    }),
    http: Type.Object(
      {
        host: Type.String({
          minLength: 1,
          default: '0.0.0.0',
          description: 'Address the HTTP server binds.',
        }),
        port: Port(8080, 'HTTP port: REST API, dashboard, device HTTP API. 0 picks a free port.'),
        bodyLimit: Type.Integer({
          minimum: 1024,
          maximum: 64 * 1024 * 1024,
          default: 1024 * 1024,
          description: 'Largest accepted request body in bytes; larger bodies get 413.',
        }),
        trustProxy: Type.Boolean({
          default: false,
          description: 'Take the client address from X-Forwarded-For (only behind a proxy you run).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
          default: 'info',
          description: 'Log level.',
        }),
        format: Type.Enum(['auto', 'json', 'pretty'], {
          default: 'auto',
          description: 'json for log collectors, pretty for a terminal; auto picks pretty on a TTY.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    store: Type.Object(
      {
        kind: Type.Enum(['sqlite'], {
          default: 'sqlite',
          description: 'Storage engine. SQLite in the data directory (WAL mode).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    admin: Type.Object(
      {
        username: Type.String({
          pattern: '^[A-Za-z0-9._-]{1,64}$',
          default: 'admin',
          description: 'First admin user name.',
        }),
        password: Type.Optional(
          Type.String({
            minLength: 8,
            description: 'First admin password; generated and printed once when unset.',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        sessionTtlSeconds: Type.Integer({
          minimum: 60,
          default: 12 * 3600,
          description: 'Lifetime of a login session token.',
        }),
        maxFailures: Type.Integer({
          minimum: 1,
          default: 5,
          description: 'Failed logins or keys from one address before it is slowed down.',
        }),
        failureWindowSeconds: Type.Integer({
          minimum: 1,
          default: 900,
          description: 'How long a failed attempt counts against its address.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve Prometheus metrics at /metrics.' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
