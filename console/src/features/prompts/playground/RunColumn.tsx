import type { ExecuteResult, Model, Version } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { RenderedOutput } from "../../../components/RenderedOutput";
import { formatCost, formatMs } from "../../../lib/format";

export interface Column {
  id: number;
  model: string;
  /** "3" for a version number, "label:production" for a label */
  target: string;
}

export type ColumnResult =
  | { state: "running" }
  | { state: "done"; result: ExecuteResult }
  | { state: "error"; error: unknown };

interface Props {
  index: number;
  column: Column;
  models: Model[];
  versions: Version[];
  labels: Record<string, number>;
  result: ColumnResult | undefined;
  maxLatency: number;
  onChange: (patch: Partial<Column>) => void;
  onRemove?: () => void;
}

/** One model × version to run, and its output, tokens, cost and latency. */
export function RunColumn(props: Props) {
  const { index, column, models, versions, labels, result, maxLatency, onChange, onRemove } = props;
  const n = index + 1;
  return (
    <li className="panel run-column" data-testid="run-column" aria-label={`Run ${n}`}>
      <div className="section-head">
        <h2>Run {n}</h2>
        {onRemove && (
          <button type="button" className="btn small link" onClick={onRemove} aria-label={`Remove run ${n}`}>
            Remove
          </button>
        )}
      </div>
      <label className="field">
        <span>Model</span>
        <select value={column.model} onChange={(e) => onChange({ model: e.target.value })}>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name || m.id}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Version</span>
        <select value={column.target} onChange={(e) => onChange({ target: e.target.value })}>
          <optgroup label="Labels">
            {Object.entries(labels).map(([l, v]) => (
              <option key={l} value={`label:${l}`}>
                {l} (v{v})
              </option>
            ))}
          </optgroup>
          <optgroup label="Versions">
            {versions.map((v) => (
              <option key={v.number} value={String(v.number)}>
                v{v.number}
                {v.message ? ` – ${v.message}` : ""}
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      <div className="run-output" aria-live="polite" aria-busy={result?.state === "running"}>
        {!result ? (
          <p className="hint">Press Run (Ctrl+Enter) to see the output here.</p>
        ) : result.state === "running" ? (
          <p className="hint">Running…</p>
        ) : result.state === "error" ? (
          <ErrorMessage error={result.error} title="Run failed." />
        ) : (
          <Metrics result={result.result} maxLatency={maxLatency} />
        )}
      </div>
    </li>
  );
}

function Metrics({ result, maxLatency }: { result: ExecuteResult; maxLatency: number }) {
  const width = `${Math.max(2, (result.latency_ms / maxLatency) * 100)}%`;
  return (
    <>
      <h3 className="small-title">Output</h3>
      <pre className="rendered output" data-testid="run-output">
        {result.output}
      </pre>
      <dl className="metrics">
        <div>
          <dt>Tokens in / out</dt>
          <dd>
            {result.usage.input_tokens} / {result.usage.output_tokens}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatCost(result.cost_usd)}</dd>
        </div>
        <div>
          <dt>Latency</dt>
          <dd>
            {formatMs(result.latency_ms)}
            <span className="bar" aria-hidden="true">
              <span style={{ width }} />
            </span>
          </dd>
        </div>
      </dl>
      <details>
        <summary>Rendered prompt</summary>
        <RenderedOutput rendered={result.rendered} />
      </details>
    </>
  );
}
