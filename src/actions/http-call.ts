import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress, privateHostProblem } from '../core/private-network.js';
import { PermanentError } from './permanent.js';

export interface HttpCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** Refuse loopback, private and reserved addresses, checked after DNS on every connection. */
  readonly denyPrivateNetworks: boolean;
}

/**
 * Kept-alive connections: a busy rule calls the same receiver again and
 * again. (Whether private networks are denied is one setting per server,
 * so a pooled socket was checked under the same policy.)
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** A webhook's target is not allowed: retrying cannot help. */
export class DeniedAddressError extends PermanentError {}

/**
 * DNS resolution that refuses private addresses. It runs for the very
 * connection that is made, so a name that resolves to a public address
 * when checked and to 127.0.0.1 when used (DNS rebinding) is still refused.
 */
const publicOnly: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const denied = addresses.find((a) => isPrivateAddress(a.address));
    if (denied) {
      const e = new DeniedAddressError(
        `${hostname} resolves to ${denied.address}, a private or reserved address, and this server denies private networks (actions.webhook.denyPrivateNetworks)`,
      );
      return callback(e as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

/**
 * One outside HTTP call of a rule action: resolves with the status code
 * once the whole answer is read (and dropped), rejects on network errors,
 * on the time limit and on denied addresses.
 */
export function httpCall(call: HttpCall): Promise<number> {
  const url = new URL(call.url);
  if (call.denyPrivateNetworks) {
    const problem = privateHostProblem(url.hostname);
    if (problem) return Promise.reject(new DeniedAddressError(problem));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: call.method,
        headers:
          call.body === undefined
            ? call.headers
            : { ...call.headers, 'content-length': Buffer.byteLength(call.body) },
        signal: AbortSignal.timeout(call.timeoutMs),
        agent: agents[url.protocol === 'https:' ? 'https:' : 'http:'],
        ...(call.denyPrivateNetworks ? { lookup: publicOnly } : {}),
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', (err: Error) =>
      reject(err.name === 'AbortError' ? new Error(`no answer within ${call.timeoutMs} ms`) : err),
    );
    req.end(call.body);
  });
}
