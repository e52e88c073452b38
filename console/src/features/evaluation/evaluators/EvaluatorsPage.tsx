import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { datasetKeys, datasetsApi } from "../datasets/api";
import "../datasets/datasets.css";

/** The evaluator library: every kind (built in and from plugins), what it needs, whether it
 * can run on this server, and its config's JSON Schema (docs/evaluators.md). */
export default function EvaluatorsPage() {
  useTitle("Evaluators");
  const { project = "default" } = useParams();
  const can = useCan();
  const list = useQuery({
    queryKey: datasetKeys.evaluators(project),
    queryFn: () => datasetsApi.evaluators(project),
    enabled: can("evaluation:read"),
  });
  if (!can("evaluation:read")) {
    return (
      <div className="stack">
        <h1>Evaluators</h1>
        <p className="notice">Your role cannot see evaluations.</p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>Evaluators</h1>
      <p className="hint">
        What a run, an online evaluator or a CI job can score outputs with. Each takes a config checked against the schema
        shown; judges call a model through one of the workspace&apos;s provider connections, and their cost is recorded.
      </p>
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading evaluators…" />}
      {list.data && (
        <ul className="plain-list evaluator-list" aria-label="Evaluators">
          {list.data.items.map((e) => (
            <li key={e.kind} className="panel stack" data-testid={`evaluator-${e.kind}`}>
              <h2>
                {e.label} <code>{e.kind}</code>
              </h2>
              <p>{e.description}</p>
              <p className="evaluator-tags">
                <span className="count">{e.source === "judge" ? "model judge" : "rule"}</span>
                {e.requires.map((need) => (
                  <span key={need} className="count">
                    needs {need}
                  </span>
                ))}
                {!e.builtin && <span className="count">plugin</span>}
                {!e.available && <span className="count">unavailable</span>}
              </p>
              {!e.available && e.unavailable_reason && <p className="notice">{e.unavailable_reason}</p>}
              <details>
                <summary>Config schema</summary>
                <pre tabIndex={0} aria-label={`Config schema of ${e.kind}`}>
                  {JSON.stringify(e.config_schema, null, 2)}
                </pre>
              </details>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
