const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `500ms`, `10s`, `5m`, `2h`, `1d`, `1.5h`, or a plain number of seconds
 * (text or number) → ms; undefined when unreadable or negative. Commands'
 * timeouts and rules' windows are written this way.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number')
    return Number.isFinite(text) && text >= 0 ? Math.round(text * 1000) : undefined;
  const m = /^\s*(\d{1,12}(?:\.\d{1,6})?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 's'] as number));
}

/** Epoch ms (digits) or ISO 8601 → ms; undefined when malformed (history ranges, dry runs). */
export function parseTime(text: string): number | undefined {
  const t = text.trim();
  if (/^-?\d{1,16}$/.test(t)) return Number(t);
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}
