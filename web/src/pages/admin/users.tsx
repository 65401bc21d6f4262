import { useState } from 'react';
import { api, type Page, path } from '../../api/client';
import type { Role, Tenant, User } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, Empty, Field, PageHeader, When } from '../../components/ui';
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
import { TenantsSection } from './tenants';

const USERNAME_HINT = 'letters, digits, . _ - (max 64)';
const ROLE_TEXT: Record<Role, string> = {
  admin: 'admin: everything, including profiles, users, API keys and the audit log',
  operator: 'operator: runs the fleet (devices, secrets, groups, commands)',
  viewer: 'viewer: reads only',
};

/** People who log in to the dashboard and the CLI, and (platform admins) the tenants. */
export function UsersPage() {
  const { me, can } = useSession();
  // The session knows the role: a request bound to be refused would only add a 403 to the console.
  if (!can('admin') && !me?.platformAdmin)
    return (
      <>
        <PageHeader title="Users" />
        <Forbidden message="Reading and managing users needs the admin role" />
      </>
    );
  return <UsersList />;
}

function UsersList() {
  const { me, can } = useSession();
  const admin = can('admin');
  const { list, pager } = usePaged<User>('/users');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | undefined>(undefined);
  const [deleting, setDeleting] = useState<User | undefined>(undefined);
  const toast = useToast();
  const isMe = (u: User) => me?.kind === 'user' && me.id === u.username;
  // Only platform admins change or delete a platform admin (the server says so too).
  const locked = (u: User) => u.platformAdmin && !me?.platformAdmin;
  const create = (
    <Button kind="primary" onClick={() => setCreating(true)}>
      New user
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="People who log in to the dashboard and the CLI, and what they may do."
        actions={admin ? create : null}
      />
      <ListBody
        list={list}
        pager={pager}
        empty={<Empty title="No users in this tenant" action={admin ? create : undefined} />}
      >
        {(items) => (
          <AdminTable
            caption="Users"
            rows={items}
            rowKey={(u) => `${u.tenant}/${u.username}`}
            columns={[
              {
                head: 'User',
                cell: (u) => (
                  <>
                    <strong>{u.username}</strong>
                    {isMe(u) ? <span className="muted"> (you)</span> : null}
                    {u.platformAdmin ? <span className="sub">platform admin</span> : null}
                  </>
                ),
              },
              ...(me?.platformAdmin
                ? [{ head: 'Tenant', cell: (u: User) => <code>{u.tenant}</code>, className: 'hide-narrow' }]
                : []),
              { head: 'Role', cell: (u) => <RoleBadge role={u.role} /> },
              { head: 'Last login', cell: (u) => <When at={u.lastLoginAt} />, className: 'hide-narrow' },
              { head: 'Created', cell: (u) => <When at={u.createdAt} />, className: 'hide-narrow' },
            ]}
            actions={(u) => (
              <>
                <Button
                  kind="ghost"
                  onClick={() => setEditing(u)}
                  disabled={locked(u)}
                  title={locked(u) ? 'Only platform admins change a platform admin' : undefined}
                  aria-label={`Edit user ${u.username}`}
                >
                  Edit
                </Button>
                <Button
                  kind="ghost"
                  onClick={() => setDeleting(u)}
                  disabled={isMe(u) || locked(u)}
                  title={
                    isMe(u)
                      ? 'You cannot delete your own account'
                      : locked(u)
                        ? 'Only platform admins delete a platform admin'
                        : undefined
                  }
                  aria-label={`Delete user ${u.username}`}
                >
                  Delete
                </Button>
              </>
            )}
          />
        )}
      </ListBody>
      {creating ? (
        <CreateUserDialog
          onClose={() => setCreating(false)}
          onSaved={(u) => {
            setCreating(false);
            toast(`User ${u.username} created`);
            list.reload();
          }}
        />
      ) : null}
      {editing ? (
        <EditUserDialog
          user={editing}
          self={isMe(editing)}
          onClose={() => setEditing(undefined)}
          onSaved={(u, what) => {
            setEditing(undefined);
            toast(`${u.username}: ${what}`);
            list.reload();
          }}
        />
      ) : null}
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete user ${deleting?.username ?? ''}?`}
        confirmLabel="Delete user"
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(path`/users/${deleting.username}`);
          toast(`User ${deleting.username} deleted`);
          list.reload();
        }}
      >
        <p>They are logged out at once and can no longer log in. API keys they created keep working.</p>
      </ConfirmDialog>
      {me?.platformAdmin ? <TenantsSection /> : null}
    </>
  );
}

function RoleField({
  value,
  onChange,
  error,
}: {
  value: Role;
  onChange: (r: Role) => void;
  error: string | undefined;
}) {
  const { me } = useSession();
  return (
    <Field label="Role" hint={ROLE_TEXT[value]} error={error}>
      {(p) => (
        <select {...p} name="role" value={value} onChange={(e) => onChange(e.target.value as Role)}>
          {grantable(me).map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Password twice: a typo here locks the person out. */
function PasswordFields({
  password,
  repeat,
  onPassword,
  onRepeat,
  error,
  mismatch,
  label = 'Password',
  required = true,
}: {
  password: string;
  repeat: string;
  onPassword: (s: string) => void;
  onRepeat: (s: string) => void;
  error: string | undefined;
  mismatch: boolean;
  label?: string;
  required?: boolean;
}) {
  return (
    <div className="form-grid">
      <Field label={label} hint="At least 8 characters." error={error}>
        {(p) => (
          <input
            {...p}
            name="password"
            type="password"
            autoComplete="new-password"
            required={required}
            value={password}
            onChange={(e) => onPassword(e.target.value)}
          />
        )}
      </Field>
      <Field label="Repeat the password" error={mismatch ? 'The two passwords differ.' : undefined}>
        {(p) => (
          <input
            {...p}
            name="repeat"
            type="password"
            autoComplete="new-password"
            required={required || password !== ''}
            value={repeat}
            onChange={(e) => onRepeat(e.target.value)}
          />
        )}
      </Field>
    </div>
  );
}

function CreateUserDialog({ onClose, onSaved }: { onClose: () => void; onSaved: (u: User) => void }) {
  const { me } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [tenant, setTenant] = useState(me?.actingTenant ?? '');
  const [checked, setChecked] = useState(false);
  const tenants = useApi(
    () =>
      me?.platformAdmin
        ? api.get<Page<Tenant>>('/tenants', { limit: 1000 })
        : Promise.resolve<Page<Tenant>>({ items: [] }),
    [me?.platformAdmin],
  );
  const action = useAction();
  const mismatch = checked && password !== repeat;
  const save = () => {
    setChecked(true);
    if (password !== repeat) return;
    void action.run(async () => {
      const body = {
        username: username.trim(),
        password,
        role,
        ...(me?.platformAdmin && tenant && tenant !== me.actingTenant ? { tenant } : {}),
      };
      onSaved(await api.post<User>('/users', body));
    });
  };
  return (
    <FormDialog
      open
      title="New user"
      submitLabel="Create user"
      onClose={onClose}
      onSubmit={save}
      busy={action.busy}
      error={action.error}
      handled={(p) => ['/body/username', '/body/password', '/body/role', '/body/tenant'].includes(p)}
    >
      <Field
        label="User name"
        hint={USERNAME_HINT}
        error={fieldError(action.error, 'username', USERNAME_HINT)}
      >
        {(p) => (
          <input
            {...p}
            name="username"
            required
            autoComplete="off"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        )}
      </Field>
      <PasswordFields
        password={password}
        repeat={repeat}
        onPassword={setPassword}
        onRepeat={setRepeat}
        error={fieldError(action.error, 'password')}
        mismatch={mismatch}
      />
      <RoleField value={role} onChange={setRole} error={fieldError(action.error, 'role')} />
      {me?.platformAdmin && (tenants.data?.items.length ?? 0) > 1 ? (
        <Field
          label="Tenant"
          hint="Platform admins may create users in any tenant."
          error={fieldError(action.error, 'tenant')}
        >
          {(p) => (
            <select {...p} name="tenant" value={tenant} onChange={(e) => setTenant(e.target.value)}>
              {tenants.data?.items.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name && t.name !== t.id ? `${t.name} (${t.id})` : t.id}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
    </FormDialog>
  );
}

function EditUserDialog({
  user,
  self,
  onClose,
  onSaved,
}: {
  user: User;
  self: boolean;
  onClose: () => void;
  onSaved: (u: User, what: string) => void;
}) {
  const [role, setRole] = useState<Role>(user.role);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [checked, setChecked] = useState(false);
  const action = useAction();
  const mismatch = checked && password !== repeat;
  const save = () => {
    setChecked(true);
    if (password !== repeat) return;
    const body = { ...(role !== user.role ? { role } : {}), ...(password ? { password } : {}) };
    if (Object.keys(body).length === 0) {
      onClose();
      return;
    }
    void action.run(async () => {
      const saved = await api.patch<User>(path`/users/${user.username}`, body);
      const what = [role !== user.role ? `role ${role}` : '', password ? 'password reset' : '']
        .filter(Boolean)
        .join(', ');
      onSaved(saved, what);
    });
  };
  return (
    <FormDialog
      open
      title={`Edit user ${user.username}`}
      submitLabel="Save"
      onClose={onClose}
      onSubmit={save}
      busy={action.busy}
      error={action.error}
      handled={(p) => ['/body/password', '/body/role'].includes(p)}
    >
      <RoleField value={role} onChange={setRole} error={fieldError(action.error, 'role')} />
      {self && role !== user.role ? (
        <p className="form-alert">This is your own account: you may lose access to these screens.</p>
      ) : null}
      <PasswordFields
        label="New password"
        required={false}
        password={password}
        repeat={repeat}
        onPassword={setPassword}
        onRepeat={setRepeat}
        error={fieldError(action.error, 'password')}
        mismatch={mismatch}
      />
      <p className="muted">Leave the password empty to keep the current one.</p>
    </FormDialog>
  );
}
