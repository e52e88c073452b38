import { useEffect, useRef, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useParams, useSearchParams } from "react-router";
import type { Version } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useTitle } from "../../../lib/title";
import { promptQueries } from "../queries";
import { DiffView, type DiffMode } from "./DiffView";
import { MoveLabelDialog } from "./MoveLabelDialog";
import { RollbackDialog } from "./RollbackDialog";
import { Timeline } from "./Timeline";

type Action = null | { kind: "rollback"; version: number } | { kind: "label"; version: number };

export default function HistoryPage() {
  const { project = "default", name = "" } = useParams();
  useTitle(`${name} history`);
  const prompt = useQuery(promptQueries.one(project, name));
  const versions = useQuery(promptQueries.versions(project, name));
  const [params, setParams] = useSearchParams();
  const [mode, setMode] = useState<DiffMode>("split");
  const [action, setAction] = useState<Action>(null);
  // The outcome of a rollback or label move; `n` tells two equal messages apart, so each
  // one takes the focus (and the view) when it arrives.
  const [result, setResult] = useState({ text: "", n: 0 });
  const resultRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (result.n > 0) resultRef.current?.focus();
  }, [result]);
  const report = (text: string) => setResult((r) => ({ text, n: r.n + 1 }));

  const items: Version[] = versions.data?.items ?? [];
  const newest = items[0]?.number ?? 0;
  const to = Number(params.get("to")) || newest;
  const toVersion = items.find((v) => v.number === to);
  const from = Number(params.get("from")) || toVersion?.parent || Math.max(1, to - 1);
  const canDiff = from > 0 && to > 0 && from !== to;

  const diff = useQuery({
    ...promptQueries.diff(project, name, from, to),
    enabled: canDiff,
    placeholderData: keepPreviousData,
  });

  const pick = (which: "from" | "to", n: number) => {
    const next = new URLSearchParams(params);
    next.set(which, String(n));
    if (which === "to" && !params.get("from")) next.set("from", String(from));
    if (which === "from" && !params.get("to")) next.set("to", String(to));
    setParams(next, { replace: true });
  };

  if (versions.isPending || prompt.isPending) return <Loading label="Loading history…" />;
  if (versions.error) return <ErrorMessage error={versions.error} onRetry={() => void versions.refetch()} />;
  if (prompt.error) return <ErrorMessage error={prompt.error} onRetry={() => void prompt.refetch()} />;
  const latest = prompt.data.latest_version;
  const labels = prompt.data.labels ?? {};

  return (
    <div className="history">
      <h1 className="sr-only">History of {name}</h1>
      <p className="sr-only" role="status">
        {result.text}
      </p>
      {result.text && (
        <div className="notice ok" ref={resultRef} tabIndex={-1} data-testid="history-result">
          {result.text}
        </div>
      )}
      <div className="history-grid">
        {/* The comparison comes first: on a phone it is what History is for; from 1000 px
            the grid puts the timeline on the left, and the diff stays in view (sticky). */}
        <section className="panel history-diff" aria-labelledby="diff-title">
          <div className="section-head">
            <h2 id="diff-title">
              Compare v{from} → v{to}
            </h2>
            <fieldset className="segmented">
              <legend className="sr-only">Diff layout</legend>
              {(["split", "inline"] as const).map((m) => (
                <label key={m} className={mode === m ? "active" : ""}>
                  <input type="radio" name="diff-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
                  {m === "split" ? "Side by side" : "Inline"}
                </label>
              ))}
            </fieldset>
          </div>
          {!canDiff ? (
            <p className="hint">
              {items.length < 2
                ? "There is only one version so far. Save a change in the editor and compare it here."
                : "Pick two different versions in the timeline to compare them."}
            </p>
          ) : diff.error ? (
            <ErrorMessage error={diff.error} onRetry={() => void diff.refetch()} />
          ) : diff.data ? (
            <DiffView diff={diff.data} mode={mode} />
          ) : (
            <Loading label="Computing diff…" />
          )}
        </section>
        <Timeline
          versions={items}
          total={versions.data.total}
          from={from}
          to={to}
          latest={latest}
          onPick={pick}
          onRollback={(version) => setAction({ kind: "rollback", version })}
          onMoveLabel={(version) => setAction({ kind: "label", version })}
        />
      </div>
      {action?.kind === "rollback" && (
        <RollbackDialog
          project={project}
          name={name}
          version={action.version}
          latest={latest}
          labels={labels}
          onClose={() => setAction(null)}
          onDone={(text, made) => {
            // Show what the rollback made: the version before it against the new one.
            setParams(new URLSearchParams({ from: String(latest), to: String(made) }), { replace: true });
            report(text);
          }}
        />
      )}
      {action?.kind === "label" && (
        <MoveLabelDialog
          project={project}
          name={name}
          versions={items}
          labels={labels}
          initialVersion={action.version}
          onClose={() => setAction(null)}
          onDone={report}
        />
      )}
    </div>
  );
}
