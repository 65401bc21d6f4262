import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { problemOf, sendProblem } from '../../api/problem.js';
import {
  CodecError,
  type CodecName,
  codecFromContentType,
  decodeDocument,
  decodeEvents,
  decodeTelemetry,
} from '../../codecs/index.js';
import type { Bus } from '../../core/bus.js';
import type { EventData, TelemetryData, UplinkOutcome } from '../../core/envelope.js';
import { type ErrorDef, PlexusError } from '../../core/errors.js';
import { FailureThrottle } from '../../core/failure-throttle.js';
import { splitUsername } from '../../core/ids.js';
import { TokenBucket } from '../../core/token-bucket.js';
import { DeviceHttpErrors } from './errors.js';

export { DeviceHttpErrors } from './errors.js';

/** The device as the HTTP transport needs it after authentication. */
export interface HttpDevice {
  readonly tenant: string;
  readonly id: string;
  readonly codec: CodecName;
  /** The profile's per-device rates: one request counts as one message. */
  readonly limits: {
    readonly messagesPerSecond: number;
    readonly bytesPerSecond: number;
    readonly burstSeconds: number;
  };
}

export interface DeviceHttpOptions {
  readonly bus: Bus;
  /** Verifies a device's secret (the cached registry authenticator); undefined when wrong. */
  readonly authenticate: (tenant: string, id: string, secret: string) => Promise<HttpDevice | undefined>;
  readonly maxAuthFailures: number;
  readonly authFailureWindowSeconds: number;
  /** How long a request waits for its data to be committed. */
  readonly ackTimeoutMs?: number;
  /** The device's desired state document (twin service), for the long poll. */
  readonly desired: (tenant: string, id: string) => Promise<DesiredDocument>;
  /** Hands over the device's queued commands, oldest first (command service: they become delivered). */
  readonly takeCommands: (
    tenant: string,
    id: string,
    limit: number,
  ) => Promise<{ id: string; name: string; params: Record<string, unknown> }[]>;
}

/** `{version, state, delta}` as on the MQTT topic `devices/{id}/twin/desired`. */
export interface DesiredDocument {
  readonly version: number;
  readonly state: Record<string, unknown>;
  readonly delta: Record<string, unknown>;
}

/** Longest long poll: below the usual 60 s idle timeout of proxies in front. */
const MAX_WAIT_SECONDS = 55;

const CHALLENGE = 'Basic realm="plexus-device", charset="UTF-8"';

/**
 * The device HTTP API (ARCHITECTURE §5): `/device/v1/telemetry` and
 * `/device/v1/events`, HTTP Basic auth with the device id (`id` or
 * `id@tenant`) and secret, payload codec from Content-Type or the profile.
 * The answer comes after the data is committed: 200 when everything was
 * kept, 422 with per-point errors when some was not (the valid points are
 * kept), 400 for an undecodable body, 503 with Retry-After when storage is
 * behind. Decoding and acknowledgement mirror the MQTT transport.
 */
