import type { ReactNode } from 'react';
import type { StreamMessage } from '../../api/stream';
import type { Alarm, AlarmStatus, DeviceStatus, Overview, Severity } from '../../api/types';
import { AlarmStatusBadge, Card, Empty, SeverityBadge, StatusBadge, When } from '../../components/ui';
import { number } from '../../lib/format';
import { Link } from '../../lib/router';
import { Sparkline } from './sparkline';

export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'warning', 'info'];

function Stat({
  to,
  label,
  value,
  tone,
  children,
}: {
  to: string;
  label: string;
  value: number;
  tone?: string;
  children?: ReactNode;
}) {
  return (
    <Link to={to} className={`card stat fleet-stat ${tone ?? ''}`}>
      <span className="label">{label}</span>
      <span className="value">{number(value)}</span>
      {children}
    </Link>
  );
}

/** The device counts, each a way into the filtered device list. */
export function FleetStats({ o }: { o: Overview }) {
  const { total, online, offline, unknown } = o.devices;
  const pct = (n: number) => `${total ? (n / total) * 100 : 0}%`;
  return (
    <div className="fleet-stats">
      <Stat to="/devices" label="Devices" value={total}>
        <span
          className="health-bar"
          role="img"
          aria-label={`${online} online, ${offline} offline, ${unknown} never seen`}
        >
          <span className="seg-online" style={{ width: pct(online) }} />
          <span className="seg-offline" style={{ width: pct(offline) }} />
          <span className="seg-unknown" style={{ width: pct(unknown) }} />
        </span>
      </Stat>
      <Stat to="/devices?status=online" label="Online" value={online} tone="tone-ok">
        <span className="muted small">{total ? Math.round((online / total) * 100) : 0}% of the fleet</span>
      </Stat>
      <Stat to="/devices?status=offline" label="Offline" value={offline}>
        <span className="muted small">seen before, silent now</span>
      </Stat>
      <Stat to="/devices?status=unknown" label="Never seen" value={unknown}>
        <span className="muted small">created, never connected</span>
      </Stat>
      <Stat to="/alarms" label="Alarming" value={o.alarms.devices} tone={o.alarms.devices ? 'tone-bad' : ''}>
        <span className="muted small">
          {o.alarms.total
            ? `${number(o.alarms.total)} open alarm${o.alarms.total === 1 ? '' : 's'}`
            : 'no open alarm'}
        </span>
      </Stat>
    </div>
  );
}

