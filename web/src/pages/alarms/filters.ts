import { useEffect, useRef, useState } from 'react';
import type { Alarm, Severity } from '../../api/types';
import { useQueryParam } from '../../lib/router';

export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'warning', 'info'];

export const STATUSES = [
  { id: 'open', label: 'Open (active or acknowledged)' },
  { id: 'active', label: 'Active' },
  { id: 'acknowledged', label: 'Acknowledged' },
  { id: 'cleared', label: 'Cleared' },
  { id: 'all', label: 'All' },
] as const;

export interface Filters {
  readonly status: string;
  readonly severity: Severity | '';
  readonly device: string;
  readonly type: string;
  readonly rule: string;
}

/** Whether an alarm belongs in the list as filtered (the server's filters, for live additions). */
export function matches(a: Alarm, f: Filters): boolean {
  if (f.status === 'open' && a.status === 'cleared') return false;
  if (f.status !== 'open' && f.status !== 'all' && a.status !== f.status) return false;
  if (f.severity && a.severity !== f.severity) return false;
  if (f.device && a.device !== f.device) return false;
  if (f.type && a.type !== f.type) return false;
  if (f.rule && a.rule !== f.rule) return false;
  return true;
}

/**
 * A text filter kept in the URL: the input follows keystrokes at once, the
 * URL (and the request) 300 ms after the last one. Answers the input's
 * value, its setter and the value in the URL.
 */
export function useDebouncedParam(name: string): [string, (v: string) => void, string] {
  const [param, setParam] = useQueryParam(name);
  const [local, setLocal] = useState(param);
  const committed = useRef(param);
  const write = useRef(setParam);
  write.current = setParam;
  // The URL changed from elsewhere (back button, "Reset filters"): the input follows it.
  useEffect(() => {
    if (param !== committed.current) {
      committed.current = param;
      setLocal(param);
    }
  }, [param]);
  useEffect(() => {
    if (local.trim() === committed.current) return;
    const t = setTimeout(() => {
      committed.current = local.trim();
      write.current(local.trim());
    }, 300);
    return () => clearTimeout(t);
  }, [local]);
  return [local, setLocal, param];
}
