import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { errorMessage } from "../../api/client";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { useCan } from "../../lib/permissions";
import { useTitle } from "../../lib/title";
import { experimentKeys, experimentsApi, type MetricResult, type Results, type SeriesPoint } from "./api";
import { chartGeometry, pValue, signed, VERDICT_WORDS } from "./format";
import "./experiments.css";

/** One experiment: its verdict, the sample ratio check, every metric against the control
 * with intervals over time, and the start, stop and promote actions. */
export default function ExperimentPage() {
  const { project = "default", id = "" } = useParams();
  const experimentId = Number(id);
  const can = useCan();
  const client = useQueryClient();
  const experiment = useQuery({
    queryKey: experimentKeys.one(project, experimentId),
    queryFn: () => experimentsApi.get(project, experimentId),
  });
  const results = useQuery({
    queryKey: experimentKeys.results(project, experimentId),
    queryFn: () => experimentsApi.results(project, experimentId),
    refetchInterval: 60_000,
  });
  useTitle(experiment.data ? `Experiment ${experiment.data.name}` : "Experiment");
  const refresh = () => void client.invalidateQueries({ queryKey: experimentKeys.list(project) });
  const act = useMutation({
    mutationFn: async (action: "start" | "stop" | "promote") => {
      if (action === "start") return experimentsApi.start(project, experimentId);
      if (action === "stop") return experimentsApi.stop(project, experimentId);
      return experimentsApi.promote(project, experimentId);
    },
    onSuccess: refresh,
  });
  if (experiment.isPending) return <Loading />;
  if (experiment.isError) return <ErrorMessage error={experiment.error} />;
  const e = experiment.data;
  const manage = can("experiment:manage");
  return (
    <div className="stack experiment">
      <h1>
        Experiment {e.name} <span className={`status status-${e.status}`}>{e.status}</span>
      </h1>
      <p className="hint">
        On <code>{e.prompt}</code>: {e.variants.map((v) => `${v.name} → ${v.label} (weight ${v.weight}${v.stopped ? ", stopped by a guardrail" : ""})`).join("; ")}.
        Sticky per {e.unit}. {e.sample_size ? `Designed for ${e.sample_size.toLocaleString()} per variant.` : ""}
        {e.stop_reason ? ` Stopped: ${e.stop_reason}.` : ""}
        {e.promoted ? ` Promoted ${String(e.promoted.variant)} (v${String(e.promoted.version)})${e.promoted.applied ? "" : ": change request opened"}.` : ""}
      </p>
      {manage && (
        <div className="row actions">
          {e.status === "draft" && (
            <button type="button" onClick={() => act.mutate("start")} disabled={act.isPending}>
              Start
            </button>
          )}
          {e.status === "running" && (
            <button type="button" onClick={() => act.mutate("stop")} disabled={act.isPending}>
              Stop (all traffic back to {e.variants[0]?.name})
            </button>
          )}
          {e.status !== "draft" && !e.promoted && can("prompt:label") && (
            <button type="button" onClick={() => act.mutate("promote")} disabled={act.isPending}>
              Promote the winner
            </button>
          )}
        </div>
      )}
      {act.isError && <p className="error" role="alert">{errorMessage(act.error)}</p>}
      {act.isSuccess && act.variables === "promote" && "applied" in act.data && (
        <p className="notice" role="status">
          {act.data.applied
            ? `Label ${act.data.label} now points at version ${act.data.version}.`
            : `Change request #${act.data.change_request} opened: ${act.data.label} is protected.`}
        </p>
      )}
      {results.isPending && <Loading />}
      {results.isError && <ErrorMessage error={results.error} />}
      {results.data && <Dashboard results={results.data} />}
    </div>
  );
}

