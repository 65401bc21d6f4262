import { useState } from 'react';
import { ApiError, api, path } from '../../api/client';
import type { Alarm } from '../../api/types';
import { Button, Dialog, ErrorNote, Field } from '../../components/ui';

export type AlarmVerb = 'acknowledge' | 'clear';

/** Acknowledge or clear one alarm, with an optional comment kept in its history. */
export function AlarmNoteDialog({
  alarm,
  verb,
  onDone,
  onClose,
}: {
  alarm: Alarm | undefined;
  verb: AlarmVerb;
  onDone: (a: Alarm) => void;
  onClose: () => void;
}) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const title = verb === 'acknowledge' ? 'Acknowledge' : 'Clear';
  const close = () => {
    setComment('');
    setError(undefined);
    onClose();
  };
  return (
    <Dialog open={alarm !== undefined} title={`${title} ${alarm?.type ?? 'alarm'}`} onClose={close}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!alarm) return;
          setBusy(true);
          setError(undefined);
          api
            .post<Alarm>(path`/alarms/${alarm.id}/${verb}`, comment.trim() ? { comment: comment.trim() } : {})
            .then(
              (a) => {
                setBusy(false);
                onDone(a);
                close();
              },
              (err: unknown) => {
                setBusy(false);
                setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
              },
            );
        }}
      >
        <p className="muted">{alarm?.message}</p>
        <ErrorNote error={error} />
        <Field
          label="Comment (optional)"
          error={error?.field('/body/comment')}
          hint="Kept in the alarm's history"
        >
          {(p) => (
            <textarea
              {...p}
              name="comment"
              rows={3}
              className="dev-comment"
              maxLength={2000}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
            />
          )}
        </Field>
        <div className="actions dev-dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button kind="primary" type="submit" busy={busy}>
            {title}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
