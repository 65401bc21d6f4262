import { createHmac } from 'node:crypto';
import type { OutboxItem } from '../store/index.js';
import { httpCall } from './http-call.js';
import { isFinalStatus, PermanentError } from './permanent.js';

/** What carrying out an action needs from the rest of the platform. */
export interface ActionPorts {
  sendCommand(
    tenant: string,
    device: string,
    input: { name: string; params: Record<string, unknown>; timeout?: unknown; ttl?: unknown },
    actor: string,
  ): Promise<unknown>;
  patchDesired(tenant: string, device: string, patch: unknown): Promise<unknown>;
  publish(tenant: string, topic: string, payload: string, qos: 0 | 1, retain: boolean): void;
  /** Sends one e-mail through the configured SMTP server (absent: e-mail is not configured). */
  readonly sendMail?: (mail: { to: string[]; subject: string; text: string }) => Promise<void>;
  /** Per-request limit for outside HTTP calls (ms). */
  readonly httpTimeoutMs: number;
  /** Webhooks may not reach loopback, private or reserved addresses (actions.webhook.denyPrivateNetworks). */
  readonly denyPrivateNetworks: boolean;
}

/** The signature header of a webhook: HMAC-SHA256 of the exact body, hex, as GitHub and Stripe do. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Carries out one (already rendered) outbox item; throws with the reason
 * when it did not work, so the outbox retries it (or, for a PermanentError
 * such as a 404 from the receiver, gives up at once). Webhooks: 2xx is success;
 * `X-Plexus-Delivery` carries the item id, the same on every retry, so a
 * receiver can drop a repeat (delivery is at least once).
 */
export async function execute(item: OutboxItem, ports: ActionPorts): Promise<void> {
  const a = item.action;
  const target = typeof a.device === 'string' ? a.device : item.device;
  switch (item.kind) {
    case 'webhook': {
      const method = typeof a.method === 'string' ? a.method : 'POST';
      const body = method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(a.body ?? null);
      const headers: Record<string, string> = {
        'user-agent': 'plexus-rules',
        'x-plexus-delivery': item.id,
        'x-plexus-rule': item.rule,
        ...((a.headers as Record<string, string> | undefined) ?? {}),
      };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (typeof a.secret === 'string' && body !== undefined)
        headers['x-plexus-signature'] = signature(a.secret, body);
      const status = await httpCall({
        method,
        url: a.url as string,
        headers,
        timeoutMs: ports.httpTimeoutMs,
        denyPrivateNetworks: ports.denyPrivateNetworks,
        ...(body === undefined ? {} : { body }),
      });
      if (status < 200 || status > 299) {
        const reason = `${method} ${a.url as string} answered ${status}`;
        throw isFinalStatus(status) ? new PermanentError(`${reason} (not retried)`) : new Error(reason);
      }
      return;
    }
    case 'command':
      await ports.sendCommand(
        item.tenant,
        target,
        {
          name: a.name as string,
          params: (a.params as Record<string, unknown> | undefined) ?? {},
          ...(a.timeout === undefined ? {} : { timeout: a.timeout }),
          ...(a.ttl === undefined ? {} : { ttl: a.ttl }),
        },
        `rule:${item.rule}`,
      );
      return;
    case 'twin':
      await ports.patchDesired(item.tenant, target, a.desired);
      return;
    case 'publish': {
      const payload = typeof a.payload === 'string' ? a.payload : JSON.stringify(a.payload);
      ports.publish(item.tenant, a.topic as string, payload, a.qos === 1 ? 1 : 0, a.retain === true);
      return;
    }
    case 'email': {
      if (!ports.sendMail)
        throw new PermanentError('e-mail is not configured on this server (actions.email.host)');
      await ports.sendMail({
        to: a.to as string[],
        subject: typeof a.subject === 'string' ? a.subject : `[Plexus] ${item.rule} on ${item.device}`,
        text: typeof a.text === 'string' ? a.text : `Rule ${item.rule} fired for device ${item.device}.`,
      });
      return;
    }
    default:
      throw new Error(`${item.kind} actions are not available`);
  }
}
