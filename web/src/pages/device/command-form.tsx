import { useState } from 'react';
import { ApiError, api, path } from '../../api/client';
import type { Command } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, ErrorNote, Field } from '../../components/ui';

/** Name, params as JSON and a timeout: what a device needs to act now. */
export function CommandForm({ id, onSent }: { id: string; onSent: (c: Command) => void }) {
  const toast = useToast();
  const [name, setName] = useState('');
  const [params, setParams] = useState('');
  const [timeout, setTimeoutText] = useState('');
  const [paramsError, setParamsError] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = () => {
    let parsed: unknown;
    if (params.trim()) {
      try {
        parsed = JSON.parse(params);
      } catch (e) {
        setParamsError(`Not valid JSON: ${(e as Error).message}`);
        return;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        setParamsError('Params must be a JSON object, e.g. {"reason": "maintenance"}');
        return;
      }
    }
    setParamsError(undefined);
    setError(undefined);
    setBusy(true);
    const body = {
      name: name.trim(),
      ...(parsed === undefined ? {} : { params: parsed }),
      ...(timeout.trim() ? { timeout: /^\d+$/.test(timeout.trim()) ? Number(timeout) : timeout.trim() } : {}),
    };
    api.post<Command>(path`/devices/${id}/commands`, body).then(
      (c) => {
        setBusy(false);
        onSent(c);
        toast(`${c.name} sent to ${id}`);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
      },
    );
  };

  return (
    <form
      className="dev-command-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {/* Said next to the field when the server names one; here otherwise. */}
      <ErrorNote
        error={
          error && !['/body/name', '/body/timeout', '/body/params'].some((f) => error.field(f))
            ? error
            : undefined
        }
      />
      <div className="dev-form-row">
        <Field
          label="Command"
          error={error?.field('/body/name')}
          hint="What the device should do, e.g. reboot"
        >
          {(p) => (
            <input
              {...p}
              name="command"
              required
              maxLength={64}
              autoComplete="off"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field label="Timeout" error={error?.field('/body/timeout')} hint="Answer within (default 30s)">
          {(p) => (
            <input
              {...p}
              name="timeout"
              placeholder="30s"
              autoComplete="off"
              value={timeout}
              onChange={(e) => setTimeoutText(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field
        label="Params (JSON, optional)"
        error={paramsError ?? error?.field('/body/params')}
        hint='A JSON object, e.g. {"delay": 5}'
      >
        {(p) => (
          <textarea
            {...p}
            name="params"
            rows={3}
            spellCheck={false}
            className="dev-params"
            placeholder="{}"
            value={params}
            onChange={(e) => setParams(e.target.value)}
          />
        )}
      </Field>
      <Button kind="primary" type="submit" busy={busy} disabled={!name.trim()}>
        Send command
      </Button>
    </form>
  );
}
