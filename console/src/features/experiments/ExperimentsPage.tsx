import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { errorMessage } from "../../api/client";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { useCan } from "../../lib/permissions";
import { useTitle } from "../../lib/title";
import { experimentKeys, experimentsApi } from "./api";
import { toExperimentCreate, toPowerRequest, type DesignForm } from "./format";
import "./experiments.css";

const METRICS = ["feedback", "cost", "latency", "error_rate"];
const GUARDRAILS = ["cost", "latency", "error_rate"];

/** The project's experiments: the designer (with the sample size) and the list. */
export default function ExperimentsPage() {
  useTitle("Experiments");
  const can = useCan();
  if (!can("experiment:read")) {
    return (
      <div className="stack">
        <h1>Experiments</h1>
        <p className="notice">Your role cannot read this project&apos;s experiments.</p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>Experiments</h1>
      <p className="hint">
        Split live traffic between labels of a prompt and compare feedback, cost, latency and errors, with intervals
        that stay valid however often you look. Pass a user or session id to <code>get_prompt</code> to take part.
      </p>
      {can("experiment:manage") && <Designer />}
      <ExperimentList />
    </div>
  );
}

const EMPTY: DesignForm = {
  name: "",
  prompt: "",
  unit: "user",
  variants: [
    { name: "control", label: "production", weight: "1" },
    { name: "candidate", label: "staging", weight: "1" },
  ],
  primaryMetric: "feedback",
  metrics: "",
  guardrails: [...GUARDRAILS],
  baseline: "",
  sd: "",
  mde: "",
};

function Designer() {
  const { project = "default" } = useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [form, setForm] = useState<DesignForm>(EMPTY);
  const [problem, setProblem] = useState<string | null>(null);
  const powerRequest = toPowerRequest(form);
  const power = useQuery({
    queryKey: ["experiments", "power", powerRequest],
    queryFn: () => (powerRequest ? experimentsApi.power(powerRequest) : Promise.reject(new Error("no design"))),
    enabled: powerRequest !== null,
    retry: false,
  });
  const create = useMutation({
    mutationFn: () => experimentsApi.create(project, toExperimentCreate(form)),
    onSuccess: (experiment) => {
      void client.invalidateQueries({ queryKey: experimentKeys.list(project) });
      void navigate(`/p/${encodeURIComponent(project)}/experiments/${experiment.id}`);
    },
    onError: (error) => setProblem(errorMessage(error)),
  });
  const set = (patch: Partial<DesignForm>) => setForm((f) => ({ ...f, ...patch }));
  const setVariant = (index: number, key: "name" | "label" | "weight", value: string) =>
    set({ variants: form.variants.map((v, i) => (i === index ? { ...v, [key]: value } : v)) });

  function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    try {
      toExperimentCreate(form);
    } catch (error) {
      setProblem((error as Error).message);
      return;
    }
    create.mutate();
  }

  return (
    <form className="card stack experiment-designer" onSubmit={submit} aria-label="New experiment">
      <h2>New experiment</h2>
      <div className="row">
        <label>
          Name <input value={form.name} onChange={(e) => set({ name: e.target.value })} required />
        </label>
        <label>
          Prompt <input value={form.prompt} onChange={(e) => set({ prompt: e.target.value })} required />
        </label>
        <label>
          Sticky per
          <select value={form.unit} onChange={(e) => set({ unit: e.target.value as "user" | "session" })}>
            <option value="user">user</option>
            <option value="session">session</option>
          </select>
        </label>
      </div>
      <fieldset>
        <legend>Variants (the first is the control)</legend>
        {form.variants.map((variant, index) => (
          <div className="row" key={index}>
            <label>
              Variant {index + 1} name
              <input value={variant.name} onChange={(e) => setVariant(index, "name", e.target.value)} />
            </label>
            <label>
              Label
              <input value={variant.label} onChange={(e) => setVariant(index, "label", e.target.value)} />
            </label>
            <label>
              Weight
              <input inputMode="decimal" value={variant.weight} onChange={(e) => setVariant(index, "weight", e.target.value)} />
            </label>
          </div>
        ))}
        <button type="button" onClick={() => set({ variants: [...form.variants, { name: "", label: "", weight: "1" }] })}>
          Add a variant
        </button>
      </fieldset>
      <div className="row">
        <label>
          Primary metric
          <select value={form.primaryMetric} onChange={(e) => set({ primaryMetric: e.target.value })}>
            {METRICS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          Other metrics (comma separated: score:&lt;evaluator&gt;, meta:&lt;key&gt;)
          <input value={form.metrics} onChange={(e) => set({ metrics: e.target.value })} />
        </label>
      </div>
      <fieldset>
        <legend>Guardrails (a variant clearly worse on one is stopped)</legend>
        {GUARDRAILS.map((g) => (
          <label key={g} className="inline">
            <input
              type="checkbox"
              checked={form.guardrails.includes(g)}
              onChange={(e) =>
                set({ guardrails: e.target.checked ? [...form.guardrails, g] : form.guardrails.filter((x) => x !== g) })
              }
            />
            {g}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <label>
          Baseline (a rate 0 to 1, or the mean)
          <input inputMode="decimal" value={form.baseline} onChange={(e) => set({ baseline: e.target.value })} />
        </label>
        <label>
          Standard deviation (means only)
          <input inputMode="decimal" value={form.sd} onChange={(e) => set({ sd: e.target.value })} />
        </label>
        <label>
          Minimum detectable effect
          <input inputMode="decimal" value={form.mde} onChange={(e) => set({ mde: e.target.value })} />
        </label>
      </div>
      <p className="sample-size" aria-live="polite">
        {powerRequest === null
          ? "Give a baseline and a minimum detectable effect (and a standard deviation for a mean) to see the sample size."
          : power.isError
            ? `The calculator says: ${errorMessage(power.error)}`
            : power.data
              ? `Sample size: ${power.data.text}`
              : "Computing the sample size…"}
      </p>
      {problem && <p className="error" role="alert">{problem}</p>}
      <div>
        <button type="submit" disabled={create.isPending}>
          Create the experiment
        </button>
      </div>
    </form>
  );
}

function ExperimentList() {
  const { project = "default" } = useParams();
  const list = useQuery({ queryKey: experimentKeys.list(project), queryFn: () => experimentsApi.list(project) });
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorMessage error={list.error} />;
  if (list.data.items.length === 0) return <p className="hint">No experiments yet.</p>;
  return (
    <div className="table-scroll">
    <table className="experiments">
      <caption>Experiments</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Prompt</th>
          <th scope="col">Status</th>
          <th scope="col">Variants</th>
          <th scope="col">Primary metric</th>
          <th scope="col">Sample size</th>
        </tr>
      </thead>
      <tbody>
        {list.data.items.map((e) => (
          <tr key={e.id}>
            <td>
              <Link to={`/p/${encodeURIComponent(project)}/experiments/${e.id}`}>{e.name}</Link>
            </td>
            <td>{e.prompt}</td>
            <td>
              <span className={`status status-${e.status}`}>{e.status}</span>
            </td>
            <td>{e.variants.map((v) => `${v.name} (${v.label})`).join(", ")}</td>
            <td>{e.primary_metric}</td>
            <td>{e.sample_size ?? "–"}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}
