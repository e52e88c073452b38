import { useQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import type { Impact } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useTitle } from "../../../lib/title";
import { promptQueries } from "../../prompts/queries";
import { governanceQueries } from "../queries";
import { StatusBadge } from "../reviews/status";

/** What changing this prompt affects: its labels, the prompts that include it, open requests. */
export default function ImpactPage() {
  const { project = "default", name = "" } = useParams();
  useTitle(`${name} impact`);
  const [params, setParams] = useSearchParams();
  const raw = Number(params.get("version"));
  const version = Number.isInteger(raw) && raw > 0 ? raw : undefined;
  const versions = useQuery(promptQueries.versions(project, name));
  const impact = useQuery(governanceQueries.impact(project, name, version));

  return (
    <div className="impact-page">
      <div className="section-head">
        <h1>Impact of {name}</h1>
        <label className="field">
          <span>Version</span>
          <select
            value={version ?? ""}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              if (e.target.value) next.set("version", e.target.value);
              else next.delete("version");
              setParams(next, { replace: true });
            }}
          >
            <option value="">All versions</option>
            {version !== undefined && !versions.data?.items.some((v) => v.number === version) && (
              <option value={version}>v{version}</option>
            )}
            {(versions.data?.items ?? []).map((v) => (
              <option key={v.number} value={v.number}>
                v{v.number}
                {v.labels.length > 0 ? ` (${v.labels.join(", ")})` : ""}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="hint">
        Before you move a label, deprecate or archive {name}, check what depends on it.
      </p>
      {impact.error ? (
        <ErrorMessage error={impact.error} onRetry={() => void impact.refetch()} />
      ) : !impact.data ? (
        <Loading label="Loading impact…" />
      ) : (
        <ImpactView project={project} impact={impact.data} />
      )}
    </div>
  );
}

export function ImpactView({ project, impact }: { project: string; impact: Impact }) {
  const promptPath = (name: string) => `/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(name)}`;
  const which = impact.version === null ? "" : ` on v${impact.version}`;
  return (
    <div className="impact-sections">
      <section className="panel" aria-labelledby="impact-labels">
        <h2 id="impact-labels">Labels{which}</h2>
        {impact.labels.length === 0 ? (
          <p className="hint">
            No label points {impact.version === null ? "at this prompt" : `at v${impact.version}`}. Labels such as{" "}
            <code>production</code> that apps fetch would appear here, with the version each points to.
          </p>
        ) : (
          <ul className="impact-list" data-testid="impact-labels">
            {impact.labels.map((l) => (
              <li key={l.name}>
                <span className={`label label-${l.name}`}>{l.name}</span> → v{l.version}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="impact-dependents">
        <h2 id="impact-dependents">Dependents</h2>
        {impact.dependents.length === 0 ? (
          <p className="hint">
            No other prompt includes or extends {impact.prompt}. Prompts that do, with{" "}
            <code>{`{% include "prompt:${impact.prompt}@production" %}`}</code>, would appear here with the version
            of {impact.prompt} they resolve to (their latest and labelled versions are checked).
          </p>
        ) : (
          <ul className="impact-list" data-testid="impact-dependents">
            {impact.dependents.map((d) => (
              <li key={`${d.prompt}@${d.version}/${d.reference}`}>
                <Link className="prompt-link" to={promptPath(d.prompt)}>
                  {d.prompt}
                </Link>{" "}
                v{d.version} includes <code>{d.reference}</code>,{" "}
                {d.resolves_to === null ? (
                  <strong>which does not resolve</strong>
                ) : (
                  <>which resolves to v{d.resolves_to}</>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="impact-requests">
        <h2 id="impact-requests">Open change requests</h2>
        {impact.change_requests.length === 0 ? (
          <p className="hint">
            No change request for {impact.prompt} is open. Requests to move one of its labels would appear here until
            they are applied or closed.
          </p>
        ) : (
          <ul className="impact-list" data-testid="impact-requests">
            {impact.change_requests.map((cr) => (
              <li key={cr.id}>
                <Link className="prompt-link" to={`/p/${encodeURIComponent(project)}/reviews/${cr.id}`}>
                  #{cr.id}: {cr.label} → v{cr.version}
                </Link>{" "}
                <StatusBadge status={cr.status} /> <span className="muted">by {cr.author}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
