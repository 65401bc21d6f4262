import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  readonly loading: boolean;
  /** Loads again (after a change), keeping the current data on screen meanwhile. */
  reload(): void;
  /** Replaces the data locally (live updates), without a request. */
  set(update: (current: T | undefined) => T | undefined): void;
}

/**
 * Loads `load()` when `deps` change; an answer to an older request is
 * dropped, so a fast typist's last search wins.
 */
export function useApi<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  /** Combines an answer with what live updates put there meanwhile (default: the answer wins). */
  merge?: (loaded: T, current: T | undefined) => T,
): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const seq = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names the dependencies of `load`
  useEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    load().then(
      (d) => {
        if (mine !== seq.current) return;
        setData((current) => (merge ? merge(d, current) : d));
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== seq.current) return;
        setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
        setLoading(false);
      },
    );
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload, set: setData };
}
