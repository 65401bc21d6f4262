import type { RuleTransition } from '../core/bus.js';
import { render, SEVERITIES, type Severity } from '../rules/index.js';

/**
 * Alarms (issue #6): raised by rules, one open alarm per dedup key.
 *
 *   active ──► acknowledged ──► cleared
 *     └──────────────────────────►┘      (by an operator, or by the rule when it says autoClear)
 *
 * A rule firing again while its alarm is open repeats it (count + 1,
 * lastAt, severity and message updated, status kept: an acknowledged alarm
 * stays acknowledged). Once cleared an alarm is history; the next firing
 * opens a new one.
 */
export type AlarmSeverity = Severity;
export const ALARM_SEVERITIES: readonly AlarmSeverity[] = SEVERITIES;

export type AlarmStatus = 'active' | 'acknowledged' | 'cleared';
export const ALARM_STATUSES: readonly AlarmStatus[] = ['active', 'acknowledged', 'cleared'];
/** Not cleared: what needs attention. */
export const OPEN_STATUSES: readonly AlarmStatus[] = ['active', 'acknowledged'];

export interface Alarm {
  readonly id: string;
  readonly tenant: string;
  readonly device: string;
  /** The rule that raised it (absent for alarms raised otherwise, none yet). */
  readonly rule?: string;
  readonly type: string;
  readonly severity: AlarmSeverity;
  readonly status: AlarmStatus;
  readonly message: string;
  /** What made it fire the last time: rule version, key and value. */
  readonly details?: Record<string, unknown>;
  /** Epoch ms of the first firing (signal time). */
  readonly raisedAt: number;
  /** Epoch ms of the latest firing. */
  readonly lastAt: number;
  /** Firings while open (1 when raised). */
  readonly count: number;
  readonly acknowledgedAt?: number;
  /** `user:alice`, `apikey:…`. */
  readonly acknowledgedBy?: string;
  readonly clearedAt?: number;
  /** An operator, or `rule:<name>` for an automatic clear. */
  readonly clearedBy?: string;
}

/** One entry of an alarm's history: an operator's note (also given with acknowledge or clear). */
export interface AlarmComment {
  readonly at: number;
  readonly author: string;
  readonly text: string;
}

export interface AlarmCounts {
  /** Open alarms (active + acknowledged): the number a badge shows. */
  readonly total: number;
  /** Devices with at least one open alarm ("alarming" in the fleet overview). */
  readonly devices: number;
  /** Open alarms per severity. */
  readonly bySeverity: Record<AlarmSeverity, number>;
  /** All alarms (history included) per status. */
  readonly byStatus: Record<AlarmStatus, number>;
}

export const isSeverity = (s: string): s is AlarmSeverity => (SEVERITIES as readonly string[]).includes(s);
export const isOpen = (s: AlarmStatus) => s !== 'cleared';

/**
 * The dedup key: one open alarm per rule, device and alarm type, so a
 * condition that keeps firing counts up one alarm instead of flooding.
 */
export const dedupKey = (rule: string, device: string, type: string) => `${rule}/${device}/${type}`;

/**
 * The alarm's text: the rule's `alarm.message` template (checked when the
 * rule was saved) or `<type> on <device>`, with ` (<key> = <value>)` when
 * a point made the rule fire.
 */
export function alarmMessage(t: RuleTransition): string {
  const type = t.alarm?.type ?? t.rule;
  if (t.alarm?.message !== undefined) {
    return render(t.alarm.message, {
      device: t.device,
      rule: t.rule,
      key: t.key,
      value: t.value,
      ts: t.ts,
      time: new Date(t.ts).toISOString(),
      severity: t.alarm.severity,
      alarm: type,
      tenant: t.tenant,
    });
  }
  const point = t.key !== undefined && t.value !== undefined ? ` (${t.key} = ${String(t.value)})` : '';
  return `${type} on ${t.device}${point}`;
}

/** Zeroed counts with every severity and status present, so clients need no defaults. */
export function emptyCounts(): {
  bySeverity: Record<AlarmSeverity, number>;
  byStatus: Record<AlarmStatus, number>;
} {
  return {
    bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<AlarmSeverity, number>,
    byStatus: { active: 0, acknowledged: 0, cleared: 0 },
  };
}
