import { useState } from 'react';
import { api, path } from '../../api/client';
import type { Group } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, Empty, Field, PageHeader, When } from '../../components/ui';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';
import {
  AdminTable,
  ConfirmDialog,
  FormDialog,
  fieldError,
  ListBody,
  ReadOnlyNote,
  useAction,
  usePaged,
} from './common';

const ID_HINT = 'letters, digits, . _ - (max 128)';

/** Device groups: named sets of devices (membership lives on the device). */
export function GroupsPage() {
  const { can } = useSession();
  const write = can('write');
  const { list, pager } = usePaged<Group>('/groups');
  const [editing, setEditing] = useState<Group | 'new' | undefined>(undefined);
  const [deleting, setDeleting] = useState<Group | undefined>(undefined);
  const toast = useToast();
  const create = (
    <Button kind="primary" onClick={() => setEditing('new')}>
      New group
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Groups"
        subtitle="Sets of devices to filter, target with rules and command together."
        actions={write ? create : null}
      />
      {!write ? <ReadOnlyNote>Read-only: managing groups needs the operator role.</ReadOnlyNote> : null}
      <ListBody
        list={list}
        pager={pager}
        empty={
          <Empty title="No groups yet" action={write ? create : undefined}>
            Group devices by line, site or customer; a device joins a group from its own page.
          </Empty>
        }
      >
        {(items) => (
          <AdminTable
            caption="Device groups"
            rows={items}
            rowKey={(g) => g.id}
            columns={[
              {
                head: 'Group',
                cell: (g) => (
                  <>
                    <code>{g.id}</code>
                    {g.name && g.name !== g.id ? <span className="sub">{g.name}</span> : null}
                  </>
                ),
              },
              {
                head: 'Description',
                cell: (g) => g.description || <span className="muted">—</span>,
                className: 'hide-narrow',
              },
              { head: 'Created', cell: (g) => <When at={g.createdAt} />, className: 'hide-narrow' },
              {
                head: 'Devices',
                cell: (g) => (
                  <Link to={`/devices?group=${encodeURIComponent(g.id)}`}>
                    Devices<span className="hide-narrow"> in this group</span>
                  </Link>
                ),
              },
            ]}
            actions={
              write
                ? (g) => (
                    <>
                      <Button kind="ghost" onClick={() => setEditing(g)} aria-label={`Edit group ${g.id}`}>
                        Edit
                      </Button>
                      <Button kind="ghost" onClick={() => setDeleting(g)} aria-label={`Delete group ${g.id}`}>
                        Delete
                      </Button>
                    </>
                  )
                : undefined
            }
          />
        )}
      </ListBody>
      {editing ? (
        <GroupDialog
          group={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={(g, created) => {
            setEditing(undefined);
            toast(created ? `Group ${g.id} created` : `Group ${g.id} saved`);
            list.reload();
          }}
        />
      ) : null}
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete group ${deleting?.id ?? ''}?`}
        confirmLabel="Delete group"
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(path`/groups/${deleting.id}`);
          toast(`Group ${deleting.id} deleted`);
          list.reload();
        }}
      >
        <p>Its devices stay; they only leave the group. Rules that target it will match no device.</p>
      </ConfirmDialog>
    </>
  );
}

function GroupDialog({
  group,
  onClose,
  onSaved,
}: {
  group: Group | undefined;
  onClose: () => void;
  onSaved: (g: Group, created: boolean) => void;
}) {
  const [id, setId] = useState(group?.id ?? '');
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const action = useAction();
  const save = () =>
    void action.run(async () => {
      const body = { ...(name.trim() || group ? { name: name.trim() } : {}), description };
      const saved = group
        ? await api.patch<Group>(path`/groups/${group.id}`, body)
        : await api.post<Group>('/groups', { id: id.trim(), ...body });
      onSaved(saved, !group);
    });
  return (
    <FormDialog
      open
      title={group ? `Edit group ${group.id}` : 'New group'}
      submitLabel={group ? 'Save' : 'Create group'}
      onClose={onClose}
      onSubmit={save}
      busy={action.busy}
      error={action.error}
      handled={(p) => ['/body/id', '/body/name', '/body/description'].includes(p)}
    >
      {group ? null : (
        <Field
          label="ID"
          hint={`Used in URLs and the API: ${ID_HINT}.`}
          error={fieldError(action.error, 'id', ID_HINT)}
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
      <Field label="Name" hint="Shown in lists; the ID when empty." error={fieldError(action.error, 'name')}>
        {(p) => <input {...p} name="name" value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Description" error={fieldError(action.error, 'description')}>
        {(p) => (
          <textarea
            {...p}
            name="description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}
