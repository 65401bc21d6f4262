import { useEffect, useState } from 'react';
import { path } from '../../api/client';
import type { Alarm } from '../../api/types';
import { useToast } from '../../components/toast';
import { AlarmStatusBadge, Button, SeverityBadge, When } from '../../components/ui';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';
import { actorName } from './actor';
import { act, type Verb } from './alarm-detail';

/** Re-renders every `ms`, so "3 min ago" stays true on a console left open. */
function useTick(ms: number) {
  const [, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setN((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
}

export function AlarmTable({
  items,
  fresh,
  loading,
  onChanged,
  onOpen,
  onError,
}: {
  items: readonly Alarm[];
  fresh: ReadonlySet<string>;
  loading: boolean;
  onChanged: (a: Alarm) => void;
  onOpen: (id: string, comment: boolean) => void;
  onError: (text: string) => void;
}) {
  const { can } = useSession();
  const toast = useToast();
  const write = can('write');
  const [busy, setBusy] = useState<string | undefined>(undefined);
  useTick(30_000);

  // One click does it: the comment is optional, in the alarm's panel.
  const run = async (a: Alarm, verb: Verb) => {
    setBusy(`${a.id}:${verb}`);
    try {
      onChanged(await act(a.id, verb));
      // The row's badge says "acknowledged"; clearing may take the row out of view later.
      if (verb === 'clear') toast(`Cleared ${a.type} on ${a.device}`);
    } catch (err) {
      onError(`Could not ${verb} the alarm: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <div className="table-wrap">
      <table className="alarm-table stack-table" aria-busy={loading}>
        <caption className="sr-only">Alarms, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Device</th>
            <th scope="col">Type</th>
            <th scope="col">Message</th>
            <th scope="col">Raised</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col">Status</th>
            <th scope="col">Acknowledged by</th>
            {write ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.id} className={`alarm-row status-${a.status} ${fresh.has(a.id) ? 'rx-fresh' : ''}`}>
              <td data-label="Severity">
                <SeverityBadge severity={a.severity} />
              </td>
              <td data-label="Device">
                <Link to={path`/devices/${a.device}`}>{a.device}</Link>
              </td>
              <td data-label="Type">{a.type}</td>
              <td data-label="Message" className="rx-msg">
                <button
                  type="button"
                  className="rx-linkish"
                  id={`alarm-${a.id}`}
                  title="Details and history"
                  onClick={() => onOpen(a.id, false)}
                >
                  {a.message || a.type}
                </button>
                {a.rule ? <div className="muted rx-small">rule {a.rule}</div> : null}
              </td>
              <td data-label="Raised">
                <When at={a.raisedAt} />
              </td>
              <td data-label="Count" className="num">
                {a.count > 1 ? <span title="Times it fired while open">×{a.count}</span> : a.count}
              </td>
              <td data-label="Status">
                <AlarmStatusBadge status={a.status} />
              </td>
              <td data-label="Acknowledged by">
                {a.acknowledgedBy ? (
                  <>
                    {actorName(a.acknowledgedBy)}{' '}
                    <span className="muted rx-small">
                      <When at={a.acknowledgedAt} />
                    </span>
                  </>
                ) : a.clearedBy ? (
                  <span className="muted rx-small">cleared by {actorName(a.clearedBy)}</span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              {write ? (
                <td className="row-actions" data-label="">
                  <div>
                    {a.status === 'active' ? (
                      <Button
                        kind="primary"
                        busy={busy === `${a.id}:acknowledge`}
                        aria-describedby={`alarm-${a.id}`}
                        onClick={() => void run(a, 'acknowledge')}
                      >
                        Acknowledge
                      </Button>
                    ) : null}
                    {a.status !== 'cleared' ? (
                      <Button
                        busy={busy === `${a.id}:clear`}
                        aria-describedby={`alarm-${a.id}`}
                        onClick={() => void run(a, 'clear')}
                      >
                        Clear
                      </Button>
                    ) : null}
                    <Button
                      kind="ghost"
                      aria-describedby={`alarm-${a.id}`}
                      onClick={() => onOpen(a.id, true)}
                    >
                      Comment
                    </Button>
                  </div>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
