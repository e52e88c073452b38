import { useState } from "react";
import type { ChatMessage, Content, ExecuteResult, Model, Version } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { RenderedOutput } from "../../../components/RenderedOutput";
import { formatCost, formatMs } from "../../../lib/format";
import type { Column, ColumnResult, Variant } from "./runs";
import { SaveVariant } from "./SaveVariant";

interface Props {
  project: string;
  prompt: string;
  index: number;
  column: Column;
  models: Model[];
  versions: Version[];
  labels: Record<string, number>;
  latest: number;
  result: ColumnResult | undefined;
  maxLatency: number;
  running: boolean;
  onChange: (patch: Partial<Column>) => void;
  onRemove?: () => void;
}

/** The version a column names (a label's target, or the number). */
export function versionOf(column: Column, versions: Version[], labels: Record<string, number>): Version | undefined {
  const number = column.target.startsWith("label:") ? labels[column.target.slice(6)] : Number(column.target);
  return versions.find((v) => v.number === number);
}

/** One model × version (or an edited variant) to run, and its streamed output, tokens,
 * cost, latency and time to first token. */
export function RunColumn(props: Props) {
  const { project, prompt, index, column, models, versions, labels, latest, result, maxLatency, running } = props;
  const { onChange, onRemove } = props;
  const n = index + 1;
  const [notice, setNotice] = useState("");
  const version = versionOf(column, versions, labels);
  const variant = column.variant;
  const edit = () => {
    if (!version) return;
    const config = version.config ?? {};
    setNotice("");
    onChange({
      variant: {
        type: version.type,
        content: version.content,
        from: version.number,
        baseVersion: latest,
        baseConfig: { ...config },
        temperature: config.temperature === undefined ? "" : String(config.temperature),
        maxTokens: config.max_tokens === undefined ? "" : String(config.max_tokens),
      },
    });
  };
  return (
    <li className="panel run-column" data-testid="run-column" aria-label={`Run ${n}`}>
      <div className="section-head">
        <h2>Run {n}</h2>
        {onRemove && (
          <button type="button" className="btn small link" onClick={onRemove} disabled={running} aria-label={`Remove run ${n}`}>
            Remove
          </button>
        )}
      </div>
      <label className="field">
        <span>Model</span>
        <select value={column.model} onChange={(e) => onChange({ model: e.target.value })} disabled={running}>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name || m.id}
            </option>
          ))}
        </select>
      </label>
      {variant ? (
        <VariantFields
          n={n}
          variant={variant}
          disabled={running}
          onChange={(patch) => onChange({ variant: { ...variant, ...patch } })}
          onDiscard={() => onChange({ variant: null })}
        />
      ) : (
        <div className="run-target">
          <label className="field">
            <span>Version</span>
            <select value={column.target} onChange={(e) => onChange({ target: e.target.value })} disabled={running}>
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
          <button type="button" className="btn small" onClick={edit} disabled={running || !version}>
            Edit a variant of v{version?.number ?? "?"}
          </button>
        </div>
      )}
      <p className="hint" role="status" data-testid="run-notice">
        {notice}
      </p>
      <div className="run-output" aria-live="polite" aria-busy={result?.state === "running"}>
        <Output result={result} maxLatency={maxLatency} />
      </div>
      {variant && (
        <SaveVariant
          project={project}
          prompt={prompt}
          model={column.model}
          variant={variant}
          onSaved={(number, text) => {
            setNotice(text);
            onChange({ variant: null, target: String(number) });
          }}
          onReload={(fresh) => onChange({ variant: fresh })}
        />
      )}
    </li>
  );
}

function Output({ result, maxLatency }: { result: ColumnResult | undefined; maxLatency: number }) {
  if (!result) return <p className="hint">Press Run (Ctrl+Enter) to see the output here.</p>;
  return (
    <>
      <h3 className="small-title">
        Output{" "}
        {result.state === "running" && <span className="muted">(streaming…)</span>}
        {result.state === "cancelled" && <span className="muted">(cancelled)</span>}
      </h3>
      <pre className="rendered output" data-testid="run-output" data-state={result.state}>
        {result.output}
      </pre>
      {result.state === "error" && <ErrorMessage error={result.error} title="Run failed." />}
      {result.state === "done" && <Metrics result={result.result} maxLatency={maxLatency} />}
    </>
  );
}

function Metrics({ result, maxLatency }: { result: ExecuteResult; maxLatency: number }) {
  const width = `${Math.max(2, (result.latency_ms / maxLatency) * 100)}%`;
  return (
    <>
      <dl className="metrics">
        <div>
          <dt>Tokens in / out</dt>
          <dd>
            {result.usage.input_tokens} / {result.usage.output_tokens}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{result.cost_usd === null ? "unknown" : formatCost(result.cost_usd)}</dd>
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
        <div>
          <dt>First token</dt>
          <dd>{result.ttft_ms === null ? "–" : formatMs(result.ttft_ms)}</dd>
        </div>
      </dl>
      <details>
        <summary>Rendered prompt</summary>
        <RenderedOutput rendered={result.rendered} />
      </details>
    </>
  );
}

interface VariantProps {
  n: number;
  variant: Variant;
  disabled: boolean;
  onChange: (patch: Partial<Variant>) => void;
  onDiscard: () => void;
}

function VariantFields({ n, variant, disabled, onChange, onDiscard }: VariantProps) {
  const setMessage = (i: number, text: string) => {
    const messages = (variant.content as ChatMessage[]).map((m, j) => (j === i ? { ...m, content: text } : m));
    onChange({ content: messages as Content });
  };
  return (
    <fieldset className="variant" disabled={disabled}>
      <legend>Edited variant of v{variant.from} (not saved)</legend>
      {typeof variant.content === "string" ? (
        <label className="field">
          <span>Template</span>
          <textarea rows={5} value={variant.content} onChange={(e) => onChange({ content: e.target.value })} />
        </label>
      ) : (
        variant.content.map((m, i) =>
          "type" in m && m.type === "placeholder" ? (
            <p key={i} className="hint">
              Message {i + 1}: placeholder <code>{m.name}</code>
            </p>
          ) : (
            <label key={i} className="field">
              <span>
                Message {i + 1} ({(m as ChatMessage).role})
              </span>
              <textarea rows={3} value={(m as ChatMessage).content} onChange={(e) => setMessage(i, e.target.value)} />
            </label>
          ),
        )
      )}
      <div className="variant-params">
        <label className="field">
          <span>Temperature</span>
          <input
            inputMode="decimal"
            value={variant.temperature}
            placeholder="provider default"
            onChange={(e) => onChange({ temperature: e.target.value })}
          />
        </label>
        <label className="field">
          <span>Max tokens</span>
          <input
            inputMode="numeric"
            value={variant.maxTokens}
            placeholder="provider default"
            onChange={(e) => onChange({ maxTokens: e.target.value })}
          />
        </label>
      </div>
      <button type="button" className="btn small link" onClick={onDiscard} aria-label={`Discard variant of run ${n}`}>
        Discard variant
      </button>
    </fieldset>
  );
}
