import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { errorMessage } from "../../../api/client";
import { prompts, runtime } from "../../../api/endpoints";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { money, percent, progressShare, toRunCreate, type LauncherForm } from "./format";
import { evaluationKeys, evaluations, type DryRun, type Run } from "./runsApi";
import "./runs.css";

const EVALUATOR_KINDS = ["exact_match", "contains", "regex", "json_valid", "levenshtein", "rouge_l", "bleu"];

/** Evaluation runs of the project: the launcher (with its cost estimate) and the list. */
export default function RunsPage() {
  useTitle("Evaluations");
  const can = useCan();
  if (!can("evaluation:read")) {
    return (
      <div className="stack">
        <h1>Evaluations</h1>
        <p className="notice">Your role cannot read this project&apos;s evaluation runs.</p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>Evaluations</h1>
      <p className="hint">
        Run prompt versions and models over a dataset, score every output, and compare runs. The same runs start
        from CI with <code>promptyard eval run</code>.
      </p>
      {can("evaluation:run") && <Launcher />}
      <RunList />
    </div>
  );
}

function Launcher() {
  const { project = "default" } = useParams();
  const navigate = useNavigate();
  const promptList = useQuery({
    queryKey: ["evaluations", project, "prompts"],
    queryFn: () => prompts.list(project, { limit: 200 } as never),
  });
  const models = useQuery({ queryKey: ["models"], queryFn: runtime.models, staleTime: 60_000 });
  const [form, setForm] = useState<LauncherForm>({
    prompt: "",
    versions: "",
    labels: "",
    models: [],
    dataset: "",
    evaluators: ["exact_match"],
    repetitions: 1,
    concurrency: 8,
    useCache: true,
  });
  const [estimate, setEstimate] = useState<DryRun | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = useMutation({
    mutationFn: async (dryRun: boolean) => evaluations.create(project, toRunCreate(form, dryRun)),
    onSuccess: (answer) => {
      if ("dry_run" in answer) setEstimate(answer);
      else void navigate(`/p/${encodeURIComponent(project)}/evaluations/${(answer as Run).id}`);
    },
    onError: (error) => setProblem(errorMessage(error)),
  });

  function go(event: FormEvent, dryRun: boolean) {
    event.preventDefault();
    setProblem(null);
    try {
      toRunCreate(form, dryRun);
    } catch (error) {
      setProblem((error as Error).message);
      return;
    }
    submit.mutate(dryRun);
  }
  function change(patch: Partial<LauncherForm>) {
    setForm({ ...form, ...patch });
    setEstimate(null);
  }

  return (
    <form className="panel stack run-launcher" aria-label="Start an evaluation run" onSubmit={(e) => go(e, true)}>
      <h2>New run</h2>
      <div className="launcher-grid">
        <label className="field">
          <span>Prompt</span>
          <select value={form.prompt} onChange={(e) => change({ prompt: e.target.value })} required>
            <option value="">Choose a prompt</option>
            {promptList.data?.items.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Versions</span>
          <input value={form.versions} placeholder="e.g. 6, 7" onChange={(e) => change({ versions: e.target.value })} />
        </label>
        <label className="field">
          <span>Labels</span>
          <input value={form.labels} placeholder="e.g. production, staging" onChange={(e) => change({ labels: e.target.value })} />
        </label>
        <label className="field">
          <span>Dataset (name or name@version)</span>
          <input value={form.dataset} onChange={(e) => change({ dataset: e.target.value })} required />
        </label>
        <label className="field">
          <span>Models</span>
          <select
            multiple
            value={form.models}
            onChange={(e) => change({ models: Array.from(e.target.selectedOptions, (o) => o.value) })}
          >
            {models.data?.items.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="field">
          <legend>Evaluators</legend>
          {EVALUATOR_KINDS.map((kind) => (
            <label key={kind} className="check">
              <input
                type="checkbox"
                checked={form.evaluators.includes(kind)}
                onChange={(e) =>
                  change({
                    evaluators: e.target.checked
                      ? [...form.evaluators, kind]
                      : form.evaluators.filter((k) => k !== kind),
                  })
                }
              />{" "}
              {kind}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Repetitions</span>
          <input
            type="number"
            min={1}
            max={20}
            value={form.repetitions}
            onChange={(e) => change({ repetitions: Number(e.target.value) || 1 })}
          />
        </label>
        <label className="field">
          <span>Concurrency</span>
          <input
            type="number"
            min={1}
            max={256}
            value={form.concurrency}
            onChange={(e) => change({ concurrency: Number(e.target.value) || 1 })}
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={form.useCache} onChange={(e) => change({ useCache: e.target.checked })} /> Reuse
          identical earlier calls (cache)
        </label>
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {estimate && (
        <section className="estimate" aria-label="Cost estimate" data-testid="estimate">
          <p>
            <strong>{estimate.estimate.items.toLocaleString()}</strong> calls ({estimate.estimate.cases} cases ×{" "}
            {estimate.variants.length} variants); about {estimate.estimate.input_tokens.toLocaleString()} input and{" "}
            {estimate.estimate.output_tokens.toLocaleString()} output tokens; estimated cost{" "}
            <strong>{money(estimate.estimate.cost)}</strong>
          </p>
          <ul>
            {estimate.variants.map((v) => (
              <li key={v.index}>{v.title}</li>
            ))}
          </ul>
        </section>
      )}
      <div className="actions">
        <button type="submit" disabled={submit.isPending}>
          Estimate cost
        </button>
        <button type="button" className="primary" disabled={!estimate || submit.isPending} onClick={(e) => go(e, false)}>
          Start run
        </button>
      </div>
    </form>
  );
}

function RunList() {
  const { project = "default" } = useParams();
  const list = useQuery({
    queryKey: evaluationKeys.list(project),
    queryFn: () => evaluations.list(project),
    refetchInterval: (query) =>
      query.state.data?.items.some((r) => r.status === "queued" || r.status === "running") ? 2000 : false,
  });
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorMessage error={list.error} onRetry={() => void list.refetch()} />;
  if (list.data.items.length === 0) return <p className="hint">No evaluation runs yet.</p>;
  const base = `/p/${encodeURIComponent(project)}/evaluations`;
  return (
    <div className="table-wrap">
      <table className="runs-table">
        <caption>Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Prompt</th>
            <th scope="col">Variants</th>
            <th scope="col">Dataset</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((run) => (
            <tr key={run.id}>
              <td>
                <Link to={`${base}/${run.id}`}>#{run.id}</Link>
              </td>
              <td>{run.prompt}</td>
              <td>{run.variants.map((v) => v.title).join(", ")}</td>
              <td>
                {String(run.dataset.name)} v{String(run.dataset.version)}
              </td>
              <td>
                <span className={`badge run-${run.status}`}>{run.status}</span>
              </td>
              <td>{percent(progressShare(run.progress.done, run.progress.failed, run.progress.total), 0)}</td>
              <td>{money(run.actual_cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
