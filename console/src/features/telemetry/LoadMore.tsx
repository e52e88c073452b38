import { useEffect, useRef, type RefObject } from "react";

interface Props {
  /** How many rows are shown now. */
  count: number;
  /** What the rows are ("generations"). */
  noun: string;
  hasMore: boolean;
  loading: boolean;
  onLoad: () => void;
  /** The table body the rows are in: after loading, focus goes to the first new row. */
  rows: RefObject<HTMLTableSectionElement | null>;
}

/** "Load more" for a cursor-paged table. The keyboard focus moves to the first row that
 * came in (its first link, else the row itself), not lost when the button goes away. */
export function LoadMore({ count, noun, hasMore, loading, onLoad, rows }: Props) {
  const focusFrom = useRef<number | null>(null);
  useEffect(() => {
    const index = focusFrom.current;
    if (index === null) return;
    const row = rows.current?.rows[index];
    if (!row) return;
    focusFrom.current = null;
    const link = row.querySelector<HTMLElement>("a[href], button");
    if (link) link.focus();
    else row.setAttribute("tabindex", "-1");
    if (!link) row.focus();
  }, [count, rows]);

  return (
    <div className="pager">
      <p className="muted" role="status">
        {count} {noun} shown{hasMore ? "" : ", no more"}
      </p>
      {hasMore && (
        <button
          type="button"
          className="btn"
          onClick={() => {
            focusFrom.current = count;
            onLoad();
          }}
          disabled={loading}
        >
          {loading ? "Loading…" : "Load more"}
        </button>
      )}
    </div>
  );
}
