import { useRef } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { formatMs } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import type { TraceSummary } from "../api";
import { formatMoney } from "../format";
import { When } from "../generations/parts";
import { LoadMore } from "../LoadMore";
import { telemetryQueries } from "../queries";
import "../telemetry.css";
import "./traces.css";

/** Every trace of the project (agent runs, OTLP exports), newest first. */
export default function TracesPage() {
  useTitle("Traces");
  const can = useCan();
  if (!can("generation:read")) {
    return (
      <div className="stack">
        <h1>Traces</h1>
        <p className="notice">Your role cannot read this project&apos;s traces.</p>
      </div>
    );
  }
  return <Traces />;
}

function Traces() {
  const { project = "default" } = useParams();
  const list = useInfiniteQuery(telemetryQueries.traces(project, { limit: 50 }));
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const rows = useRef<HTMLTableSectionElement>(null);
  return (
    <div className="stack">
      <h1>Traces</h1>
      <p className="hint">
        Each agent run or request as one tree: its spans (steps, tools) and generations (LLM calls), newest first.
        Send traces over OpenTelemetry (OTLP) to <code>/v1/traces</code>, or with the SDK&apos;s <code>observe</code>.
      </p>
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading traces…" />}
      {list.data && items.length === 0 && <p className="muted">No traces in this project yet.</p>}
      {items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="gen-table">
              <caption className="sr-only">Traces, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Root</th>
                  <th scope="col" className="num">Duration</th>
                  <th scope="col" className="num">Spans</th>
                  <th scope="col" className="num">Generations</th>
                  <th scope="col" className="num">Tokens</th>
                  <th scope="col" className="num">Cost</th>
                  <th scope="col" className="num">Errors</th>
                </tr>
              </thead>
              <tbody ref={rows}>
                {items.map((t) => (
                  <TraceRow key={t.trace_id} project={project} trace={t} />
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={items.length}
            noun={items.length === 1 ? "trace" : "traces"}
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

function TraceRow({ project, trace: t }: { project: string; trace: TraceSummary }) {
  const href = `/p/${encodeURIComponent(project)}/traces/${encodeURIComponent(t.trace_id)}`;
  return (
    <tr data-testid={`trace-${t.trace_id}`}>
      <td>
        <Link to={href}>
          <When iso={t.start_time} />
          <span className="sr-only"> (trace {t.trace_id})</span>
        </Link>
      </td>
      <td className="wrap">{t.root_name ?? <span className="muted">–</span>}</td>
      <td className="num">{formatMs(t.duration_ms)}</td>
      <td className="num">{t.span_count}</td>
      <td className="num">{t.generation_count}</td>
      <td className="num">
        {t.input_tokens.toLocaleString("en")} → {t.output_tokens.toLocaleString("en")}
      </td>
      <td className="num">{t.cost === null ? <span className="muted">–</span> : formatMoney(t.cost, t.currency ?? "USD")}</td>
      <td className="num">{t.error_count > 0 ? <span className="badge gen-error">{t.error_count}</span> : 0}</td>
    </tr>
  );
}
