/**
 * Reads of stored telemetry through the operator REST API, shared by the
 * ingest and stream tests (ARCHITECTURE §6.1 shapes).
 */
import assert from 'node:assert/strict';
import type { Client } from '../helpers/http.js';

export type Scalar = number | boolean | string;

export interface RawPoint {
  readonly key: string;
  readonly ts: number;
  readonly value: Scalar;
}

export interface StoredEvent {
  readonly id: number;
  readonly ts: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** `GET /api/v1/devices/{id}/telemetry/latest`. */
export async function latest(
  api: Client,
  device: string,
): Promise<Record<string, { ts: number; value: Scalar }>> {
  const r = await api.get<Record<string, { ts: number; value: Scalar }>>(
    `/api/v1/devices/${encodeURIComponent(device)}/telemetry/latest`,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/**
 * Raw history of a device (every page), oldest first. `from` defaults to
 * 0 and `to` to an hour ahead, so points at any accepted time are included.
 */
export async function history(
  api: Client,
  device: string,
  opts: { keys?: string[]; from?: number; to?: number } = {},
): Promise<RawPoint[]> {
  const q = new URLSearchParams();
  if (opts.keys) q.set('keys', opts.keys.join(','));
  q.set('from', String(opts.from ?? 0));
  q.set('to', String(opts.to ?? Date.now() + 3_600_000));
  const out: RawPoint[] = [];
  let cursor: string | undefined;
  do {
    if (cursor !== undefined) q.set('cursor', cursor);
    const r = await api.get<{ items: RawPoint[]; next?: string }>(
      `/api/v1/devices/${encodeURIComponent(device)}/telemetry?${q}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.items);
    cursor = r.body.next;
  } while (cursor !== undefined);
  return out;
}

/** `GET /api/v1/devices/{id}/events` (newest first). */
export async function events(api: Client, device: string, query = ''): Promise<StoredEvent[]> {
  const r = await api.get<{ items: StoredEvent[] }>(
    `/api/v1/devices/${encodeURIComponent(device)}/events${query}`,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

/** Asserts `ts` lies in [from, to] (a receive time taken by the platform). */
export function assertBetween(ts: number, from: number, to: number, what = 'timestamp'): void {
  assert.ok(ts >= from && ts <= to, `${what} ${ts} is not within [${from}, ${to}]`);
}

/** `Authorization: Basic` for a device (`id` or `id@tenant`). */
export function basic(id: string, secret: string, tenant = 'default'): string {
  const user = tenant === 'default' ? id : `${id}@${tenant}`;
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

/** A profile through the API; fails the test unless it was created. */
export async function createProfile(api: Client, body: Record<string, unknown>): Promise<void> {
  const r = await api.post('/api/v1/profiles', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/** The value of one Prometheus counter/gauge sample (0 when absent). */
export async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
