import { useState } from 'react';
import { api, path } from '../../api/client';
import type { Profile } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, Empty, Field, PageHeader, When } from '../../components/ui';
import { duration } from '../../lib/format';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';
import {
  AdminTable,
  ConfirmDialog,
  FormDialog,
  fieldError,
  ListBody,
  num,
  ReadOnlyNote,
  str,
  useAction,
  usePaged,
} from './common';
import { KeyEditor, type KeyRow, keysToRows, rowsProblems, rowsToKeys } from './telemetry-keys';

const ID_HINT = 'letters, digits, . _ - (max 128)';
const CODECS = ['json', 'cbor', 'senml+json', 'senml+cbor'] as const;

/** What the API answers beyond web/src/api/types.ts's Profile (see the report: limits, grants). */
type FullProfile = Profile & {
  readonly limits?: { messagesPerSecond: number; bytesPerSecond: number; burstSeconds: number };
  readonly grants?: { publish: string[]; subscribe: string[] };
};

/** Device profiles: device types with their telemetry keys, retention and rate limits. */
export function ProfilesPage() {
  const { can } = useSession();
  const admin = can('admin');
  const { list, pager } = usePaged<FullProfile>('/profiles');
  const [editing, setEditing] = useState<FullProfile | 'new' | undefined>(undefined);
  const [deleting, setDeleting] = useState<FullProfile | undefined>(undefined);
  const toast = useToast();
  const create = (
    <Button kind="primary" onClick={() => setEditing('new')}>
      New profile
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Profiles"
        subtitle="Device types: telemetry keys, codec, retention and rate limits."
        actions={admin ? create : null}
      />
      {!admin ? <ReadOnlyNote>Read-only: managing profiles needs the admin role.</ReadOnlyNote> : null}
      <ListBody
        list={list}
        pager={pager}
        empty={
          <Empty title="No profiles yet" action={admin ? create : undefined}>
            A profile describes a kind of device: what it measures and how long its data is kept.
          </Empty>
        }
      >
        {(items) => (
          <AdminTable
            caption="Device profiles"
            rows={items}
            rowKey={(p) => p.id}
            columns={[
              {
                head: 'Profile',
                cell: (p) => (
                  <>
                    <code>{p.id}</code>
                    {p.name && p.name !== p.id ? <span className="sub">{p.name}</span> : null}
                  </>
                ),
              },
              { head: 'Telemetry keys', cell: (p) => <KeyChips profile={p} /> },
              { head: 'Codec', cell: (p) => <code>{p.codec}</code>, className: 'hide-narrow' },
              {
                head: 'Offline after',
                cell: (p) => duration(p.inactivityTimeout * 1000),
                className: 'hide-narrow',
              },
              {
                head: 'Retention',
                cell: (p) => (
                  <span title="raw data / rollups">
                    {p.retentionDays} d / {p.rollupRetentionDays} d
                  </span>
                ),
                className: 'hide-narrow',
              },
              { head: 'Updated', cell: (p) => <When at={p.updatedAt} />, className: 'hide-narrow' },
              {
                head: 'Devices',
                cell: (p) => <Link to={`/devices?profile=${encodeURIComponent(p.id)}`}>Devices</Link>,
              },
            ]}
            actions={(p) => (
              <>
                <Button
                  kind="ghost"
                  onClick={() => setEditing(p)}
                  aria-label={`${admin ? 'Edit' : 'View'} profile ${p.id}`}
                >
                  {admin ? 'Edit' : 'View'}
                </Button>
                {admin ? (
                  <Button
                    kind="ghost"
                    onClick={() => setDeleting(p)}
                    disabled={p.id === 'default'}
                    title={p.id === 'default' ? 'Devices created without a profile use it' : undefined}
                    aria-label={`Delete profile ${p.id}`}
                  >
                    Delete
                  </Button>
                ) : null}
              </>
            )}
          />
        )}
      </ListBody>
      {editing ? (
        <ProfileDialog
          profile={editing === 'new' ? undefined : editing}
          readOnly={!admin}
          onClose={() => setEditing(undefined)}
          onSaved={(p, created) => {
            setEditing(undefined);
            toast(created ? `Profile ${p.id} created` : `Profile ${p.id} saved`);
            list.reload();
          }}
        />
      ) : null}
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete profile ${deleting?.id ?? ''}?`}
        confirmLabel="Delete profile"
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(path`/profiles/${deleting.id}`);
          toast(`Profile ${deleting.id} deleted`);
          list.reload();
        }}
      >
        <p>
          A profile still used by devices cannot be deleted: move them to another profile first (the server
          says how many).
        </p>
      </ConfirmDialog>
    </>
  );
}

function KeyChips({ profile }: { profile: Profile }) {
  const keys = Object.entries(profile.telemetry);
  if (keys.length === 0) return <span className="muted">none declared</span>;
  const shown = keys.slice(0, 4);
  return (
    <span className="key-list">
      {shown.map(([k, d]) => (
        <span key={k} className="chip" title={`${d.type}${d.unit ? `, ${d.unit}` : ''}`}>
          {k}
        </span>
      ))}
      {keys.length > shown.length ? <span className="muted">+{keys.length - shown.length}</span> : null}
    </span>
  );
}

interface Form {
  id: string;
  name: string;
  description: string;
  codec: string;
  inactivityTimeout: string;
  retentionDays: string;
  rollupRetentionDays: string;
  messagesPerSecond: string;
  bytesPerSecond: string;
  burstSeconds: string;
}

// A new profile starts from the server's defaults (src/registry/model.ts), so the numbers are visible.
const DEFAULTS = {
  inactivityTimeout: 600,
  retentionDays: 30,
  rollupRetentionDays: 730,
  limits: { messagesPerSecond: 1000, bytesPerSecond: 1_000_000, burstSeconds: 2 },
};

function initialForm(p: FullProfile | undefined): Form {
  const d = p ?? DEFAULTS;
  return {
    id: p?.id ?? '',
    name: p?.name ?? '',
    description: p?.description ?? '',
    codec: p?.codec ?? 'json',
    inactivityTimeout: str(d.inactivityTimeout),
    retentionDays: str(d.retentionDays),
    rollupRetentionDays: str(d.rollupRetentionDays),
    messagesPerSecond: str(d.limits?.messagesPerSecond),
    bytesPerSecond: str(d.limits?.bytesPerSecond),
    burstSeconds: str(d.limits?.burstSeconds),
  };
}

/** Drops undefined values: the server refuses `null` and an absent field keeps its default. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// Integer fields of the form, their body path, label and hint (the server's defaults and ranges).
const NUMBERS: readonly { key: keyof Form; path: string; label: string; hint: string }[] = [
  {
    key: 'inactivityTimeout',
    path: 'inactivityTimeout',
    label: 'Inactivity timeout (s)',
    hint: 'Offline after this long without data. Default 600.',
  },
  {
    key: 'retentionDays',
    path: 'retentionDays',
    label: 'Raw data retention (days)',
    hint: 'Telemetry and events. Default 30.',
  },
  {
    key: 'rollupRetentionDays',
    path: 'rollupRetentionDays',
    label: 'Rollup retention (days)',
    hint: 'Minute/hour rollups. Default 730.',
  },
];
const LIMITS: readonly { key: keyof Form; path: string; label: string; hint: string }[] = [
  {
    key: 'messagesPerSecond',
    path: 'limits/messagesPerSecond',
    label: 'Messages per second',
    hint: 'Default 1000.',
  },
  {
    key: 'bytesPerSecond',
    path: 'limits/bytesPerSecond',
    label: 'Bytes per second',
    hint: 'Default 1000000.',
  },
  { key: 'burstSeconds', path: 'limits/burstSeconds', label: 'Burst (s)', hint: 'Default 2.' },
];

function ProfileDialog({
  profile,
  readOnly,
  onClose,
  onSaved,
}: {
  profile: FullProfile | undefined;
  readOnly: boolean;
  onClose: () => void;
  onSaved: (p: Profile, created: boolean) => void;
}) {
  const [form, setForm] = useState<Form>(() => initialForm(profile));
  const [rows, setRows] = useState<KeyRow[]>(() => keysToRows(profile?.telemetry ?? {}));
  const [checked, setChecked] = useState(false);
  const action = useAction();
  const set = (k: keyof Form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  const local = rowsProblems(rows);
  const save = () => {
    setChecked(true);
    if (local.size > 0) return;
    void action.run(async () => {
      const body = defined({
        name: form.name.trim() || (profile ? form.name : undefined),
        description: form.description,
        codec: form.codec,
        telemetry: rowsToKeys(rows),
        inactivityTimeout: num(form.inactivityTimeout),
        retentionDays: num(form.retentionDays),
        rollupRetentionDays: num(form.rollupRetentionDays),
        limits: defined({
          messagesPerSecond: num(form.messagesPerSecond),
          bytesPerSecond: num(form.bytesPerSecond),
          burstSeconds: num(form.burstSeconds),
        }),
      });
      const saved = profile
        ? await api.patch<Profile>(path`/profiles/${profile.id}`, body)
        : await api.post<Profile>('/profiles', { id: form.id.trim(), ...body });
      onSaved(saved, !profile);
    });
  };
  const keyNames = new Set(rows.map((r) => r.key.trim()));
  const handled = (p: string) =>
    [
      '/body/id',
      '/body/name',
      '/body/description',
      '/body/codec',
      ...[...NUMBERS, ...LIMITS].map((n) => `/body/${n.path}`),
    ].includes(p) ||
    (p.startsWith('/body/telemetry/') && keyNames.has(p.split('/')[3] ?? ''));
  const numberField = (n: (typeof NUMBERS)[number]) => (
    <Field key={n.key} label={n.label} hint={n.hint} error={fieldError(action.error, n.path)}>
      {(p) => (
        <input
          {...p}
          name={n.key}
          type="number"
          inputMode="numeric"
          min={1}
          step={1}
          value={form[n.key]}
          onChange={set(n.key)}
        />
      )}
    </Field>
  );
  return (
    <FormDialog
      open
      wide
      readOnly={readOnly}
      title={profile ? `${readOnly ? 'Profile' : 'Edit profile'} ${profile.id}` : 'New profile'}
      submitLabel={profile ? 'Save' : 'Create profile'}
      onClose={onClose}
      onSubmit={save}
      busy={action.busy}
      error={action.error}
      handled={handled}
    >
      <div className="form-grid">
        {profile ? null : (
          <Field label="ID" hint={ID_HINT} error={fieldError(action.error, 'id', ID_HINT)}>
            {(p) => (
              <input {...p} name="id" required autoComplete="off" value={form.id} onChange={set('id')} />
            )}
          </Field>
        )}
        <Field
          label="Name"
          hint={profile ? undefined : 'The ID when empty.'}
          error={fieldError(action.error, 'name')}
        >
          {(p) => <input {...p} name="name" value={form.name} onChange={set('name')} />}
        </Field>
        <Field label="Codec" hint="How devices encode payloads." error={fieldError(action.error, 'codec')}>
          {(p) => (
            <select {...p} name="codec" value={form.codec} onChange={set('codec')}>
              {CODECS.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field label="Description" error={fieldError(action.error, 'description')}>
        {(p) => <textarea {...p} name="description" value={form.description} onChange={set('description')} />}
      </Field>
      <div className="form-grid">{NUMBERS.map(numberField)}</div>
      <fieldset>
        <legend>Telemetry keys</legend>
        <KeyEditor
          rows={rows}
          onChange={setRows}
          readOnly={readOnly}
          problems={checked ? local : new Map()}
          serverError={(key, field) =>
            action.error?.field(`/body/telemetry/${key}${field ? `/${field}` : ''}`)
          }
        />
      </fieldset>
      <fieldset>
        <legend>Rate limits per device</legend>
        <div className="form-grid">{LIMITS.map(numberField)}</div>
      </fieldset>
    </FormDialog>
  );
}
