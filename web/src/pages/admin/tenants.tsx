import { useState } from 'react';
import { api, path } from '../../api/client';
import type { Tenant } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, Empty, Field, When } from '../../components/ui';
import { useSession } from '../../lib/session';
import { AdminTable, ConfirmDialog, FormDialog, fieldError, ListBody, useAction, usePaged } from './common';

const TENANT_HINT = 'lower-case letters, digits and - (max 63)';

/** Tenants, for platform admins: shown on the users page (no route of its own yet). */
export function TenantsSection() {
  const { me } = useSession();
  const { list, pager } = usePaged<Tenant>('/tenants');
  const [editing, setEditing] = useState<Tenant | 'new' | undefined>(undefined);
  const [deleting, setDeleting] = useState<Tenant | undefined>(undefined);
  const [confirmId, setConfirmId] = useState('');
  const toast = useToast();
  const create = (
    <Button onClick={() => setEditing('new')} aria-label="New tenant">
      New tenant
    </Button>
  );
  return (
    <section className="admin-section" aria-labelledby="tenants-title">
      <div className="section-head">
        <div>
          <h2 id="tenants-title">Tenants</h2>
          <p className="muted">
            Isolated spaces with their own devices, users, keys and MQTT topics. Only platform admins see
            this.
          </p>
        </div>
        {create}
      </div>
      <ListBody list={list} pager={pager} empty={<Empty title="No tenants" />}>
        {(items) => (
          <AdminTable
            caption="Tenants"
            rows={items}
            rowKey={(t) => t.id}
            columns={[
              {
                head: 'Tenant',
                cell: (t) => (
                  <>
                    <code>{t.id}</code>
                    {me?.actingTenant === t.id ? <span className="muted"> (acting)</span> : null}
                    {t.name && t.name !== t.id ? <span className="sub">{t.name}</span> : null}
                  </>
                ),
              },
              { head: 'Created', cell: (t) => <When at={t.createdAt} />, className: 'hide-narrow' },
            ]}
            actions={(t) => (
              <>
                <Button kind="ghost" onClick={() => setEditing(t)} aria-label={`Rename tenant ${t.id}`}>
                  Rename
                </Button>
                <Button
                  kind="ghost"
                  disabled={t.id === 'default'}
                  title={t.id === 'default' ? 'Tenant default holds the first admin' : undefined}
                  onClick={() => {
                    setConfirmId('');
                    setDeleting(t);
                  }}
                  aria-label={`Delete tenant ${t.id}`}
                >
                  Delete
                </Button>
              </>
            )}
          />
        )}
      </ListBody>
      {editing ? (
        <TenantDialog
          tenant={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={(t, created) => {
            setEditing(undefined);
            toast(created ? `Tenant ${t.id} created` : `Tenant ${t.id} renamed`);
            list.reload();
          }}
        />
      ) : null}
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete tenant ${deleting?.id ?? ''}?`}
        confirmLabel="Delete tenant and its data"
        onClose={() => setDeleting(undefined)}
        // Everything the tenant owns goes: typing its id back is the last chance to notice.
        disabled={confirmId !== deleting?.id}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(path`/tenants/${deleting.id}`);
          toast(`Tenant ${deleting.id} deleted`);
          list.reload();
        }}
      >
        <p>
          This deletes <strong>all</strong> its devices, data, users, API keys and audit trail. It cannot be
          undone.
        </p>
        <Field label={`Type ${deleting?.id ?? ''} to confirm`}>
          {(p) => (
            <input
              {...p}
              autoComplete="off"
              value={confirmId}
              onChange={(e) => setConfirmId(e.target.value)}
            />
          )}
        </Field>
      </ConfirmDialog>
    </section>
  );
}

function TenantDialog({
  tenant,
  onClose,
  onSaved,
}: {
  tenant: Tenant | undefined;
  onClose: () => void;
  onSaved: (t: Tenant, created: boolean) => void;
}) {
  const [id, setId] = useState(tenant?.id ?? '');
  const [name, setName] = useState(tenant?.name ?? '');
  const action = useAction();
  const save = () =>
    void action.run(async () => {
      const saved = tenant
        ? await api.patch<Tenant>(path`/tenants/${tenant.id}`, { name: name.trim() })
        : await api.post<Tenant>('/tenants', {
            id: id.trim(),
            ...(name.trim() ? { name: name.trim() } : {}),
          });
      onSaved(saved, !tenant);
    });
  return (
    <FormDialog
      open
      title={tenant ? `Rename tenant ${tenant.id}` : 'New tenant'}
      submitLabel={tenant ? 'Save' : 'Create tenant'}
      onClose={onClose}
      onSubmit={save}
      busy={action.busy}
      error={action.error}
      handled={(p) => p === '/body/id' || p === '/body/name'}
    >
      {tenant ? null : (
        <Field
          label="ID"
          hint={`${TENANT_HINT}. Device MQTT user names in it end with @id.`}
          error={fieldError(action.error, 'id', TENANT_HINT)}
        >
          {(p) => (
            <input
              {...p}
              name="id"
              required
              autoComplete="off"
              value={id}
              onChange={(e) => setId(e.target.value)}
            />
          )}
        </Field>
      )}
      <Field label="Name" error={fieldError(action.error, 'name')}>
        {(p) => (
          <input
            {...p}
            name="name"
            required={Boolean(tenant)}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}
