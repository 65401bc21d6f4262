import type { TelemetryKeyDef } from '../../api/types';
import { Button } from '../../components/ui';
import { num, str } from './common';

/** The telemetry keys of a profile as editable rows: key, type, unit, min, max. */

type KeyType = TelemetryKeyDef['type'];
const TYPES: readonly KeyType[] = ['number', 'boolean', 'string'];
const KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

export interface KeyRow {
  readonly uid: number;
  readonly key: string;
  readonly type: KeyType;
  readonly unit: string;
  readonly min: string;
  readonly max: string;
  /** Fields this editor does not show (description, source, scale, offset): kept as they are. */
  readonly rest: Record<string, unknown>;
}

let nextUid = 1;
const blank = (): KeyRow => ({
  uid: nextUid++,
  key: '',
  type: 'number',
  unit: '',
  min: '',
  max: '',
  rest: {},
});

export function keysToRows(keys: Record<string, TelemetryKeyDef>): KeyRow[] {
  return Object.entries(keys).map(([key, { type, unit, min, max, ...rest }]) => ({
    uid: nextUid++,
    key,
    type,
    unit: unit ?? '',
    min: str(min),
    max: str(max),
    rest,
  }));
}

const isEmpty = (r: KeyRow) => !r.key.trim() && !r.unit && !r.min && !r.max;

export function rowsToKeys(rows: readonly KeyRow[]): Record<string, TelemetryKeyDef> {
  const out: Record<string, TelemetryKeyDef> = {};
  for (const r of rows) {
    if (isEmpty(r)) continue;
    const numeric = r.type === 'number';
    out[r.key.trim()] = {
      ...r.rest,
      type: r.type,
      ...(r.unit.trim() ? { unit: r.unit.trim() } : {}),
      ...(numeric && num(r.min) !== undefined ? { min: num(r.min) } : {}),
      ...(numeric && num(r.max) !== undefined ? { max: num(r.max) } : {}),
    };
  }
  return out;
}

/** Problems the server could only report vaguely (a missing or repeated key): uid → message. */
export function rowsProblems(rows: readonly KeyRow[]): Map<number, string> {
  const problems = new Map<number, string>();
  const seen = new Set<string>();
  for (const r of rows) {
    if (isEmpty(r)) continue;
    const k = r.key.trim();
    if (!k) problems.set(r.uid, 'Name the key.');
    else if (!KEY_PATTERN.test(k))
      problems.set(r.uid, 'Keys use letters, digits, _ . : - and start with a letter, digit or _.');
    else if (seen.has(k)) problems.set(r.uid, `Key ${k} is listed twice.`);
    else if (r.type === 'number' && r.min && r.max && Number(r.min) > Number(r.max))
      problems.set(r.uid, 'Min is above max.');
    seen.add(k);
  }
  return problems;
}

export function KeyEditor({
  rows,
  onChange,
  problems,
  serverError,
  readOnly,
}: {
  rows: readonly KeyRow[];
  readOnly: boolean;
  onChange: (rows: KeyRow[]) => void;
  problems: ReadonlyMap<number, string>;
  serverError: (key: string, field?: string) => string | undefined;
}) {
  const update = (uid: number, patch: Partial<KeyRow>) =>
    onChange(rows.map((r) => (r.uid === uid ? { ...r, ...patch } : r)));
  const remove = (uid: number) => onChange(rows.filter((r) => r.uid !== uid));
  return (
    <>
      {rows.length === 0 ? (
        <p className="muted">No keys declared: devices may send any key and values are not checked.</p>
      ) : (
        <table className="key-editor">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col" className="type">
                Type
              </th>
              <th scope="col" className="narrow">
                Unit
              </th>
              <th scope="col" className="narrow">
                Min
              </th>
              <th scope="col" className="narrow">
                Max
              </th>
              <th scope="col">
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          {rows.map((r, i) => {
            const n = i + 1;
            const k = r.key.trim();
            const error =
              problems.get(r.uid) ??
              (k
                ? (['type', 'unit', 'min', 'max'].map((f) => serverError(k, f)).find(Boolean) ??
                  serverError(k))
                : undefined);
            const errorId = `key-row-${r.uid}-error`;
            const common = {
              'aria-invalid': Boolean(error),
              ...(error ? { 'aria-describedby': errorId } : {}),
            };
            const numeric = r.type === 'number';
            const extra = Object.entries(r.rest);
            return (
              // One tbody per key: the row, its note and its error stay together.
              <tbody key={r.uid}>
                <tr>
                  <td data-label="Key">
                    <input
                      {...common}
                      aria-label={`Key ${n}: name`}
                      value={r.key}
                      placeholder="temperature"
                      autoComplete="off"
                      onChange={(e) => update(r.uid, { key: e.target.value })}
                    />
                  </td>
                  <td data-label="Type">
                    <select
                      aria-label={`Key ${n}: type`}
                      value={r.type}
                      onChange={(e) => update(r.uid, { type: e.target.value as KeyType })}
                    >
                      {TYPES.map((t) => (
                        <option key={t}>{t}</option>
                      ))}
                    </select>
                  </td>
                  <td data-label="Unit">
                    <input
                      aria-label={`Key ${n}: unit`}
                      value={r.unit}
                      placeholder={numeric ? '°C' : ''}
                      onChange={(e) => update(r.uid, { unit: e.target.value })}
                    />
                  </td>
                  <td data-label="Min">
                    <input
                      aria-label={`Key ${n}: minimum`}
                      type="number"
                      step="any"
                      disabled={!numeric}
                      value={numeric ? r.min : ''}
                      onChange={(e) => update(r.uid, { min: e.target.value })}
                    />
                  </td>
                  <td data-label="Max">
                    <input
                      aria-label={`Key ${n}: maximum`}
                      type="number"
                      step="any"
                      disabled={!numeric}
                      value={numeric ? r.max : ''}
                      onChange={(e) => update(r.uid, { max: e.target.value })}
                    />
                  </td>
                  <td>
                    {readOnly ? null : (
                      <Button kind="ghost" aria-label={`Remove key ${k || n}`} onClick={() => remove(r.uid)}>
                        ×
                      </Button>
                    )}
                  </td>
                </tr>
                {extra.length > 0 ? (
                  <tr className="extra-row">
                    <td colSpan={6} className="extra muted">
                      Also kept: {extra.map(([f, v]) => `${f}: ${String(v)}`).join(', ')}
                    </td>
                  </tr>
                ) : null}
                {error ? (
                  <tr className="error-row">
                    <td colSpan={6} className="row-error" id={errorId}>
                      {error}
                    </td>
                  </tr>
                ) : null}
              </tbody>
            );
          })}
        </table>
      )}
      {readOnly ? null : (
        <p>
          <Button onClick={() => onChange([...rows, blank()])}>Add key</Button>
        </p>
      )}
    </>
  );
}
