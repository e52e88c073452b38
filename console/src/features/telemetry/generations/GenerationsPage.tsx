import { useMemo, useRef } from "react";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { formatMs } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import type { GenerationSummary } from "../api";
import { hasFilters, readFilters, writeFilters } from "../filters";
import { promptHref, promptRef, tokensInOut } from "../format";
import { telemetryQueries } from "../queries";
import "../telemetry.css";
import { LoadMore } from "../LoadMore";
import { GenerationFilterForm } from "./GenerationFilterForm";
import { CostValue, StatusBadge, When } from "./parts";

/** Every LLM call of the project, newest first: filters, pages of 50, "Load more". */
export default function GenerationsPage() {
  useTitle("Generations");
  const can = useCan();
  if (!can("generation:read")) {
    return (
      <div className="stack">
        <h1>Generations</h1>
        <p className="notice">Your role cannot read this project&apos;s generations.</p>
      </div>
    );
  }
  return <Generations />;
}

function Generations() {
  const { project = "default" } = useParams();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const list = useInfiniteQuery({ ...telemetryQueries.generations(project, filters), placeholderData: keepPreviousData });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = hasFilters(filters);
  const rows = useRef<HTMLTableSectionElement>(null);

  return (
    <div className="stack">
      <h1>Generations</h1>
      <p className="hint">
        Every LLM call of this project, run here or reported by an app, newest first. Open one to see its input,
        output, usage, cost and feedback.
      </p>
      <GenerationFilterForm filters={filters} onApply={(next) => setParams(writeFilters(next))} />
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading generations…" />}
      {list.data && items.length === 0 && (
        <p className="muted">{filtered ? "No generations match these filters." : "No generations in this project yet."}</p>
      )}
      {items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="gen-table">
              <caption className="sr-only">Generations, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Prompt</th>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">Tokens</th>
                  <th scope="col" className="num">Cost</th>
                  <th scope="col" className="num">Latency</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody ref={rows}>
                {items.map((g) => (
                  <GenerationRow key={g.id} project={project} generation={g} />
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={items.length}
            noun={items.length === 1 ? "generation" : "generations"}
            hasMore={list.hasNextPage}
            loading={list.isFetchingNextPage}
            onLoad={() => void list.fetchNextPage()}
            rows={rows}
          />
        </>
      )}
    </div>
  );
}

function GenerationRow({ project, generation: g }: { project: string; generation: GenerationSummary }) {
  const base = `/p/${encodeURIComponent(project)}`;
  const promptLink = g.prompt && !g.flags.includes("unknown_prompt") ? promptHref(base, g.prompt, g.flags) : null;
  return (
    <tr data-testid={`generation-${g.id}`}>
      <td>
        <Link to={`${base}/generations/${encodeURIComponent(g.id)}`}>
          <When iso={g.start_time} />
          <span className="sr-only"> (generation {g.id})</span>
        </Link>
      </td>
      <td className="wrap">
        {g.prompt && promptLink ? (
          <Link to={promptLink}>{promptRef(g.prompt)}</Link>
        ) : g.prompt ? (
          <span title="not in this project's registry">{promptRef(g.prompt)}</span>
        ) : (
          <span className="muted">–</span>
        )}
      </td>
      <td className="wrap">
        {g.model ?? <span className="muted">–</span>}
        {g.provider && <span className="folder">{g.provider}</span>}
      </td>
      <td className="num">
        {tokensInOut(g.usage)}
        {g.usage.estimated && <span className="folder">estimated</span>}
      </td>
      <td className="num">
        <CostValue cost={g.cost} flags={g.flags} />
      </td>
      <td className="num">{formatMs(g.latency_ms)}</td>
      <td>
        <StatusBadge status={g.status} />
      </td>
    </tr>
  );
}
