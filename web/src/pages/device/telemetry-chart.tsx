import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import type { Profile } from '../../api/types';
import { type Series, TimeChart } from '../../components/chart';
import { Button, Card, ErrorNote } from '../../components/ui';
import { dateTime, duration } from '../../lib/format';
import { useQueryParam } from '../../lib/router';
import { appendLive, type ChartData, loadHistory, mergeLoaded, RAW_MAX_SPAN } from './history';
import { useDeviceLive } from './live';

const RANGES = [
  { id: '15m', label: 'Live 15 min', span: 15 * 60_000 },
  { id: '1h', label: '1 h', span: 3_600_000 },
  { id: '24h', label: '24 h', span: 86_400_000 },
  { id: '7d', label: '7 d', span: 7 * 86_400_000 },
  { id: '30d', label: '30 d', span: 30 * 86_400_000 },
] as const;
/** Most charts read best with a handful of lines. */
const DEFAULT_KEYS = 4;

/**
 * The numeric keys over time: range presets, drag to zoom (finer data is
 * loaded for the zoomed stretch), and a live window that slides as points
 * stream in.
 */
export function TelemetryChart({
  id,
  name,
  numericKeys,
  profile,
}: {
  id: string;
  name: string;
  numericKeys: readonly string[];
  profile: Profile | undefined;
}) {
  const [rangeParam, setRangeParam] = useQueryParam('range');
  const range = RANGES.find((r) => r.id === rangeParam) ?? RANGES[0];
  const [chosen, setChosen] = useState<string[] | undefined>(undefined);
  const keys = useMemo(
    () => (chosen ?? numericKeys.slice(0, DEFAULT_KEYS)).filter((k) => numericKeys.includes(k)),
    [chosen, numericKeys],
  );
  const [zoom, setZoom] = useState<{ from: number; to: number } | undefined>(undefined);
  const [minMax, setMinMax] = useState(true);
  const [splitChoice, setSplit] = useState<boolean | undefined>(undefined);
  const [data, setData] = useState<ChartData | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [round, setRound] = useState(0);
  const seq = useRef(0);
  const keysKey = keys.join(',');
  // Live: an unzoomed window of raw points (the short ranges) slides with the stream.
  const live = !zoom && range.span <= RAW_MAX_SPAN;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `keysKey` stands for `keys`, `round` for a retry
  useEffect(() => {
    const mine = ++seq.current;
    const to = zoom ? zoom.to : Date.now();
    const from = zoom ? zoom.from : to - range.span;
    setLoading(true);
    loadHistory(id, keys, from, to).then(
      (d) => {
        if (mine !== seq.current) return;
        // A live window keeps the points that streamed in while it loaded; a zoomed one does not want them.
        setData((current) => (zoom ? d : mergeLoaded(d, current)));
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
        setLoading(false);
      },
    );
  }, [id, keysKey, range.span, zoom?.from, zoom?.to, round]);

  useDeviceLive((m) => {
    if (m.type !== 'telemetry' || !live) return;
    setData((d) => (d && d.mode === 'raw' ? appendLive(d, m.points, range.span) : d));
  });

  // One group of lines per key: drawn together, or one chart each when split.
  const groups = useMemo(() => {
    if (!data) return [];
    return keys.map((k) => {
      const u = profile?.telemetry[k]?.unit;
      const label = u ? `${k} (${u})` : k;
      const series: Series[] = [
        { label: data.mode === 'agg' ? `${label} avg` : label, points: data.lines[k] ?? [] },
      ];
      if (data.mode === 'agg' && minMax) {
        series.push({ label: `${k} min`, points: data.lows[k] ?? [] });
        series.push({ label: `${k} max`, points: data.highs[k] ?? [] });
      }
      return { key: k, series };
    });
  }, [data, keys, minMax, profile]);
  const series = useMemo(() => groups.flatMap((g) => g.series), [groups]);
  const split =
    splitChoice ?? (groups.length > 1 && scalesDiffer(groups.map((g) => g.series[0]?.points ?? [])));

  const toggleKey = (k: string, on: boolean) => {
    const base = chosen ?? keys;
    setChosen(on ? numericKeys.filter((x) => x === k || base.includes(x)) : base.filter((x) => x !== k));
  };
  const empty = data !== undefined && series.every((s) => s.points.length === 0);
  // The window drawn: the zoomed stretch, or the live window sliding with now.
  const shown: [number, number] | undefined = zoom
    ? [zoom.from, zoom.to]
    : live
      ? [Date.now() - range.span, Date.now()]
      : undefined;
  const when = zoom
    ? `${dateTime(zoom.from)} to ${dateTime(zoom.to)}`
    : `the last ${range.label.replace('Live ', '')}`;

  return (
    <Card
      className="dev-chart-card"
      title="History"
      actions={
        <fieldset className="dev-ranges">
          <legend className="sr-only">Time range</legend>
          {RANGES.map((r) => (
            <button
              key={r.id}
              type="button"
              className={`dev-range ${r.id === range.id && !zoom ? 'active' : ''}`}
              aria-pressed={r.id === range.id && !zoom}
              onClick={() => {
                setZoom(undefined);
                setRangeParam(r.id === '15m' ? '' : r.id);
                if (r.id === range.id) setRound((x) => x + 1);
              }}
            >
              {r.label}
            </button>
          ))}
        </fieldset>
      }
    >
      <div className="dev-chart-tools">
        <fieldset className="dev-keys">
          <legend className="sr-only">Keys on the chart</legend>
          {numericKeys.map((k) => (
            <label key={k} className="dev-check">
              <input
                type="checkbox"
                checked={keys.includes(k)}
                onChange={(e) => toggleKey(k, e.target.checked)}
              />
              {k}
            </label>
          ))}
        </fieldset>
        <div className="dev-chart-status">
          {data?.mode === 'agg' ? (
            <>
              <span className="muted">Averages per {duration(data.interval ?? 0)}</span>
              <label className="dev-check">
                <input type="checkbox" checked={minMax} onChange={(e) => setMinMax(e.target.checked)} />
                min / max
              </label>
            </>
          ) : null}
          {keys.length > 1 ? (
            <label className="dev-check">
              <input type="checkbox" checked={split} onChange={(e) => setSplit(e.target.checked)} />
              one chart per key
            </label>
          ) : null}
          {loading ? <span className="spinner" role="status" aria-label="Loading the history" /> : null}
          {live ? (
            <span className="live on">
              <span className="dot" aria-hidden="true" /> following live
            </span>
          ) : null}
          {zoom ? (
            <Button kind="ghost" onClick={() => setZoom(undefined)}>
              Reset zoom
            </Button>
          ) : null}
        </div>
      </div>
      <ErrorNote error={error} onRetry={() => setRound((x) => x + 1)} />
      {keys.length === 0 ? (
        <p className="muted dev-chart-note">Choose at least one key to draw.</p>
      ) : (
        <>
          {split ? (
            <div className="dev-split">
              {groups.map((g) => (
                <TimeChart
                  key={g.key}
                  series={g.series}
                  height={170}
                  range={shown}
                  label={`Telemetry of ${name}: ${g.key} over ${when}`}
                  onZoom={(from, to) => setZoom({ from, to })}
                />
              ))}
            </div>
          ) : (
            <TimeChart
              series={series}
              range={shown}
              label={`Telemetry of ${name}: ${keys.join(', ')} over ${when}`}
              onZoom={(from, to) => setZoom({ from, to })}
            />
          )}
          <p className="muted dev-chart-note">
            {empty && !loading ? `No data for ${keys.join(', ')} over ${when}. ` : ''}
            {data?.narrowed && !empty
              ? `The data starts at ${dateTime(firstPoint(data))}: showing from there. `
              : ''}
            {zoom ? `Showing ${when}. ` : ''}Drag across the chart to zoom in; finer data is loaded for the
            stretch you pick.
          </p>
        </>
      )}
    </Card>
  );
}

/** Whether the keys' values are too far apart in size to share one axis (60 °C beside 2 mm/s). */
function scalesDiffer(lines: readonly (readonly (readonly [number, number])[])[]): boolean {
  const spans = lines
    .filter((l) => l.length)
    .map((l) => l.reduce((m, p) => Math.max(m, Math.abs(p[1])), 0))
    .filter((m) => m > 0);
  if (spans.length < 2) return false;
  return Math.max(...spans) / Math.min(...spans) > 5;
}

/** When the earliest charted point is. */
function firstPoint(d: ChartData): number {
  let first = d.to;
  for (const line of Object.values(d.lines)) if (line[0] && line[0][0] < first) first = line[0][0];
  return first;
}
