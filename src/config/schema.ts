import Type, { type Static } from 'typebox';
import { TENANT_ID_PATTERN } from '../core/ids.js';
import { AclRuleSchema, MAX_ACL_RULES } from '../core/topic-acl.js';

/**
 * The one configuration schema (STYLE.md §9): defaults, descriptions and the
 * `PLEXUS_*` environment names (derived from the path: `http.port` →
 * `PLEXUS_HTTP_PORT`) all come from here. `restartRequired` marks settings a
 * running node only picks up at start; today that is all of them.
 */
/** Anonymous clients see their tenant's topics, except the devices' tree and `$SYS` (`#` never matches `$` topics). */
const DEFAULT_ANONYMOUS_RULES = [
  { permission: 'deny', action: 'both', topic: 'devices/#' },
  { permission: 'allow', action: 'both', topic: '#' },
];

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
        tls: Type.Object(
          {
            cert: Type.Optional(
              Type.String({
                minLength: 1,
                description: 'PEM certificate file: serve HTTPS (and MQTT over wss://).',
              }),
            ),
            key: Type.Optional(
              Type.String({ minLength: 1, description: 'PEM private key file for http.tls.cert.' }),
            ),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    mqtt: Type.Object(
      {
        host: Type.String({
          minLength: 1,
          default: '0.0.0.0',
          description: 'Address the MQTT listener binds.',
        }),
        port: Port(1883, 'MQTT over TCP. 0 picks a free port.'),
        maxPacketSize: Type.Integer({
          minimum: 128,
          maximum: 268_435_455,
          default: 256 * 1024,
          description: 'Largest MQTT packet accepted, in bytes; larger ones end the connection (0x95).',
        }),
        maxKeepAlive: Type.Integer({
          minimum: 1,
          maximum: 65_535,
          default: 3600,
          description:
            'Longest keep-alive in seconds; MQTT 5 clients asking for more (or none) are told this one.',
        }),
        maxSessionExpiry: Type.Integer({
          minimum: 0,
          maximum: 4_294_967_295,
          default: 7 * 24 * 3600,
          description:
            'Longest session expiry in seconds; also how long MQTT 3.1.1 persistent sessions live.',
        }),
        receiveMaximum: Type.Integer({
          minimum: 1,
          maximum: 65_535,
          default: 1024,
          description: 'QoS 1/2 messages a client may have unacknowledged with the broker.',
        }),
        topicAliasMaximum: Type.Integer({
          minimum: 0,
          maximum: 65_535,
          default: 64,
          description: 'Topic aliases a client may set up.',
        }),
        maxQueuedMessages: Type.Integer({
          minimum: 1,
          default: 1000,
          description:
            'Messages kept per session while its client is offline or slow; beyond this new ones are dropped and counted.',
        }),
        maxBufferedBytes: Type.Integer({
          minimum: 1024,
          default: 1024 * 1024,
          description:
            'Bytes waiting to be sent to one client beyond which QoS 0 messages to it are dropped and counted.',
        }),
        connectTimeout: Type.Integer({
          minimum: 1,
          default: 10,
          description: 'Seconds a new connection has to send CONNECT.',
        }),
        connectionsPerSecond: Type.Integer({
          minimum: 1,
          default: 1000,
          description: 'New connections per second from one address (burst: ten seconds worth).',
        }),
        maxAuthFailures: Type.Integer({
          minimum: 1,
          default: 10,
          description: 'Failed MQTT logins from one address before it is refused for a while.',
        }),
        authFailureWindowSeconds: Type.Integer({
          minimum: 1,
          default: 60,
          description: 'How long a failed MQTT login counts.',
        }),
        allowAnonymous: Type.Boolean({
          default: false,
          description:
            'Accept MQTT clients without user name and password, in mqtt.anonymous.tenant with mqtt.anonymous.rules. For development and closed test benches only.',
        }),
        anonymous: Type.Object(
          {
            tenant: Type.String({
              pattern: TENANT_ID_PATTERN,
              default: 'default',
              description: 'Tenant whose namespace anonymous MQTT clients use.',
            }),
            rules: Type.Array(AclRuleSchema, {
              maxItems: MAX_ACL_RULES,
              default: DEFAULT_ANONYMOUS_RULES,
              description:
                'What anonymous clients may publish and subscribe: [{permission, action, topic}], first match wins, default deny; JSON in the environment.',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
        sysInterval: Type.Integer({
          minimum: 0,
          maximum: 3600,
          default: 10,
          description: 'Seconds between updates of the $SYS topics; 0 turns them off.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    mqtts: Type.Object(
      {
        host: Type.String({
          minLength: 1,
          default: '0.0.0.0',
          description: 'Address the MQTT TLS listener binds.',
        }),
        port: Port(8883, 'MQTT over TLS; the listener runs only when cert and key are set.'),
        cert: Type.Optional(
          Type.String({ minLength: 1, description: 'PEM certificate (chain) file for MQTT over TLS.' }),
        ),
        key: Type.Optional(
          Type.String({ minLength: 1, description: 'PEM private key file for mqtts.cert.' }),
        ),
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
        kind: Type.Enum(['sqlite', 'postgres'], {
          default: 'sqlite',
          description:
            'Storage engine: sqlite (files in the data directory, WAL mode) or postgres (store.url). Setting store.url alone selects postgres.',
        }),
        url: Type.Optional(
          Type.String({
            pattern: '^postgres(ql)?://',
            description:
              'PostgreSQL connection URL, postgres://user:password@host:5432/database (libpq parameters such as sslmode may follow ?).',
          }),
        ),
        poolSize: Type.Integer({
          minimum: 1,
          maximum: 500,
          default: 10,
          description: 'PostgreSQL connections kept at most by this process.',
        }),
        tls: Type.Enum(['off', 'verify', 'no-verify'], {
          default: 'off',
          description:
            'TLS to PostgreSQL: off, verify (the server certificate against the system CAs) or no-verify (encrypted, certificate not checked).',
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
    dashboard: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: 'Serve the operator dashboard at / on the HTTP port.',
        }),
        mapTiles: Type.String({
          default: '',
          description:
            'Map tile URL template for the dashboard map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty: no tiles (the map draws a plain grid and works offline).',
        }),
        mapAttribution: Type.String({
          default: '',
          description: 'Attribution shown on the map for the tiles (required by most tile providers).',
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
    telemetry: Type.Object(
      {
        maxBacklog: Type.Integer({
          minimum: 0,
          maximum: 10_000_000,
          default: 200_000,
          description:
            'Points and events not yet in the database tables above which new data is refused (TELEMETRY_BUSY) instead of held in memory.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    actions: Type.Object(
      {
        maxAttempts: Type.Integer({
          minimum: 1,
          maximum: 20,
          default: 10,
          description:
            'Attempts of a rule action before it fails for good and raises an action-failed alarm; waits double from 1 s to at most 10 min.',
        }),
        webhook: Type.Object(
          {
            denyPrivateNetworks: Type.Boolean({
              default: false,
              description:
                'Refuse webhooks to loopback, private, link-local and reserved addresses (checked after DNS on every call): for shared clouds. Off by default: maintenance systems live on the plant network.',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
        email: Type.Object(
          {
            host: Type.String({
              default: '',
              description:
                'SMTP server for rule e-mail actions; empty: e-mail actions are refused when a rule is saved.',
            }),
            port: Type.Integer({
              minimum: 1,
              maximum: 65535,
              default: 587,
              description: 'SMTP port (587 submission, 465 TLS, 25).',
            }),
            secure: Type.Boolean({
              default: false,
              description: 'TLS from the start (port 465); otherwise STARTTLS when offered.',
            }),
            user: Type.String({ default: '', description: 'SMTP user name (empty: no authentication).' }),
            password: Type.String({ default: '', description: 'SMTP password.' }),
            from: Type.String({
              default: 'plexus@localhost',
              description: 'Sender address of rule e-mails.',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    twin: Type.Object(
      {
        maxBytes: Type.Integer({
          minimum: 1024,
          maximum: 16 * 1024 * 1024,
          default: 65_536,
          description:
            'Largest desired or reported document of a device twin, in bytes of JSON; a change that would exceed it is refused (TWIN_TOO_LARGE).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
