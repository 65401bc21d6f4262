import { type ReactNode, useEffect, useRef, useState } from 'react';
import { api, type Page } from '../../api/client';
import { useStream } from '../../api/stream';
import type { Device } from '../../api/types';
import { Pager, useCursor } from '../../components/pager';
import { ErrorNote, Loading, StatusBadge, When } from '../../components/ui';
import { Link } from '../../lib/router';
import { useApi } from '../../lib/use-api';
import { LiveDot } from './common';

export const PAGE_SIZE = 50;

/** The list's filters as the API takes them (`label` repeats). */
export interface DeviceQuery {
  readonly q: string;
  readonly profile: string;
  readonly group: string;
  readonly status: string;
  readonly labels: readonly string[];
}

function listPath(f: DeviceQuery, cursor: string | undefined): string {
  const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) p.set('cursor', cursor);
  for (const k of ['q', 'profile', 'group', 'status'] as const) if (f[k]) p.set(k, f[k]);
  for (const l of f.labels) p.append('label', l);
  return `/devices?${p}`;
}

/**
 * One page of devices at a time (server-side cursors, so 10,000 devices cost
 * what 50 do), statuses kept live for the rows on screen. Remount it (key)
 * when the filters change: paging starts over.
 */
export function DeviceTable({
  query,
  version,
  onGroup,
  onLabel,
  empty,
}: {
  query: DeviceQuery;
  /** Bumped after a change elsewhere (a device created): reload this page. */
  version: number;
  onGroup: (g: string) => void;
  onLabel: (l: string) => void;
  empty: ReactNode;
}) {
  const cursor = useCursor();
  const list = useApi(() => api.get<Page<Device>>(listPath(query, cursor.cursor)), [cursor.cursor, version]);
  const [flash, setFlash] = useState<Record<string, number>>({});
  const flashSeq = useRef(0);
  const ids = list.data?.items.map((d) => d.id) ?? [];
  // "Last seen" moves with every message, which the status stream does not carry: refresh the page now and then.
  const reload = list.reload;
  useEffect(() => {
    const t = setInterval(reload, 30_000);
    return () => clearInterval(t);
  }, [reload]);

  const { live } = useStream(ids, ['status'], (m) => {
    if (m.type !== 'status') return;
    list.set((page) =>
      page
        ? {
            ...page,
            items: page.items.map((d) =>
              d.id === m.device
                ? {
                    ...d,
                    status: m.status,
                    lastSeen: m.status === 'online' ? new Date(m.ts).toISOString() : d.lastSeen,
                  }
                : d,
            ),
          }
        : page,
    );
    setFlash((f) => ({ ...f, [m.device]: ++flashSeq.current }));
  });

  if (list.error && !list.data) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading what="Loading devices" />;
  const items = list.data.items;
  if (items.length === 0 && cursor.page === 1) return <>{empty}</>;
  const first = (cursor.page - 1) * PAGE_SIZE + 1;
  return (
    <>
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      <div className="table-wrap">
        <table className="devices-table" aria-busy={list.loading}>
          <caption className="sr-only">Devices, page {cursor.page}</caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Status</th>
              <th scope="col" className="col-profile">
                Profile
              </th>
              <th scope="col" className="col-groups">
                Groups
              </th>
              <th scope="col" className="col-labels">
                Labels
              </th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={`${d.id}:${flash[d.id] ?? 0}`} className={flash[d.id] ? 'flash' : undefined}>
                <td>
                  <Link to={`/devices/${encodeURIComponent(d.id)}`}>
                    {d.name && d.name !== d.id ? (
                      <>
                        <span className="dev-name">{d.name}</span>
                        <span className="dev-id">{d.id}</span>
                      </>
                    ) : (
                      <span className="dev-name">{d.id}</span>
                    )}
                  </Link>
                  {d.enabled ? null : <span className="muted small"> (disabled)</span>}
                </td>
                <td>
                  <StatusBadge status={d.status} />
                </td>
                <td className="col-profile">{d.profile}</td>
                <td className="col-groups">
                  <div className="chips">
                    {d.groups.map((g) => (
                      <button
                        type="button"
                        key={g}
                        className="chip"
                        title={`Show devices of group ${g}`}
                        onClick={() => onGroup(g)}
                      >
                        {g}
                      </button>
                    ))}
                  </div>
                </td>
                <td className="col-labels">
                  <div className="chips">
                    {Object.entries(d.labels).map(([k, v]) => (
                      <button
                        type="button"
                        key={k}
                        className="chip mono"
                        title={`Show devices labelled ${k}=${v}`}
                        onClick={() => onLabel(`${k}=${v}`)}
                      >
                        {k}={v}
                      </button>
                    ))}
                  </div>
                </td>
                <td>
                  <When at={d.lastSeen} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-foot">
        <span className="muted small row">
          <LiveDot live={live} />
          {items.length ? `${first}–${first + items.length - 1}` : 'No more devices'}
        </span>
        <Pager
          page={cursor.page}
          hasNext={Boolean(list.data.next)}
          onNext={() => list.data?.next && cursor.next(list.data.next)}
          onPrev={cursor.prev}
        />
      </div>
    </>
  );
}
