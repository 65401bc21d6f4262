import { useState } from 'react';
import { api, path } from '../../api/client';
import type { ApiKey, Info, Role } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, Dialog, Empty, Field, PageHeader, SecretOnce, When } from '../../components/ui';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import {
  AdminTable,
  ConfirmDialog,
  Forbidden,
  FormDialog,
  fieldError,
  grantable,
  ListBody,
  RoleBadge,
  useAction,
  usePaged,
} from './common';

type CreatedKey = ApiKey & { readonly key: string };

/** API keys for scripts, CI and integrations; a key is shown once, when created. */
export function ApiKeysPage() {
  const { me, can } = useSession();
  // The session knows the role: a request bound to be refused would only add a 403 to the console.
  if (!can('admin') && !me?.platformAdmin)
    return (
      <>
        <PageHeader title="API keys" />
        <Forbidden message="Reading and managing API keys needs the admin role" />
      </>
    );
  return <ApiKeysList />;
}

function ApiKeysList() {
  const { can } = useSession();
  const admin = can('admin');
  const { list, pager } = usePaged<ApiKey>('/apikeys');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedKey | undefined>(undefined);
  const [revoking, setRevoking] = useState<ApiKey | undefined>(undefined);
  const toast = useToast();
  const create = (
    <Button kind="primary" onClick={() => setCreating(true)}>
      New API key
    </Button>
  );
  return (
    <>
      <PageHeader
        title="API keys"
        subtitle="For scripts, CI and integrations (Node-RED, Grafana): the CLI, the REST API and MQTT."
        actions={admin ? create : null}
      />
      <ListBody
        list={list}
        pager={pager}
        empty={
          <Empty title="No API keys yet" action={admin ? create : undefined}>
            A key lets a program use Plexus without a person's password. Give it the weakest role that works.
          </Empty>
        }
      >
        {(items) => (
          <AdminTable
            caption="API keys"
            rows={items}
            rowKey={(k) => k.id}
            columns={[
              {
                head: 'Key',
                cell: (k) => (
                  <>
                    <strong>{k.name}</strong>
                    <span className="sub mono">{k.id}</span>
                  </>
                ),
              },
              { head: 'Role', cell: (k) => <RoleBadge role={k.role} /> },
              { head: 'Created by', cell: (k) => k.createdBy, className: 'hide-narrow' },
              { head: 'Created', cell: (k) => <When at={k.createdAt} />, className: 'hide-narrow' },
              { head: 'Last used', cell: (k) => <When at={k.lastUsedAt} /> },
            ]}
            actions={
              admin
                ? (k) => (
                    <Button
                      kind="ghost"
                      onClick={() => setRevoking(k)}
                      aria-label={`Revoke API key ${k.name}`}
                    >
                      Revoke
                    </Button>
                  )
                : undefined
            }
          />
        )}
      </ListBody>
      {creating ? (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false);
            setCreated(k);
            toast(`API key ${k.name} created`);
            list.reload();
          }}
        />
      ) : null}
      <Dialog
        open={Boolean(created)}
        title={`API key ${created?.name ?? ''}`}
        onClose={() => setCreated(undefined)}
      >
        {created ? <KeyUsage created={created} onDone={() => setCreated(undefined)} /> : null}
      </Dialog>
      <ConfirmDialog
        open={Boolean(revoking)}
        title={`Revoke API key ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke key"
        onClose={() => setRevoking(undefined)}
        onConfirm={async () => {
          if (!revoking) return;
          await api.del(path`/apikeys/${revoking.id}`);
          toast(`API key ${revoking.name} revoked`);
          list.reload();
        }}
      >
        <p>
          Programs using <code>{revoking?.id}</code> are refused at once, over the API and MQTT. This cannot
          be undone: create a new key if it is needed again.
        </p>
      </ConfirmDialog>
    </>
  );
}

function CreateKeyDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (k: CreatedKey) => void;
}) {
  const { me } = useSession();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const action = useAction();
  const save = () =>
    void action.run(async () =>
      onCreated(await api.post<CreatedKey>('/apikeys', { name: name.trim(), role })),
    );
  return (
    <FormDialog
      open
      title="New API key"
      submitLabel="Create key"
      onClose={onClose}
      onSubmit={save}
      busy={action.busy}
      error={action.error}
      handled={(p) => p === '/body/name' || p === '/body/role'}
    >
      <Field
        label="Name"
        hint="What uses it: grafana, node-red, ci…"
        error={fieldError(action.error, 'name')}
      >
        {(p) => (
          <input
            {...p}
            name="name"
            required
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        )}
      </Field>
      <Field
        label="Role"
        hint="viewer reads; operator also runs the fleet; admin also manages users and keys."
        error={fieldError(action.error, 'role')}
      >
        {(p) => (
          <select {...p} name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {grantable(me).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </Field>
    </FormDialog>
  );
}

/** The key, once, and how to use it with the CLI, curl and MQTT. */
function KeyUsage({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const { me } = useSession();
  const info = useApi(() => api.get<Info>('/info'), []);
  const origin = window.location.origin;
  const tenant = me?.actingTenant ?? 'default';
  const mqttUser = tenant === 'default' ? 'apikey' : `apikey@${tenant}`;
  const port = info.data?.mqtt.tcp ?? 1883;
  return (
    <div className="usage">
      <SecretOnce label="API key" secret={created.key} />
      <p>
        Use it with the CLI (<RoleBadge role={created.role} /> in tenant <code>{tenant}</code>):
      </p>
      <pre>
        PLEXUS_URL={origin} PLEXUS_API_KEY={created.key} plexus devices list
      </pre>
      <p>With the REST API:</p>
      <pre>
        curl -H "Authorization: Bearer {created.key}" {origin}/api/v1/devices
      </pre>
      <p>
        Over MQTT ({window.location.hostname}:{port}): user name <code>{mqttUser}</code>, the key as the
        password, any unique client id.
      </p>
      <div className="form-foot">
        <Button kind="primary" onClick={onDone}>
          I have stored it
        </Button>
      </div>
    </div>
  );
}
