import type { Alarm, AlarmComment, AlarmCounts, AlarmSeverity, AlarmStatus } from '../alarms/model.js';
import type { Page, PageQuery } from './page.js';

export interface AlarmQuery extends PageQuery {
  /** One status, or `open` for active and acknowledged. */
  readonly status?: AlarmStatus | 'open';
  readonly severity?: AlarmSeverity;
  readonly device?: string;
  readonly type?: string;
  readonly rule?: string;
}

/** A firing as the store takes it: a new alarm, or a repeat of the open one with the same key. */
export interface AlarmRaise {
  readonly tenant: string;
  readonly device: string;
  readonly rule?: string;
  readonly type: string;
  readonly severity: AlarmSeverity;
  readonly message: string;
  readonly dedupKey: string;
  readonly details?: Record<string, unknown>;
  readonly at: number;
}

/** Who changes an alarm, when, and what they note with it. */
export interface AlarmActorNote {
  readonly at: number;
  readonly by: string;
  readonly comment?: string;
}

/**
 * Alarms and their history (issue #6). Every status change is a
 * compare-and-set on the status it leaves, and a note given with it is
 * written in the same transaction.
 */
export interface AlarmStore {
  /**
   * Repeats the open alarm with `r.dedupKey` (count + 1, lastAt, severity,
   * message, details), or inserts a new active one with `id`; atomically.
   */
  raise(id: string, r: AlarmRaise): Promise<{ alarm: Alarm; created: boolean }>;
  /** active → acknowledged; undefined when the alarm was not active. */
  acknowledge(tenant: string, id: string, note: AlarmActorNote): Promise<Alarm | undefined>;
  /** active | acknowledged → cleared; undefined when it was not open. */
  clear(tenant: string, id: string, note: AlarmActorNote): Promise<Alarm | undefined>;
  /** Clears the open alarm with this dedup key, if there is one. */
  clearOpen(tenant: string, dedupKey: string, note: AlarmActorNote): Promise<Alarm | undefined>;
  comment(tenant: string, id: string, comment: AlarmComment): Promise<void>;
  /** Oldest first. */
  comments(tenant: string, id: string): Promise<AlarmComment[]>;
  get(tenant: string, id: string): Promise<Alarm | undefined>;
  /** Newest first. */
  list(tenant: string, q: AlarmQuery): Promise<Page<Alarm>>;
  /** The tenant's counts, or one device's. */
  counts(tenant: string, device?: string): Promise<AlarmCounts>;
  /** Deletes one device's alarms and their comments, or the whole tenant's. */
  delete(tenant: string, device?: string): Promise<void>;
}
