import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import type { Variable, Version } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { VariablesPanel } from "../../../components/VariablesPanel";
import { useModShortcut } from "../../../lib/hooks";
import { useTitle } from "../../../lib/title";
import { variableValues } from "../../../lib/values";
import { promptQueries } from "../queries";
import { RunColumn, type Column, type ColumnResult } from "./RunColumn";
import { runColumn } from "./run";

export const MAX_COLUMNS = 4;
let nextId = 0;

function variablesOf(versions: Version[], columns: Column[], labels: Record<string, number>): Variable[] {
  const seen = new Map<string, Variable>();
  for (const column of columns) {
    const number = column.target.startsWith("label:") ? labels[column.target.slice(6)] : Number(column.target);
    const version = versions.find((v) => v.number === number);
    for (const v of version?.variables ?? []) if (!seen.has(v.name)) seen.set(v.name, v);
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

  const modelIds = (models.data?.items ?? []).map((m) => m.id);
  const defaultModel = () => {
    const configured = prompt.data?.version.config?.model;
    return typeof configured === "string" && modelIds.includes(configured) ? configured : (modelIds[0] ?? "");
  };
  // Start with one column: the configured (or first) model on the latest version.
  if (columns.length === 0 && prompt.data && models.data) {
    setColumns([{ id: nextId++, model: defaultModel(), target: String(prompt.data.latest_version) }]);
  }

  const labels = prompt.data?.labels ?? {};
  const variables = variablesOf(versions.data?.items ?? [], columns, labels);
  const running = Object.values(results).some((r) => r.state === "running");

  async function runAll() {
    if (running || columns.length === 0) return;
    const sent = variableValues(variables.map((v) => v.name), values);
    setResults(Object.fromEntries(columns.map((c) => [c.id, { state: "running" } as ColumnResult])));
    await Promise.all(
      columns.map(async (column) => {
        const result = await runColumn(project, name, column, sent);
        setResults((r) => ({ ...r, [column.id]: result }));
      }),
    );
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
  const latest = String(prompt.data.latest_version);
  const modelList = models.data.items;
  const versionList = versions.data.items;

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
            disabled={columns.length >= MAX_COLUMNS}
            onClick={() =>
              setColumns((cols) => [
                ...cols,
                { id: nextId++, model: cols[cols.length - 1]?.model ?? defaultModel(), target: cols[cols.length - 1]?.target ?? latest },
              ])
            }
          >
            Add comparison{columns.length >= MAX_COLUMNS ? " (max 4)" : ""}
          </button>
          <button type="button" className="btn primary" onClick={() => void runAll()} disabled={running}>
            {running ? "Running…" : "Run"} <kbd>Ctrl+Enter</kbd>
          </button>
        </div>
      </div>
      {modelIds.length === 0 && (
        <p className="notice">No model provider is configured on the server, so prompts cannot run yet.</p>
      )}
      <div className="playground-grid">
        <VariablesPanel variables={variables} values={values} onChange={(n, v) => setValues((s) => ({ ...s, [n]: v }))} />
        <ol className="columns" aria-label="Runs to compare" data-count={columns.length}>
          {columns.map((column, index) => (
            <RunColumn
              key={column.id}
              index={index}
              column={column}
              models={modelList}
              versions={versionList}
              labels={labels}
              result={results[column.id]}
              maxLatency={maxLatency}
              onChange={(patch) => update(column.id, patch)}
              onRemove={columns.length > 1 ? () => setColumns((cols) => cols.filter((c) => c.id !== column.id)) : undefined}
            />
          ))}
        </ol>
      </div>
    </div>
  );
}
