import { type ReactNode, useState } from 'react';
import { ApiError } from '../../api/client';
import { Button, Dialog, ErrorNote } from '../../components/ui';

/**
 * "Are you sure?" for what cannot be undone: the action runs from the
 * dialog, which stays open with the server's answer if it fails.
 */
export function Confirm({
  open,
  title,
  children,
  confirm,
  kind = 'danger',
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirm: string;
  kind?: 'danger' | 'primary';
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const close = () => {
    setError(undefined);
    onClose();
  };
  return (
    <Dialog open={open} title={title} onClose={close}>
      <div className="stack">
        <div>{children}</div>
        <ErrorNote error={error} />
        <div className="actions dev-dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button
            kind={kind}
            busy={busy}
            onClick={() => {
              setBusy(true);
              setError(undefined);
              onConfirm().then(
                () => {
                  setBusy(false);
                  close();
                },
                (e: unknown) => {
                  setBusy(false);
                  setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
                },
              );
            }}
          >
            {confirm}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
