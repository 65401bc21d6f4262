import { useState } from 'react';
import { ApiError } from '../api/client';
import { Button, ErrorNote, Field } from '../components/ui';
import { useSession } from '../lib/session';

/** The login form (ARCHITECTURE §6.1: input[name=username], input[name=password]). */
export function LoginPage() {
  const { login } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  return (
    <div className="login">
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          login(username, password).catch((err: unknown) => {
            setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
            setBusy(false);
          });
        }}
      >
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" /> Plexus
        </div>
        <ErrorNote error={error} />
        <Field label="User name">
          {(p) => (
            <input
              {...p}
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Password"
          hint="The first start prints the admin's password (or set PLEXUS_ADMIN_PASSWORD)."
        >
          {(p) => (
            <input
              {...p}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Button kind="primary" type="submit" busy={busy} style={{ width: '100%', justifyContent: 'center' }}>
          Log in
        </Button>
      </form>
    </div>
  );
}
