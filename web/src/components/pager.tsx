import { useState } from 'react';
import { Button } from './ui';

/**
 * Cursor paging as the API does it (`next`): remembers the cursors it went
 * through, so Previous works too. Reset it (key) when the filters change.
 */
export function useCursor(): {
  cursor: string | undefined;
  page: number;
  next(cursor: string): void;
  prev(): void;
} {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (c) => setStack((s) => [...s, c]),
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

export function Pager({
  page,
  hasNext,
  onNext,
  onPrev,
}: {
  page: number;
  hasNext: boolean;
  onNext: () => void;
  onPrev: () => void;
}) {
  if (page === 1 && !hasNext) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <Button kind="ghost" disabled={page === 1} onClick={onPrev}>
        ← Previous
      </Button>
      <span className="muted">Page {page}</span>
      <Button kind="ghost" disabled={!hasNext} onClick={onNext}>
        Next →
      </Button>
    </nav>
  );
}
