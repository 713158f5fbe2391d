/**
 * Cursor paging for newest-first lists: asks for one row more than a page to know whether an older page exists,
 * and keeps the cursors of the pages seen so "Newer" can step back.
 */
import { useState } from 'react';
import { Button } from './components';

export function usePager(): { after: string | undefined; page: number; older(cursor: string): void; newer(): void; reset(): void } {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  return {
    after: stack[stack.length - 1],
    page: stack.length,
    older: (cursor) => setStack((s) => [...s, cursor]),
    newer: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

export function Pager({ page, hasOlder, onOlder, onNewer, busy, what }: { page: number; hasOlder: boolean; onOlder(): void; onNewer(): void; busy: boolean; what: string }) {
  return (
    <nav className="pager" aria-label={`Pages of ${what}`}>
      <Button className="btn btn-secondary" onClick={onNewer} disabled={page <= 1 || busy}>
        ← Newer
      </Button>
      <span aria-live="polite">Page {page}</span>
      <Button className="btn btn-secondary" onClick={onOlder} disabled={!hasOlder || busy}>
        Older →
      </Button>
    </nav>
  );
}
