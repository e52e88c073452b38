import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { annotationApi, annotationKeys, figure, type Agreement, type ItemsAdd, type Queue } from "./api";
import "./annotation.css";

/** One queue: its progress, the way in to annotate, adding items, agreement, items. */
export default function QueuePage() {
  const { project = "default", id = "" } = useParams();
  const queueId = Number(id);
  const queue = useQuery({
    queryKey: annotationKeys.queue(project, queueId),
    queryFn: () => annotationApi.get(project, queueId),
  });
  useTitle(queue.data ? `Queue ${queue.data.name}` : "Annotation queue");
  const scoreDenied = useDenied()("annotation:score", "annotate items");
  const manageDenied = useDenied()("annotation:manage", "add items to queues");
  if (queue.error) return <ErrorMessage error={queue.error} onRetry={() => void queue.refetch()} />;
  if (!queue.data) return <Loading label="Loading the queue…" />;
  const q = queue.data;
  return (
    <div className="stack">
      <p>
        <Link to={`/p/${project}/annotation`}>← Annotation queues</Link>
      </p>
      <div className="section-head">
        <h1>{q.name}</h1>
        {scoreDenied ? (
          <span className="notice">{scoreDenied}</span>
        ) : (
          <Link className="btn primary" to={`/p/${project}/annotation/${q.id}/annotate`}>
            Annotate
          </Link>
        )}
      </div>
      {q.description && <p>{q.description}</p>}
      <dl className="queue-facts">
        <dt>Items</dt>
        <dd>{q.counts.items}</dd>
        <dt>Done</dt>
        <dd>{q.counts.done}</dd>
        <dt>Locked now</dt>
        <dd>{q.counts.locked}</dd>
        <dt>People per item</dt>
        <dd>{q.annotators_required}</dd>
        <dt>Scale</dt>
        <dd>
          {q.rubric.scale_min}–{q.rubric.scale_max}
        </dd>
        <dt>Lock</dt>
        <dd>{Math.round(q.lease_seconds / 60)} min</dd>
      </dl>
      <AgreementTable project={project} queue={q} />
      {manageDenied ? <p className="notice">{manageDenied}</p> : <AddItems project={project} queue={q} />}
      <Items project={project} queue={q} />
    </div>
  );
}

function AgreementTable({ project, queue }: { project: string; queue: Queue }) {
  const report = useQuery({
    queryKey: annotationKeys.agreement(project, queue.id),
    queryFn: () => annotationApi.agreement(project, queue.id),
  });
  return (
    <section className="panel stack" aria-labelledby="agreement-title">
      <h2 id="agreement-title">Agreement</h2>
      {report.error ? <ErrorMessage error={report.error} /> : null}
      {!report.data && !report.error && <Loading label="Computing agreement…" />}
      {report.data && <AgreementBody report={report.data} />}
    </section>
  );
}

