import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api/client';
import { useStream } from '../api/stream';
import type { Alarm, Overview } from '../api/types';
import { ErrorNote, Loading, PageHeader } from '../components/ui';
import { useSession } from '../lib/session';
import { LiveDot } from './fleet/common';
import {
  AlarmsBySeverity,
  FleetStats,
  type Happening,
  happening,
  IngestCard,
  LiveActivity,
  RecentAlarms,
  Welcome,
} from './fleet/overview-parts';

const POLL_MS = 5000;
const KEEP_MS = 10 * 60_000;

/** Ingest samples per tenant, kept across visits of the page (the server keeps no history of the rate). */
const history = new Map<string, { ts: number; value: number }[]>();

/** The fleet at a glance: counts, open alarms, ingest rate, and what just happened. */
export function OverviewPage() {
  const { me } = useSession();
  const tenant = me?.actingTenant ?? '';
  const [overview, setOverview] = useState<Overview | undefined>(undefined);
  const [alarms, setAlarms] = useState<Alarm[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [samples, setSamples] = useState(() => history.get(tenant) ?? []);
  const [feed, setFeed] = useState<Happening[]>([]);
  const seq = useRef(0);

  const loadOverview = useCallback(async () => {
    try {
      const o = await api.get<Overview>('/overview');
      setOverview(o);
      setError(undefined);
      const now = Date.now();
      const kept = (history.get(tenant) ?? []).filter((s) => now - s.ts < KEEP_MS);
      kept.push({ ts: now, value: o.ingest.pointsPerSecond });
      history.set(tenant, kept);
      setSamples([...kept]);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    }
  }, [tenant]);

  const loadAlarms = useCallback(async () => {
    try {
      const r = await api.get<{ items: Alarm[] }>('/alarms', { status: 'open', limit: 10 });
      setAlarms(r.items);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    }
  }, []);

  useEffect(() => {
    void loadOverview();
    void loadAlarms();
    const t = setInterval(() => void loadOverview(), POLL_MS);
    return () => clearInterval(t);
  }, [loadOverview, loadAlarms]);

  // A burst of live changes (a gateway reconnecting 200 devices) costs one reload, not 200.
  const pending = useRef<{ overview: boolean; alarms: boolean; timer?: ReturnType<typeof setTimeout> }>({
    overview: false,
    alarms: false,
  });
  useEffect(() => () => clearTimeout(pending.current.timer), []);
  const refreshSoon = (what: 'overview' | 'alarms') => {
    const p = pending.current;
    p[what] = true;
    if (p.timer) return;
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (p.overview) void loadOverview();
      if (p.alarms) void loadAlarms();
      p.overview = false;
      p.alarms = false;
    }, 1000);
  };

  const { live } = useStream('*', ['status', 'alarms'], (m) => {
    const h = happening(m, ++seq.current);
    if (!h) return;
    setFeed((f) => [h, ...f].slice(0, 25));
    refreshSoon('overview');
    if (m.type === 'alarm') refreshSoon('alarms');
  });

  const retry = () => {
    void loadOverview();
    void loadAlarms();
  };

  return (
    <div className="fleet-page">
      <PageHeader title="Overview" subtitle="Your fleet at a glance" actions={<LiveDot live={live} />} />
      {error ? <ErrorNote error={error} onRetry={retry} /> : null}
      {!overview ? (
        error ? null : (
          <Loading what="Loading the fleet" />
        )
      ) : overview.devices.total === 0 ? (
        <div className="stack">
          <Welcome />
          <div className="grid fleet-2">
            <IngestCard o={overview} samples={samples} />
            <LiveActivity items={feed} live={live} />
          </div>
        </div>
      ) : (
        <div className="stack">
          <FleetStats o={overview} />
          <div className="grid fleet-2">
            <AlarmsBySeverity o={overview} />
            <IngestCard o={overview} samples={samples} />
          </div>
          <div className="grid fleet-2">
            {alarms ? <RecentAlarms alarms={alarms} /> : <Loading what="Loading alarms" />}
            <LiveActivity items={feed} live={live} />
          </div>
        </div>
      )}
    </div>
  );
}
