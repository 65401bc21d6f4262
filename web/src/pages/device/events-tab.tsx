import { useEffect, useState } from 'react';
import { api, type Page, path } from '../../api/client';
import type { Device, DeviceEvent, Info } from '../../api/types';
import { Pager, useCursor } from '../../components/pager';
import { Card, Empty, ErrorNote, Loading, When } from '../../components/ui';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { CopySnippet } from './copy-snippet';
import { useDeviceLive } from './live';
import { publishExample } from './mqtt-example';

/** Live events have no id yet: negative ones keep React keys apart. */
let liveId = -1;

/** What happened on the device (a door opened, a fault), newest first; new ones arrive live on page 1. */
export function EventsTab({ device, mqtt }: { device: Device; mqtt: Info['mqtt'] | undefined }) {
  const { me } = useSession();
  const [typed, setTyped] = useState('');
  const [type, setType] = useState('');
  // Filter once the typing pauses, not on every key.
  useEffect(() => {
    const t = setTimeout(() => setType(typed.trim()), 300);
    return () => clearTimeout(t);
  }, [typed]);
  return (
    <Card
      title="Events"
      actions={
        <label className="row">
          <span className="muted">Type</span>
          <input
            type="search"
            value={typed}
            placeholder="all types"
            aria-label="Only events of this type"
            onChange={(e) => setTyped(e.target.value)}
          />
        </label>
      }
    >
      <EventList
        key={type}
        device={device}
        type={type}
        example={publishExample(
          device.id,
          me?.actingTenant,
          mqtt,
          'events',
          '{"type": "door_open", "door": 2}',
        )}
      />
    </Card>
  );
}

function EventList({ device, type, example }: { device: Device; type: string; example: string }) {
  const cursor = useCursor();
  const list = useApi(
    () =>
      api.get<Page<DeviceEvent>>(path`/devices/${device.id}/events`, {
        limit: 50,
        cursor: cursor.cursor,
        type: type || undefined,
      }),
    [device.id, cursor.cursor, type],
  );
  useDeviceLive((m) => {
    if (m.type !== 'events' || cursor.page !== 1) return;
    const fresh = m.events
      .filter((e) => !type || e.type === type)
      .map((e) => ({ id: liveId--, ts: e.ts, type: e.type, data: e.data }))
      .sort((a, b) => b.ts - a.ts);
    if (fresh.length) list.set((cur) => (cur ? { ...cur, items: [...fresh, ...cur.items] } : cur));
  });

  if (list.error && !list.data) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading what="Loading events" />;
  if (list.data.items.length === 0 && cursor.page === 1)
    return type ? (
      <Empty title={`No ${type} events`}>Clear the type filter to see every event.</Empty>
    ) : (
      <Empty title={`No events yet: publish to devices/${device.id}/events`}>
        <p>Events are things that happened, with a type and any data. For example:</p>
        <CopySnippet label="Publish a test event" text={example} />
      </Empty>
    );
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Events of {device.id}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((e) => (
              <tr key={e.id} className={e.id < 0 ? 'dev-new' : undefined}>
                <td className="dev-nowrap">
                  <When at={e.ts} />
                </td>
                <td>
                  <span className="chip mono">{e.type}</span>
                </td>
                <td>
                  {Object.keys(e.data ?? {}).length ? (
                    <code className="dev-inline-json">{JSON.stringify(e.data)}</code>
                  ) : (
                    <span className="muted">no data</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        page={cursor.page}
        hasNext={Boolean(list.data.next)}
        onNext={() => list.data?.next && cursor.next(list.data.next)}
        onPrev={cursor.prev}
      />
    </>
  );
}
