import { useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import type { Variable, Version } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { VariablesPanel } from "../../../components/VariablesPanel";
import { useModShortcut } from "../../../lib/hooks";
import { useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { variableValues } from "../../../lib/values";
import { detectContentVariables } from "../../prompts/editor/variables";
import { promptQueries } from "../../prompts/queries";
import "../runtime.css";
import { RunColumn, versionOf } from "./RunColumn";
import { applyEvent, runSpec, settle, streamRuns, type Column, type ColumnResult } from "./runs";

export const MAX_COLUMNS = 4;
let nextId = 0;

/** The variables of every column's template: its version's, or those an edited variant uses. */
function variablesOf(versions: Version[], columns: Column[], labels: Record<string, number>): Variable[] {
  const seen = new Map<string, Variable>();
  for (const column of columns) {
    const found = column.variant
      ? detectContentVariables(column.variant.content).map((name) => ({ name, required: true }) as Variable)
      : (versionOf(column, versions, labels)?.variables ?? []);
    for (const v of found) if (!seen.has(v.name)) seen.set(v.name, v);
  }
  return [...seen.values()];
}

export default function PlaygroundPage() {
  const { project = "default", name = "" } = useParams();
  useTitle(`${name} playground`);
  const prompt = useQuery(promptQueries.one(project, name));
  const versions = useQuery(promptQueries.versions(project, name));
  const models = useQuery(promptQueries.models());
  const [columns, setColumns] = useState<Column[]>([]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [results, setResults] = useState<Record<number, ColumnResult>>({});
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const controller = useRef<AbortController | null>(null);
  const denied = useDenied()("prompt:execute", "run prompts");

  const modelIds = (models.data?.items ?? []).map((m) => m.id);
  const defaultModel = () => {
    const configured = prompt.data?.version.config?.model;
    return typeof configured === "string" && modelIds.includes(configured) ? configured : (modelIds[0] ?? "");
  };
  // Start with one column: the configured (or first) model on the latest version.
  if (columns.length === 0 && prompt.data && models.data) {
    setColumns([{ id: nextId++, model: defaultModel(), target: String(prompt.data.latest_version), variant: null }]);
  }

  const labels = prompt.data?.labels ?? {};
  const variables = variablesOf(versions.data?.items ?? [], columns, labels);

  /** Every column in one streamed request: each column's output grows as its deltas arrive. */
  async function runAll() {
    if (running || columns.length === 0 || denied) return;
    const ids = columns.map((c) => c.id);
    const abort = new AbortController();
    controller.current = abort;
    setRunning(true);
    setFailure(null);
    setResults(Object.fromEntries(ids.map((id) => [id, { state: "running", output: "" } as ColumnResult])));
    let cause: unknown = new Error("The stream ended before this run finished.");
    try {
      await streamRuns(
        project,
        {
          prompt: name,
          variables: variableValues(variables.map((v) => v.name), values),
          runs: columns.map(runSpec),
          stream: true,
          feature: "playground",
        },
        (event) => setResults((r) => applyEvent(r, ids, event)),
        abort.signal,
      );
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") cause = "cancelled";
      else {
        cause = error;
        setFailure(error);
      }
    } finally {
      setResults((r) => settle(r, cause));
      controller.current = null;
      setRunning(false);
    }
  }
  useModShortcut("enter", () => void runAll());

  const failed = prompt.error ?? versions.error ?? models.error;
  if (failed)
    return (
      <ErrorMessage
        error={failed}
        onRetry={() => void Promise.all([prompt.refetch(), versions.refetch(), models.refetch()])}
      />
    );
  if (!prompt.data || !versions.data || !models.data) return <Loading label="Loading playground…" />;
  const latest = prompt.data.latest_version;
  const maxLatency = Math.max(1, ...Object.values(results).map((r) => (r.state === "done" ? r.result.latency_ms : 0)));
  const update = (id: number, patch: Partial<Column>) =>
    setColumns((cols) => cols.map((c) => (c.id === id ? { ...c, ...patch } : c)));

  return (
    <div className="playground">
      <div className="section-head">
        <h1>Playground</h1>
        <div className="row">
          <button
            type="button"
            className="btn"
            disabled={columns.length >= MAX_COLUMNS || running}
            onClick={() =>
              setColumns((cols) => {
                const last = cols[cols.length - 1];
                return [...cols, { id: nextId++, model: last?.model ?? defaultModel(), target: last?.target ?? String(latest), variant: null }];
              })
            }
          >
            Add comparison{columns.length >= MAX_COLUMNS ? " (max 4)" : ""}
          </button>
          {running ? (
            <button type="button" className="btn danger" onClick={() => controller.current?.abort()}>
              Cancel
            </button>
          ) : (
            <button
              type="button"
              className="btn primary"
              onClick={() => void runAll()}
              disabled={!!denied}
              aria-describedby={denied ? "run-denied" : undefined}
            >
              Run <kbd>Ctrl+Enter</kbd>
            </button>
          )}
        </div>
      </div>
      {denied && (
        <p id="run-denied" className="hint">
          {denied}
        </p>
      )}
      {failure !== null && <ErrorMessage error={failure} title="The runs did not start." />}
      <div className="playground-grid">
        <VariablesPanel variables={variables} values={values} onChange={(n, v) => setValues((s) => ({ ...s, [n]: v }))} />
        <ol className="columns" aria-label="Runs to compare" data-count={columns.length}>
          {columns.map((column, index) => (
            <RunColumn
              key={column.id}
              project={project}
              prompt={name}
              index={index}
              column={column}
              models={models.data.items}
              versions={versions.data.items}
              labels={labels}
              latest={latest}
              result={results[column.id]}
              maxLatency={maxLatency}
              running={running}
              onChange={(patch) => update(column.id, patch)}
              onRemove={columns.length > 1 ? () => setColumns((cols) => cols.filter((c) => c.id !== column.id)) : undefined}
            />
          ))}
        </ol>
      </div>
    </div>
  );
}
