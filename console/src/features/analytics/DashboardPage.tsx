import { useCallback, useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { useCan } from "../../lib/permissions";
import { useTitle } from "../../lib/title";
import type { AnalyticsQuery, Bucket } from "./api";
import { Breakdown } from "./Breakdown";
import {
  formatCost,
  formatCount,
  formatMs,
  formatPct,
  generationsLink,
  generationsRangeLink,
  isRange,
  RANGES,
  rangeOf,
  type RangeKey,
} from "./model";
import { analyticsQueries } from "./queries";
import { TimeChart } from "./TimeChart";
import "./analytics.css";

/** The project dashboard: requests, cost, tokens, latency, errors and feedback over time,
 * top prompts by cost and breakdowns, from the rollups (GET /analytics/*). */
export default function DashboardPage() {
  useTitle("Dashboard");
  const can = useCan();
  if (!can("generation:read")) {
    return (
      <div className="stack">
        <h1>Dashboard</h1>
        <p className="notice">Your role cannot read this project&apos;s generations.</p>
      </div>
    );
  }
  return <Dashboard />;
}

function Dashboard() {
  const { project = "default" } = useParams();
  const [params, setParams] = useSearchParams();
  const raw = params.get("range");
  const range: RangeKey = isRange(raw) ? raw : "30d";
  const base = useMemo(() => rangeOf(range), [range]);
  const series: AnalyticsQuery = base;
  const coarse: Bucket = range === "24h" ? "day" : "week";
  const usage = useQuery(analyticsQueries.usage(project, series));
  const costs = useQuery(analyticsQueries.costs(project, series));
  const perf = useQuery(analyticsQueries.performance(project, series));
  const byPrompt = useQuery(analyticsQueries.costs(project, { ...base, bucket: coarse, group_by: "prompt" }));
  const byModel = useQuery(analyticsQueries.costs(project, { ...base, bucket: coarse, group_by: "model" }));
  const byUser = useQuery(analyticsQueries.costs(project, { ...base, bucket: coarse, group_by: "user" }));
  const byFeature = useQuery(analyticsQueries.costs(project, { ...base, bucket: coarse, group_by: "feature" }));
  const navigate = useNavigate();
  const pick = useCallback((href: string) => void navigate(href), [navigate]);

  const u = usage.data?.series[0];
  const c = costs.data?.series[0];
  const p = perf.data?.series[0];
  const buckets = useMemo(() => (u ? u.points.map((pt) => pt.bucket) : []), [u]);
  const link = useCallback(
    (index: number) => generationsLink(project, buckets[index] ?? base.since, base.bucket),
    [project, buckets, base.bucket, base.since],
  );
  const groupLink = useCallback(
    (group: Record<string, string>) => generationsRangeLink(project, Date.parse(base.since), Date.parse(base.until), group),
    [project, base.since, base.until],
  );

  const requests = useMemo(
    () => (u ? [{ label: "Calls", values: u.points.map((pt) => pt.calls) }, { label: "Errors", values: u.points.map((pt) => pt.errors) }] : []),
    [u],
  );
  const costSeries = useMemo(() => (c ? [{ label: "Cost", values: c.points.map((pt) => pt.cost) }] : []), [c]);
  const tokens = useMemo(
    () =>
      u
        ? [
            { label: "Input tokens", values: u.points.map((pt) => pt.input_tokens) },
            { label: "Output tokens", values: u.points.map((pt) => pt.output_tokens) },
          ]
        : [],
    [u],
  );
  const latency = useMemo(
    () =>
      p
        ? [
            { label: "p50", values: p.points.map((pt) => pt.latency_p50_ms) },
            { label: "p95", values: p.points.map((pt) => pt.latency_p95_ms) },
            { label: "p99", values: p.points.map((pt) => pt.latency_p99_ms) },
          ]
        : [],
    [p],
  );
  const errors = useMemo(() => (p ? [{ label: "Error rate", values: p.points.map((pt) => pt.error_rate) }] : []), [p]);
  const feedback = useMemo(
    () =>
      u
        ? [
            { label: "Thumbs up ratio", values: u.points.map((pt) => pt.thumbs_ratio) },
            { label: "Mean score", values: u.points.map((pt) => pt.feedback_mean) },
          ]
        : [],
    [u],
  );
  const pct = useCallback((v: number | null | undefined) => formatPct(v, 0), []);

  const failed = usage.error ?? costs.error ?? perf.error;
  return (
    <div className="stack analytics">
      <div className="analytics-head">
        <h1>Dashboard</h1>
        <label className="field">
          <span>Range</span>
          <select value={range} onChange={(e) => setParams({ range: e.target.value })}>
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {failed && <ErrorMessage error={failed} />}
      {!u || !c || !p ? (
        <Loading />
      ) : (
        <>
          <dl className="kpis" aria-label="Totals">
            <Kpi name="Requests" value={formatCount(u.total.calls)} />
            <Kpi name="Cost" value={formatCost(c.total.cost)} />
            <Kpi name="Cost per 1,000 calls" value={formatCost(c.total.cost_per_1k_calls)} />
            <Kpi name="Tokens" value={formatCount(u.total.total_tokens)} />
            <Kpi name="Latency p95" value={formatMs(p.total.latency_p95_ms)} />
            <Kpi name="Error rate" value={formatPct(p.total.error_rate)} />
            <Kpi name="Thumbs up" value={formatPct(u.total.thumbs_ratio, 0)} />
            <Kpi name="Unique users" value={formatCount(u.total.unique_users)} />
          </dl>
          <div className="charts">
            <TimeChart title="Requests" buckets={buckets} bucket={base.bucket} series={requests} format={formatCount} linkFor={link} onPick={pick} />
            <TimeChart title="Cost" buckets={buckets} bucket={base.bucket} series={costSeries} format={formatCost} linkFor={link} onPick={pick} />
            <TimeChart title="Tokens" buckets={buckets} bucket={base.bucket} series={tokens} format={formatCount} linkFor={link} onPick={pick} />
            <TimeChart title="Latency" buckets={buckets} bucket={base.bucket} series={latency} format={formatMs} linkFor={link} onPick={pick} />
            <TimeChart title="Errors" buckets={buckets} bucket={base.bucket} series={errors} format={pct} linkFor={link} onPick={pick} />
            <TimeChart title="Feedback" buckets={buckets} bucket={base.bucket} series={feedback} format={pct} linkFor={link} onPick={pick} />
          </div>
          <div className="breakdowns">
            {byPrompt.data && (
              <Breakdown title="Top prompts by cost" series={byPrompt.data.series} dropped={byPrompt.data.groups_dropped} linkFor={groupLink} />
            )}
            {byModel.data && <Breakdown title="By model" series={byModel.data.series} dropped={byModel.data.groups_dropped} linkFor={groupLink} />}
            {byFeature.data && (
              <Breakdown title="By feature" series={byFeature.data.series} dropped={byFeature.data.groups_dropped} linkFor={groupLink} />
            )}
            {byUser.data && <Breakdown title="By user" series={byUser.data.series} dropped={byUser.data.groups_dropped} linkFor={groupLink} />}
          </div>
        </>
      )}
    </div>
  );
}

function Kpi({ name, value }: { name: string; value: string }) {
  return (
    <div className="kpi">
      <dt>{name}</dt>
      <dd>{value}</dd>
    </div>
  );
}
