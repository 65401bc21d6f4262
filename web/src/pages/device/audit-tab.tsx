import { useState } from 'react';
import { api, type Page } from '../../api/client';
import type { AuditRecord } from '../../api/types';
import { Pager, useCursor } from '../../components/pager';
import { Card, Empty, ErrorNote, Loading, When } from '../../components/ui';
import { useApi } from '../../lib/use-api';

/** The audit resources that carry the device id; commands and alarms are audited under their own ids. */
const RESOURCES = [
  { id: '', label: 'Everything' },
  { id: 'device', label: 'Device' },
  { id: 'twin', label: 'Twin' },
  { id: 'credential', label: 'Credentials' },
] as const;

/** Who did what to this device, newest first. */
export function AuditTab({ id }: { id: string }) {
  const [resource, setResource] = useState('');
  return (
    <Card
      title="Audit trail"
      actions={
        <label className="row">
          <span className="muted">Show</span>
          <select value={resource} onChange={(e) => setResource(e.target.value)} aria-label="Which changes">
            {RESOURCES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <AuditList key={resource} id={id} resource={resource} />
    </Card>
  );
}

function AuditList({ id, resource }: { id: string; resource: string }) {
  const cursor = useCursor();
  const list = useApi(async (): Promise<Page<AuditRecord>> => {
    if (resource)
      return api.get<Page<AuditRecord>>('/audit', {
        resource,
        resourceId: id,
        limit: 50,
        cursor: cursor.cursor,
      });
    // "Everything": the first 50 of each resource, merged (the API filters one resource at a time).
    const pages = await Promise.all(
      RESOURCES.filter((r) => r.id).map((r) =>
        api.get<Page<AuditRecord>>('/audit', { resource: r.id, resourceId: id, limit: 50 }),
      ),
    );
    const all = pages.flatMap((p) => p.items).sort((a, b) => b.seq - a.seq);
    // `next` here only says "there is more": paging goes one kind at a time.
    return all.length > 50 || pages.some((p) => p.next)
      ? { items: all.slice(0, 50), next: 'more' }
      : { items: all };
  }, [id, resource, cursor.cursor]);

  if (list.error && !list.data) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading what="Loading the audit trail" />;
  if (list.data.items.length === 0 && cursor.page === 1) return <Empty title="Nothing recorded yet" />;
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Audit trail of {id}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((r) => (
              <tr key={r.seq}>
                <td className="dev-nowrap">
                  <When at={r.ts} />
                </td>
                <td className="mono dev-small">
                  {r.actor}
                  {r.ip ? <div className="muted">{r.ip}</div> : null}
                </td>
                <td>
                  <div className="row">
                    <span className="mono">{r.action}</span>
                    <span
                      className={`badge ${r.status < 400 ? 'dev-badge-sync' : 'dev-badge-fail'}`}
                      title={`HTTP status ${r.status}`}
                    >
                      {r.status}
                    </span>
                  </div>
                  {r.details && Object.keys(r.details).length ? (
                    <code className="dev-inline-json dev-audit-details">{JSON.stringify(r.details)}</code>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {resource ? (
        <Pager
          page={cursor.page}
          hasNext={Boolean(list.data.next)}
          onNext={() => list.data?.next && cursor.next(list.data.next)}
          onPrev={cursor.prev}
        />
      ) : list.data.next ? (
        <p className="muted dev-small">The 50 latest changes. Pick one kind to page further back.</p>
      ) : null}
    </>
  );
}
