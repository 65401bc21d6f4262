import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api } from '../../api/client';
import type { Device, Group, Info, Profile, WithSecret } from '../../api/types';
import { Button, ErrorNote, Field, SecretOnce } from '../../components/ui';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';
import { mqttUser } from './common';

/** Device ids as the server takes them (src/registry/schemas.ts). */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `site=lyon, floor=2` (commas or new lines) → {site: 'lyon', floor: '2'}; undefined if a part has no `=`. */
function labelMap(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 1) return undefined;
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** The form of the "New device" dialog, then the created device's secret and how to connect it. */
export function NewDeviceForm({
  profiles,
  groups,
  onCreated,
  onClose,
}: {
  profiles: readonly Profile[];
  groups: readonly Group[];
  onCreated: (d: Device) => void;
  onClose: () => void;
}) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [profile, setProfile] = useState(profiles.some((p) => p.id === 'default') ? 'default' : '');
  const [picked, setPicked] = useState<string[]>([]);
  const [labels, setLabels] = useState('');
  const [labelsError, setLabelsError] = useState<string | undefined>(undefined);
  const [idLocalError, setIdLocalError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [created, setCreated] = useState<(Device & WithSecret) | undefined>(undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // The server checks too; checking here first answers at once and in plainer words.
    const labelObj = labelMap(labels);
    const idBad = id.trim() && !ID.test(id.trim());
    setIdLocalError(
      idBad ? 'Start with a letter or digit; then letters, digits, dots, dashes or underscores' : undefined,
    );
    setLabelsError(labelObj ? undefined : 'Write labels as key=value, separated by commas');
    if (!labelObj || idBad) return;
    setBusy(true);
    setError(undefined);
    try {
      const d = await api.post<Device & WithSecret>('/devices', {
        ...(id.trim() ? { id: id.trim() } : {}),
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(profile ? { profile } : {}),
        ...(picked.length ? { groups: picked } : {}),
        ...(Object.keys(labelObj).length ? { labels: labelObj } : {}),
      });
      setCreated(d);
      onCreated(d);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
    } finally {
      setBusy(false);
    }
  };

  if (created)
    return (
      <Created
        device={created}
        onAnother={() => {
          setCreated(undefined);
          setId('');
          setName('');
        }}
        onClose={onClose}
      />
    );

  // Server errors on the field they concern; "not found"/"exists" codes name a field too.
  const code = error?.problem.code;
  const fieldError = (path: string, codes: readonly string[]) =>
    error?.field(path) ?? (code && codes.includes(code) ? error?.message : undefined);
  const idError = idLocalError ?? fieldError('/body/id', ['REGISTRY_DEVICE_EXISTS']);
  const nameError = fieldError('/body/name', []);
  const profileError = fieldError('/body/profile', ['REGISTRY_PROFILE_NOT_FOUND']);
  const groupsError = fieldError('/body/groups', ['REGISTRY_GROUP_NOT_FOUND']);
  const labelsServerError = fieldError('/body/labels', []);
  const placed = idError || nameError || profileError || groupsError || labelsServerError;

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      {error && !placed ? <ErrorNote error={error} /> : null}
      <div className="form-row">
        <Field label="Device ID" hint="Optional: letters, digits, . _ - (generated if empty)" error={idError}>
          {(p) => (
            <input
              {...p}
              name="id"
              value={id}
              onChange={(e) => setId(e.target.value)}
              placeholder="press-7"
              autoComplete="off"
              spellCheck={false}
              maxLength={128}
            />
          )}
        </Field>
        <Field label="Name" hint="Optional, for people" error={nameError}>
          {(p) => (
            <input
              {...p}
              name="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="Press 7, line 1"
              autoComplete="off"
            />
          )}
        </Field>
      </div>
      <Field label="Profile" hint="What the device sends, and how long it is kept" error={profileError}>
        {(p) => (
          <select {...p} name="profile" value={profile} onChange={(e) => setProfile(e.target.value)}>
            {profiles.some((x) => x.id === 'default') ? null : <option value="">Default profile</option>}
            {profiles.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name && x.name !== x.id ? `${x.name} (${x.id})` : x.id}
              </option>
            ))}
          </select>
        )}
      </Field>
      {groups.length ? (
        <fieldset className="group-picks" aria-invalid={Boolean(groupsError)}>
          <legend>Groups</legend>
          {groups.map((g) => (
            <label key={g.id}>
              <input
                type="checkbox"
                name="groups"
                value={g.id}
                checked={picked.includes(g.id)}
                onChange={(e) =>
                  setPicked((s) => (e.target.checked ? [...s, g.id] : s.filter((x) => x !== g.id)))
                }
              />
              {g.name && g.name !== g.id ? `${g.name} (${g.id})` : g.id}
            </label>
          ))}
          {groupsError ? <p className="field-error">{groupsError}</p> : null}
        </fieldset>
      ) : null}
      <Field
        label="Labels"
        hint="key=value, separated by commas: site=lyon, floor=2"
        error={labelsError ?? labelsServerError}
      >
        {(p) => (
          <input
            {...p}
            name="labels"
            value={labels}
            onChange={(e) => setLabels(e.target.value)}
            placeholder="site=lyon, floor=2"
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </Field>
      <div className="form-actions">
        <Button onClick={onClose}>Cancel</Button>
        <Button kind="primary" type="submit" busy={busy}>
          Create device
        </Button>
      </div>
    </form>
  );
}

function Created({
  device,
  onAnother,
  onClose,
}: {
  device: Device & WithSecret;
  onAnother: () => void;
  onClose: () => void;
}) {
  const { me } = useSession();
  const [info, setInfo] = useState<Info | undefined>(undefined);
  useEffect(() => {
    api.get<Info>('/info').then(setInfo, () => undefined);
  }, []);
  const user = mqttUser(device.id, me?.actingTenant ?? 'default');
  const host = window.location.hostname;
  const port = info?.mqtt?.tcp;
  return (
    <div>
      <p>
        Device <strong>{device.id}</strong> created with profile <strong>{device.profile}</strong>.
      </p>
      <SecretOnce label="Device secret" secret={device.secret} />
      <h3 className="connect-title">Connect it over MQTT</h3>
      <dl className="connect">
        <dt>Broker</dt>
        <dd>
          {host}:{port ?? '…'}
          {info?.mqtt?.tls ? ` (TLS: ${info.mqtt.tls})` : ''}
        </dd>
        <dt>User name</dt>
        <dd>{user}</dd>
        <dt>Password</dt>
        <dd>the secret above</dd>
        <dt>Client id</dt>
        <dd>{device.id}</dd>
        <dt>Telemetry topic</dt>
        <dd>devices/{device.id}/telemetry</dd>
      </dl>
      <pre className="json cmd">
        <code>
          {`mosquitto_pub -h ${host} -p ${port ?? 1883} -i ${device.id} -u ${user} -P "$SECRET" \\\n` +
            `  -t devices/${device.id}/telemetry -m '{"temperature":21.5}' -q 1`}
        </code>
      </pre>
      <div className="form-actions">
        <Button onClick={onAnother}>Create another</Button>
        <Link to={`/devices/${encodeURIComponent(device.id)}`} className="btn btn-primary" onClick={onClose}>
          Open {device.id}
        </Link>
      </div>
    </div>
  );
}
