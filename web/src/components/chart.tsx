import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart: its label and [epoch ms, value] points in time order. */
export interface Series {
  readonly label: string;
  /** Line colour (default: the next of the palette). */
  readonly color?: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A stretch of time to shade (a dry run's firings). */
export interface Band {
  readonly from: number;
  readonly to: number;
}

const COLORS = ['#2563eb', '#d84315', '#1b873f', '#8e24aa', '#00838f', '#c77c00', '#6d4c41', '#c2185b'];

/** The series on one shared time axis (seconds, as uPlot counts), gaps as nulls. */
export function align(series: readonly Series[]): uPlot.AlignedData {
  const times = new Set<number>();
  for (const s of series) for (const [t] of s.points) times.add(t);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const [t, v] of s.points) y[index.get(t) as number] = v;
    return y;
  });
  return [xs.map((t) => t / 1000), ...ys] as uPlot.AlignedData;
}

/** The theme in effect (data-theme on <html>), following changes so charts redraw in its colours. */
function useThemeName(): string | undefined {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme);
  useEffect(() => {
    const watch = new MutationObserver(() => setTheme(document.documentElement.dataset.theme));
    watch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => watch.disconnect();
  }, []);
  return theme;
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * A fast time-series chart (uPlot): drag to zoom (onZoom gets the new range
 * in ms, to load finer data), double-click to zoom out, legend with the value
 * under the cursor, redrawn in the theme's colours.
 */
export function TimeChart({
  series,
  height = 280,
  bands = [],
  onZoom,
  label,
  range,
}: {
  series: readonly Series[];
  height?: number;
  bands?: readonly Band[];
  onZoom?: (from: number, to: number) => void;
  label: string;
  /** The time window to show (epoch ms), e.g. a live window; default: the data's own extent. */
  range?: readonly [number, number] | undefined;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const bandsRef = useRef(bands);
  bandsRef.current = bands;
  const rangeRef = useRef(range);
  rangeRef.current = range;
  const shape = series.map((s) => s.label).join('\u0000');
  const theme = useThemeName();

  // (Re)build when the set of series or the theme changes; data updates reuse the plot.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` and `theme` stand for what requires a rebuild
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = {
      stroke: css('--muted'),
      grid: { stroke: css('--border'), width: 1 },
      ticks: { stroke: css('--border') },
    };
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height,
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: {
          time: true,
          // A fixed window when given; a lone point gets a minute either side rather than years.
          range: (_u, min, max) => {
            const r = rangeRef.current;
            if (r) return [r[0] / 1000, r[1] / 1000];
            return min === max ? [min - 60, max + 60] : [min, max];
          },
        },
      },
      axes: [axis, axis],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? (COLORS[i % COLORS.length] as string),
          width: 1.5,
          spanGaps: true,
          points: { show: s.points.length < 60 },
        })),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            zoom.current?.(Math.round(from), Math.round(to));
          },
        ],
        drawClear: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = css('--band') || 'rgba(216, 67, 21, 0.18)';
            for (const b of bandsRef.current) {
              const x0 = u.valToPos(b.from / 1000, 'x', true);
              const x1 = u.valToPos(b.to / 1000, 'x', true);
              ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
            }
            ctx.restore();
          },
        ],
      },
    };
    const u = new uPlot(opts, align(series), el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [shape, height, theme]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new window redraws with the same data
  useEffect(() => {
    plot.current?.setData(align(series));
  }, [series, range?.[0], range?.[1]]);

  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
