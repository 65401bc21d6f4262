import { type Alarm, type AlarmSeverity, type AlarmStatus, emptyCounts, isOpen } from '../../alarms/model.js';
import type { AlarmRaise } from '../alarms.js';
import { jsonOrNull } from './json.js';

/** Alarm rows ↔ model, shared by the SQLite and PostgreSQL stores (same columns). */
export interface AlarmRow {
  seq: number;
  id: string;
  tenant: string;
  device: string;
  rule: string | null;
  type: string;
  severity: AlarmSeverity;
  status: AlarmStatus;
  message: string;
  details: string | null;
  raised_at: number;
  last_at: number;
  count: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  cleared_at: number | null;
  cleared_by: string | null;
}

/** One group of `SELECT status, severity, count(*) AS n … GROUP BY status, severity`. */
export interface CountRow {
  status: AlarmStatus;
  severity: AlarmSeverity;
  n: number;
}

// Absent optional fields are left out rather than set to undefined.
export const toAlarm = (r: AlarmRow): Alarm => ({
  id: r.id,
  tenant: r.tenant,
  device: r.device,
  ...(r.rule === null ? {} : { rule: r.rule }),
  type: r.type,
  severity: r.severity,
  status: r.status,
  message: r.message,
  ...(r.details === null ? {} : { details: JSON.parse(r.details) }),
  raisedAt: r.raised_at,
  lastAt: r.last_at,
  count: r.count,
  ...(r.acknowledged_at === null ? {} : { acknowledgedAt: r.acknowledged_at }),
  ...(r.acknowledged_by === null ? {} : { acknowledgedBy: r.acknowledged_by }),
  ...(r.cleared_at === null ? {} : { clearedAt: r.cleared_at }),
  ...(r.cleared_by === null ? {} : { clearedBy: r.cleared_by }),
});

/** A new alarm's columns from id to raised_at, in the INSERT's order (last_at follows: the same time). */
export const raiseValues = (id: string, r: AlarmRaise) =>
  [
    id,
    r.tenant,
    r.device,
    r.rule ?? null,
    r.type,
    r.severity,
    r.message,
    r.dedupKey,
    jsonOrNull(r.details),
    r.at,
  ] as const;

/** Counts by status, and of open alarms by severity and in total. */
export function tallyCounts(rows: readonly CountRow[]) {
  const { bySeverity, byStatus } = emptyCounts();
  let total = 0;
  for (const r of rows) {
    byStatus[r.status] += r.n;
    if (!isOpen(r.status)) continue;
    bySeverity[r.severity] += r.n;
    total += r.n;
  }
  return { total, bySeverity, byStatus };
}
