import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { audit, type AuditQuery } from "../../../api/endpoints";
import type { AuditEvent } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { offsetOf, Pager, withOffset } from "../../../components/Pager";
import { absoluteTime } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { operationsQueries } from "../queries";
import { VerifyResult } from "./VerifyResult";

const PAGE = 50;
const FIELDS = ["actor", "action", "object_type", "object_id", "since", "until"] as const;
type Field = (typeof FIELDS)[number];

/** datetime-local (local time, no zone) → ISO in UTC, as the API expects. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const t = Date.parse(local);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function summaryText(summary: Record<string, unknown> | null): string {
  if (!summary) return "";
  return Object.entries(summary)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

/** The object an event acted on, linked to its page when the server says where it is. */
function ObjectCell({ event: e }: { event: AuditEvent }) {
  const project = e.object_project ? encodeURIComponent(e.object_project) : null;
  if (e.object_type === "prompt" && project && e.object_name) {
    return (
      <Link to={`/p/${project}/prompts/${encodeURIComponent(e.object_name)}/history`}>
        prompt {e.object_name}
      </Link>
    );
  }
  if (e.object_type === "change_request" && project) {
    return <Link to={`/p/${project}/reviews/${encodeURIComponent(e.object_id)}`}>change request #{e.object_id}</Link>;
  }
  return (
    <>
      {e.object_type} {e.object_id}
    </>
  );
}

/** The workspace's audit trail: filters, a page of events, verify and export. */
export default function AuditPage() {
  useTitle("Audit log");
  const can = useCan();
  if (!can("audit:read")) {
    return (
      <div className="stack">
        <h1>Audit log</h1>
        <p className="notice">Only admins can read the audit log.</p>
      </div>
    );
  }
  return <Audit />;
}

function Audit() {
  const [params, setParams] = useSearchParams();
  const value = (f: Field) => params.get(f) ?? "";
  const [draft, setDraft] = useState<Record<Field, string>>(() =>
    Object.fromEntries(FIELDS.map((f) => [f, value(f)])) as Record<Field, string>,
  );
  const offset = offsetOf(params);
  const query: AuditQuery = {
    actor: value("actor") || undefined,
    action: value("action") || undefined,
    object_type: value("object_type") || undefined,
    object_id: value("object_id") || undefined,
    since: toIso(value("since")),
    until: toIso(value("until")),
    limit: PAGE,
    offset,
  };
  const list = useQuery(operationsQueries.audit(query));
  const verify = useMutation({ mutationFn: audit.verify });

  function apply(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const f of FIELDS) if (draft[f].trim()) next.set(f, draft[f].trim());
    setParams(next);
  }
  function clear() {
    setDraft(Object.fromEntries(FIELDS.map((f) => [f, ""])) as Record<Field, string>);
    setParams(new URLSearchParams());
  }
  const input = (f: Field, label: string, extra: Record<string, string> = {}) => (
    <label className="field">
      <span>{label}</span>
      <input value={draft[f]} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} {...extra} />
    </label>
  );

  return (
    <div className="stack">
      <div className="section-head">
        <h1>Audit log</h1>
        <div className="row">
          <button type="button" className="btn" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {verify.isPending ? "Verifying…" : "Verify chain"}
          </button>
          <a className="btn" href={audit.exportUrl("csv", query)} download>
            Export CSV
          </a>
          <a className="btn" href={audit.exportUrl("jsonl", query)} download>
            Export JSONL
          </a>
        </div>
      </div>
      <p className="hint">
        Every write, newest first. Each event carries the hash of the one before, so a changed or
        removed event breaks the chain. Exports use the filters below.
      </p>
      <p className="hint" id="audit-seq-hint">
        The # is the event&apos;s place in this server&apos;s one chain, which all workspaces share: numbers
        skipped here belong to other workspaces, never to a removed event of this one. Verify chain checks
        the whole chain.
      </p>
      {verify.data && <VerifyResult result={verify.data} />}
      {verify.error ? <ErrorMessage error={verify.error} title="Could not verify the chain." /> : null}
      <form className="filters panel" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        {input("actor", "Actor", { placeholder: "email or key:name" })}
        {input("action", "Action", { placeholder: "e.g. prompt.* or key.revoke" })}
        {input("object_type", "Object type", { placeholder: "prompt, key, user…" })}
        {input("object_id", "Object id or prompt name", { placeholder: "e.g. 42 or greeting" })}
        {input("since", "From", { type: "datetime-local" })}
        {input("until", "Until", { type: "datetime-local" })}
        <div className="row">
          <button type="submit" className="btn primary">
            Apply filters
          </button>
          <button type="button" className="btn" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading events…" />}
      {list.data && list.data.items.length === 0 && <p className="muted">No events match these filters.</p>}
      {list.data && list.data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="audit-table">
              <caption className="sr-only">Audit events</caption>
              <thead>
                <tr>
                  <th scope="col" aria-describedby="audit-seq-hint">
                    <abbr title="sequence number in the server's chain">#</abbr>
                  </th>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Object</th>
                  <th scope="col" className="audit-wide">Details</th>
                  <th scope="col" className="audit-wide">Hash</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((e) => (
                  <tr key={e.id}>
                    <td>{e.seq}</td>
                    <td>
                      <time dateTime={e.created_at}>{absoluteTime(e.created_at)}</time>
                    </td>
                    <td className="wrap">{e.actor}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td className="wrap">
                      <ObjectCell event={e} />
                      {/* On a narrow screen Details and Hash live here, not in columns. */}
                      <dl className="audit-narrow">
                        <dt>Details</dt>
                        <dd className="summary">{summaryText(e.summary) || "–"}</dd>
                        <dt>Hash</dt>
                        <dd>
                          <code className="audit-hash">{e.hash}</code>
                        </dd>
                      </dl>
                    </td>
                    <td className="audit-wide wrap summary">{summaryText(e.summary)}</td>
                    <td className="audit-wide">
                      <code title={e.hash}>{e.hash.slice(0, 10)}…</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            offset={offset}
            total={list.data.total}
            onChange={(o) => setParams(withOffset(params, o))}
          />
        </>
      )}
    </div>
  );
}
