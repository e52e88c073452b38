import { useQuery } from "@tanstack/react-query";
import type { ModelConfig } from "../../../api/types";
import { promptQueries } from "../queries";

interface Props {
  config: ModelConfig;
  onChange: (config: ModelConfig) => void;
}

const NUMBER_FIELDS: { key: string; label: string; min: number; max?: number; step: number }[] = [
  { key: "temperature", label: "Temperature", min: 0, max: 2, step: 0.1 },
  { key: "max_tokens", label: "Max tokens", min: 1, step: 1 },
  { key: "top_p", label: "Top p", min: 0, max: 1, step: 0.05 },
];
const KNOWN = new Set(["model", ...NUMBER_FIELDS.map((f) => f.key)]);

/** Model settings stored with each version; unknown keys are kept as they are. */
export function ModelConfigForm({ config, onChange }: Props) {
  const models = useQuery(promptQueries.models());
  const set = (key: string, value: unknown) => onChange({ ...config, [key]: value });
  const other = Object.entries(config).filter(([k]) => !KNOWN.has(k));
  return (
    <fieldset className="panel config">
      <legend>Model configuration</legend>
      <div className="config-grid">
        <label className="field">
          <span>Model</span>
          <input
            list="model-options"
            value={typeof config.model === "string" ? config.model : ""}
            placeholder="e.g. fake/echo"
            onChange={(e) => set("model", e.target.value)}
          />
        </label>
        <datalist id="model-options">
          {(models.data?.items ?? []).map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </datalist>
        {NUMBER_FIELDS.map((f) => (
          <label className="field" key={f.key}>
            <span>{f.label}</span>
            <input
              type="number"
              inputMode="decimal"
              min={f.min}
              max={f.max}
              step={f.step}
              value={typeof config[f.key] === "number" ? String(config[f.key]) : ""}
              onChange={(e) => set(f.key, e.target.value === "" ? "" : Number(e.target.value))}
            />
          </label>
        ))}
      </div>
      {other.length > 0 && (
        <p className="hint">
          Also set:{" "}
          {other.map(([k, v]) => (
            <code key={k}>
              {k}={JSON.stringify(v)}{" "}
            </code>
          ))}
        </p>
      )}
    </fieldset>
  );
}
