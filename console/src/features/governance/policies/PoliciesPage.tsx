import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { reviews } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { Policy } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { splitList } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { datasetKeys, datasetsApi } from "../../evaluation/datasets/api";
import { governanceQueries } from "../queries";
import { EVALUATION_GATE, gateForm, gateSettings, withEvaluationGate, type GateField, type GateForm } from "./gateForm";

const GATE_TEXT: Record<string, string> = {
  variables_declared: "Variables declared: every variable the template uses is known",
  renders_with_samples: "Renders with samples: the template renders with the sample variables",
};

/** The review policy of the current project. */
export default function PoliciesPage() {
  const { project = "default" } = useParams();
  useTitle(`Policy of ${project}`);
  const policy = useQuery(governanceQueries.policy(project));
  if (policy.error) return <ErrorMessage error={policy.error} onRetry={() => void policy.refetch()} />;
  if (!policy.data) return <Loading label="Loading the policy…" />;
  return <PolicyForm key={project} project={project} initial={policy.data} />;
}

function PolicyForm({ project, initial }: { project: string; initial: Policy }) {
  const can = useCan();
  const manage = can("policy:manage");
  const client = useQueryClient();
  const [requireReview, setRequireReview] = useState(initial.require_review);
  const [labels, setLabels] = useState(initial.protected_labels.join(", "));
  const [approvals, setApprovals] = useState(String(initial.required_approvals));
  const [gates, setGates] = useState(initial.gates);
  // The evaluation-run gate runs only when gate_settings.evaluation_run is set (and
  // gates.evaluation_run is not false): the box shows whether it runs now.
  const storedRun = initial.gate_settings?.[EVALUATION_GATE];
  const runsNow = (policy: Policy) =>
    policy.gate_settings?.[EVALUATION_GATE] !== undefined && policy.gates[EVALUATION_GATE] !== false;
  const [requireRun, setRequireRun] = useState(runsNow(initial));
  const [run, setRun] = useState<GateForm>(gateForm(storedRun));
  const [problem, setProblem] = useState<{ field: GateField; error: string } | null>(null);
  const datasets = useQuery({
    queryKey: datasetKeys.all(project),
    queryFn: () => datasetsApi.list(project),
    enabled: manage && can("dataset:read"),
  });
  const [saved, setSaved] = useState("");
  const save = useMutation({
    mutationFn: (body: Pick<Policy, "gates" | "gate_settings">) =>
      reviews.setPolicy(project, {
        require_review: requireReview,
        protected_labels: splitList(labels),
        required_approvals: Number(approvals),
        ...body,
      }),
    onSuccess: (policy) => {
      client.setQueryData(keys.policy(project), policy);
      setGates(policy.gates);
      const stored = policy.gate_settings?.[EVALUATION_GATE];
      if (stored) setRun(gateForm(stored)); // as the server keeps it
      setSaved(`Policy of ${project} saved.`);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved("");
    setProblem(null);
    let gateSettingsBody = initial.gate_settings ?? {};
    let gatesBody = gates;
    if (requireRun) {
      const result = gateSettings(run);
      if (!result.ok) {
        save.reset();
        setProblem({ field: result.field, error: result.error });
        document.getElementById(`gate-${result.field}`)?.focus();
        return;
      }
      gateSettingsBody = withEvaluationGate(gateSettingsBody, result.settings);
      if (gates[EVALUATION_GATE] === false) gatesBody = { ...gates, [EVALUATION_GATE]: true };
    } else if (runsNow(initial)) {
      // turning it off removes its settings: the server replaces gate_settings whole
      gateSettingsBody = withEvaluationGate(gateSettingsBody, null);
    }
    save.mutate({ gates: gatesBody, gate_settings: gateSettingsBody });
  }
  const describedBy = (field: GateField) =>
    [`gate-${field}-hint`, problem?.field === field ? "gate-problem" : ""].filter(Boolean).join(" ");
  const change = (patch: Partial<GateForm>) => setRun({ ...run, ...patch });
  return (
    <form className="stack policy-form" onSubmit={submit}>
      <div className="section-head">
        <h1>Review policy of {project}</h1>
      </div>
      <p className="hint">
        With review required, a protected label moves only through an approved change request.
        Use the project switcher in the top bar for another project.
        {!manage && " Only admins can change the policy."}
      </p>
      <fieldset className="panel" disabled={!manage}>
        <legend>Review</legend>
        <div className="stack">
          <label className="inline-field">
            <input type="checkbox" checked={requireReview} onChange={(e) => setRequireReview(e.target.checked)} />
            Require review to move protected labels
          </label>
          <label className="field">
            <span>Protected labels</span>
            <input value={labels} onChange={(e) => setLabels(e.target.value)} aria-describedby="protected-hint" />
          </label>
          <p id="protected-hint" className="hint">
            Separated by commas, e.g. <code>production, staging</code>. <code>latest</code> cannot be protected.
          </p>
          <label className="field approvals-field">
            <span>Required approvals</span>
            <input type="number" min={1} max={10} required value={approvals} onChange={(e) => setApprovals(e.target.value)} />
          </label>
        </div>
      </fieldset>
      <fieldset className="panel" disabled={!manage}>
        <legend>Quality gates</legend>
        <p className="hint">Checked when a change request is opened and again when it is approved.</p>
        <div className="stack">
          {Object.keys(gates)
            .filter((gate) => gate !== EVALUATION_GATE)
            .map((gate) => (
              <label key={gate} className="inline-field">
                <input
                  type="checkbox"
                  checked={gates[gate] ?? false}
                  onChange={(e) => setGates({ ...gates, [gate]: e.target.checked })}
                />
                {GATE_TEXT[gate] ?? gate}
              </label>
            ))}
          <label className="inline-field">
            <input
              type="checkbox"
              checked={requireRun}
              onChange={(e) => {
                setRequireRun(e.target.checked);
                setProblem(null);
              }}
            />
            Require a passing evaluation run
          </label>
          {!requireRun && storedRun !== undefined && (
            <p className="hint">
              {runsNow(initial) ? (
                "Saving turns this gate off and removes its settings."
              ) : (
                <>
                  Settings for this gate are stored but switched off (<code>gates.evaluation_run</code> is false). Check
                  the box to turn it on with them.
                </>
              )}
            </p>
          )}
          {requireRun && (
            <div className="stack">
              <p className="hint">
                The newest finished evaluation run of the requested version on the dataset must meet every threshold. The
                gate reads runs and never starts one: start it from Evaluations or with <code>promptyard eval run</code>.
              </p>
              <label className="field">
                <span>Dataset</span>
                <input
                  id="gate-dataset"
                  value={run.dataset}
                  list="gate-datasets"
                  autoComplete="off"
                  maxLength={140}
                  aria-invalid={problem?.field === "dataset" || undefined}
                  aria-describedby={describedBy("dataset")}
                  onChange={(e) => change({ dataset: e.target.value })}
                />
              </label>
              <datalist id="gate-datasets">
                {(datasets.data?.items ?? []).map((d) => (
                  <option key={d.id} value={d.name}>
                    latest version {d.latest_version}, {d.case_count} cases
                  </option>
                ))}
              </datalist>
              <p id="gate-dataset-hint" className="hint">
                A dataset of this project. Add <code>@version</code> to pin one, e.g. <code>qa@3</code>; without it a run on
                any version counts.
              </p>
              <label className="field">
                <span>Thresholds</span>
                <textarea
                  id="gate-thresholds"
                  rows={3}
                  value={run.thresholds}
                  aria-invalid={problem?.field === "thresholds" || undefined}
                  aria-describedby={describedBy("thresholds")}
                  onChange={(e) => change({ thresholds: e.target.value })}
                />
              </label>
              <p id="gate-thresholds-hint" className="hint">
                One per line or separated by commas, written <code>evaluator=minimum</code>, e.g.{" "}
                <code>exact_match=0.9</code> (as <code>--fail-under</code> of <code>promptyard eval run</code>).
              </p>
              <label className="field">
                <span>Models (optional)</span>
                <input
                  id="gate-models"
                  value={run.models}
                  autoComplete="off"
                  aria-invalid={problem?.field === "models" || undefined}
                  aria-describedby={describedBy("models")}
                  onChange={(e) => change({ models: e.target.value })}
                />
              </label>
              <p id="gate-models-hint" className="hint">
                Separated by commas, written <code>connection/model</code>, e.g. <code>openai/gpt-4o-mini</code>: the
                version must pass on each. Empty: a run on any model counts.
              </p>
              {problem && (
                <p id="gate-problem" className="field-error" role="alert">
                  {problem.error}
                </p>
              )}
            </div>
          )}
        </div>
      </fieldset>
      {save.error ? <ErrorMessage error={save.error} title="Could not save the policy." /> : null}
      <p className="sr-only" role="status">{saved}</p>
      {saved && <div className="notice ok">{saved}</div>}
      {manage && (
        <div className="row">
          <button type="submit" className="btn primary" disabled={save.isPending}>
            Save policy
          </button>
        </div>
      )}
    </form>
  );
}
