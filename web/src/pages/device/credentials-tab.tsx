import { useState } from 'react';
import { api, type Page, path } from '../../api/client';
import type { Credential } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, Card, Empty, ErrorNote, Loading, SecretOnce, When } from '../../components/ui';
import { useApi } from '../../lib/use-api';
import { Confirm } from './confirm';

/** The device's secrets: issue one (shown once), rotate (new one, the others revoked), revoke. */
export function CredentialsTab({ id }: { id: string }) {
  const toast = useToast();
  const list = useApi(() => api.get<Page<Credential>>(path`/devices/${id}/credentials`), [id]);
  const [secret, setSecret] = useState<{ value: string; rotated: boolean } | undefined>(undefined);
  const [creating, setCreating] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [revoking, setRevoking] = useState<Credential | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);

  const issue = async (revokeOthers: boolean) => {
    const r = await api.post<Credential & { secret: string }>(
      path`/devices/${id}/secrets`,
      revokeOthers ? { revokeOthers: true } : {},
    );
    setSecret({ value: r.secret, rotated: revokeOthers });
    list.reload();
  };

  const items = list.data?.items ?? [];
  return (
    <div className="stack">
      <Card
        title="Credentials"
        actions={
          <div className="actions">
            <Button
              busy={creating}
              onClick={() => {
                setCreating(true);
                setError(undefined);
                issue(false).then(
                  () => setCreating(false),
                  (e: Error) => {
                    setCreating(false);
                    setError(e);
                  },
                );
              }}
            >
              New secret
            </Button>
            <Button kind="primary" disabled={items.length === 0} onClick={() => setRotating(true)}>
              Rotate
            </Button>
          </div>
        }
      >
        {secret ? (
          <SecretOnce
            label={
              secret.rotated
                ? `New secret for ${id}; the old ones are revoked`
                : `New secret for ${id}; the others stay valid until revoked`
            }
            secret={secret.value}
          />
        ) : null}
        <ErrorNote error={error} />
        <p className="muted dev-small">
          A device logs in with its id and one of these secrets (MQTT username and password, or HTTP Basic
          auth). Secrets are stored hashed: a lost one cannot be shown again, only replaced.
        </p>
        {list.error && !list.data ? (
          <ErrorNote error={list.error} onRetry={list.reload} />
        ) : !list.data ? (
          <Loading what="Loading credentials" />
        ) : items.length === 0 ? (
          <Empty title="No credentials">
            This device cannot connect until it gets a secret: issue a new one.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Credentials of {id}</caption>
              <thead>
                <tr>
                  <th scope="col">Credential</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <span className="mono">{c.id}</span> <span className="muted">({c.kind})</span>
                    </td>
                    <td>
                      <When at={c.createdAt} />
                    </td>
                    <td>
                      <When at={c.lastUsedAt} />
                    </td>
                    <td className="num">
                      <Button kind="danger" onClick={() => setRevoking(c)}>
                        Revoke
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Confirm
        open={rotating}
        title="Rotate the secret?"
        confirm="Rotate"
        onClose={() => setRotating(false)}
        onConfirm={() => issue(true).then(() => toast('Secret rotated'))}
      >
        <p>
          A new secret is issued and every other credential of {id} is revoked: sessions using them are
          closed. Put the new secret in the device before it reconnects.
        </p>
      </Confirm>
      <Confirm
        open={revoking !== undefined}
        title={`Revoke ${revoking?.id ?? ''}?`}
        confirm="Revoke"
        onClose={() => setRevoking(undefined)}
        onConfirm={async () => {
          if (!revoking) return;
          await api.del(path`/devices/${id}/credentials/${revoking.id}`);
          toast(`${revoking.id} revoked`);
          list.reload();
        }}
      >
        <p>
          The device can no longer log in with this secret; sessions using it are closed.
          {items.length <= 1 ? ' It is the last one: the device will not be able to connect at all.' : ''}
        </p>
      </Confirm>
    </div>
  );
}
