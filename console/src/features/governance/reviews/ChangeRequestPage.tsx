import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import type { ChangeRequest, ChangeRequestEvent } from "../../../api/types";
import { useMe } from "../../identity/useMe";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useTitle } from "../../../lib/title";
import { DiffView } from "../../prompts/history/DiffView";
import { promptQueries } from "../../prompts/queries";
import { governanceQueries } from "../queries";
import { ChangeRequestActions } from "./ChangeRequestActions";
import { GateResults, StatusBadge } from "./status";

const EVENT_TEXT: Record<string, string> = {
  opened: "opened the request",
  comment: "commented",
  approve: "approved",
  request_changes: "asked for changes",
  apply: "applied it",
  close: "closed it",
};

/** One change request: what it moves, the diff, gate results, timeline and actions. */
export default function ChangeRequestPage() {
  const { project = "default", id = "" } = useParams();
  const number = Number(id);
  useTitle(`Change request #${id}`);
  const me = useMe();
  const cr = useQuery(governanceQueries.changeRequest(number));
  const base = `/p/${encodeURIComponent(project)}/reviews`;
  if (cr.error) return <ErrorMessage error={cr.error} onRetry={() => void cr.refetch()} />;
  if (!cr.data || !me.data) return <Loading label="Loading the change request…" />;
  const r = cr.data;
  return (
    <div className="stack cr-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={base}>Change requests</Link> <span aria-hidden="true">/</span>{" "}
        <span aria-current="page">#{r.id}</span>
      </nav>
      <div className="section-head">
        <h1>
          #{r.id} {r.prompt}: {r.label} → v{r.version}
        </h1>
        <StatusBadge status={r.status} />
      </div>
      <p className="muted">
        Opened by {r.author}{" "}
        <time dateTime={r.created_at} title={absoluteTime(r.created_at)}>
          {relativeTime(r.created_at)}
        </time>
        {" · "}
        approvals {r.approvals.length}/{r.required_approvals}
        {r.approvals.length > 0 && ` (${r.approvals.join(", ")})`}
        {r.applied_by && ` · applied by ${r.applied_by}`}
        {" · "}
        <Link to={`/p/${encodeURIComponent(r.project)}/prompts/${encodeURIComponent(r.prompt)}/history`}>
          History of {r.prompt}
        </Link>
      </p>
      {r.description && <p className="cr-description">{r.description}</p>}
      <div className="cr-grid">
        <div className="stack cr-main">
          <section className="panel" aria-labelledby="cr-diff-title">
            <h2 id="cr-diff-title">Changes</h2>
            <CrDiff cr={r} />
          </section>
          <section className="panel" aria-labelledby="cr-timeline-title">
            <h2 id="cr-timeline-title">Timeline</h2>
            <Timeline events={r.events ?? []} />
          </section>
        </div>
        <div className="stack cr-side">
          <section className="panel" aria-labelledby="cr-gates-title">
            <h2 id="cr-gates-title">Quality gates</h2>
            <GateResults results={r.gate_results} />
          </section>
          <ChangeRequestActions cr={r} actor={me.data.actor} />
        </div>
      </div>
    </div>
  );
}

function Timeline({ events }: { events: ChangeRequestEvent[] }) {
  if (events.length === 0) return <p className="hint">Nothing yet.</p>;
  return (
    <ol className="cr-timeline">
      {events.map((e) => (
        <li key={e.id} className={`cr-event kind-${e.kind}`}>
          <p>
            <strong>{e.actor}</strong> {EVENT_TEXT[e.kind] ?? e.kind}{" "}
            <time className="muted" dateTime={e.created_at} title={absoluteTime(e.created_at)}>
              {relativeTime(e.created_at)}
            </time>
          </p>
          {e.body && <p className="cr-body">{e.body}</p>}
        </li>
      ))}
    </ol>
  );
}

/** What the request moves the label from and to. The reviewed diff is from where the
 * label pointed when the request was opened (base_version), applied or not. Requests
 * opened before that was recorded fall back: an active one diffs against where the label
 * points now, an applied one against the version before it. */
function diffBase(cr: ChangeRequest, current: number | undefined): { from: number; why: string } {
  if (cr.base_version !== null && cr.base_version !== undefined) {
    return {
      from: cr.base_version,
      why: `${cr.label} pointed to version ${cr.base_version} when the request was opened; the request moves it to version ${cr.version}.`,
    };
  }
  if (cr.status !== "applied" && current !== undefined && current !== cr.version) {
    return { from: current, why: `${cr.label} points to version ${current} now; the request moves it to version ${cr.version}.` };
  }
  return {
    from: cr.version - 1,
    why: `Version ${cr.version} against the version before it (this request did not record where ${cr.label} pointed when it was opened).`,
  };
}

function CrDiff({ cr }: { cr: ChangeRequest }) {
  const known = cr.base_version !== null && cr.base_version !== undefined;
  const labels = useQuery({ ...promptQueries.labels(cr.project, cr.prompt), enabled: !known });
  const current = labels.data?.items.find((l) => l.name === cr.label)?.version;
  const { from, why } = diffBase(cr, current);
  const diff = useQuery({
    ...promptQueries.diff(cr.project, cr.prompt, from, cr.version),
    enabled: (known || labels.isSuccess) && from >= 1,
  });
  if (!known && labels.error) return <ErrorMessage error={labels.error} />;
  if (!known && !labels.data) return <Loading label="Loading the diff…" />;
  if (from < 1) return <p className="hint">Version {cr.version} is the first version of {cr.prompt}.</p>;
  if (diff.error) return <ErrorMessage error={diff.error} />;
  if (!diff.data) return <Loading label="Loading the diff…" />;
  return (
    <>
      <p className="hint" data-testid="cr-diff-base">
        {why}
      </p>
      <DiffView diff={diff.data} mode="split" />
    </>
  );
}
