import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Group, Overview, Profile } from '../api/types';
import { Button, Dialog, Empty, PageHeader } from '../components/ui';
import { number } from '../lib/format';
import { navigate, useLocation, useQueryParam } from '../lib/router';
import { useSession } from '../lib/session';
import { parseLabels, useDebouncedParam } from './fleet/common';
import { DeviceFilters, type FilterValues } from './fleet/device-filters';
import { NewDeviceForm } from './fleet/device-form';
import { type DeviceQuery, DeviceTable } from './fleet/device-table';

/** The device registry: search and filters kept in the URL, one server page at a time. */
export function DevicesPage() {
  const { can } = useSession();
  const { path, query } = useLocation();
  const [search, setSearch] = useDebouncedParam('q');
  const [label, setLabel] = useDebouncedParam('label');
  const [profile, setProfile] = useQueryParam('profile');
  const [group, setGroup] = useQueryParam('group');
  const [status, setStatus] = useQueryParam('status');
  const [creating, setCreating] = useQueryParam('new');
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [groups, setGroups] = useState<Group[]>([]);
  const [counts, setCounts] = useState<Overview['devices'] | undefined>(undefined);
  const [version, setVersion] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloaded after a device is created
  useEffect(() => {
    api.get<{ items: Profile[] }>('/profiles', { limit: 1000 }).then(
      (r) => setProfiles(r.items),
      () => undefined,
    );
    api.get<{ items: Group[] }>('/groups', { limit: 1000 }).then(
      (r) => setGroups(r.items),
      () => undefined,
    );
    api.get<Overview>('/overview').then(
      (o) => setCounts(o.devices),
      () => undefined,
    );
  }, [version]);

  const labels = parseLabels(query.get('label') ?? '');
  const q: DeviceQuery = {
    q: query.get('q') ?? '',
    profile,
    group,
    status,
    labels: labels.labels,
  };
  const filterKey = JSON.stringify(q);
  const filtered = Boolean(q.q || profile || group || status || labels.labels.length);
  const values: FilterValues = { search, profile, group, status, label };
  const set = { search: setSearch, label: setLabel, profile: setProfile, group: setGroup, status: setStatus };
  const clear = () => {
    const keep = new URLSearchParams(query);
    for (const k of ['q', 'label', 'profile', 'group', 'status']) keep.delete(k);
    const s = keep.toString();
    navigate(`${path}${s ? `?${s}` : ''}`, { replace: true });
  };
  const addLabel = (l: string) => {
    const current = parseLabels(label).labels;
    if (!current.includes(l)) setLabel([...current, l].join(', '));
  };
  const canWrite = can('write');
  const open = creating === '1' && canWrite;

  return (
    <div className="fleet-page">
      <PageHeader
        title="Devices"
        subtitle={
          counts
            ? `${number(counts.total)} device${counts.total === 1 ? '' : 's'} · ${number(counts.online)} online`
            : 'Your fleet'
        }
        actions={
          canWrite ? (
            <Button kind="primary" onClick={() => setCreating('1')}>
              + New device
            </Button>
          ) : null
        }
      />
      <DeviceFilters
        values={values}
        profiles={profiles}
        groups={groups}
        labelValid={parseLabels(label).valid}
        onChange={(name, v) => set[name](v)}
        onClear={filtered || search || label ? clear : undefined}
      />
      <section className="card" aria-label="Device list">
        <DeviceTable
          key={filterKey}
          query={q}
          version={version}
          onGroup={setGroup}
          onLabel={addLabel}
          empty={
            filtered ? (
              <Empty
                title="No device matches these filters"
                action={<Button onClick={clear}>Clear filters</Button>}
              >
                Try a shorter search, or another status, profile, group or label.
              </Empty>
            ) : (
              <Empty
                title="No devices yet"
                action={
                  canWrite ? (
                    <Button kind="primary" onClick={() => setCreating('1')}>
                      Create your first device
                    </Button>
                  ) : null
                }
              >
                A device needs an id and a secret to connect. Create it here, or with the CLI:{' '}
                <code>plexus devices create press-7</code>
              </Empty>
            )
          }
        />
      </section>
      <Dialog open={open} title="New device" onClose={() => setCreating('')}>
        <NewDeviceForm
          profiles={profiles}
          groups={groups}
          onCreated={() => setVersion((v) => v + 1)}
          onClose={() => setCreating('')}
        />
      </Dialog>
    </div>
  );
}
