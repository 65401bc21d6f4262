import { useEffect, useMemo, useState } from 'react';
import { api, path } from '../../api/client';
import type { Device, Info, Latest, Profile } from '../../api/types';
import { Card, Empty, ErrorNote, Loading } from '../../components/ui';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { CopySnippet } from './copy-snippet';
import { LatestValues } from './latest-values';
import { useDeviceLive } from './live';
import { publishExample } from './mqtt-example';
import { TelemetryChart } from './telemetry-chart';

export function TelemetryTab({
  device,
  profile,
  mqtt,
}: {
  device: Device;
  profile: Profile | undefined;
  mqtt: Info['mqtt'] | undefined;
}) {
  const { me } = useSession();
  // A point that streamed in while the request was under way must not be replaced by the older answer.
  const latest = useApi(
    () => api.get<Latest>(path`/devices/${device.id}/telemetry/latest`),
    [device.id],
    (loaded, current) =>
      newest(
        loaded,
        Object.entries(current ?? {}).map(([key, p]) => ({ key, ...p })),
      ),
  );
  useDeviceLive((m) => {
    if (m.type !== 'telemetry') return;
    latest.set((cur) => newest(cur ?? {}, m.points));
  });
  // "12 s ago" keeps counting while the device is quiet.
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((x) => x + 1), 5000);
    return () => clearInterval(t);
  }, []);

  const numericKeys = useMemo(
    () =>
      Object.entries(latest.data ?? {})
        .filter(([, p]) => typeof p.value === 'number')
        .map(([k]) => k)
        .sort(),
    [latest.data],
  );

  if (latest.error && !latest.data) return <ErrorNote error={latest.error} onRetry={latest.reload} />;
  if (!latest.data) return <Loading what="Loading the latest values" />;
  if (Object.keys(latest.data).length === 0) {
    const example = Object.keys(profile?.telemetry ?? {})[0] ?? 'temperature';
    return (
      <Card>
        <Empty title={`No telemetry yet: publish to devices/${device.id}/telemetry`}>
          <p>Values appear here the moment the device sends them. From a shell, with the device's secret:</p>
          <CopySnippet
            label="Publish a test value"
            text={publishExample(device.id, me?.actingTenant, mqtt, 'telemetry', `{"${example}": 21.5}`)}
          />
        </Empty>
      </Card>
    );
  }
  return (
    <div className="stack">
      <Card title="Latest values">
        <LatestValues latest={latest.data} profile={profile} />
      </Card>
      {numericKeys.length ? (
        <TelemetryChart
          id={device.id}
          name={device.name && device.name !== device.id ? `${device.name} (${device.id})` : device.id}
          numericKeys={numericKeys}
          profile={profile}
        />
      ) : (
        <Card title="History">
          <p className="muted">This device sends no numeric values to chart.</p>
        </Card>
      )}
    </div>
  );
}

/** The latest values with these points in, each key keeping its newest value. */
function newest(
  latest: Latest,
  points: readonly { key: string; ts: number; value: Latest[string]['value'] }[],
): Latest {
  const next: Record<string, Latest[string]> = { ...latest };
  for (const p of points) {
    const old = next[p.key];
    if (!old || old.ts <= p.ts) next[p.key] = { ts: p.ts, value: p.value };
  }
  return next;
}
