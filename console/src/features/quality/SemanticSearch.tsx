// The library's "search by meaning" switch (semantic search over embeddings of each
// prompt's latest version) and its results. Disabled, with the server's reason, when
// semantic search is not available here.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { qualityQueries } from "./api";
import "./quality.css";

interface ToggleProps {
  project: string;
  on: boolean;
  onChange: (on: boolean) => void;
}

export function SemanticToggle({ project, on, onChange }: ToggleProps) {
  const status = useQuery(qualityQueries.semanticStatus(project));
  const available = status.data?.available ?? false;
  const reason = status.data && !available ? status.data.reason : "";
  return (
    <div className="semantic-toggle">
      <label className="check">
        <input
          type="checkbox"
          checked={on && available}
          disabled={!available}
          aria-describedby={reason ? "semantic-off" : undefined}
          onChange={(e) => onChange(e.target.checked)}
        />{" "}
        Search by meaning
      </label>
      {reason && (
        <span id="semantic-off" className="hint">
          Unavailable: {reason}
        </span>
      )}
      {available && status.data && status.data.pending > 0 && (
        <span className="hint">{status.data.pending} prompts still being indexed.</span>
      )}
    </div>
  );
}

export function SemanticResults({ project, q }: { project: string; q: string }) {
  const found = useQuery(qualityQueries.semantic(project, q));
  if (found.isPending) return <Loading label="Searching by meaning…" />;
  if (found.error) return <ErrorMessage error={found.error} onRetry={() => void found.refetch()} />;
  const base = `/p/${encodeURIComponent(project)}/prompts`;
  return (
    <section aria-labelledby="semantic-title" className="panel">
      <h2 id="semantic-title">Closest in meaning to “{q}”</h2>
      <p className="hint">
        {found.data.indexed} prompts indexed with {found.data.model}
        {found.data.pending ? `; ${found.data.pending} waiting` : ""}.
      </p>
      {found.data.items.length === 0 ? (
        <p>Nothing indexed matches yet.</p>
      ) : (
        <ol aria-label="Prompts by meaning">
          {found.data.items.map((hit) => (
            <li key={hit.name}>
              <Link to={`${base}/${encodeURIComponent(hit.name)}`}>{hit.name}</Link> v{hit.version}{" "}
              <span className="muted">similarity {hit.score.toFixed(2)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
