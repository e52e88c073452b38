import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { useCan } from "../../lib/permissions";
import { useTitle } from "../../lib/title";
import { analytics, type ComparedMetric } from "./api";
import { bucketLabel, formatCost, formatCount, formatMs, formatPct, generationsRangeLink, rangeOf } from "./model";
import { analyticsQueries } from "./queries";
import "./analytics.css";

/** A prompt's metrics by version over the last 30 days, the version comparison with
 * confidence intervals, and its version and label moves. */
export default function PromptMetricsPage() {
  const { name = "" } = useParams();
  useTitle(`${name} · Metrics`);
  const can = useCan();
  if (!can("generation:read")) return <p className="notice">Your role cannot read this project&apos;s generations.</p>;
  return <PromptMetrics name={name} />;
}

const METRIC_NAMES: Record<ComparedMetric["metric"], string> = {
  cost_per_call: "Cost per call",
  latency_mean_ms: "Mean latency",
  latency_p50_ms: "Latency p50",
  latency_p95_ms: "Latency p95",
  error_rate: "Error rate",
  feedback_mean: "Mean score",
  thumbs_ratio: "Thumbs up",
};

function formatMetric(metric: ComparedMetric["metric"], value: number | null | undefined): string {
  if (metric === "cost_per_call") return formatCost(value);
  if (metric.startsWith("latency")) return formatMs(value);
  if (metric === "feedback_mean") return value === null || value === undefined ? "–" : value.toFixed(2);
  return formatPct(value);
}

function PromptMetrics({ name }: { name: string }) {
  const { project = "default" } = useParams();
  const base = useMemo(() => rangeOf("30d"), []);
  const q = { ...base, bucket: "week" as const, group_by: "version" as const, prompt: name };
  const costs = useQuery(analyticsQueries.costs(project, q));
  const perf = useQuery(analyticsQueries.performance(project, q));
  const usage = useQuery(analyticsQueries.usage(project, q));
  const trends = useQuery(analyticsQueries.trends(project, { prompt: name, since: base.since, until: base.until, bucket: "day" }));
  const versions = useMemo(
    () => (costs.data?.series ?? []).map((s) => s.group.version ?? "").filter((v) => v && v !== "0").sort((a, b) => Number(a) - Number(b)),
    [costs.data],
  );
  const [pair, setPair] = useState<{ a: string; b: string }>({ a: "", b: "" });
  const a = pair.a || versions[versions.length - 2] || "";
  const b = pair.b || versions[versions.length - 1] || "";
  const compare = useMutation({
    mutationFn: () => analytics.compare(project, { prompt: name, a, b, since: base.since, until: base.until }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    compare.mutate();
  }

  const failed = costs.error ?? perf.error ?? usage.error;
  if (failed) return <ErrorMessage error={failed} />;
  if (!costs.data || !perf.data || !usage.data) return <Loading />;
  const perfBy = new Map(perf.data.series.map((s) => [s.group.version, s.total]));
  const usageBy = new Map(usage.data.series.map((s) => [s.group.version, s.total]));
  const since = Date.parse(base.since);
  const until = Date.parse(base.until);

  return (
    <div className="stack analytics">
      <section className="panel" aria-labelledby="by-version">
        <h2 id="by-version">Last 30 days by version</h2>
        {costs.data.series.length === 0 ? (
          <p className="hint">No generations of this prompt in the last 30 days.</p>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Calls</th>
                  <th scope="col">Cost per call</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Latency p50 / p95</th>
                  <th scope="col">Error rate</th>
                  <th scope="col">Thumbs up</th>
                </tr>
              </thead>
              <tbody>
                {[...costs.data.series]
                  .sort((x, y) => Number(y.group.version) - Number(x.group.version))
                  .map((s) => {
                    const v = s.group.version ?? "";
                    const p = perfBy.get(v);
                    const u = usageBy.get(v);
                    return (
                      <tr key={v}>
                        <th scope="row">
                          <Link to={generationsRangeLink(project, since, until, { prompt: name, version: v })}>{v === "0" ? "(none)" : `v${v}`}</Link>
                        </th>
                        <td>{formatCount(s.total.calls)}</td>
                        <td>{formatCost(s.total.cost_per_call)}</td>
                        <td>{formatCost(s.total.cost)}</td>
                        <td>
                          {formatMs(p?.latency_p50_ms)} / {formatMs(p?.latency_p95_ms)}
                        </td>
                        <td>{formatPct(p?.error_rate)}</td>
                        <td>{formatPct(u?.thumbs_ratio, 0)}</td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="compare">
        <h2 id="compare">Compare two versions</h2>
        <form className="filters" onSubmit={submit}>
          <label className="field">
            <span>Baseline</span>
            <select value={a} onChange={(e) => setPair({ a: e.target.value, b })}>
              {versions.map((v) => (
                <option key={v} value={v}>{`v${v}`}</option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Candidate</span>
            <select value={b} onChange={(e) => setPair({ a, b: e.target.value })}>
              {versions.map((v) => (
                <option key={v} value={v}>{`v${v}`}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={!a || !b || a === b || compare.isPending}>
            Compare
          </button>
        </form>
        {compare.error && <ErrorMessage error={compare.error} />}
        {compare.data && (
          <>
            <p className="compare-sentence" role="status">
              {compare.data.summary}
            </p>
            <div className="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Metric</th>
                    <th scope="col">{`v${compare.data.a}`}</th>
                    <th scope="col">{`v${compare.data.b}`}</th>
                    <th scope="col">Difference (95 % CI)</th>
                  </tr>
                </thead>
                <tbody>
                  {compare.data.metrics.map((m) => (
                    <tr key={m.metric}>
                      <th scope="row">{METRIC_NAMES[m.metric]}</th>
                      <td>{formatMetric(m.metric, m.a)}</td>
                      <td>{formatMetric(m.metric, m.b)}</td>
                      <td>
                        {m.relative_ci_low !== null && m.relative_ci_high !== null && m.relative !== null
                          ? `${formatPct(m.relative, 0)} (${formatPct(m.relative_ci_low, 0)} to ${formatPct(m.relative_ci_high, 0)})`
                          : m.ci_low !== null && m.ci_high !== null
                            ? `${formatMetric(m.metric, m.difference)} (${formatMetric(m.metric, m.ci_low)} to ${formatMetric(m.metric, m.ci_high)})`
                            : "–"}
                        {m.significant ? " ·  significant" : ""}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>

      {trends.data && (
        <section className="panel" aria-labelledby="moves">
          <h2 id="moves">Version and label moves</h2>
          <p className="hint">
            Month-end cost forecast: <strong>{formatCost(trends.data.forecast.forecast)}</strong> ({formatCost(trends.data.forecast.spent)} so
            far; {trends.data.forecast.method}).
          </p>
          {trends.data.markers.length === 0 ? (
            <p className="hint">No versions created or labels moved in the last 30 days.</p>
          ) : (
            <ul>
              {trends.data.markers.map((m) => (
                <li key={`${m.at}-${m.text}`}>
                  <time dateTime={m.at}>{bucketLabel(m.at, "hour")}</time> — {m.text}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
