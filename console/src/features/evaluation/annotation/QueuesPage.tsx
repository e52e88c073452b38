import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { relativeTime } from "../../../lib/format";
import { useCan, useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { annotationApi, annotationKeys } from "./api";
import { parseCriteria } from "./criteria";
import "./annotation.css";

/** The project's annotation queues with their progress, and a form to make one. */
export default function QueuesPage() {
  useTitle("Annotation queues");
  const can = useCan();
  if (!can("annotation:read")) {
    return (
      <div className="stack">
        <h1>Annotation queues</h1>
        <p className="notice">Your role cannot see this project&apos;s annotation queues.</p>
      </div>
    );
  }
  return <Queues />;
}

function Queues() {
  const { project = "default" } = useParams();
  const list = useQuery({ queryKey: annotationKeys.all(project), queryFn: () => annotationApi.list(project) });
  const denied = useDenied()("annotation:manage", "create annotation queues");
  return (
    <div className="stack">
      <h1>Annotation queues</h1>
      <p className="hint">
        People score generations by the judge&apos;s rubric; each item is locked to one person while they work on it, and
        the agreement between the judge and the people is reported per criterion.
      </p>
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading queues…" />}
      {list.data && list.data.items.length === 0 && <p className="muted">No annotation queues yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Annotation queues (scrolls sideways)" tabIndex={0}>
<table className="table" aria-label="Annotation queues">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Criteria</th>
              <th scope="col">People per item</th>
              <th scope="col">Done</th>
              <th scope="col">Locked now</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((q) => (
              <tr key={q.id} data-testid={`queue-${q.name}`}>
                <td>
                  <Link to={`/p/${project}/annotation/${q.id}`}>{q.name}</Link>
                </td>
                <td>{(q.rubric.criteria ?? []).map((c) => c.name).join(", ")}</td>
                <td>{q.annotators_required}</td>
                <td>
                  <progress max={Math.max(1, q.counts.items)} value={q.counts.done} aria-label={`${q.name}: done`} />{" "}
                  {q.counts.done} / {q.counts.items}
                </td>
                <td>{q.counts.locked}</td>
                <td title={q.updated_at}>{relativeTime(q.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
</div>
      )}
      {denied ? <p className="notice">{denied}</p> : <CreateQueue project={project} />}
    </div>
  );
}

function CreateQueue({ project }: { project: string }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [criteria, setCriteria] = useState("correctness: The output answers the input correctly.\ntone: Warm and concise.");
  const [scaleMin, setScaleMin] = useState(1);
  const [scaleMax, setScaleMax] = useState(5);
  const [people, setPeople] = useState(1);
  const [lease, setLease] = useState(10);
  const create = useMutation({
    mutationFn: () =>
      annotationApi.create(project, {
        name: name.trim(),
        description: description.trim() || null,
        rubric: {
          criteria: parseCriteria(criteria),
          scale_min: scaleMin,
          scale_max: scaleMax,
          pass_threshold: 0.6,
          instructions: "",
        },
        annotators_required: people,
        lease_seconds: lease * 60,
      }),
    onSuccess: async (queue) => {
      await client.invalidateQueries({ queryKey: annotationKeys.all(project) });
      navigate(`/p/${project}/annotation/${queue.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <section className="panel stack" aria-labelledby="new-queue">
      <h2 id="new-queue">New queue</h2>
      <form className="queue-form" aria-label="New annotation queue" onSubmit={submit}>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} placeholder="support-replies" />
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        </label>
        <label className="wide">
          Rubric criteria, one per line as <code>name: description</code> (the LLM judge&apos;s rubric)
          <textarea value={criteria} onChange={(e) => setCriteria(e.target.value)} rows={4} required />
        </label>
        <label>
          Scale from
          <input type="number" min={0} max={99} value={scaleMin} onChange={(e) => setScaleMin(Number(e.target.value))} />
        </label>
        <label>
          Scale to
          <input type="number" min={1} max={100} value={scaleMax} onChange={(e) => setScaleMax(Number(e.target.value))} />
        </label>
        <label>
          People per item
          <input type="number" min={1} max={10} value={people} onChange={(e) => setPeople(Number(e.target.value))} />
        </label>
        <label>
          Lock for (minutes)
          <input type="number" min={1} max={60} value={lease} onChange={(e) => setLease(Number(e.target.value))} />
        </label>
        <button type="submit" className="btn primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create queue"}
        </button>
      </form>
      {create.error ? <ErrorMessage error={create.error} /> : null}
    </section>
  );
}
