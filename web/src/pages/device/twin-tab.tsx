import { useEffect, useRef, useState } from 'react';
import { ApiError, api, path } from '../../api/client';
import type { Twin } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, Card, ErrorNote, Field, Json, Loading } from '../../components/ui';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { useDeviceLive } from './live';
import { TwinTable } from './twin-table';

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** Desired vs reported, the delta the device still owes, and a merge-patch editor guarded by If-Match. */
export function TwinTab({ id }: { id: string }) {
  const { can } = useSession();
  const twin = useApi(() => api.get<Twin>(path`/devices/${id}/twin`), [id]);
  useDeviceLive((m) => {
    if (m.type === 'twin') twin.reload();
  });

  if (twin.error && !twin.data) return <ErrorNote error={twin.error} onRetry={twin.reload} />;
  if (!twin.data) return <Loading what="Loading the twin" />;
  const t = twin.data;
  const waiting = Object.keys(t.delta).length > 0;
  return (
    <div className="stack">
      <Card
        title="Desired and reported"
        actions={
          <span className="muted dev-small">
            version {t.version} · desired v{t.desiredVersion} · reported v{t.reportedVersion}
          </span>
        }
      >
        {waiting ? (
          <div className="dev-delta" role="status">
            <strong>Waiting for the device</strong> to apply{' '}
            {Object.keys(t.delta).length === 1 ? 'this' : 'these'} desired{' '}
            {Object.keys(t.delta).length === 1 ? 'value' : 'values'}:
            <code className="dev-inline-json">{JSON.stringify(t.delta)}</code>
          </div>
        ) : (
          <p className="dev-sync">
            <span className="badge dev-badge-sync">in sync</span>{' '}
            <span className="muted">The device has reported everything that is desired.</span>
          </p>
        )}
        <TwinTable twin={t} />
        <div className="grid grid-2 dev-twin-docs">
          <details>
            <summary>Desired document</summary>
            <Json value={t.desired} />
          </details>
          <details>
            <summary>Reported document</summary>
            <Json value={t.reported} />
          </details>
        </div>
      </Card>
      {can('write') ? (
        <DesiredEditor id={id} twin={t} onSaved={(n) => twin.set(() => n)} reload={twin.reload} />
      ) : null}
    </div>
  );
}

function DesiredEditor({
  id,
  twin,
  onSaved,
  reload,
}: {
  id: string;
  twin: Twin;
  onSaved: (t: Twin) => void;
  reload: () => void;
}) {
  const toast = useToast();
  const [text, setText] = useState(() => pretty(twin.desired));
  const [base, setBase] = useState(twin.version);
  const [parseError, setParseError] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);
  const dirty = useRef(false);

  // While untouched the editor follows the twin; once edited, it keeps the user's text.
  useEffect(() => {
    if (!dirty.current) {
      setText(pretty(twin.desired));
      setBase(twin.version);
    }
  }, [twin]);

  const restart = () => {
    dirty.current = false;
    setText(pretty(twin.desired));
    setBase(twin.version);
    setConflict(false);
    setError(undefined);
    setParseError(undefined);
  };

  const submit = () => {
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch (e) {
      setParseError(`Not valid JSON: ${(e as Error).message}`);
      return;
    }
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      setParseError('The patch must be a JSON object, e.g. {"mode": "eco"}');
      return;
    }
    setParseError(undefined);
    setError(undefined);
    setConflict(false);
    setBusy(true);
    api.patch<Twin>(path`/devices/${id}/twin`, { desired: patch }, { 'if-match': `"${base}"` }).then(
      (t) => {
        setBusy(false);
        dirty.current = false;
        onSaved(t);
        toast(
          Object.keys(t.delta).length
            ? 'Desired state saved: waiting for the device to apply it'
            : 'Desired state saved',
        );
      },
      (e: unknown) => {
        setBusy(false);
        const err = e instanceof ApiError ? e : new ApiError(0, { detail: String(e) });
        if (err.status === 412) {
          setConflict(true);
          reload();
        } else setError(err);
      },
    );
  };

  const stale = base !== twin.version;
  return (
    <Card title="Change the desired state">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {conflict ? (
          <div className="error-note" role="alert">
            <strong>The twin changed meanwhile</strong> (another operator, or the device reported), so nothing
            was saved. It has been reloaded above: check it, then{' '}
            <button type="button" className="linkish" onClick={restart}>
              start again from the current desired state
            </button>{' '}
            or apply your text anyway with the new version.
          </div>
        ) : stale ? (
          <p className="dev-note" role="status">
            The twin changed since you started editing (now version {twin.version}).{' '}
            <button type="button" className="linkish" onClick={restart}>
              Start again from it
            </button>
          </p>
        ) : null}
        <ErrorNote error={error} />
        <Field
          label="Merge patch for desired (JSON)"
          error={parseError ?? error?.field('/body/desired')}
          hint={
            <>
              Keys you give are set (objects merge key by key); <code>null</code> deletes a key; keys you
              leave out stay as they are. Saved only if the twin is still at version {base}.
            </>
          }
        >
          {(p) => (
            <textarea
              {...p}
              name="desired"
              spellCheck={false}
              rows={Math.min(16, Math.max(6, text.split('\n').length + 1))}
              value={text}
              onChange={(e) => {
                dirty.current = true;
                setText(e.target.value);
              }}
            />
          )}
        </Field>
        <div className="actions">
          <Button kind="primary" type="submit" busy={busy}>
            Save desired state
          </Button>
          <Button onClick={restart}>Reset</Button>
          {conflict ? (
            <Button
              onClick={() => {
                setBase(twin.version);
                setConflict(false);
              }}
            >
              Use version {twin.version}
            </Button>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
