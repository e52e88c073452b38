// A prompt's quality tab: the findings of its latest version, the score across its
// versions, prompts like it (with the part they share), and the optional LLM review.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { useTitle } from "../../lib/title";
import { promptQueries } from "../prompts/queries";
import { qualityQueries } from "./api";
import { FindingsPanel } from "./FindingsPanel";
import { ReviewPanel } from "./ReviewPanel";
import { SharedPartView } from "./SharedPartView";
import { TrendChart } from "./TrendChart";
import "./quality.css";

export default function PromptQualityPage() {
  const { project = "default", name = "" } = useParams();
  useTitle(`${name}: quality`);
  const prompt = useQuery(promptQueries.one(project, name));
  const findings = useQuery(qualityQueries.findings(project, name));
  const trend = useQuery(qualityQueries.trend(project, name));
  const similar = useQuery(qualityQueries.similar(project, name));
  if (prompt.isPending) return <Loading label="Loading prompt…" />;
  if (prompt.error) return <ErrorMessage error={prompt.error} onRetry={() => void prompt.refetch()} />;
  const version = prompt.data.version.number;
  const base = `/p/${encodeURIComponent(project)}/prompts`;
  return (
    <div className="quality-page">
      <h1>Quality of {name}</h1>
      <div className="quality-grid">
        <FindingsPanel result={findings.data} error={findings.error} title={`Findings of version ${version}`} />
        <section className="panel" aria-labelledby="trend-title">
          <h2 id="trend-title">Score across versions</h2>
          {trend.error ? <ErrorMessage error={trend.error} /> : null}
          {trend.data ? <TrendChart trend={trend.data} /> : !trend.error && <Loading label="Scoring versions…" />}
        </section>
      </div>
      <section className="panel" aria-labelledby="similar-title">
        <h2 id="similar-title">Similar prompts</h2>
        {similar.error ? <ErrorMessage error={similar.error} /> : null}
        {similar.data && (
          <>
            <p className="hint">
              Compared by wording with {similar.data.compared} prompts (word 3-grams, Jaccard index ≥{" "}
              {similar.data.min_score}).
            </p>
            {similar.data.items.length === 0 ? (
              <p>No similar prompts.</p>
            ) : (
              <ul className="similar-list" aria-label="Similar prompts">
                {similar.data.items.map((item) => (
                  <li key={item.name}>
                    <Link to={`${base}/${encodeURIComponent(item.name)}/quality`}>{item.name}</Link> v{item.version}:{" "}
                    {Math.round(item.score * 100)}% alike
                    {item.suggestion && <SharedPartView part={item.suggestion} />}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </section>
      <ReviewPanel project={project} name={name} version={version} />
    </div>
  );
}