function Dashboard({ results }: { results: Results }) {
  return (
    <>
      <section className={`card verdict verdict-${results.verdict}`} aria-label="Verdict">
        <h2>{VERDICT_WORDS[results.verdict] ?? results.verdict}</h2>
        <p>{results.verdict_text}</p>
        <p className="hint">
          {results.generations.toLocaleString()} generations;{" "}
          {Object.entries(results.units)
            .map(([variant, n]) => `${variant} ${n.toLocaleString()} units`)
            .join(", ")}
          ; analysed in {(results.seconds * 1000).toFixed(0)} ms.
        </p>
      </section>
      {results.srm?.mismatch && (
        <p className="error srm-warning" role="alert">
          Sample ratio mismatch: {results.srm.text}
        </p>
      )}
      {results.guardrail_breach.length > 0 && (
        <p className="error" role="alert">
          Guardrail: {results.guardrail_breach.join("; ")}
        </p>
      )}
      {results.metrics.map((metric) => (
        <Metric key={metric.metric} metric={metric} />
      ))}
    </>
  );
}

function Metric({ metric }: { metric: MetricResult }) {
  return (
    <section className="card stack" aria-label={`Metric ${metric.metric}`}>
      <h2>
        {metric.metric} <span className="hint">({metric.role}, {metric.direction} is better)</span>
      </h2>
      {metric.note && <p className="hint">{metric.note}</p>}
      <div className="table-scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">n</th>
            <th scope="col">{metric.kind === "rate" ? "Rate" : "Mean"}</th>
            <th scope="col">Difference (95 % CI)</th>
            <th scope="col">p</th>
            <th scope="col">Always-valid p (CI)</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {metric.variants.map((v, index) => {
            const c = index === 0 ? undefined : metric.comparisons[index - 1];
            return (
              <tr key={v.variant}>
                <td>{v.variant}{index === 0 ? " (control)" : ""}</td>
                <td>{v.n.toLocaleString()}</td>
                <td>{v.value === null || v.value === undefined ? "–" : v.value.toPrecision(4)}</td>
                <td>{c ? `${signed(c.estimate)} (${signed(c.ci.low)} to ${signed(c.ci.high)})` : ""}</td>
                <td>{c ? pValue(c.p_value) : ""}</td>
                <td>
                  {c ? `${pValue(c.always_valid_p)} (${signed(c.always_valid_ci.low)} to ${signed(c.always_valid_ci.high)})` : ""}
                </td>
                <td title={c?.verdict_text}>{c ? VERDICT_WORDS[c.verdict] ?? c.verdict : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>
      {metric.comparisons.map((c) => (
        <IntervalChart
          key={c.variant}
          title={`${metric.metric}: ${c.variant} vs control, always-valid interval by day`}
          points={metric.series.filter((p) => p.variant === c.variant)}
        />
      ))}
    </section>
  );
}

const WIDTH = 560;
const HEIGHT = 140;

/** The estimate by day with its always-valid interval (a band); the dashed line is 0. */
function IntervalChart({ title, points }: { title: string; points: SeriesPoint[] }) {
  const first = points[0];
  const last = points[points.length - 1];
  if (points.length < 2 || !first || !last) return null;
  const { bands, y, zero } = chartGeometry(points, WIDTH, HEIGHT);
  const at = (x: number, v: number | null) => (v === null ? [] : [`${x},${y(v)}`]);
  const upper = bands.flatMap((b) => at(b.x, b.high));
  const lower = bands.flatMap((b) => at(b.x, b.low)).reverse();
  const line = bands.flatMap((b) => at(b.x, b.estimate)).join(" ");
  return (
    <figure className="interval-chart">
      <svg viewBox={`-4 -4 ${WIDTH + 8} ${HEIGHT + 8}`} role="img" aria-label={title}>
        <title>{title}</title>
        {upper.length > 1 && lower.length > 1 && <polygon className="band" points={[...upper, ...lower].join(" ")} />}
        <line className="zero" x1={0} x2={WIDTH} y1={zero} y2={zero} />
        <polyline className="estimate" points={line} />
      </svg>
      <figcaption>
        {title}. {first.day} to {last.day}; last: {signed(last.estimate)} ({signed(last.always_valid_ci.low)} to{" "}
        {signed(last.always_valid_ci.high)}).
      </figcaption>
    </figure>
  );
}
