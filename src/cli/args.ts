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
