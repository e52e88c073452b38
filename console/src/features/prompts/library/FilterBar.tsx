import { useEffect, useRef, useState } from "react";
import { isTypingTarget, useDebounced } from "../../../lib/hooks";
import type { LibraryFilters, UpdatedWithin } from "./filters";

interface Props {
  filters: LibraryFilters;
  onChange: (patch: Partial<LibraryFilters>, options?: { replace?: boolean }) => void;
  onClear: () => void;
  active: boolean;
}

export function FilterBar({ filters, onChange, onClear, active }: Props) {
  const [q, setQ] = useState(filters.q);
  const debounced = useDebounced(q, 250);
  const searchRef = useRef<HTMLInputElement>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  });

  // Push the debounced search text to the URL; pull it back when the URL changes.
  useEffect(() => {
    if (debounced !== filters.q) onChangeRef.current({ q: debounced, page: 1 }, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced]);
  const [lastUrlQ, setLastUrlQ] = useState(filters.q);
  if (filters.q !== lastUrlQ) {
    setLastUrlQ(filters.q);
    if (filters.q !== debounced) setQ(filters.q);
  }

  // "/" focuses the search box from anywhere on the page.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "/" && !event.ctrlKey && !event.metaKey && !isTypingTarget(event.target)) {
        event.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div role="search" className="filters" aria-label="Search and filter prompts">
      <label className="field grow">
        <span>
          Search <kbd>/</kbd>
        </span>
        <input
          ref={searchRef}
          type="search"
          placeholder="Name, description or content"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </label>
      <label className="field">
        <span>Label</span>
        <input
          list="label-suggestions"
          placeholder="any"
          value={filters.label}
          onChange={(e) => onChange({ label: e.target.value.trim(), page: 1 }, { replace: true })}
          size={10}
        />
      </label>
      <datalist id="label-suggestions">
        <option value="production" />
        <option value="staging" />
        <option value="latest" />
      </datalist>
      <label className="field">
        <span>Author</span>
        <input
          placeholder="anyone"
          value={filters.author}
          onChange={(e) => onChange({ author: e.target.value.trim(), page: 1 }, { replace: true })}
          size={14}
        />
      </label>
      <label className="field">
        <span>Type</span>
        <select value={filters.type} onChange={(e) => onChange({ type: e.target.value, page: 1 })}>
          <option value="">any</option>
          <option value="text">text</option>
          <option value="chat">chat</option>
        </select>
      </label>
      <label className="field">
        <span>Updated</span>
        <select
          value={filters.updated}
          onChange={(e) => onChange({ updated: e.target.value as UpdatedWithin, page: 1 })}
        >
          <option value="">any time</option>
          <option value="1d">last 24 hours</option>
          <option value="7d">last 7 days</option>
          <option value="30d">last 30 days</option>
          <option value="365d">last year</option>
        </select>
      </label>
      {filters.tags.length > 0 && (
        <ul className="chips active-tags" aria-label="Tag filters">
          {filters.tags.map((tag) => (
            <li key={tag}>
              <button
                type="button"
                className="chip on"
                onClick={() => onChange({ tags: filters.tags.filter((t) => t !== tag), page: 1 })}
                aria-label={`Remove tag filter ${tag}`}
              >
                {tag} <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {active && (
        <button type="button" className="btn small link" onClick={onClear}>
          Clear filters
        </button>
      )}
    </div>
  );
}
