import { useMemo, useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ApiError } from "../../../api/client";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { formatMs } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import type { TraceDetail, TraceNode } from "../api";
import { formatMoney, promptRef } from "../format";
import { absolute, When } from "../generations/parts";
import { telemetryQueries } from "../queries";
import "../telemetry.css";
import "./traces.css";
import { buildRows, type TreeRow } from "./tree";

/** One trace: its spans and generations as a tree with a timeline bar each. */
export default function TracePage() {
  const { project = "default", id = "" } = useParams();
  useTitle(`Trace ${id}`);
  const can = useCan();
  const base = `/p/${encodeURIComponent(project)}`;
  const crumbs = (
    <nav aria-label="Breadcrumb" className="crumbs">
      <Link to={`${base}/traces`}>Traces</Link> / <span aria-current="page">{id}</span>
    </nav>
  );
  if (!can("generation:read")) {
    return (
      <div className="stack trace-page">
        {crumbs}
        <h1>Trace {id}</h1>
        <p className="notice">Your role cannot read this project&apos;s traces.</p>
      </div>
    );
  }
  return <Detail project={project} id={id} base={base} crumbs={crumbs} />;
}

function Detail({ project, id, base, crumbs }: { project: string; id: string; base: string; crumbs: ReactNode }) {
  const one = useQuery(telemetryQueries.trace(project, id));
  const missing = one.error instanceof ApiError && one.error.status === 404;
  return (
    <div className="stack trace-page">
      {crumbs}
      <h1>Trace {id}</h1>
      {missing && <p className="notice">No trace {id} in project {project}.</p>}
      {one.error && !missing ? <ErrorMessage error={one.error} onRetry={() => void one.refetch()} /> : null}
      {!one.data && !one.error && <Loading label="Loading the trace…" />}
      {one.data && <Body trace={one.data} base={base} />}
    </div>
  );
}

function Body({ trace, base }: { trace: TraceDetail; base: string }) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const rows = useMemo(() => buildRows(trace.nodes, collapsed), [trace.nodes, collapsed]);
  const chosen = trace.nodes.find((n) => n.id === selected) ?? null;
  const toggle = (nodeId: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(nodeId)) next.delete(nodeId);
      else next.add(nodeId);
      return next;
    });
  return (
    <>
      <p className="muted">
        <When iso={trace.start_time} /> · {formatMs(trace.duration_ms)} · {trace.span_count} spans ·{" "}
        {trace.generation_count} generations · {trace.input_tokens.toLocaleString("en")} →{" "}
        {trace.output_tokens.toLocaleString("en")} tokens ·{" "}
        {trace.cost === null ? "cost unknown" : formatMoney(trace.cost, trace.currency ?? "USD")}
        {trace.error_count > 0 && ` · ${trace.error_count} errors`}
      </p>
      {trace.truncated && <p className="notice">This trace is larger than the server shows at once; the tree is cut.</p>}
      <div className="table-wrap">
        <table className="gen-table trace-table">
          <caption className="sr-only">Spans and generations of the trace, as a tree, with their timing</caption>
          <thead>
            <tr>
              <th scope="col">Span</th>
              <th scope="col" className="trace-bar-col">
                Timeline
              </th>
              <th scope="col" className="num">Duration</th>
              <th scope="col" className="num">Tokens</th>
              <th scope="col" className="num">Cost</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <NodeRow
                key={row.node.id}
                row={row}
                base={base}
                open={!collapsed.has(row.node.id)}
                onToggle={() => toggle(row.node.id)}
                selected={selected === row.node.id}
                onSelect={() => setSelected(selected === row.node.id ? null : row.node.id)}
              />
            ))}
          </tbody>
        </table>
      </div>
      {chosen && <NodeDetail node={chosen} base={base} />}
    </>
  );
}

interface RowProps {
  row: TreeRow<TraceNode>;
  base: string;
  open: boolean;
  onToggle: () => void;
  selected: boolean;
  onSelect: () => void;
}

