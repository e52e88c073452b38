import { useMemo, useRef, useState, type FormEvent } from "react";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { feedbackValue } from "../format";
import { When } from "../generations/parts";
import { LoadMore } from "../LoadMore";
import { telemetryQueries } from "../queries";
import "../telemetry.css";
import { KINDS, readFeedbackFilters, toFeedbackQuery, writeFeedbackFilters, type FeedbackFilters } from "./filters";

/** End users' feedback on this project's generations, newest first. */
export default function FeedbackPage() {
  useTitle("Feedback");
  const can = useCan();
  if (!can("generation:read")) {
    return (
      <div className="stack">
        <h1>Feedback</h1>
        <p className="notice">Your role cannot read this project&apos;s feedback.</p>
      </div>
    );
  }
  return <FeedbackList />;
}

function FeedbackList() {
  const { project = "default" } = useParams();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFeedbackFilters(params), [params]);
  const [draft, setDraft] = useState(filters);
  const [shown, setShown] = useState(filters);
  if (shown.kind !== filters.kind || shown.generation !== filters.generation) {
    setShown(filters);
    setDraft(filters);
  }
  const list = useInfiniteQuery({
    ...telemetryQueries.feedback(project, toFeedbackQuery(filters)),
    placeholderData: keepPreviousData,
  });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const base = `/p/${encodeURIComponent(project)}`;
  const rows = useRef<HTMLTableSectionElement>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    setParams(writeFeedbackFilters(draft));
  }
  function clear() {
    const empty: FeedbackFilters = { kind: "", generation: "" };
    setDraft(empty);
    setParams(writeFeedbackFilters(empty));
  }

  return (
    <div className="stack">
      <h1>Feedback</h1>
      <p className="hint">
        Thumbs, scores, NPS answers and comments from end users, newest first. Apps send them with the SDK or{" "}
        <code>POST /api/v1/analytics/feedback</code>.
      </p>
      <form className="filters panel" role="search" aria-label="Filter feedback" onSubmit={submit}>
        <label className="field">
          <span>Kind</span>
          <select value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as FeedbackFilters["kind"] })}>
            <option value="">Any kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label className="field grow">
          <span>Generation id</span>
          <input value={draft.generation} onChange={(e) => setDraft({ ...draft, generation: e.target.value })} />
        </label>
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
      {!list.data && !list.error && <Loading label="Loading feedback…" />}
      {list.data && items.length === 0 && (
        <p className="muted">
          {filters.kind || filters.generation ? "No feedback matches these filters." : "No feedback in this project yet."}
        </p>
      )}
      {items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="gen-table">
              <caption className="sr-only">Feedback, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Feedback</th>
                  <th scope="col">Comment</th>
                  <th scope="col">Generation</th>
                  <th scope="col">User</th>
                </tr>
              </thead>
              <tbody ref={rows}>
                {items.map((f) => (
                  <tr key={f.id} data-testid={`feedback-${f.id}`}>
                    <td>
                      <When iso={f.created_at} />
                    </td>
                    <td>{feedbackValue(f)}</td>
                    <td className="wrap summary">{f.comment ?? <span className="muted">–</span>}</td>
                    <td className="wrap">
                      {f.generation_id ? (
                        <Link to={`${base}/generations/${encodeURIComponent(f.generation_id)}`}>{f.generation_id}</Link>
                      ) : f.trace_id ? (
                        <span>trace {f.trace_id}</span>
                      ) : f.session_id ? (
                        <span>session {f.session_id}</span>
                      ) : (
                        <span className="muted">–</span>
                      )}
                    </td>
                    <td className="wrap">{f.user_id ?? <span className="muted">–</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={items.length}
            noun="feedback items"
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
