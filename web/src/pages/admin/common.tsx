import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError, api, type Page } from '../../api/client';
import type { Me, Role } from '../../api/types';
import { Pager, useCursor } from '../../components/pager';
import { Button, Card, Dialog, Empty, ErrorNote, Loading } from '../../components/ui';
import { type Loaded, useApi } from '../../lib/use-api';
import './admin.css';

/** What the four administration screens share: paged lists, form and confirm dialogs, field errors. */

export const ROLES: readonly Role[] = ['admin', 'operator', 'viewer'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Roles `me` may hand out (the server refuses stronger ones: ARCHITECTURE §4). */
export function grantable(me: Me | undefined): Role[] {
  if (!me) return [];
  return ROLES.filter((r) => me.platformAdmin || RANK[r] <= RANK[me.role]);
}

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError
    ? err
    : new ApiError(0, { detail: err instanceof Error ? err.message : String(err) });
}

/** A page of `path`, with Previous/Next over the API's cursors. */
export function usePaged<T>(path: string, limit = 50) {
  const cursor = useCursor();
  const list = useApi(
    () => api.get<Page<T>>(path, { cursor: cursor.cursor, limit }),
    [path, cursor.cursor, limit],
  );
  const pager = (
    <Pager
      page={cursor.page}
      hasNext={Boolean(list.data?.next)}
      onNext={() => list.data?.next && cursor.next(list.data.next)}
      onPrev={cursor.prev}
    />
  );
  return { list, pager };
}

/** Runs one server call at a time, keeping its error for the form. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(asApiError(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, fail: setError };
}

/**
 * The server's message for one body field; raw regex messages are replaced by
 * the rule in words (`hint`), which is what a person can act on.
 */
export function fieldError(error: ApiError | undefined, field: string, hint?: string): string | undefined {
  const msg = error?.field(`/body/${field}`);
  if (msg && hint && /^must match pattern/.test(msg)) return `Use ${hint}.`;
  if (msg && /fewer than 1 characters/.test(msg)) return 'Required.';
  return msg;
}

/** Reading refused (the server's 403, or known beforehand): say which role is needed. */
export function Forbidden({ message, role = 'admin' }: { message: string; role?: string }) {
  return (
    <Card>
      <Empty title={`You need the ${role} role`}>
        <p>{message.replace(/\.$/, '')}. Ask an administrator of this tenant.</p>
      </Empty>
    </Card>
  );
}

/** Loading, error, forbidden, empty, or the list with its pager. */
export function ListBody<T>({
  list,
  pager,
  empty,
  children,
}: {
  list: Loaded<Page<T>>;
  pager: ReactNode;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  if (list.error?.status === 403) return <Forbidden message={list.error.message} />;
  if (list.error) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading />;
  if (list.data.items.length === 0 && !list.data.next) return <Card>{empty}</Card>;
  return (
    <Card>
      {children(list.data.items)}
      {pager}
    </Card>
  );
}

export interface Column<T> {
  readonly head: string;
  readonly cell: (row: T) => ReactNode;
  /** `hide-narrow` drops the column on phones; `num` right-aligns. */
  readonly className?: string;
}

export function AdminTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  actions,
}: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  actions?: (row: T) => ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className="admin-table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.head} scope="col" className={c.className}>
                {c.head}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.head} className={c.className}>
                  {c.cell(r)}
                </td>
              ))}
              {actions ? (
                <td>
                  <div className="row-actions">{actions(r)}</div>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A form in a dialog. Field errors are shown by the fields themselves
 * (`handled`); anything else the server said goes above the form.
 */
export function FormDialog({
  open,
  title,
  onClose,
  onSubmit,
  submitLabel,
  busy,
  error,
  handled = () => false,
  wide,
  readOnly,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  onSubmit: () => void;
  submitLabel: string;
  busy: boolean;
  error: ApiError | undefined;
  handled?: (path: string) => boolean;
  wide?: boolean;
  readOnly?: boolean;
  children: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!readOnly) onSubmit();
  };
  const form = useRef<HTMLFormElement>(null);
  // Open on the first field rather than on the dialog's close button.
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);
  // After a refusal, focus goes to the first field the server named (keyboard and screen readers).
  useEffect(() => {
    if (error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error]);
  const problems = error?.problem.errors ?? [];
  const allHandled = problems.length > 0 && problems.every((p) => handled(p.path));
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      <form ref={form} className={`admin-form ${wide ? 'wide' : ''}`} onSubmit={submit}>
        {error && allHandled ? (
          <p className="form-alert" role="alert">
            The server refused {problems.length === 1 ? 'a field' : 'some fields'}: see below.
          </p>
        ) : (
          <ErrorNote error={error} />
        )}
        <fieldset className="form-body" disabled={readOnly}>
          {children}
        </fieldset>
        <div className="form-foot">
          <Button onClick={onClose}>{readOnly ? 'Close' : 'Cancel'}</Button>
          {readOnly ? null : (
            <Button kind="primary" type="submit" busy={busy}>
              {submitLabel}
            </Button>
          )}
        </div>
      </form>
    </Dialog>
  );
}

/** Asks before a destructive call; the server's refusal (e.g. "in use") stays in the dialog. */
export function ConfirmDialog({
  open,
  title,
  confirmLabel,
  onConfirm,
  onClose,
  disabled,
  children,
}: {
  open: boolean;
  title: string;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
  /** E.g. until the user typed the name back. */
  disabled?: boolean;
  children: ReactNode;
}) {
  const action = useAction();
  const close = () => {
    action.fail(undefined);
    onClose();
  };
  return (
    <Dialog open={open} title={title} onClose={close}>
      <div className="stack">
        <div>{children}</div>
        <ErrorNote error={action.error} />
        <div className="form-foot">
          <Button onClick={close}>Cancel</Button>
          <Button
            kind="danger"
            busy={action.busy}
            disabled={disabled}
            onClick={() => {
              void action.run(onConfirm).then((ok) => ok && close());
            }}
          >
            {confirmLabel}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}

/** "Read-only" said once, above the list, so disabled buttons are not a puzzle. */
export function ReadOnlyNote({ children }: { children: ReactNode }) {
  return <p className="muted read-only-note">{children}</p>;
}

export function RoleBadge({ role }: { role: Role }) {
  return <span className={`badge role-${role}`}>{role}</span>;
}

/** "" → undefined, otherwise a number (the server refuses non-numbers: types are not coerced). */
export function num(s: string): number | undefined {
  return s.trim() === '' ? undefined : Number(s);
}

export const str = (n: number | undefined | null): string => (n === undefined || n === null ? '' : String(n));
