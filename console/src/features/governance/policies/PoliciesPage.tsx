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
import { governanceQueries } from "../queries";

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
  const [saved, setSaved] = useState("");
  const save = useMutation({
    mutationFn: () =>
      reviews.setPolicy(project, {
        require_review: requireReview,
        protected_labels: splitList(labels),
        required_approvals: Number(approvals),
        gates,
      }),
    onSuccess: (policy) => {
      client.setQueryData(keys.policy(project), policy);
      setSaved(`Policy of ${project} saved.`);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved("");
    save.mutate();
  }
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
          {Object.keys(gates).map((gate) => (
            <label key={gate} className="inline-field">
              <input
                type="checkbox"
                checked={gates[gate] ?? false}
                onChange={(e) => setGates({ ...gates, [gate]: e.target.checked })}
              />
              {GATE_TEXT[gate] ?? gate}
            </label>
          ))}
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
