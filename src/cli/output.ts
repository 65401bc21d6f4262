/**
 * Output: aligned tables and records for people, the API's JSON document as
 * is for scripts (`--json`). Formatting is pure; printing is a thin layer.
 */

/** Renders columns padded to their widest cell, two spaces apart, without trailing blanks. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((w, i) => (cells[i] ?? '').padEnd(w))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `key: value` lines with the values aligned; empty values show as `-`. */
export function formatRecord(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length)) + 1;
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v === '' ? '-' : v}`.trimEnd()).join('\n');
}

/** Labels as `k=v, k2=v2` (sorted so output is stable). */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** A past instant as `just now`, `5m ago`, `3d ago`; `never` when absent. */
export function formatAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (iso === null || iso === undefined || iso === '') return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** An ISO instant as `2024-05-01 12:00:00Z`: shorter than ISO, still unambiguous. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Hints and progress go to stderr so stdout stays the result. */
export function printNote(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The one JSON document of `--json` mode. */
export function printJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data ?? null, null, 2)}\n`);
}

/** Prints `data` as JSON in `--json` mode, else what `human` renders. */
export function emit(json: boolean, data: unknown, human: () => string): void {
  if (json) printJson(data);
  else printLine(human());
}
