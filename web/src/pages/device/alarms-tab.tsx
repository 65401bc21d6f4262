import { useState } from 'react';
import { api, type Page } from '../../api/client';
import type { Alarm } from '../../api/types';
import { Pager, useCursor } from '../../components/pager';
import { useToast } from '../../components/toast';
import {
  AlarmStatusBadge,
  Button,
  Card,
  Empty,
  ErrorNote,
  Loading,
  SeverityBadge,
  When,
} from '../../components/ui';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { AlarmNoteDialog, type AlarmVerb } from './alarm-note-dialog';
import { useDeviceLive } from './live';

/** This device's alarms, kept simple: the Alarms console has the full view. */
export function AlarmsTab({ id }: { id: string }) {
  const [status, setStatus] = useState<'open' | ''>('open');
  return (
    <Card
      title="Alarms"
      actions={
        <label className="row">
          <span className="muted">Show</span>
          <select
            value={status}
            onChange={(e) => setStatus(e.target.value as 'open' | '')}
            aria-label="Which alarms"
          >
            <option value="open">Open</option>
            <option value="">All, cleared too</option>
          </select>
        </label>
      }
    >
      <AlarmList key={status} id={id} status={status} />
    </Card>
  );
}

function AlarmList({ id, status }: { id: string; status: 'open' | '' }) {
  const { can } = useSession();
  const toast = useToast();
  const cursor = useCursor();
  const list = useApi(
    () =>
      api.get<Page<Alarm>>('/alarms', {
        device: id,
        status: status || undefined,
        limit: 50,
        cursor: cursor.cursor,
      }),
    [id, status, cursor.cursor],
  );
  const [acting, setActing] = useState<{ alarm: Alarm; verb: AlarmVerb } | undefined>(undefined);
  useDeviceLive((m) => {
    if (m.type === 'alarm') list.reload();
  });

  return (
    <>
      {list.error && !list.data ? (
        <ErrorNote error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading what="Loading alarms" />
      ) : list.data.items.length === 0 && cursor.page === 1 ? (
        <Empty title={status === 'open' ? 'No open alarms' : 'No alarms'}>
          Rules raise alarms when this device's data calls for it. See the <Link to="/rules">rules</Link>.
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Alarms of {id}</caption>
              <thead>
                <tr>
                  <th scope="col">Alarm</th>
                  <th scope="col">Status</th>
                  <th scope="col">Raised</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <div className="row">
                        <SeverityBadge severity={a.severity} />
                        <span className="mono">{a.type}</span>
                      </div>
                      <div className="dev-small">{a.message}</div>
                      {a.rule ? <div className="dev-small muted">rule {a.rule}</div> : null}
                    </td>
                    <td>
                      <AlarmStatusBadge status={a.status} />
                      {a.acknowledgedBy && a.status !== 'cleared' ? (
                        <div className="dev-small muted">by {a.acknowledgedBy}</div>
                      ) : null}
                      {a.clearedBy ? <div className="dev-small muted">by {a.clearedBy}</div> : null}
                      {can('write') && a.status !== 'cleared' ? (
                        <div className="row dev-alarm-actions">
                          {a.status === 'active' ? (
                            <Button onClick={() => setActing({ alarm: a, verb: 'acknowledge' })}>
                              Acknowledge
                            </Button>
                          ) : null}
                          <Button kind="ghost" onClick={() => setActing({ alarm: a, verb: 'clear' })}>
                            Clear
                          </Button>
                        </div>
                      ) : null}
                    </td>
                    <td className="dev-nowrap">
                      <When at={a.raisedAt} />
                      {a.count > 1 ? (
                        <div className="dev-small muted">
                          {a.count} times, last <When at={a.lastAt} />
                        </div>
                      ) : null}
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
      )}
      <AlarmNoteDialog
        alarm={acting?.alarm}
        verb={acting?.verb ?? 'acknowledge'}
        onClose={() => setActing(undefined)}
        onDone={(a) => {
          toast(`${a.type} ${a.status}`);
          list.reload();
        }}
      />
    </>
  );
}
