import { useEffect, useState } from 'react';
import { api, path } from '../api/client';
import type { Device, Info, Profile } from '../api/types';
import { Empty, ErrorNote, Loading, Tabs } from '../components/ui';
import { Link, useQueryParam } from '../lib/router';
import { useSession } from '../lib/session';
import { useApi } from '../lib/use-api';
import { AlarmsTab } from './device/alarms-tab';
import { AuditTab } from './device/audit-tab';
import { CommandsTab } from './device/commands-tab';
import { CredentialsTab } from './device/credentials-tab';
import { EventsTab } from './device/events-tab';
import { DeviceHeader } from './device/header';
import { DeviceLiveProvider } from './device/live';
import { TelemetryTab } from './device/telemetry-tab';
import { TwinTab } from './device/twin-tab';
import './device/device.css';

type TabId = 'telemetry' | 'events' | 'twin' | 'commands' | 'alarms' | 'credentials' | 'audit';

/** One device: what it sends, what it should do, what it was told, who touched it. */
export function DevicePage({ id }: { id: string }) {
  const { can } = useSession();
  const device = useApi(() => api.get<Device>(path`/devices/${id}`), [id]);
  const profileId = device.data?.profile;
  const [profile, setProfile] = useState<Profile | undefined>(undefined);
  const [mqtt, setMqtt] = useState<Info['mqtt'] | undefined>(undefined);
  useEffect(() => {
    if (!profileId) return;
    // Units and declared keys only: the page works without them.
    api.get<Profile>(path`/profiles/${profileId}`).then(setProfile, () => setProfile(undefined));
  }, [profileId]);
  useEffect(() => {
    api.get<Info>('/info').then(
      (i) => setMqtt(i.mqtt),
      () => undefined,
    );
  }, []);

  const tabs: { id: TabId; label: string }[] = [
    { id: 'telemetry', label: 'Telemetry' },
    { id: 'events', label: 'Events' },
    { id: 'twin', label: 'Twin' },
    { id: 'commands', label: 'Commands' },
    { id: 'alarms', label: 'Alarms' },
    ...(can('write') ? [{ id: 'credentials' as const, label: 'Credentials' }] : []),
    ...(can('admin') ? [{ id: 'audit' as const, label: 'Audit' }] : []),
  ];
  const [tabParam, setTab] = useQueryParam('tab');
  const tab = tabs.find((t) => t.id === tabParam)?.id ?? 'telemetry';

  if (device.error && !device.data) {
    if (device.error.status === 404)
      return (
        <Empty title={`There is no device ${id}`} action={<Link to="/devices">Back to the devices</Link>}>
          It may have been deleted, or it belongs to another tenant.
        </Empty>
      );
    return <ErrorNote error={device.error} onRetry={device.reload} />;
  }
  if (!device.data) return <Loading what="Loading the device" />;

  return (
    <DeviceLiveProvider id={id}>
      <div className="dev-page">
        <DeviceHeader device={device.data} onChange={(d) => device.set(() => d)} />
        <Tabs tabs={tabs} value={tab} onChange={(t) => setTab(t === 'telemetry' ? '' : t)} />
        <div role="tabpanel" aria-label={tabs.find((t) => t.id === tab)?.label}>
          {tab === 'telemetry' ? (
            <TelemetryTab device={device.data} profile={profile} mqtt={mqtt} />
          ) : tab === 'events' ? (
            <EventsTab device={device.data} mqtt={mqtt} />
          ) : tab === 'twin' ? (
            <TwinTab id={id} />
          ) : tab === 'commands' ? (
            <CommandsTab id={id} />
          ) : tab === 'alarms' ? (
            <AlarmsTab id={id} />
          ) : tab === 'credentials' ? (
            <CredentialsTab id={id} />
          ) : (
            <AuditTab id={id} />
          )}
        </div>
      </div>
    </DeviceLiveProvider>
  );
}
