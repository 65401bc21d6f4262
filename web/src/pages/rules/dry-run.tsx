import { useEffect, useId, useMemo, useState } from 'react';
import { type ApiError, api, path } from '../../api/client';
import type { Bucket, DryRun } from '../../api/types';
import { type Band, type Series, TimeChart } from '../../components/chart';
import { Button, ErrorNote, Loading } from '../../components/ui';
import { dateTime, duration, number, value } from '../../lib/format';
import { Link } from '../../lib/router';
import { useApi } from '../../lib/use-api';
import { conditionKeys, type RuleDocument } from './document';

const RANGES = [
  { id: '24h', label: '24 h', ms: 86_400_000 },
  { id: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { id: '30d', label: '30 d', ms: 30 * 86_400_000 },
] as const;
type RangeId = (typeof RANGES)[number]['id'];

/** Firings listed at once; the rest behind "Show more" (a noisy rule may fire thousands of times). */
const PAGE = 100;

/**
 * Dry run (docs/rules.md §4): replays the document in the editor against
 * stored history, nothing saved, and shows when it would have fired, with
 * one device's data charted and the firings shaded.
 */
export function DryRunPanel({ getDocument }: { getDocument: () => RuleDocument | undefined }) {
  const [range, setRange] = useState<RangeId>('24h');
  const [devices, setDevices] = useState('');
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [result, setResult] = useState<{ run: DryRun; doc: RuleDocument } | undefined>(undefined);
  const deviceId = useId();

  const run = async () => {
    const doc = getDocument();
    if (!doc) return;
    const ms = RANGES.find((r) => r.id === range)?.ms ?? 86_400_000;
    const to = Date.now();
    const list = devices
      .split(/[\s,]+/)
      .map((d) => d.trim())
      .filter(Boolean);
    setRunning(true);
    setError(undefined);
    try {
      const run = await api.post<DryRun>('/rules/dry-run', {
        rule: doc,
        from: to - ms,
        to,
        ...(list.length ? { devices: list } : {}),
      });
      setResult({ run, doc });
    } catch (err) {
      setError(err as ApiError);
      setResult(undefined);
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="stack">
      <p className="muted rx-small">
        Replays the rule in the editor against the data already stored: nothing is saved, no alarm is raised,
        no action runs.
      </p>
      <form
        className="dry-run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <fieldset className="rx-segmented">
          <legend className="sr-only">Range</legend>
          {RANGES.map((r) => (
            <label key={r.id} className={range === r.id ? 'rx-active' : ''}>
              <input
                type="radio"
                name="dry-run-range"
                value={r.id}
                checked={range === r.id}
                onChange={() => setRange(r.id)}
              />
              Last {r.label}
            </label>
          ))}
        </fieldset>
        <div className="dry-run-device">
          <label htmlFor={deviceId} className="sr-only">
            Only these devices
          </label>
          <input
            id={deviceId}
            type="search"
            placeholder="Only these devices (optional): press-3, press-4"
            value={devices}
            onChange={(e) => setDevices(e.target.value)}
          />
        </div>
        <Button kind="primary" type="submit" busy={running}>
          Run dry run
        </Button>
      </form>
      <ErrorNote error={error} />
      {running && !result ? <Loading what="Replaying history" /> : null}
      {result ? <DryRunResult run={result.run} doc={result.doc} /> : null}
    </div>
  );
}

function DryRunResult({ run, doc }: { run: DryRun; doc: RuleDocument }) {
  const [limit, setLimit] = useState(PAGE);
  const devices = useMemo(() => [...new Set(run.firings.map((f) => f.device))], [run]);
  const [device, setDevice] = useState<string | undefined>(devices[0]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new run picks its own first device
  useEffect(() => {
    setDevice(devices[0]);
    setLimit(PAGE);
  }, [run]);
  const acting = run.firings.filter((f) => f.acts).length;
  const shown = run.firings.slice(0, limit);
  return (
    <div className="stack dry-run-result" aria-live="polite">
      <div className="dry-run-totals">
        <div className="stat">
          <span className="value">{number(run.total)}</span>
          <span className="label">{run.total === 1 ? 'firing' : 'firings'}</span>
        </div>
        <div className="stat">
          <span className="value">{number(acting)}</span>
          <span className="label">with actions</span>
        </div>
        <div className="stat">
          <span className="value">{number(run.devices)}</span>
          <span className="label">devices replayed</span>
        </div>
        <div className="stat">
          <span className="value">{number(run.points)}</span>
          <span className="label">points{run.events ? `, ${number(run.events)} events` : ''}</span>
        </div>
      </div>
      <p className="muted rx-small">
        {dateTime(run.from)} → {dateTime(run.to)}, the rule’s clock ticking every {duration(run.tickMs)}.
      </p>
      {run.truncated ? (
        <p className="rx-note rx-warn" role="note">
          The replay stopped early (it reads at most 1,000 devices and 2,000,000 points): pick fewer devices
          or a shorter range to see everything.
        </p>
      ) : null}
      {run.notes.length ? (
        <ul className="rx-notes">
          {run.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      ) : null}
      {run.total === 0 ? (
        <p className="rx-empty-inline">
          It would not have fired in this range
          {run.points === 0 ? ': no data was stored for the devices it targets.' : '.'}
        </p>
      ) : (
        <>
          {device ? (
            <FiringChart run={run} doc={doc} device={device} devices={devices} onDevice={setDevice} />
          ) : null}
          <div className="table-wrap">
            <table className="stack-table firings">
              <caption className="sr-only">Firings</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Fired at</th>
                  <th scope="col">Lasted</th>
                  <th scope="col">Value</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((f) => (
                  <tr key={`${f.device}-${f.at}`} className={f.device === device ? 'rx-picked' : ''}>
                    <td data-label="Device">
                      <button type="button" className="rx-linkish" onClick={() => setDevice(f.device)}>
                        {f.device}
                      </button>
                    </td>
                    <td data-label="Fired at">{dateTime(f.at)}</td>
                    <td data-label="Lasted">
                      {f.until === null ? (
                        <span className="muted">still at the end</span>
                      ) : (
                        duration(f.until - f.at)
                      )}
                    </td>
                    <td data-label="Value">
                      {f.value === undefined ? (
                        <span className="muted">—</span>
                      ) : (
                        <code>
                          {f.key ? `${f.key} = ` : ''}
                          {value(f.value)}
                        </code>
                      )}
                    </td>
                    <td data-label="Actions">
                      {f.acts ? <span>yes</span> : <span className="muted">throttled</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="row">
            <span className="muted rx-small">
              {shown.length} of {number(run.total)} shown
              {run.firings.length < run.total ? ` (the server listed ${run.firings.length})` : ''}
            </span>
            {limit < run.firings.length ? (
              <Button kind="ghost" onClick={() => setLimit((l) => l + PAGE)}>
                Show more
              </Button>
            ) : null}
          </div>
        </>
      )}
    </div>
  );
}

/** Re-renders when the theme changes, so the chart redraws in the theme's colours. */
function useThemeName(): string | undefined {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme);
  useEffect(() => {
    const root = document.documentElement;
    const watch = new MutationObserver(() => setTheme(root.dataset.theme));
    watch.observe(root, { attributes: true, attributeFilter: ['data-theme'] });
    return () => watch.disconnect();
  }, []);
  return theme;
}

interface Span {
  readonly from: number;
  readonly to: number;
}

/**
 * One device's history of the keys the rule reads, its firings shaded. It
 * opens around the device's firings (a few minutes of firing in 30 days
 * would be a sliver); drag to zoom in, or show the whole range.
 */
function FiringChart({
  run,
  doc,
  device,
  devices,
  onDevice,
}: {
  run: DryRun;
  doc: RuleDocument;
  device: string;
  devices: string[];
  onDevice: (d: string) => void;
}) {
  useThemeName();
  const keys = useMemo(() => {
    const fromRule = conditionKeys(doc.condition);
    const fromFirings = run.firings.map((f) => f.key).filter((k): k is string => Boolean(k));
    return [...new Set([...fromRule, ...fromFirings])].slice(0, 4);
  }, [doc, run]);
  const bands = useMemo<Band[]>(
    () => run.firings.filter((f) => f.device === device).map((f) => ({ from: f.at, to: f.until ?? run.to })),
    [run, device],
  );
  const around = useMemo<Span>(() => {
    if (bands.length === 0) return { from: run.from, to: run.to };
    const a = Math.min(...bands.map((b) => b.from));
    const b = Math.max(...bands.map((x) => x.to));
    const pad = Math.max((b - a) * 0.5, 15 * 60_000);
    return { from: Math.max(run.from, a - pad), to: Math.min(run.to, b + pad) };
  }, [bands, run]);
  const [zoom, setZoom] = useState<Span | undefined>(undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: another device or run starts unzoomed
  useEffect(() => setZoom(undefined), [device, run]);
  const span = zoom ?? around;
  const whole = span.from === run.from && span.to === run.to;
  const selectId = useId();
  const history = useApi(
    () =>
      keys.length === 0
        ? Promise.resolve({ items: [] as Bucket[] })
        : api.get<{ items: Bucket[] }>(path`/devices/${device}/telemetry`, {
            keys: keys.join(','),
            from: Math.round(span.from),
            to: Math.round(span.to),
            points: 500,
            agg: 'avg,max',
          }),
    [device, keys.join(','), span.from, span.to],
  );
  const series = useMemo<Series[]>(() => {
    const out: Series[] = [];
    for (const key of keys) {
      const rows = (history.data?.items ?? []).filter((b) => b.key === key);
      const avg = rows.filter((b) => b.avg !== undefined).map((b) => [b.ts, b.avg as number] as const);
      const max = rows.filter((b) => b.max !== undefined).map((b) => [b.ts, b.max as number] as const);
      if (avg.length) out.push({ label: `${key} (avg)`, points: avg });
      if (max.length) out.push({ label: `${key} (max)`, points: max });
    }
    const limit = thresholdOf(doc.condition);
    const ts = out.flatMap((s) => s.points.map((p) => p[0]));
    if (limit !== undefined && ts.length)
      out.push({
        label: `limit ${limit}`,
        points: [
          [Math.min(...ts), limit],
          [Math.max(...ts), limit],
        ],
      });
    return out;
  }, [history.data, keys, doc]);
  return (
    <div className="firing-chart">
      <div className="row">
        <label htmlFor={selectId} className="rx-strong">
          Chart for
        </label>
        <select id={selectId} value={device} onChange={(e) => onDevice(e.target.value)}>
          {devices.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        <Link to={path`/devices/${device}`} className="rx-small">
          Open device
        </Link>
        <span className="rx-legend-band rx-small muted">
          <span className="rx-swatch" aria-hidden="true" /> when it would have fired
        </span>
      </div>
      <div className="row rx-small muted">
        <span>
          {dateTime(span.from)} → {dateTime(span.to)}
        </span>
        {zoom ? (
          <Button kind="ghost" onClick={() => setZoom(undefined)}>
            Around the firings
          </Button>
        ) : null}
        {whole ? null : (
          <Button kind="ghost" onClick={() => setZoom({ from: run.from, to: run.to })}>
            Whole range
          </Button>
        )}
        <span className="rx-hide-narrow">Drag across the chart to zoom in.</span>
      </div>
      <ErrorNote error={history.error} onRetry={history.reload} />
      {keys.length === 0 ? (
        <p className="muted rx-small">This condition reads no telemetry key to chart.</p>
      ) : history.loading && !history.data ? (
        <Loading what="Loading history" />
      ) : series.length === 0 ? (
        <p className="muted rx-small">
          No numeric data for {keys.join(', ')} on {device} in this range.
        </p>
      ) : (
        <TimeChart
          series={series}
          bands={bands}
          height={240}
          onZoom={(from, to) => setZoom({ from, to })}
          label={`${keys.join(', ')} of ${device}, with its ${bands.length} firings shaded`}
        />
      )}
    </div>
  );
}

/** The limit a threshold or window condition compares with, drawn as a line. */
function thresholdOf(condition: unknown): number | undefined {
  if (typeof condition !== 'object' || condition === null) return undefined;
  const c = condition as Record<string, unknown>;
  if ((c.type === 'threshold' || c.type === 'window') && typeof c.value === 'number') return c.value;
  return undefined;
}
