/** Previous/next paging for lists whose offset lives in the URL (`?offset=`). */

const DEFAULT_SIZE = 50;

/** The page offset in the URL's query (0 when absent or not a number). */
export function offsetOf(params: URLSearchParams): number {
  return Number(params.get("offset") ?? 0) || 0;
}

/** The same query with the page offset changed (dropped when it is 0). */
export function withOffset(params: URLSearchParams, offset: number): URLSearchParams {
  const next = new URLSearchParams(params);
  if (offset) next.set("offset", String(offset));
  else next.delete("offset");
  return next;
}

export function Pager({
  offset,
  total,
  onChange,
  size = DEFAULT_SIZE,
}: {
  offset: number;
  total: number;
  onChange: (offset: number) => void;
  size?: number;
}) {
  if (total <= size) return <p className="pager muted">{total} in all</p>;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="btn small" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - size))}>
        Previous
      </button>
      <span>
        {offset + 1}–{Math.min(offset + size, total)} of {total}
      </span>
      <button type="button" className="btn small" disabled={offset + size >= total} onClick={() => onChange(offset + size)}>
        Next
      </button>
    </nav>
  );
}
