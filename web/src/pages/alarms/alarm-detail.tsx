import { useId, useState } from 'react';
import { api, path } from '../../api/client';
import type { Alarm } from '../../api/types';
import { useToast } from '../../components/toast';
import {
  AlarmStatusBadge,
  Button,
  Dialog,
  ErrorNote,
  Json,
  Loading,
  SeverityBadge,
  When,
} from '../../components/ui';
import { dateTime } from '../../lib/format';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { actorName } from './actor';

export type Verb = 'acknowledge' | 'clear';

/** Acknowledges or clears an alarm (an optional comment goes into its history); answers the alarm. */
export const act = (id: string, verb: Verb, comment?: string) =>
  api.post<Alarm>(path`/alarms/${id}/${verb}`, comment ? { comment } : {});

interface Entry {
  readonly at: number;
  readonly what: string;
  readonly who?: string | undefined;
  readonly text?: string;
}

/** The alarm's life as one list: raised, repeats, acknowledged, comments, cleared. */
function timeline(a: Alarm): Entry[] {
  const out: Entry[] = [{ at: a.raisedAt, what: 'Raised', who: a.rule ? `rule:${a.rule}` : undefined }];
  if (a.count > 1) out.push({ at: a.lastAt, what: `Fired again (${a.count} times in all)` });
  if (a.acknowledgedAt) out.push({ at: a.acknowledgedAt, what: 'Acknowledged', who: a.acknowledgedBy });
  for (const c of a.comments ?? []) out.push({ at: c.at, what: 'Comment', who: c.author, text: c.text });
  if (a.clearedAt) out.push({ at: a.clearedAt, what: 'Cleared', who: a.clearedBy });
  return out.sort((x, y) => x.at - y.at);
}

/**
 * One alarm with its history and a comment box; acknowledging or clearing
 * here takes the comment along. `stamp` changes when the live stream says
 * the alarm changed, so the history reloads.
 */
export function AlarmDetail({
  id,
  title,
  stamp,
  focusComment,
  onClose,
  onChanged,
}: {
  id: string | undefined;
  title: string;
  stamp: string;
  focusComment: boolean;
  onClose: () => void;
  onChanged: (a: Alarm) => void;
}) {
  return (
    <Dialog open={id !== undefined} title={title} onClose={onClose}>
      {id ? (
        <Body id={id} stamp={stamp} focusComment={focusComment} onChanged={onChanged} onClose={onClose} />
      ) : null}
    </Dialog>
  );
}

function Body({
  id,
  stamp,
  focusComment,
  onChanged,
  onClose,
}: {
  id: string;
  stamp: string;
  focusComment: boolean;
  onChanged: (a: Alarm) => void;
  onClose: () => void;
}) {
  const { can } = useSession();
  const toast = useToast();
  const alarm = useApi(() => api.get<Alarm>(path`/alarms/${id}`), [id, stamp]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<Verb | 'comment' | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const commentId = useId();

  const run = async (what: Verb | 'comment') => {
    setBusy(what);
    setError(undefined);
    try {
      const note = text.trim();
      if (what === 'comment') {
        await api.post(path`/alarms/${id}/comments`, { text: note });
        toast('Comment added');
      } else {
        const a = await act(id, what, note || undefined);
        onChanged(a);
        toast(what === 'acknowledge' ? 'Alarm acknowledged' : 'Alarm cleared');
      }
      setText('');
      alarm.reload();
      if (what === 'clear') onClose();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(undefined);
    }
  };

  if (alarm.error && !alarm.data) return <ErrorNote error={alarm.error} onRetry={alarm.reload} />;
  const a = alarm.data;
  if (!a) return <Loading what="Loading the alarm" />;
  const write = can('write');
  return (
    <div className="stack alarm-detail">
      <div className="row">
        <SeverityBadge severity={a.severity} />
        <AlarmStatusBadge status={a.status} />
        <strong>{a.type}</strong>
      </div>
      <p className="alarm-message">{a.message || <span className="muted">No message</span>}</p>
      <dl className="rx-facts">
        <dt>Device</dt>
        <dd>
          <Link to={path`/devices/${a.device}`}>{a.device}</Link>
        </dd>
        <dt>Rule</dt>
        <dd>
          {a.rule ? <Link to={path`/rules/${a.rule}`}>{a.rule}</Link> : <span className="muted">—</span>}
        </dd>
        <dt>Raised</dt>
        <dd title={dateTime(a.raisedAt)}>
          {dateTime(a.raisedAt)} (<When at={a.raisedAt} />)
        </dd>
        <dt>Count</dt>
        <dd>
          {a.count}{' '}
          {a.count > 1 ? (
            <span className="muted">
              (last <When at={a.lastAt} />)
            </span>
          ) : null}
        </dd>
      </dl>
      {a.details && Object.keys(a.details).length ? (
        <details>
          <summary>Details</summary>
          <Json value={a.details} />
        </details>
      ) : null}
      <section aria-label="History">
        <h3 className="rx-h3">History</h3>
        <ol className="rx-timeline">
          {timeline(a).map((e) => (
            <li key={`${e.at}-${e.what}-${e.text ?? ''}`}>
              <div className="row">
                <strong>{e.what}</strong>
                {e.who ? <span>by {actorName(e.who)}</span> : null}
                <span className="muted rx-small">
                  <When at={e.at} />
                </span>
              </div>
              {e.text ? <p className="rx-comment">{e.text}</p> : null}
            </li>
          ))}
        </ol>
      </section>
      {write ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) void run('comment');
          }}
        >
          <div className="field">
            <label htmlFor={commentId}>Comment</label>
            <textarea
              id={commentId}
              className="rx-comment-box"
              value={text}
              maxLength={2000}
              rows={3}
              // biome-ignore lint/a11y/noAutofocus: opened from the row's "Comment" button to write one
              autoFocus={focusComment}
              placeholder={
                a.status === 'cleared' ? 'Add a note to the history' : 'On my way; replacing the seal…'
              }
              onChange={(e) => setText(e.target.value)}
            />
            <p className="field-hint muted">
              {a.status === 'cleared'
                ? 'Kept in the alarm’s history.'
                : a.status === 'active'
                  ? 'Kept in the history; Acknowledge and Clear take it along.'
                  : 'Kept in the history; Clear takes it along.'}
            </p>
          </div>
          <ErrorNote error={error} />
          <div className="row rx-end">
            <Button type="submit" busy={busy === 'comment'} disabled={!text.trim()}>
              Add comment
            </Button>
            {a.status === 'active' ? (
              <Button kind="primary" busy={busy === 'acknowledge'} onClick={() => void run('acknowledge')}>
                Acknowledge
              </Button>
            ) : null}
            {a.status !== 'cleared' ? (
              <Button kind="danger" busy={busy === 'clear'} onClick={() => void run('clear')}>
                Clear
              </Button>
            ) : null}
          </div>
        </form>
      ) : (
        <p className="rx-note">Acknowledging, clearing and commenting need the operator role.</p>
      )}
    </div>
  );
}
