/** A tiny line chart (SVG) of recent samples; x is time, so gaps and uneven polling stay honest. */
export function Sparkline({
  samples,
  label,
  height = 48,
}: {
  samples: readonly { readonly ts: number; readonly value: number }[];
  label: string;
  height?: number;
}) {
  const W = 300;
  if (samples.length < 2) {
    return (
      <div className="sparkline sparkline-empty muted" style={{ height }}>
        Collecting samples…
      </div>
    );
  }
  const t0 = (samples[0] as { ts: number }).ts;
  const t1 = (samples[samples.length - 1] as { ts: number }).ts;
  const max = Math.max(1, ...samples.map((s) => s.value)) * 1.1;
  const x = (ts: number) => ((ts - t0) / Math.max(1, t1 - t0)) * W;
  const y = (v: number) => height - (v / max) * (height - 2) - 1;
  const line = samples
    .map((s, i) => `${i ? 'L' : 'M'}${x(s.ts).toFixed(1)},${y(s.value).toFixed(1)}`)
    .join('');
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${W} ${height}`}
      preserveAspectRatio="none"
      style={{ height }}
      role="img"
      aria-label={label}
    >
      <path d={`${line}L${W},${height}L0,${height}Z`} className="sparkline-area" />
      <path d={line} className="sparkline-line" vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
