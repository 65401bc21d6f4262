/** How the dashboard writes times, durations and numbers: short, and exact on hover (title). */

export function timeAgo(ms: number | string | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return 'never';
  const t = typeof ms === 'string' ? Date.parse(ms) : ms;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export function dateTime(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const d = new Date(typeof ms === 'string' ? Date.parse(ms) : ms);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function number(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString(undefined, { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : digits });
}

export function value(v: unknown): string {
  if (typeof v === 'number') return number(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
