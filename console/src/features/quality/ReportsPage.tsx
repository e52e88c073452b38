// The project's quality and security report: the score distribution, the worst
// prompts, the most common findings, one prompt's score across its versions, and the
// near-duplicate prompts with the part they could share.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { useTitle } from "../../lib/title";
import { qualityQueries, type ProjectReport } from "./api";
import { bandShares, countsText } from "./findings";
import { ScoreBadge } from "./FindingsPanel";
import { SharedPartView } from "./SharedPartView";
import { TrendChart } from "./TrendChart";
import "./quality.css";

const LABELS = ["", "production", "staging"];
const THRESHOLDS = [0.5, 0.7, 0.9];

export default function ReportsPage() {
  const { project = "default" } = useParams();
  useTitle("Quality and security");
  const [label, setLabel] = useState("");
  const report = useQuery(qualityQueries.report(project, label));
  return (
    <div className="quality-page">
      <div className="page-head">
        <h1>Quality and security</h1>
        <label className="field">
          <span>Prompts at label</span>
          <select value={label} onChange={(e) => setLabel(e.target.value)}>
            {LABELS.map((l) => (
              <option key={l} value={l}>
                {l || "latest"}
              </option>
            ))}
          </select>
        </label>
      </div>
      {report.isPending && <Loading label="Scanning the project…" />}
      {report.error ? <ErrorMessage error={report.error} onRetry={() => void report.refetch()} /> : null}
      {report.data && <Report project={project} report={report.data} />}
      <Duplicates project={project} />
    </div>
  );
}

function promptLink(project: string, name: string) {
  return `/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(name)}/quality`;
}

function Report({ project, report }: { project: string; report: ProjectReport }) {
  const [picked, setPicked] = useState("");
  const chosen = picked || report.worst[0]?.name || "";
  if (report.prompts === 0) return <p>No prompts at label {report.label} yet.</p>;
  return (
    <>
      <section className="panel" aria-labelledby="summary-title">
        <h2 id="summary-title">Summary</h2>
        <p>
          {report.prompts} prompts at {report.label}
          {report.truncated ? " (the first ones only: the scan is bounded)" : ""}; mean score{" "}
          <strong>{report.mean_score ?? "–"}</strong>, median <strong>{report.median_score ?? "–"}</strong>;{" "}
          {countsText(report.counts)}; {report.with_high_findings.length} with a high-severity finding.
        </p>
      </section>
      <div className="quality-grid">
        <section className="panel" aria-labelledby="dist-title">
          <h2 id="dist-title">Score distribution</h2>
          <ul className="band-bars" aria-label="Prompts per score band">
            {bandShares(report.distribution).map(({ band, count, share }) => (
              <li key={band}>
                <span>{band}</span>
                <span aria-hidden="true">
                  <span className="bar" style={{ display: "block", width: `${share * 100}%` }} />
                </span>
                <span>
                  {count}
                  <span className="sr-only"> prompts</span>
                </span>
              </li>
            ))}
          </ul>
        </section>
        <section className="panel" aria-labelledby="worst-title">
          <h2 id="worst-title">Worst prompts</h2>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Worst prompts table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Prompt</th>
                  <th scope="col">Score</th>
                  <th scope="col">Findings</th>
                  <th scope="col">Main rules</th>
                </tr>
              </thead>
              <tbody>
                {report.worst.map((item) => (
                  <tr key={item.name}>
                    <td>
                      <Link to={promptLink(project, item.name)}>{item.name}</Link> v{item.version}
                    </td>
                    <td>
                      <ScoreBadge score={item.score} />
                    </td>
                    <td>{countsText(item.counts)}</td>
                    <td>{item.top_rules.join(", ") || "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
      <section className="panel" aria-labelledby="common-title">
        <h2 id="common-title">Most common findings</h2>
        {report.common_findings.length === 0 ? (
          <p>No findings in this project.</p>
        ) : (
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Most common findings table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Category</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Findings</th>
                  <th scope="col">Prompts</th>
                </tr>
              </thead>
              <tbody>
                {report.common_findings.map((rule) => (
                  <tr key={rule.rule}>
                    <td>
                      <code>{rule.rule}</code>
                    </td>
                    <td>{rule.category}</td>
                    <td>
                      <span className={`sev-badge sev-${rule.severity}`}>{rule.severity}</span>
                    </td>
                    <td>{rule.findings}</td>
                    <td>{rule.prompts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="report-trend-title">
        <h2 id="report-trend-title">Score across versions</h2>
        <label className="field">
          <span>Prompt</span>
          <select value={chosen} onChange={(e) => setPicked(e.target.value)}>
            {report.items.map((item) => (
              <option key={item.name} value={item.name}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
        {chosen && <PromptTrend project={project} name={chosen} />}
      </section>
    </>
  );
}

function PromptTrend({ project, name }: { project: string; name: string }) {
  const trend = useQuery(qualityQueries.trend(project, name));
  if (trend.error) return <ErrorMessage error={trend.error} />;
  if (!trend.data) return <Loading label="Scoring versions…" />;
  return <TrendChart trend={trend.data} />;
}

function Duplicates({ project }: { project: string }) {
  const [threshold, setThreshold] = useState(0.7);
  const found = useQuery(qualityQueries.duplicates(project, threshold));
  return (
    <section className="panel" aria-labelledby="dup-title">
      <h2 id="dup-title">Near-duplicates</h2>
      <label className="field">
        <span>Alike at least</span>
        <select value={threshold} onChange={(e) => setThreshold(Number(e.target.value))}>
          {THRESHOLDS.map((t) => (
            <option key={t} value={t}>
              {Math.round(t * 100)}%
            </option>
          ))}
        </select>
      </label>
      {found.error ? <ErrorMessage error={found.error} /> : null}
      {found.isPending && <Loading label="Comparing prompts…" />}
      {found.data &&
        (found.data.pairs.length === 0 ? (
          <p>No near-duplicates among {found.data.prompts} prompts.</p>
        ) : (
          <>
            <p className="hint">
              {found.data.pairs_found} pairs among {found.data.prompts} prompts, in {found.data.groups.length} groups.
              Extract the shared part into a prompt of its own and include it in each.
            </p>
            <ul className="dup-list" aria-label="Near-duplicate pairs">
              {found.data.pairs.map((pair) => (
                <li key={`${pair.a.name}|${pair.b.name}`}>
                  <Link to={promptLink(project, pair.a.name)}>{pair.a.name}</Link> and{" "}
                  <Link to={promptLink(project, pair.b.name)}>{pair.b.name}</Link>: {Math.round(pair.score * 100)}%
                  alike
                  {pair.suggestion && <SharedPartView part={pair.suggestion} />}
                </li>
              ))}
            </ul>
          </>
        ))}
    </section>
  );
}
