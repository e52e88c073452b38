import { useQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import type { ChangeRequestStatus } from "../../../api/types";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { offsetOf, Pager, withOffset } from "../../../components/Pager";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useDebounced } from "../../../lib/hooks";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { governanceQueries } from "../queries";
import { STATUS_TEXT, StatusBadge } from "./status";

const PAGE = 50;

/** Change requests of the current project, filtered by status and prompt. */
export default function ChangeRequestsPage() {
  const { project = "default" } = useParams();
  useTitle("Change requests");
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") ?? "") as ChangeRequestStatus | "";
  const promptText = params.get("prompt") ?? "";
  const prompt = useDebounced(promptText.trim(), 300);
  const offset = offsetOf(params);
  const query = { status, prompt, limit: PAGE, offset };
  const list = useQuery(governanceQueries.changeRequests(project, query));
  const base = `/p/${encodeURIComponent(project)}/reviews`;

  function setParam(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete("offset");
    setParams(next, { replace: true });
  }

  return (
    <div className="stack">
      <div className="section-head">
        <h1>Change requests</h1>
        {can("review:open") && (
          <Link className="btn primary" to={`${base}/new`}>
            New change request
          </Link>
        )}
      </div>
      <p className="hint">
        A change request asks to point a label (such as <code>production</code>) at a version.
        Reviewers approve it, then anyone with edit rights applies it.
      </p>
      <div className="filters" role="search" aria-label="Filter change requests">
        <label className="field">
          <span>Status</span>
          <select value={status} onChange={(e) => setParam("status", e.target.value)}>
            <option value="">Any</option>
            {(Object.keys(STATUS_TEXT) as ChangeRequestStatus[]).map((s) => (
              <option key={s} value={s}>
                {STATUS_TEXT[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Prompt</span>
          <input value={promptText} onChange={(e) => setParam("prompt", e.target.value)} placeholder="exact name" />
        </label>
      </div>
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading change requests…" />}
      {list.data && list.data.items.length === 0 && (
        <EmptyState title={status || prompt ? "No change requests match" : "No change requests yet"}>
          <p>Open one from a prompt's History or Labels tab when a protected label refuses a move, or here.</p>
        </EmptyState>
      )}
      {list.data && list.data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="cr-table">
              <caption className="sr-only">Change requests of {project}</caption>
              <thead>
                <tr>
                  <th scope="col">Request</th>
                  <th scope="col">Status</th>
                  <th scope="col">Approvals</th>
                  <th scope="col" className="col-by">Author</th>
                  <th scope="col" className="col-updated">Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((cr) => (
                  <tr key={cr.id}>
                    <td>
                      <Link className="prompt-link" to={`${base}/${cr.id}`}>
                        #{cr.id} {cr.prompt}: {cr.label} → v{cr.version}
                      </Link>
                      {cr.description && <span className="folder">{cr.description}</span>}
                    </td>
                    <td>
                      <StatusBadge status={cr.status} />
                    </td>
                    <td>
                      {cr.approvals.length}/{cr.required_approvals}
                    </td>
                    <td className="col-by">{cr.author}</td>
                    <td className="col-updated">
                      <time dateTime={cr.updated_at} title={absoluteTime(cr.updated_at)}>
                        {relativeTime(cr.updated_at)}
                      </time>
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
