import { Fragment, useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { formatMs } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { DiffView } from "../../prompts/history/DiffView";
import { money, outputDiff, percent, progressShare, withInterval } from "./format";
import {
  FINISHED,
  evaluationKeys,
  evaluations,
  type CaseVariant,
  type ComparedEvaluator,
  type Run,
  type Summary,
  type TrendPoint,
} from "./runsApi";
import "./runs.css";

const PAGE = 25;

/** One run: live progress (polled), its summary with intervals, the per-case results
 * with the variants' outputs side by side and their diff, and a comparison with an
 * earlier run of the same prompt. */
export default function RunPage() {
  const { project = "default", id = "0" } = useParams();
  const runId = Number(id);
  useTitle(`Evaluation #${runId}`);
  const can = useCan();
  const client = useQueryClient();
  const run = useQuery({
    queryKey: evaluationKeys.run(project, runId),
    queryFn: () => evaluations.get(project, runId),
    refetchInterval: (query) =>
      query.state.data && (FINISHED as readonly string[]).includes(query.state.data.status) ? false : 1000,
  });
  const act = useMutation({
    mutationFn: (what: "cancel" | "resume") =>
      what === "cancel" ? evaluations.cancel(project, runId) : evaluations.resume(project, runId),
    onSuccess: (answer) => client.setQueryData(evaluationKeys.run(project, runId), answer),
  });
  if (run.isPending) return <Loading />;
  if (run.isError) return <ErrorMessage error={run.error} onRetry={() => void run.refetch()} />;
  const r = run.data;
  const share = progressShare(r.progress.done, r.progress.failed, r.progress.total);
  const active = r.status === "queued" || r.status === "running";
  return (
    <div className="stack">
      <p>
        <Link to={`/p/${encodeURIComponent(project)}/evaluations`}>← All runs</Link>
      </p>
      <h1>
        Evaluation #{r.id} · {r.prompt}
      </h1>
      <p className="hint">
        Dataset {String(r.dataset.name)} v{String(r.dataset.version)} · {r.repetitions} repetition(s) · started by{" "}
        {r.created_by} · estimated {money(r.estimate.cost as number | null | undefined)}, spent {money(r.actual_cost)}
      </p>
      <section className="panel run-progress" aria-label="Progress">
        <p>
          <span className={`badge run-${r.status}`} data-testid="run-status">
            {r.status}
          </span>{" "}
          {r.progress.done + r.progress.failed} of {r.progress.total} calls ({r.progress.failed} failed,{" "}
          {r.progress.cached} from cache)
        </p>
        <progress max={1} value={share} aria-label="Run progress">
          {percent(share, 0)}
        </progress>
        {r.error && <p className="error">{r.error}</p>}
        {can("evaluation:run") && (
          <div className="actions">
            {active && (
              <button type="button" onClick={() => act.mutate("cancel")} disabled={act.isPending}>
                Cancel
              </button>
            )}
            {(r.status === "cancelled" || r.status === "failed") && (
              <button type="button" onClick={() => act.mutate("resume")} disabled={act.isPending}>
                Resume
              </button>
            )}
          </div>
        )}
        {act.isError && <ErrorMessage error={act.error} />}
      </section>
      {r.summary && <SummaryTable run={r} summary={r.summary as unknown as Summary} />}
      <CaseResults run={r} />
      {r.status === "completed" && <Compare run={r} />}
    </div>
  );
}

function SummaryTable({ run, summary }: { run: Run; summary: Summary }) {
  const stability = summary.variants.some((v) => v.stability);
  return (
    <div className="table-wrap">
      <table className="run-summary" aria-label="Results by variant">
        <caption>Per variant: pass rate (or mean) with its 95 % bootstrap interval</caption>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            {summary.evaluators.map((name) => (
              <th scope="col" key={name}>
                {name}
              </th>
            ))}
            <th scope="col">Cost</th>
            <th scope="col">Latency p50 / p95</th>
            {stability && <th scope="col">Agreement across repetitions</th>}
          </tr>
        </thead>
        <tbody>
          {summary.variants.map((v) => (
            <tr key={v.index}>
              <th scope="row">{run.variants[v.index]?.title ?? v.index}</th>
              {v.evaluators.map((e) => (
                <td key={e.name}>{withInterval(e)}</td>
              ))}
              <td>{money(v.cost.total)}</td>
              <td>
                {formatMs(v.latency_ms.p50)} / {formatMs(v.latency_ms.p95)}
              </td>
              {stability && (
                <td>
                  {v.stability
                    ? Object.entries(v.stability)
                        .map(([name, s]) => `${name}: ${percent(s.pass_agreement ?? s.output_agreement, 0)}`)
                        .join(", ")
                    : "–"}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CaseResults({ run }: { run: Run }) {
  const { project = "default" } = useParams();
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<number | null>(null);
  const results = useQuery({
    // Progress in the key: the page is read again as calls finish (and once at the end).
    queryKey: [...evaluationKeys.results(project, run.id, offset), run.status, run.progress.done + run.progress.failed],
    queryFn: () => evaluations.results(project, run.id, offset, PAGE),
    placeholderData: keepPreviousData,
  });
  if (results.isPending) return <Loading />;
  if (results.isError) return <ErrorMessage error={results.error} />;
  const { items, total } = results.data;
  const first = run.variants[0];
  return (
    <section className="stack" aria-label="Cases">
      <h2>Cases</h2>
      <div className="table-wrap">
        <table className="run-cases">
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">Expected</th>
              {run.variants.map((v) => (
                <th scope="col" key={v.index}>
                  {v.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <Fragment key={c.case_index}>
                <tr>
                  <th scope="row">
                    <button
                      type="button"
                      className="link"
                      aria-expanded={open === c.case_index}
                      onClick={() => setOpen(open === c.case_index ? null : c.case_index)}
                    >
                      {c.case_id}
                    </button>
                  </th>
                  <td className="output">{c.expected ?? "–"}</td>
                  {(c.variants as unknown as CaseVariant[]).map((v) => (
                    <td key={v.variant} className="output">
                      <OutputCell entry={v} />
                    </td>
                  ))}
                </tr>
                {open === c.case_index && (
                  <tr className="case-detail">
                    <td colSpan={2 + run.variants.length}>
                      <h3>Input</h3>
                      <pre>{JSON.stringify(c.input, null, 2)}</pre>
                      {(c.variants as unknown as CaseVariant[]).slice(1).map((v) => {
                        const diff = outputDiff(
                          v,
                          first?.resolved_version ?? 0,
                          run.variants[v.variant]?.resolved_version ?? 0,
                        );
                        return (
                          <div key={v.variant}>
                            <h3>
                              {first?.title} → {run.variants[v.variant]?.title}
                            </h3>
                            {diff && <DiffView diff={diff} mode="split" />}
                          </div>
                        );
                      })}
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      <div className="actions">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Previous
        </button>
        <span>
          Cases {total === 0 ? 0 : offset + 1}–{Math.min(total, offset + PAGE)} of {total}
        </span>
        <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
          Next
        </button>
      </div>
    </section>
  );
}

function OutputCell({ entry }: { entry: CaseVariant }) {
  return (
    <>
      {entry.outputs.map((o) => (
        <div key={o.repetition} className={`rep rep-${o.status}`}>
          {o.status === "failed" ? <em>error: {o.error}</em> : <span>{o.output}</span>}
          <span className="scores">
            {Object.entries(o.scores).map(([name, s]) => (
              <span
                key={name}
                className={`badge ${s.passed === false ? "fail" : s.passed ? "pass" : ""}`}
                title={name}
              >
                {name}: {s.passed === null || s.passed === undefined ? (s.value ?? "–") : s.passed ? "pass" : "fail"}
              </span>
            ))}
            {o.cached && <span className="badge">cached</span>}
          </span>
        </div>
      ))}
    </>
  );
}

function Compare({ run }: { run: Run }) {
  const { project = "default" } = useParams();
  const others = useQuery({
    queryKey: evaluationKeys.list(project, run.prompt),
    queryFn: () => evaluations.list(project, run.prompt),
  });
  const [baseline, setBaseline] = useState<number | null>(null);
  const compared = useQuery({
    queryKey: evaluationKeys.compare(project, run.id, baseline ?? 0),
    queryFn: () => evaluations.compare(project, run.id, baseline ?? 0),
    enabled: baseline !== null,
  });
  const choices = others.data?.items.filter((r) => r.id !== run.id && r.status === "completed") ?? [];
  return (
    <section className="stack" aria-label="Compare with an earlier run">
      <h2>Compare</h2>
      {choices.length === 0 ? (
        <p className="hint">No other completed run of {run.prompt} to compare with.</p>
      ) : (
        <label className="field">
          <span>Baseline run</span>
          <select value={baseline ?? ""} onChange={(e) => setBaseline(e.target.value ? Number(e.target.value) : null)}>
            <option value="">Choose a run</option>
            {choices.map((r) => (
              <option key={r.id} value={r.id}>
                #{r.id} · {r.variants.map((v) => v.title).join(", ")}
              </option>
            ))}
          </select>
        </label>
      )}
      {compared.isError && <ErrorMessage error={compared.error} />}
      {compared.data && (
        <>
          <div className="table-wrap">
            <table aria-label="Regressions and improvements">
              <thead>
                <tr>
                  <th scope="col">Evaluator</th>
                  <th scope="col">Baseline</th>
                  <th scope="col">This run</th>
                  <th scope="col">Regressed</th>
                  <th scope="col">Improved</th>
                  <th scope="col">Unchanged</th>
                </tr>
              </thead>
              <tbody>
                {(compared.data.evaluators as unknown as ComparedEvaluator[]).map((e) => (
                  <tr key={e.name}>
                    <th scope="row">{e.name}</th>
                    <td>{e.baseline ? withInterval(e.baseline) : "–"}</td>
                    <td>{e.run ? withInterval(e.run) : "–"}</td>
                    <td title={e.regressed.join(", ")}>{e.regressed_count}</td>
                    <td title={e.improved.join(", ")}>{e.improved_count}</td>
                    <td>{e.unchanged_count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Trend points={compared.data.trend as unknown as TrendPoint[]} />
        </>
      )}
    </section>
  );
}

function Trend({ points }: { points: TrendPoint[] }) {
  if (points.length === 0) return null;
  const names = Array.from(new Set(points.flatMap((p) => Object.keys(p.values))));
  return (
    <div className="table-wrap">
      <table aria-label="Trend across versions">
        <caption>Trend: the prompt&apos;s completed runs, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Version</th>
            <th scope="col">Model</th>
            {names.map((n) => (
              <th scope="col" key={n}>
                {n}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={`${p.run_id}-${p.variant}`}>
              <td>#{p.run_id}</td>
              <td>v{p.version}</td>
              <td>{p.model}</td>
              {names.map((n) => (
                <td key={n}>{p.values[n] === null || p.values[n] === undefined ? "–" : p.values[n]?.toFixed(3)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