function NodeRow({ row, base, open, onToggle, selected, onSelect }: RowProps) {
  const n = row.node;
  const tokens = n.input_tokens !== null || n.output_tokens !== null;
  return (
    <tr data-testid={`node-${n.id}`} className={selected ? "trace-selected" : undefined}>
      <td className="wrap">
        <span className="trace-name" style={{ paddingLeft: `${row.depth * 1.1}rem` }}>
          {row.children.length > 0 ? (
            <button
              type="button"
              className="trace-toggle"
              aria-expanded={open}
              aria-label={`${open ? "Collapse" : "Expand"} ${n.name}`}
              onClick={onToggle}
            >
              {open ? "▾" : "▸"}
            </button>
          ) : (
            <span className="trace-toggle" aria-hidden="true" />
          )}
          <span className={`badge trace-${n.type}`}>{n.type === "generation" ? "LLM" : "span"}</span>{" "}
          <button type="button" className="link-button" aria-pressed={selected} onClick={onSelect}>
            {n.name}
          </button>
          {n.type === "generation" && (
            <>
              {" "}
              <Link to={`${base}/generations/${encodeURIComponent(n.id)}`} className="folder">
                {n.model ?? "generation"}
              </Link>
            </>
          )}
        </span>
      </td>
      <td className="trace-bar-col">
        <div className="trace-axis" aria-hidden="true">
          <div
            className={`trace-bar trace-bar-${n.type}${n.status === "error" ? " trace-bar-error" : ""}`}
            style={{ left: `${row.left}%`, width: `${row.width}%` }}
          />
        </div>
        <span className="sr-only">starts at +{formatMs(n.offset_ms)}</span>
      </td>
      <td className="num">{formatMs(n.duration_ms)}</td>
      <td className="num">
        {tokens ? `${(n.input_tokens ?? 0).toLocaleString("en")} → ${(n.output_tokens ?? 0).toLocaleString("en")}` : "–"}
      </td>
      <td className="num">{n.cost === null || n.cost === undefined ? "–" : formatMoney(n.cost, n.currency ?? "USD")}</td>
      <td>
        <span className={`badge gen-${n.status === "error" ? "error" : "ok"}`}>{n.status}</span>
      </td>
    </tr>
  );
}

function NodeDetail({ node: n, base }: { node: TraceNode; base: string }) {
  const attributes = Object.entries(n.attributes ?? {});
  return (
    <section className="panel" aria-labelledby="trace-node">
      <h2 id="trace-node">{n.name}</h2>
      <dl className="gen-facts">
        <dt>Kind</dt>
        <dd>{n.type === "generation" ? "generation (LLM call)" : `span${n.kind ? ` (${n.kind})` : ""}`}</dd>
        <dt>Started</dt>
        <dd>
          {absolute(n.start_time)} (+{formatMs(n.offset_ms)})
        </dd>
        <dt>Duration</dt>
        <dd>{formatMs(n.duration_ms)}</dd>
        {n.ttft_ms !== null && n.ttft_ms !== undefined && (
          <>
            <dt>Time to first token</dt>
            <dd>{formatMs(n.ttft_ms)}</dd>
          </>
        )}
        {n.service_name && (
          <>
            <dt>Service</dt>
            <dd>{n.service_name}</dd>
          </>
        )}
        {n.prompt && (
          <>
            <dt>Prompt</dt>
            <dd>{promptRef(n.prompt)}</dd>
          </>
        )}
        {n.status_message && (
          <>
            <dt>Status message</dt>
            <dd>{n.status_message}</dd>
          </>
        )}
        <dt>Span id</dt>
        <dd>
          <code>{n.id}</code>
        </dd>
      </dl>
      {n.type === "generation" && (
        <p>
          <Link to={`${base}/generations/${encodeURIComponent(n.id)}`}>Open the generation</Link> (input, output, usage,
          feedback)
        </p>
      )}
      {attributes.length > 0 && <pre className="gen-json">{JSON.stringify(Object.fromEntries(attributes), null, 2)}</pre>}
    </section>
  );
}
