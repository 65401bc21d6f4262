import { InvalidArgumentError } from 'commander';

/**
 * Parsers for option values. They throw commander's InvalidArgumentError so a
 * malformed value is a usage error (exit 2) with commander's usual message.
 */

/** Splits `key=value` at the first `=`; the value may be empty, the key may not. */
export function parseLabel(text: string): [key: string, value: string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${text}".`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** Repeatable `--label k=v` into a map (later wins). */
export function collectLabels(value: string, previous?: Record<string, string>): Record<string, string> {
  const [key, v] = parseLabel(value);
  return { ...previous, [key]: v };
}

/** Repeatable `--label k=v` filter, kept as strings for the query (`?label=k=v`). */
export function collectLabelFilters(value: string, previous?: string[]): string[] {
  parseLabel(value);
  return [...(previous ?? []), value];
}

/** Repeatable plain option (`--group a --group b`). */
export function collect(value: string, previous?: string[]): string[] {
  return [...(previous ?? []), value];
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive whole number, got "${value}".`);
  }
  return n;
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError(`expected a port 0-65535, got "${value}".`);
  return n;
}

/**
 * `key=value` assignments as a JSON object: dotted keys nest
 * (`temp.target=21` → `{temp: {target: 21}}`), values are JSON when they
 * parse (`21`, `true`, `null`, `[1,2]`, `{"a":1}`) and strings otherwise
 * (`mode=eco`). Used for twin patches and command params.
 */
export function collectAssignment(text: string, previous?: Record<string, unknown>): Record<string, unknown> {
  const [key, raw] = parseLabel(text);
  const path = key.split('.');
  if (path.some((p) => p === '')) throw new InvalidArgumentError(`"${key}" has an empty part between dots.`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  const out: Record<string, unknown> = { ...previous };
  let at = out;
  for (const p of path.slice(0, -1)) {
    const next = at[p];
    const child: Record<string, unknown> =
      typeof next === 'object' && next !== null && !Array.isArray(next)
        ? { ...(next as Record<string, unknown>) }
        : {};
    at[p] = child;
    at = child;
  }
  at[path[path.length - 1] as string] = value;
  return out;
}

export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a whole number (0 or more), got "${value}".`);
  }
  return n;
}

/** A duration as the API takes it: `500ms`, `30s`, `5m`, `2h`, `1d`, or seconds. */
export function duration(value: string): string {
  if (!/^\d+(\.\d+)?(ms|s|m|h|d)?$/.test(value.trim())) {
    throw new InvalidArgumentError(`expected a duration such as 30s, 5m, 2h or 1d, got "${value}".`);
  }
  return value.trim();
}
