// The evaluation-run gate of a review policy (gate_settings.evaluation_run, see
// docs/api-review.md): the form's text fields ↔ the settings the server takes, with the
// reason a value is refused. The server checks the same rules and answers 422 otherwise.

export const EVALUATION_GATE = "evaluation_run";

/** gate_settings.evaluation_run as the server stores it. */
export interface EvaluationGateSettings {
  dataset: string;
  fail_under: string[];
  models?: string[];
}

export interface GateForm {
  /** "qa" or "qa@3" (pins the dataset version). */
  dataset: string;
  /** evaluator=min, one per line or separated by commas. */
  thresholds: string;
  /** connection/model, separated by commas (optional). */
  models: string;
}

export type GateField = keyof GateForm;

export type GateResult = { ok: true; settings: EvaluationGateSettings } | { ok: false; field: GateField; error: string };

export const emptyGateForm: GateForm = { dataset: "", thresholds: "", models: "" };

export const MAX_THRESHOLDS = 20;
export const MAX_MODELS = 8;

const DATASET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@[0-9]{1,9})?$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const MODEL_REF = /^[^/\s]+\/\S+$/;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** The form's fields from the stored settings (empty when the gate is not set). */
export function gateForm(settings: Record<string, unknown> | undefined): GateForm {
  if (!settings) return emptyGateForm;
  return {
    dataset: typeof settings.dataset === "string" ? settings.dataset : "",
    thresholds: strings(settings.fail_under).join("\n"),
    models: strings(settings.models).join(", "),
  };
}

/** One threshold as the server reads it (EVALUATOR=NUMBER), or null. */
export function readThreshold(text: string): string | null {
  const at = text.indexOf("=");
  if (at < 0) return null;
  const name = text.slice(0, at).trim();
  const number = text.slice(at + 1).trim();
  if (!name || !NUMBER.test(number) || !Number.isFinite(Number(number))) return null;
  return `${name}=${number}`;
}

/** The settings to send, or what to fix first (and in which field). */
export function gateSettings(form: GateForm): GateResult {
  const dataset = form.dataset.trim();
  if (!dataset)
    return { ok: false, field: "dataset", error: "Name the dataset the run must be on, e.g. qa (or qa@3 to pin version 3)." };
  if (!DATASET.test(dataset))
    return {
      ok: false,
      field: "dataset",
      error: `“${dataset}” is not a dataset name: use letters, digits, “.”, “_” or “-”, optionally followed by @version, e.g. qa@3.`,
    };
  const parts = form.thresholds
    .split(/[\n,]+/)
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0)
    return { ok: false, field: "thresholds", error: "Add at least one threshold, written evaluator=minimum, e.g. exact_match=0.9." };
  if (parts.length > MAX_THRESHOLDS)
    return { ok: false, field: "thresholds", error: `At most ${MAX_THRESHOLDS} thresholds (there are ${parts.length}).` };
  const failUnder: string[] = [];
  for (const part of parts) {
    const threshold = readThreshold(part);
    if (threshold === null)
      return {
        ok: false,
        field: "thresholds",
        error: `“${part}” is not a threshold: write evaluator=minimum, e.g. exact_match=0.9.`,
      };
    if (threshold.length > 200)
      return { ok: false, field: "thresholds", error: `“${part.slice(0, 40)}…” is too long (at most 200 characters).` };
    if (!failUnder.includes(threshold)) failUnder.push(threshold);
  }
  const models = form.models
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter(Boolean);
  if (models.length > MAX_MODELS)
    return { ok: false, field: "models", error: `At most ${MAX_MODELS} models (there are ${models.length}).` };
  for (const model of models) {
    if (!MODEL_REF.test(model) || model.length > 300)
      return {
        ok: false,
        field: "models",
        error: `“${model}” is not a model: write connection/model, e.g. openai/gpt-4o-mini.`,
      };
  }
  const settings: EvaluationGateSettings = { dataset, fail_under: failUnder };
  if (models.length > 0) settings.models = [...new Set(models)];
  return { ok: true, settings };
}

/** gate_settings to send: the other gates' settings kept, evaluation_run set or removed. */
export function withEvaluationGate(
  current: Record<string, Record<string, unknown>>,
  settings: EvaluationGateSettings | null,
): Record<string, Record<string, unknown>> {
  const others = Object.fromEntries(Object.entries(current).filter(([gate]) => gate !== EVALUATION_GATE));
  return settings ? { ...others, [EVALUATION_GATE]: { ...settings } } : others;
}
