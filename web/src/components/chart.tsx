import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart: its label and [epoch ms, value] points in time order. */
export interface Series {
  readonly label: string;
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
}: {
  series: readonly Series[];
  height?: number;
  bands?: readonly Band[];
  onZoom?: (from: number, to: number) => void;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const bandsRef = useRef(bands);
  bandsRef.current = bands;
  const shape = series.map((s) => s.label).join('\u0000');
  const theme = document.documentElement.dataset.theme;

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
      scales: { x: { time: true } },
      axes: [axis, axis],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length] as string,
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
            ctx.fillStyle = 'rgba(216, 67, 21, 0.18)';
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

  useEffect(() => {
    plot.current?.setData(align(series));
  }, [series]);

  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