export const deviceHttpRoutes: FastifyPluginAsync<DeviceHttpOptions> = async (app, opts) => {
  const throttle = new FailureThrottle(
    { maxFailures: opts.maxAuthFailures, windowMs: opts.authFailureWindowSeconds * 1000 },
    { now: () => Date.now() },
  );
  const rates = new Map<string, { messages: TokenBucket; bytes: TokenBucket }>();
  /** The profile's rate limits, as on MQTT; over them the device gets 429 with Retry-After (nothing stored). */
  function limitRate(device: HttpDevice, bytes: number): void {
    const key = `${device.tenant}\u0000${device.id}`;
    const now = Date.now();
    let r = rates.get(key);
    if (!r) {
      const l = device.limits;
      r = {
        messages: new TokenBucket(l.messagesPerSecond, l.messagesPerSecond * l.burstSeconds, now),
        bytes: new TokenBucket(l.bytesPerSecond, l.bytesPerSecond * l.burstSeconds, now),
      };
      if (rates.size >= 100_000) rates.clear();
      rates.set(key, r);
    }
    const wait = Math.max(r.messages.waitMs(now), r.bytes.waitMs(now));
    if (wait > 0) {
      throw new PlexusError(
        DeviceHttpErrors.RATE_LIMITED,
        `over the profile's rate limits; retry in ${wait} ms`,
        {
          headers: { 'retry-after': String(Math.ceil(wait / 1000)) },
        },
      );
    }
    r.messages.take(1, now);
    r.bytes.take(bytes, now);
  }

  // Device bodies are bytes in whatever codec they name, so the API's JSON parser does not apply here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  async function authenticate(req: FastifyRequest): Promise<HttpDevice> {
    const wait = throttle.retryAfter(req.ip);
    if (wait > 0) {
      throw new PlexusError(DeviceHttpErrors.TOO_MANY_FAILURES, 'too many failed logins; try again later', {
        headers: { 'retry-after': String(Math.ceil(wait / 1000)) },
      });
    }
    const header = req.headers.authorization ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    const decoded = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new PlexusError(
        DeviceHttpErrors.UNAUTHENTICATED,
        'send Authorization: Basic base64(deviceId:secret)',
        {
          headers: { 'www-authenticate': CHALLENGE },
        },
      );
    }
    const { id, tenant } = splitUsername(decoded.slice(0, colon));
    const device = await opts.authenticate(tenant, id, decoded.slice(colon + 1));
    if (!device) {
      throttle.fail(req.ip);
      throw new PlexusError(DeviceHttpErrors.UNAUTHENTICATED, 'unknown device or wrong secret', {
        headers: { 'www-authenticate': CHALLENGE },
      });
    }
    return device;
  }

  function codecOf(req: FastifyRequest, device: HttpDevice): CodecName {
    const type = req.headers['content-type'];
    if (type === undefined || type === '' || type.startsWith('application/octet-stream')) return device.codec;
    const codec = codecFromContentType(type);
    if (!codec) {
      throw new PlexusError(
        DeviceHttpErrors.UNSUPPORTED_MEDIA_TYPE,
        `content type ${type} is not one of application/json, application/cbor, application/senml+json, application/senml+cbor`,
      );
    }
    return codec;
  }

  function commit(
    kind: 'telemetry' | 'event' | 'reported' | 'command-result',
    device: HttpDevice,
    data: TelemetryData | EventData | { state: unknown } | { id: string; doc: unknown },
  ): Promise<UplinkOutcome> {
    return new Promise<UplinkOutcome>((resolve) => {
      const timer = setTimeout(
        () =>
          resolve({
            accepted: 0,
            rejected: [],
            error: { code: 'TELEMETRY_STORE_FAILED', message: 'no answer from storage in time; retry' },
          }),
        opts.ackTimeoutMs ?? 30_000,
      );
      opts.bus.publish('uplink', {
        kind,
        tenant: device.tenant,
        device: device.id,
        ts: Date.now(),
        data,
        via: 'http',
        ack: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      });
    });
  }

  function answer(req: FastifyRequest, reply: FastifyReply, outcome: UplinkOutcome) {
    if (outcome.error) {
      const def: ErrorDef =
        outcome.error.code === 'TELEMETRY_DEVICE_UNKNOWN'
          ? DeviceHttpErrors.UNAUTHENTICATED
          : outcome.error.code === 'TELEMETRY_BUSY'
            ? DeviceHttpErrors.BUSY
            : DeviceHttpErrors.STORE_FAILED;
      return sendProblem(
        req,
        reply,
        new PlexusError(def, outcome.error.message, { headers: { 'retry-after': '1' } }),
      );
    }
    if (outcome.rejected.length === 0)
      return reply.code(200).send({ accepted: outcome.accepted, rejected: [] });
    const err = new PlexusError(
      DeviceHttpErrors.POINTS_REJECTED,
      `${outcome.rejected.length} rejected, ${outcome.accepted} kept`,
      {
        errors: outcome.rejected.map((r) => ({
          path: r.index !== undefined ? `/${r.index}${r.key ? `/${r.key}` : ''}` : `/${r.key ?? ''}`,
          message: r.reason,
        })),
      },
    );
    return reply
      .code(err.status)
      .type('application/problem+json')
      .send({ ...problemOf(err, req.url), accepted: outcome.accepted });
  }

  const route = (path: string, kind: 'telemetry' | 'event') =>
    app.post(path, {
      config: { public: true },
      schema: {
        tags: ['device API'],
        summary:
          kind === 'telemetry'
            ? 'Send telemetry as a device (JSON, CBOR, SenML); answered after it is stored'
            : 'Send events as a device (JSON or CBOR); answered after they are stored',
      },
      handler: async (req, reply) => {
        const device = await authenticate(req);
        const codec = codecOf(req, device);
        const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
        limitRate(device, body.length);
        let data: TelemetryData | EventData;
        try {
          if (kind === 'event') {
            if (codec !== 'json' && codec !== 'cbor')
              throw new CodecError(codec, 'events are sent as JSON or CBOR');
            data = decodeEvents(codec, body);
          } else data = decodeTelemetry(codec, body, Date.now());
        } catch (err) {
          if (!(err instanceof CodecError)) throw err;
          throw new PlexusError(
            DeviceHttpErrors.PAYLOAD_INVALID,
            `${kind} payload (${codec}): ${err.message}`,
          );
        }
        return answer(req, reply, await commit(kind, device, data));
      },
    });
  route('/telemetry', 'telemetry');
  route('/events', 'event');

  /** A device's JSON or CBOR document (reported state, command result): authenticated, rate-limited, decoded. */
  async function readDocument(
    req: FastifyRequest,
    what: string,
  ): Promise<{ device: HttpDevice; doc: unknown }> {
    const device = await authenticate(req);
    const codec = codecOf(req, device);
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    limitRate(device, body.length);
    try {
      return { device, doc: decodeDocument(codec, body) };
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      throw new PlexusError(DeviceHttpErrors.PAYLOAD_INVALID, `${what} (${codec}): ${err.message}`);
    }
  }

  // Twin: reported state in, desired state out (long poll), as on MQTT.
  app.patch('/twin/reported', {
    config: { public: true },
    schema: {
      tags: ['device API'],
      summary: 'Report state as a device (JSON merge patch: null deletes a key); answered after it is stored',
    },
    handler: async (req, reply) => {
      const { device, doc } = await readDocument(req, 'reported state');
      const outcome = await commit('reported', device, { state: doc });
      if (outcome.error) return answer(req, reply, outcome);
      const refused = outcome.rejected[0];
      if (refused) throw new PlexusError(DeviceHttpErrors.PAYLOAD_INVALID, refused.reason);
      return reply.code(200).send({ accepted: 1 });
    },
  });

  // Long polls wait for a downlink of their kind to their device.
  const waiting = new Map<string, Set<() => void>>();
  opts.bus.subscribe('device-http', 'downlink', (d) => {
    if ((d.data as { silent?: boolean } | null)?.silent) return; // a stored copy refreshed, nothing new
    const waiters = waiting.get(`${d.kind}\u0000${d.tenant}\u0000${d.device}`);
    if (waiters) for (const wake of [...waiters]) wake();
  });
  app.addHook('onClose', async () => opts.bus.unsubscribeAll('device-http'));
  function waitFor(kind: 'desired' | 'command', req: FastifyRequest, device: HttpDevice, seconds: number) {
    const key = `${kind}\u0000${device.tenant}\u0000${device.id}`;
    return new Promise<void>((resolve) => {
      let set = waiting.get(key);
      if (!set) {
        set = new Set();
        waiting.set(key, set);
      }
      const s = set;
      const done = () => {
        clearTimeout(timer);
        s.delete(done);
        if (s.size === 0) waiting.delete(key);
        req.raw.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, seconds * 1000);
      s.add(done);
      req.raw.on('close', done);
    });
  }

  app.get('/twin/desired', {
    config: { public: true },
    schema: {
      tags: ['device API'],
      summary:
        'The desired state {version, state, delta}; with ?version=n&wait=s, waits up to s seconds for a newer one (304 if none)',
      querystring: {
        type: 'object',
        properties: {
          version: { type: 'integer', minimum: 0 },
          wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS },
        },
        additionalProperties: false,
      },
    },
    handler: async (req, reply) => {
      const device = await authenticate(req);
      limitRate(device, 0);
      const q = req.query as { version?: number; wait?: number };
      let doc = await opts.desired(device.tenant, device.id);
      if (q.version !== undefined && doc.version === q.version && (q.wait ?? 0) > 0) {
        await waitFor('desired', req, device, q.wait as number);
        doc = await opts.desired(device.tenant, device.id);
      }
      if (q.version !== undefined && doc.version === q.version) return reply.code(304).send();
      return reply.code(200).send(doc);
    },
  });

  // Commands: devices that only speak HTTP poll for them and post their answers.
  app.get('/commands', {
    config: { public: true },
    schema: {
      tags: ['device API'],
      summary:
        'Queued commands, oldest first (they are then delivered); with ?wait=s waits up to s seconds for one',
      querystring: {
        type: 'object',
        properties: {
          wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS },
          limit: { type: 'integer', minimum: 1, maximum: 100 },
        },
        additionalProperties: false,
      },
    },
    handler: async (req) => {
      const device = await authenticate(req);
      limitRate(device, 0);
      const q = req.query as { wait?: number; limit?: number };
      let items = await opts.takeCommands(device.tenant, device.id, q.limit ?? 10);
      if (items.length === 0 && (q.wait ?? 0) > 0) {
        await waitFor('command', req, device, q.wait as number);
        if (!req.raw.destroyed) items = await opts.takeCommands(device.tenant, device.id, q.limit ?? 10);
      }
      return { items };
    },
  });

  app.post('/commands/:cmdId/result', {
    config: { public: true },
    schema: {
      tags: ['device API'],
      summary: 'Answer a command: {"ok": true, "result": …} or {"ok": false, "error": …}',
      params: {
        type: 'object',
        properties: { cmdId: { type: 'string', minLength: 1, maxLength: 128 } },
        required: ['cmdId'],
      },
    },
    handler: async (req, reply) => {
      const { device, doc } = await readDocument(req, 'command result');
      const { cmdId } = req.params as { cmdId: string };
      const outcome = await commit('command-result', device, { id: cmdId, doc });
      if (outcome.error) return answer(req, reply, outcome);
      const refused = outcome.rejected[0];
      if (refused) throw new PlexusError(DeviceHttpErrors.RESULT_REFUSED, refused.reason);
      return reply.code(200).send({ accepted: 1 });
    },
  });
};
