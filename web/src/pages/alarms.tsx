import { useEffect, useRef, useState } from 'react';
import { api, type Page, path } from '../api/client';
import { type StreamMessage, useStream } from '../api/stream';
import type { Alarm, AlarmCounts, Rule, Severity } from '../api/types';
import { Pager } from '../components/pager';
import { useToast } from '../components/toast';
import { Button, Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui';
import { Link, navigate, useQueryParam } from '../lib/router';
import { useSession } from '../lib/session';
import { useApi } from '../lib/use-api';
import { AlarmDetail } from './alarms/alarm-detail';
import { AlarmTable } from './alarms/alarm-table';
import { type Filters, matches, SEVERITIES, STATUSES, useDebouncedParam } from './alarms/filters';
import './rules/common.css';
import './alarms/alarms.css';

/** The alarms console (/alarms): what needs attention now, live, filtered from the URL. */
export function AlarmsPage() {
  const { can } = useSession();
  const toast = useToast();
  const [status, setStatus] = useQueryParam('status');
  const [severity, setSeverity] = useQueryParam('severity');
  const [rule, setRule] = useQueryParam('rule');
  const [device, setDevice, deviceParam] = useDebouncedParam('device');
  const [type, setType, typeParam] = useDebouncedParam('type');
  const filters: Filters = {
    status: status || 'open',
    severity: severity as Severity | '',
    device: deviceParam,
    type: typeParam,
    rule,
  };
  const filterKey = JSON.stringify(filters);

  // Cursor paging, back to the first page whenever the filters change.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [seen, setSeen] = useState(filterKey);
  if (seen !== filterKey) {
    setSeen(filterKey);
    setCursors([undefined]);
  }
  const cursor = cursors[cursors.length - 1];
  const alarms = useApi(
    () =>
      api.get<Page<Alarm>>('/alarms', {
        status: filters.status === 'all' ? undefined : filters.status,
        severity: filters.severity || undefined,
        device: filters.device || undefined,
        type: filters.type || undefined,
        rule: filters.rule || undefined,
        limit: 50,
        cursor,
      }),
    [filterKey, cursor],
  );
  const counts = useApi(() => api.get<AlarmCounts>('/alarms/counts'), []);
  const rules = useApi(() => api.get<Page<Rule>>('/rules', { limit: 1000 }), []);

  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [detail, setDetail] = useState<{ id: string; comment: boolean } | undefined>(undefined);
  const [stamp, setStamp] = useState('');

  // Live: the stream names the alarm that changed; fetch it (count and message are not in the message)
  // and patch its row, or put it on top of the first page when it is new and matches the filters.
  const pending = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const state = useRef({ filters, first: true, detail, items: [] as readonly Alarm[] });
  state.current = { filters, first: cursors.length === 1, detail, items: alarms.data?.items ?? [] };
  const flush = async () => {
    timer.current = undefined;
    const ids = [...pending.current];
    pending.current.clear();
    counts.reload();
    const got = await Promise.all(
      ids.map((id) => api.get<Alarm>(path`/alarms/${id}`).catch(() => undefined)),
    );
    const { filters: f, first, items: shown } = state.current;
    const known = new Set(shown.map((a) => a.id));
    const added = got.filter(
      (a): a is Alarm => a !== undefined && !known.has(a.id) && first && matches(a, f),
    );
    const byId = new Map(got.filter((a): a is Alarm => a !== undefined).map((a) => [a.id, a]));
    alarms.set((p) => {
      if (!p) return p;
      const fresh = added.filter((a) => !p.items.some((x) => x.id === a.id));
      return { ...p, items: [...fresh, ...p.items.map((x) => byId.get(x.id) ?? x)] };
    });
    if (got.some((a) => a && a.id === state.current.detail?.id)) setStamp(String(Date.now()));
    if (added.length) {
      const ids = added.map((a) => a.id);
      setFresh((f) => new Set([...f, ...ids]));
      setTimeout(() => setFresh((f) => new Set([...f].filter((id) => !ids.includes(id)))), 6000);
    }
  };
  const { live } = useStream('*', ['alarms'], (m: StreamMessage) => {
    if (m.type !== 'alarm') return;
    pending.current.add(m.id);
    timer.current ??= setTimeout(() => void flush(), 400);
  });
  useEffect(() => () => clearTimeout(timer.current), []);

  const patch = (a: Alarm) => {
    alarms.set((p) => p && { ...p, items: p.items.map((x) => (x.id === a.id ? { ...x, ...a } : x)) });
    counts.reload();
  };

  const shownAlarm = alarms.data?.items.find((a) => a.id === detail?.id);
  const detailTitle = shownAlarm ? `${shownAlarm.type} on ${shownAlarm.device}` : 'Alarm';

  const filtered = Boolean(severity || rule || deviceParam || typeParam || (status && status !== 'open'));
  const resetFilters = () => {
    // One navigation: each setter would replace the URL from this render's query, undoing the others.
    navigate('/alarms', { replace: true });
  };

  return (
    <div className="pg-alarms">
      <PageHeader
        title="Alarms"
        subtitle="Raised by rules when their condition holds; acknowledge what you are handling, clear what is fixed."
        actions={
          <span className={`live ${live ? 'on' : ''}`} title={live ? 'Updates arrive live' : 'Reconnecting…'}>
            <span className="dot" aria-hidden="true" /> {live ? 'Live' : 'Offline'}
          </span>
        }
      />
      <SeverityStrip
        counts={counts.data}
        severity={filters.severity}
        onPick={(s) => setSeverity(s === severity ? '' : s)}
      />
      <form className="alarm-filters" aria-label="Filter alarms" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Status</span>
          <select
            value={filters.status}
            onChange={(e) => setStatus(e.target.value === 'open' ? '' : e.target.value)}
          >
            {STATUSES.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Severity</span>
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">Any severity</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Device</span>
          <input
            type="search"
            value={device}
            placeholder="press-3"
            onChange={(e) => setDevice(e.target.value)}
          />
        </label>
        <label>
          <span>Type</span>
          <input
            type="search"
            value={type}
            placeholder="overheat"
            onChange={(e) => setType(e.target.value)}
          />
        </label>
        <label>
          <span>Rule</span>
          <select value={rule} onChange={(e) => setRule(e.target.value)}>
            <option value="">Any rule</option>
            {rule && !rules.data?.items.some((r) => r.name === rule) ? (
              <option value={rule}>{rule}</option>
            ) : null}
            {(rules.data?.items ?? []).map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        {filtered ? (
          <Button kind="ghost" onClick={resetFilters}>
            Reset filters
          </Button>
        ) : null}
      </form>
      {can('write') ? null : (
        <p className="rx-note" role="note">
          You can follow alarms; acknowledging, clearing and commenting need the operator role.
        </p>
      )}
      <Card className="alarm-card list-card">
        <ErrorNote error={alarms.error} onRetry={alarms.reload} />
        {!alarms.data ? (
          alarms.error ? null : (
            <Loading what="Loading alarms" />
          )
        ) : alarms.data.items.length === 0 && cursors.length === 1 ? (
          filtered ? (
            <Empty
              title="No alarms match these filters"
              action={
                <Button kind="ghost" onClick={resetFilters}>
                  Show all open alarms
                </Button>
              }
            />
          ) : (
            <Empty title="No open alarms">
              Everything is quiet. Alarms are raised by <Link to="/rules">rules</Link> when their condition
              holds for a device; new ones appear here live.
            </Empty>
          )
        ) : (
          <>
            <AlarmTable
              items={alarms.data.items}
              fresh={fresh}
              loading={alarms.loading}
              onChanged={patch}
              onOpen={(id, comment) => setDetail({ id, comment })}
              onError={(text) => toast(text, 'error')}
            />
            <Pager
              page={cursors.length}
              hasNext={Boolean(alarms.data.next)}
              onNext={() => {
                const next = alarms.data?.next;
                if (next) setCursors((c) => [...c, next]);
              }}
              onPrev={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
            />
          </>
        )}
      </Card>
      <AlarmDetail
        id={detail?.id}
        title={detailTitle}
        stamp={stamp}
        focusComment={detail?.comment ?? false}
        onClose={() => setDetail(undefined)}
        onChanged={patch}
      />
    </div>
  );
}

/** Open alarms per severity; a click filters on it (and again, un-filters). */
function SeverityStrip({
  counts,
  severity,
  onPick,
}: {
  counts: AlarmCounts | undefined;
  severity: string;
  onPick: (s: Severity) => void;
}) {
  return (
    <section className="sev-strip" aria-label="Open alarms by severity">
      <div className="sev-total">
        <span className="value">{counts ? counts.total : '–'}</span>
        <span className="label">open</span>
      </div>
      {SEVERITIES.map((s) => {
        const n = counts?.bySeverity[s] ?? 0;
        return (
          <button
            key={s}
            type="button"
            className={`sev-tile sev-${s} ${n ? 'rx-has' : ''}`}
            aria-pressed={severity === s}
            title={`Show ${s} alarms only`}
            onClick={() => onPick(s)}
          >
            <span className="value">{counts ? n : '–'}</span>
            <span className="label">{s}</span>
          </button>
        );
      })}
    </section>
  );
}