function AgreementBody({ report }: { report: Agreement }) {
  return (
    <>
      <p className="hint">
        {report.judge
          ? `The judge "${report.judge}" against the people, on the scale ${report.scale[0]}–${report.scale[1]}.`
          : "No LLM-judge scores on these generations yet: only the agreement among people is shown."}
      </p>
      <div className="table-scroll" role="region" aria-label="Agreement per criterion (scrolls sideways)" tabIndex={0}>
        <table className="table" aria-label="Agreement per criterion">
          <thead>
            <tr>
              <th scope="col">Criterion</th>
              <th scope="col">n (judge)</th>
              <th scope="col">Mean abs. difference</th>
              <th scope="col">Spearman</th>
              <th scope="col">Weighted kappa</th>
              <th scope="col">Alpha, judge + people</th>
              <th scope="col">n (people)</th>
              <th scope="col">Alpha, people</th>
            </tr>
          </thead>
          <tbody>
            {report.criteria.map((c) => (
              <tr key={c.criterion} data-testid={`agreement-${c.criterion}`}>
                <th scope="row">{c.criterion}</th>
                <td>{c.n}</td>
                <td>{figure(c.mean_absolute_difference)}</td>
                <td>{figure(c.spearman)}</td>
                <td>
                  {figure(c.weighted_kappa)} <span className="muted">({c.kappa_interpretation})</span>
                </td>
                <td>
                  {figure(c.alpha_with_judge)} <span className="muted">({c.alpha_with_judge_interpretation})</span>
                </td>
                <td>{c.human_n}</td>
                <td>
                  {figure(c.human_alpha)} <span className="muted">({c.human_alpha_interpretation})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function AddItems({ project, queue }: { project: string; queue: Queue }) {
  const client = useQueryClient();
  const [how, setHow] = useState<"run" | "prompt" | "ids">("run");
  const [value, setValue] = useState("");
  const [variant, setVariant] = useState("");
  const [limit, setLimit] = useState(50);
  const add = useMutation({
    mutationFn: () => {
      let body: ItemsAdd;
      if (how === "run") {
        body = { run_id: Number(value), variant: variant === "" ? null : Number(variant), limit: 1000, negative_feedback: false };
      } else if (how === "prompt") {
        body = { prompt: value.trim(), limit, negative_feedback: false };
      } else {
        body = { generation_ids: value.split(/[\s,]+/).filter(Boolean), limit: 1000, negative_feedback: false };
      }
      return annotationApi.addItems(project, queue.id, body);
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: annotationKeys.all(project) });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <section className="panel stack" aria-labelledby="add-title">
      <h2 id="add-title">Add items</h2>
      <form className="queue-form" aria-label="Add items" onSubmit={submit}>
        <label>
          From
          <select value={how} onChange={(e) => setHow(e.target.value as "run" | "prompt" | "ids")}>
            <option value="run">An evaluation run</option>
            <option value="prompt">A prompt&apos;s recent generations</option>
            <option value="ids">Generation ids</option>
          </select>
        </label>
        <label>
          {how === "run" ? "Run id" : how === "prompt" ? "Prompt name" : "Generation ids (comma or space separated)"}
          <input value={value} onChange={(e) => setValue(e.target.value)} required />
        </label>
        {how === "run" && (
          <label>
            Variant (empty: all)
            <input type="number" min={0} max={100} value={variant} onChange={(e) => setVariant(e.target.value)} />
          </label>
        )}
        {how === "prompt" && (
          <label>
            At most
            <input type="number" min={1} max={1000} value={limit} onChange={(e) => setLimit(Number(e.target.value))} />
          </label>
        )}
        <button type="submit" className="btn" disabled={add.isPending}>
          Add
        </button>
      </form>
      {add.error ? <ErrorMessage error={add.error} /> : null}
      <p role="status" className={add.data ? "notice ok" : "sr-only"}>
        {add.data ? `Added ${add.data.added} (${add.data.skipped} already in the queue); ${add.data.total} items.` : ""}
      </p>
    </section>
  );
}

function Items({ project, queue }: { project: string; queue: Queue }) {
  const [offset, setOffset] = useState(0);
  const items = useQuery({
    queryKey: annotationKeys.items(project, queue.id, offset),
    queryFn: () => annotationApi.items(project, queue.id, offset),
  });
  return (
    <section className="stack" aria-labelledby="items-title">
      <h2 id="items-title">Items</h2>
      {items.error ? <ErrorMessage error={items.error} /> : null}
      {items.data && items.data.items.length === 0 && <p className="muted">No items yet.</p>}
      {items.data && items.data.items.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Items (scrolls sideways)" tabIndex={0}>
<table className="table" aria-label="Items">
          <thead>
            <tr>
              <th scope="col">Generation</th>
              <th scope="col">Status</th>
              <th scope="col">Scored by</th>
            </tr>
          </thead>
          <tbody>
            {items.data.items.map((item) => (
              <tr key={item.id}>
                <td>
                  <Link to={`/p/${project}/generations/${encodeURIComponent(item.generation_id)}`}>{item.generation_id}</Link>
                  {item.case_id ? <span className="muted"> (case {item.case_id})</span> : null}
                </td>
                <td>
                  {item.status} ({item.submitted}/{queue.annotators_required})
                </td>
                <td>{item.claims.map((c) => `${c.annotator} (${c.status})`).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
</div>
      )}
      {items.data && items.data.total > 50 && (
        <div className="pager">
          <button type="button" className="btn small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - 50))}>
            Previous
          </button>
          <button
            type="button"
            className="btn small"
            disabled={offset + 50 >= items.data.total}
            onClick={() => setOffset(offset + 50)}
          >
            Next
          </button>
        </div>
      )}
    </section>
  );
}
