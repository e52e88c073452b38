import { useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { promptQueries } from "../queries";
import { BulkBar } from "./BulkBar";
import { FilterBar } from "./FilterBar";
import { FolderTree } from "./FolderTree";
import { PromptTable } from "./PromptTable";
import { TagChips } from "./TagChips";
import { SemanticResults, SemanticToggle } from "../../quality/SemanticSearch";
import {
  hasFilters,
  PAGE_SIZE,
  readFilters,
  writeFilters,
  type LibraryFilters,
} from "./filters";

export default function LibraryPage() {
  const { project = "default" } = useParams();
  useTitle("Library");
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const semantic = params.get("semantic") === "1"; // search by meaning (quality area)
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [status, setStatus] = useState("");
  const [showSide, setShowSide] = useState(false);
  const can = useCan();

  const list = useQuery({ ...promptQueries.list(project, filters), placeholderData: keepPreviousData });
  const folders = useQuery(promptQueries.folders(project));
  const tags = useQuery(promptQueries.tags(project));

  // Typing in a filter box replaces the history entry; clicks (folder, tag, page) add one.
  const update = (patch: Partial<LibraryFilters>, options?: { replace?: boolean }) => {
    const next = writeFilters({ ...filters, ...patch });
    if (semantic) next.set("semantic", "1");
    setParams(next, options);
    setSelected(new Set());
  };
  const clear = () => update({ q: "", tags: [], folder: "", label: "", author: "", type: "", updated: "", page: 1 });
  const toggle = (name: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const toggleAll = (on: boolean) =>
    setSelected(on ? new Set((list.data?.items ?? []).map((p) => p.name)) : new Set());

  const total = list.data?.total ?? 0;
  const items = list.data?.items ?? [];
  const filtered = hasFilters(filters);
  const first = (filters.page - 1) * PAGE_SIZE + 1;
  const last = Math.min(total, filters.page * PAGE_SIZE);
  const newLink = `/p/${encodeURIComponent(project)}/new${filters.folder ? `?folder=${encodeURIComponent(filters.folder)}` : ""}`;

  return (
    <div className="library">
      <button
        type="button"
        className="btn side-toggle"
        aria-expanded={showSide}
        aria-controls="library-side"
        onClick={() => setShowSide((s) => !s)}
      >
        Folders and tags
        {filters.folder || filters.tags.length ? ` (filtered)` : ""}
      </button>
      <aside id="library-side" className={showSide ? "sidebar open" : "sidebar"} aria-label="Folders and tags">
        <FolderTree
          folders={folders.data?.items ?? []}
          total={filtered ? undefined : list.data?.total}
          selected={filters.folder}
          onSelect={(folder) => update({ folder, page: 1 })}
        />
        <TagChips
          tags={tags.data?.items ?? []}
          active={filters.tags}
          onToggle={(tag) =>
            update({
              tags: filters.tags.includes(tag)
                ? filters.tags.filter((t) => t !== tag)
                : [...filters.tags, tag],
              page: 1,
            })
          }
        />
      </aside>
      <section className="library-main" aria-labelledby="library-title">
        <div className="page-head">
          <h1 id="library-title">Prompts</h1>
          {can("prompt:write") && (
            <Link to={newLink} className="btn primary">
              New prompt
            </Link>
          )}
        </div>
        <FilterBar filters={filters} onChange={update} onClear={clear} active={filtered} />
        <SemanticToggle
          project={project}
          on={semantic}
          onChange={(on) => {
            const next = writeFilters(filters);
            if (on) next.set("semantic", "1");
            setParams(next, { replace: true });
          }}
        />
        <p className="sr-only" role="status" aria-live="polite">
          {status}
        </p>
        {status && (
          <div className="notice ok" aria-hidden="true">
            {status}
            <button type="button" className="btn small link" onClick={() => setStatus("")}>
              Dismiss
            </button>
          </div>
        )}
        {selected.size > 0 && (
          <BulkBar
            project={project}
            names={[...selected]}
            folders={folders.data?.items ?? []}
            onDone={(message) => {
              setStatus(message);
              setSelected(new Set());
            }}
            onClear={() => setSelected(new Set())}
          />
        )}
        {semantic && filters.q ? (
          <SemanticResults project={project} q={filters.q} />
        ) : list.isPending ? (
          <Loading label="Loading prompts…" />
        ) : list.error ? (
          <ErrorMessage error={list.error} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          filtered ? (
            <EmptyState title="No prompts match these filters">
              <p>Try a shorter search, another folder, or fewer filters.</p>
              <button type="button" className="btn" onClick={clear}>
                Clear filters
              </button>
            </EmptyState>
          ) : (
            <EmptyState title="Your library is empty">
              <p>
                A prompt is a template with variables, like{" "}
                <code>{"Hello {{ name }}, how can I help?"}</code>. Every save keeps a version,
                and labels such as <code>production</code> tell your apps which version to use.
              </p>
              <div className="row center">
                {can("prompt:write") && (
                  <Link to={newLink} className="btn primary">
                    Create your first prompt
                  </Link>
                )}
                <Link to={`/p/${encodeURIComponent(project)}/transfer`} className="btn">
                  Import a project bundle
                </Link>
              </div>
            </EmptyState>
          )
        ) : (
          <>
            <PromptTable
              project={project}
              items={items}
              sort={filters.sort}
              onSort={(sort) => update({ sort, page: 1 })}
              selected={selected}
              onToggle={toggle}
              onToggleAll={toggleAll}
            />
            <nav className="pager" aria-label="Pages">
              <span>
                {first}–{last} of {total}
              </span>
              <button
                type="button"
                className="btn small"
                disabled={filters.page <= 1}
                onClick={() => update({ page: filters.page - 1 })}
              >
                Previous
              </button>
              <button
                type="button"
                className="btn small"
                disabled={last >= total}
                onClick={() => update({ page: filters.page + 1 })}
              >
                Next
              </button>
            </nav>
          </>
        )}
      </section>
    </div>
  );
}
