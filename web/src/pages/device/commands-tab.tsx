import { useState } from 'react';
import { api, type Page, path } from '../../api/client';
import type { Command, CommandStatus } from '../../api/types';
import { Pager, useCursor } from '../../components/pager';
import { useToast } from '../../components/toast';
import { Button, Card, Empty, ErrorNote, Loading, When } from '../../components/ui';
import { duration } from '../../lib/format';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { CommandForm } from './command-form';
import { useDeviceLive } from './live';

const UNFINISHED: readonly CommandStatus[] = ['queued', 'sent', 'delivered'];
/** How far along a command is; finished ones are all last. */
const rank = (s: CommandStatus) => (UNFINISHED.includes(s) ? UNFINISHED.indexOf(s) : UNFINISHED.length);

/** Send a command and watch it go queued → sent → delivered → succeeded, live. */
export function CommandsTab({ id }: { id: string }) {
  const { can } = useSession();
  const toast = useToast();
  const cursor = useCursor();
  const list = useApi(
    () => api.get<Page<Command>>(path`/devices/${id}/commands`, { limit: 20, cursor: cursor.cursor }),
    [id, cursor.cursor],
  );
  const [cancelling, setCancelling] = useState<string | undefined>(undefined);

  const upsert = (c: Command) =>
    list.set((cur) => {
      if (!cur) return cur;
      const i = cur.items.findIndex((x) => x.id === c.id);
      if (i < 0) return cursor.page === 1 ? { ...cur, items: [c, ...cur.items] } : cur;
      const items = [...cur.items];
      // The stream may be ahead of the POST's answer: never step a status back.
      const old = items[i] as Command;
      items[i] = rank(c.status) < rank(old.status) ? old : { ...old, ...c };
      return { ...cur, items };
    });

  useDeviceLive((m) => {
    if (m.type !== 'command') return;
    const known = list.data?.items.find((c) => c.id === m.id);
    if (!known) {
      // A command sent elsewhere (CLI, a rule): fetch it whole.
      if (cursor.page === 1) api.get<Command>(path`/commands/${m.id}`).then(upsert, () => undefined);
      return;
    }
    upsert({
      ...known,
      status: m.status,
      ...(m.result !== undefined ? { result: m.result } : {}),
      ...(m.error !== undefined ? { error: m.error } : {}),
      ...(UNFINISHED.includes(m.status) ? {} : { completedAt: m.ts }),
    });
  });

  const cancel = (c: Command) => {
    setCancelling(c.id);
    api.post<Command>(path`/commands/${c.id}/cancel`).then(
      (done) => {
        setCancelling(undefined);
        upsert(done);
        toast(`${c.name} cancelled`);
      },
      (e: Error) => {
        setCancelling(undefined);
        toast(`Could not cancel ${c.name}: ${e.message}`, 'error');
        list.reload();
      },
    );
  };

  return (
    <div className="stack">
      {can('write') ? (
        <Card title="Send a command">
          <CommandForm id={id} onSent={upsert} />
        </Card>
      ) : null}
      <Card title="Recent commands">
        {list.error && !list.data ? (
          <ErrorNote error={list.error} onRetry={list.reload} />
        ) : !list.data ? (
          <Loading what="Loading commands" />
        ) : list.data.items.length === 0 && cursor.page === 1 ? (
          <Empty title="No commands yet">
            {can('write')
              ? 'Send one above; the device gets it on devices/' +
                id +
                '/commands/<id> and answers on …/result.'
              : 'Operators can send commands to this device.'}
          </Empty>
        ) : (
          <>
            <ul className="dev-commands" aria-live="polite">
              {list.data.items.map((c) => (
                <CommandItem
                  key={c.id}
                  c={c}
                  canCancel={can('write') && UNFINISHED.includes(c.status)}
                  cancelling={cancelling === c.id}
                  onCancel={() => cancel(c)}
                />
              ))}
            </ul>
            <Pager
              page={cursor.page}
              hasNext={Boolean(list.data.next)}
              onNext={() => list.data?.next && cursor.next(list.data.next)}
              onPrev={cursor.prev}
            />
          </>
        )}
      </Card>
    </div>
  );
}

function CommandItem({
  c,
  canCancel,
  cancelling,
  onCancel,
}: {
  c: Command;
  canCancel: boolean;
  cancelling: boolean;
  onCancel: () => void;
}) {
  const hasParams = c.params && Object.keys(c.params).length > 0;
  return (
    <li className="dev-command">
      <div className="dev-command-head">
        <span className="mono dev-command-name">{c.name}</span>
        <span className={`badge cmd-${c.status}`}>
          {UNFINISHED.includes(c.status) ? (
            <span className="spinner dev-spinner-sm" aria-hidden="true" />
          ) : null}
          {c.status.replace('_', ' ')}
        </span>
        <span className="muted dev-small">
          <When at={c.createdAt} /> by {c.actor}
          {c.completedAt
            ? ` · ${c.status === 'succeeded' || c.status === 'failed' ? 'answered in' : 'ended after'} ${duration(c.completedAt - c.createdAt)}`
            : ''}
        </span>
        {canCancel ? (
          <Button kind="ghost" className="btn btn-ghost dev-cancel" busy={cancelling} onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
      </div>
      {hasParams ? (
        <div className="dev-kv">
          <span className="muted">params</span>
          <code className="dev-inline-json">{JSON.stringify(c.params)}</code>
        </div>
      ) : null}
      {c.result !== undefined ? (
        <div className="dev-kv">
          <span className="muted">result</span>
          <code className="dev-inline-json">{JSON.stringify(c.result)}</code>
        </div>
      ) : null}
      {c.error !== undefined ? (
        <div className="dev-kv dev-kv-error">
          <span>error</span>
          <code className="dev-inline-json">{JSON.stringify(c.error)}</code>
        </div>
      ) : null}
    </li>
  );
}