export function AlarmsBySeverity({ o }: { o: Overview }) {
  const counts = o.alarms.bySeverity as Partial<Record<Severity, number>>;
  const max = Math.max(1, ...SEVERITIES.map((s) => counts[s] ?? 0));
  return (
    <Card title="Open alarms by severity" actions={<Link to="/alarms">All alarms →</Link>}>
      {o.alarms.total === 0 ? (
        <p className="all-clear">
          <span aria-hidden="true">✓</span> No open alarm. All quiet.
        </p>
      ) : (
        <ul className="sev-bars">
          {SEVERITIES.map((s) => {
            const n = counts[s] ?? 0;
            return (
              <li key={s}>
                <Link to={`/alarms?severity=${s}`} className="sev-row" aria-label={`${n} ${s} alarms`}>
                  <span className="sev-name">
                    <SeverityBadge severity={s} />
                  </span>
                  <span className="sev-track">
                    <span className={`sev-fill sevbg-${s}`} style={{ width: `${(n / max) * 100}%` }} />
                  </span>
                  <span className="sev-count">{number(n)}</span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

export function IngestCard({
  o,
  samples,
}: {
  o: Overview;
  samples: readonly { ts: number; value: number }[];
}) {
  return (
    <Card title="Ingest" actions={<span className="muted small">every 5 s</span>}>
      <div className="ingest-figures">
        <div className="stat">
          <span className="value">{number(o.ingest.pointsPerSecond, 1)}</span>
          <span className="label">points / s</span>
        </div>
        <div className="stat">
          <span className="value">{number(o.ingest.messagesPerSecond, 1)}</span>
          <span className="label">messages / s</span>
        </div>
      </div>
      <Sparkline samples={samples} label="Points per second over the last minutes" />
      <p className="muted small spark-caption">
        Points per second, last {sampleSpan(samples)}
        {samples.length > 1 ? ` · peak ${number(Math.max(...samples.map((s) => s.value)), 1)}` : ''}
      </p>
    </Card>
  );
}

function sampleSpan(samples: readonly { ts: number }[]): string {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return 'minutes';
  const min = Math.round((last.ts - first.ts) / 60_000);
  return min < 1 ? `${Math.max(5, Math.round((last.ts - first.ts) / 1000))} s` : `${min} min`;
}

export function RecentAlarms({ alarms }: { alarms: readonly Alarm[] }) {
  return (
    <Card title="Recent open alarms" actions={<Link to="/alarms">See all →</Link>}>
      {alarms.length === 0 ? (
        <p className="muted">Nothing open. Alarms raised by rules show up here.</p>
      ) : (
        <ul className="feed">
          {alarms.map((a) => (
            <li key={a.id} className="feed-item">
              <SeverityBadge severity={a.severity} />
              <div className="feed-body">
                <div className="feed-title">
                  <strong>{a.type}</strong> on{' '}
                  <Link to={`/devices/${encodeURIComponent(a.device)}`}>{a.device}</Link>
                  {a.count > 1 ? <span className="muted"> ×{a.count}</span> : null}
                </div>
                {a.message ? <div className="muted feed-text">{a.message}</div> : null}
              </div>
              <div className="feed-meta">
                <AlarmStatusBadge status={a.status} />
                <When at={a.lastAt} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export interface Happening {
  readonly key: string;
  readonly ts: number;
  readonly device: string;
  readonly status?: DeviceStatus;
  readonly reason?: string;
  readonly alarm?: { readonly type: string; readonly severity: Severity; readonly status: AlarmStatus };
}

/** A stream message as a line of the activity feed (undefined: not shown). */
export function happening(m: StreamMessage, seq: number): Happening | undefined {
  if (m.type === 'status')
    return { key: `s${seq}`, ts: m.ts, device: m.device, status: m.status, reason: m.reason };
  if (m.type === 'alarm')
    return {
      key: `a${seq}`,
      ts: m.ts,
      device: m.device,
      alarm: { type: m.alarmType, severity: m.severity, status: m.status },
    };
  return undefined;
}

export function LiveActivity({ items, live }: { items: readonly Happening[]; live: boolean }) {
  return (
    <Card title="Live activity">
      {items.length === 0 ? (
        <p className="muted">
          {live
            ? 'Watching for devices coming and going and alarms changing…'
            : 'Connecting to the live stream…'}
        </p>
      ) : (
        <ul className="feed" aria-live="polite">
          {items.map((h) => (
            <li key={h.key} className="feed-item">
              {h.status ? <StatusBadge status={h.status} /> : null}
              {h.alarm ? <SeverityBadge severity={h.alarm.severity} /> : null}
              <div className="feed-body">
                <div className="feed-title">
                  <Link to={`/devices/${encodeURIComponent(h.device)}`}>{h.device}</Link>{' '}
                  {h.status ? (
                    <span className="muted">is {h.status === 'unknown' ? 'unknown' : h.status}</span>
                  ) : null}
                  {h.alarm ? (
                    <span className="muted">
                      {h.alarm.type}: {h.alarm.status}
                    </span>
                  ) : null}
                </div>
                {h.reason ? <div className="muted feed-text">{h.reason}</div> : null}
              </div>
              <div className="feed-meta">
                <When at={h.ts} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** A fresh install: what to do first, by dashboard or by CLI. */
export function Welcome() {
  return (
    <Card className="welcome">
      <Empty
        title="No devices yet"
        action={
          <Link to="/devices?new=1" className="btn btn-primary">
            Add your first device
          </Link>
        }
      >
        <p>
          Plexus is running. Register a device to get its secret, connect it to the MQTT broker and its
          status, telemetry and alarms show up here.
        </p>
        <p>
          Create one on the <Link to="/devices">Devices</Link> page, or from a terminal:
        </p>
        <pre className="cli">
          <code>npx plexus login --username admin{'\n'}npx plexus devices create press-7</code>
        </pre>
      </Empty>
    </Card>
  );
}
