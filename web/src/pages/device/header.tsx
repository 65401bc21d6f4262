import { useState } from 'react';
import { api, path } from '../../api/client';
import type { Device } from '../../api/types';
import { useToast } from '../../components/toast';
import { Button, StatusBadge, When } from '../../components/ui';
import { Link, navigate } from '../../lib/router';
import { useSession } from '../../lib/session';
import { Confirm } from './confirm';
import { useDeviceLive } from './live';

/** Who the device is and how it is doing, with the few things one does to a device as a whole. */
export function DeviceHeader({ device, onChange }: { device: Device; onChange: (d: Device) => void }) {
  const { can } = useSession();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const live = useDeviceLive((m) => {
    if (m.type === 'status')
      onChange({ ...device, status: m.status, lastSeen: new Date(m.ts).toISOString() });
    else if (m.type === 'telemetry' || m.type === 'events') {
      // The server updates lastSeen at most once a minute; the stream knows better.
      const ts = m.type === 'telemetry' ? Math.max(...m.points.map((p) => p.ts)) : Date.now();
      if (!device.lastSeen || Date.parse(device.lastSeen) < ts - 1000)
        onChange({ ...device, lastSeen: new Date(Math.min(ts, Date.now())).toISOString() });
    }
  });

  const toggle = () => {
    setBusy(true);
    api.patch<Device>(path`/devices/${device.id}`, { enabled: !device.enabled }).then(
      (d) => {
        setBusy(false);
        onChange(d);
        toast(d.enabled ? `${d.id} enabled: it may connect again` : `${d.id} disabled: it cannot connect`);
      },
      (e: Error) => {
        setBusy(false);
        toast(`Could not change ${device.id}: ${e.message}`, 'error');
      },
    );
  };

  const labels = Object.entries(device.labels);
  return (
    <header className="dev-header card">
      <div className="dev-title">
        <div className="dev-title-text">
          <h1>
            {device.name && device.name !== device.id ? (
              <>
                {device.name} <span className="dev-id mono">{device.id}</span>
              </>
            ) : (
              <span className="mono-title">{device.id}</span>
            )}
          </h1>
          <div className="row">
            <StatusBadge status={device.status} />
            {device.enabled ? null : <span className="badge dev-disabled">disabled</span>}
            <span
              className={`live ${live ? 'on' : ''}`}
              title={live ? 'Updates arrive live' : 'Reconnecting…'}
            >
              <span className="dot" aria-hidden="true" />
              {live ? 'Live' : 'Not live'}
            </span>
          </div>
        </div>
        {can('write') ? (
          <div className="actions">
            <Button busy={busy} onClick={toggle}>
              {device.enabled ? 'Disable' : 'Enable'}
            </Button>
            <Button kind="danger" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          </div>
        ) : null}
      </div>
      <dl className="dev-meta">
        <div>
          <dt>Last seen</dt>
          <dd>
            <When at={device.lastSeen} />
          </dd>
        </div>
        <div>
          <dt>Profile</dt>
          <dd>
            <Link to="/admin/profiles">{device.profile}</Link>
          </dd>
        </div>
        <div>
          <dt>Groups</dt>
          <dd>
            {device.groups.length ? (
              device.groups.map((g) => (
                <Link key={g} className="chip" to={`/devices?group=${encodeURIComponent(g)}`}>
                  {g}
                </Link>
              ))
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Labels</dt>
          <dd>
            {labels.length ? (
              labels.map(([k, v]) => (
                <span key={k} className="chip mono">
                  {k}={v}
                </span>
              ))
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Firmware</dt>
          <dd>{device.firmware ?? <span className="muted">not reported</span>}</dd>
        </div>
        <div>
          <dt>Registered</dt>
          <dd>
            <When at={device.createdAt} />
          </dd>
        </div>
      </dl>
      <Confirm
        open={deleting}
        title={`Delete ${device.id}?`}
        confirm="Delete device"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.del(path`/devices/${device.id}`);
          toast(`${device.id} deleted`);
          navigate('/devices');
        }}
      >
        <p>
          It is disconnected and cannot connect again. Its credentials, twin, telemetry, events and alarms are
          deleted with it. This cannot be undone.
        </p>
      </Confirm>
    </header>
  );
}
