// Pure helpers of the experiment pages: the designer's form to a request body, the power
// request it implies, numbers and verdicts in words, and the geometry of the interval chart.
import type { ExperimentCreate, PowerRequest, SeriesPoint } from "./api";

export interface VariantRow {
  name: string;
  label: string;
  weight: string;
}

export interface DesignForm {
  name: string;
  prompt: string;
  unit: "user" | "session";
  variants: VariantRow[];
  primaryMetric: string;
  metrics: string;
  guardrails: string[];
  baseline: string;
  sd: string;
  mde: string;
}

export const RATE_METRICS = new Set(["error_rate"]);

function number(value: string, what: string): number | undefined {
  if (value.trim() === "") return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`${what} must be a number`);
  return parsed;
}

/** The body of POST /experiments; throws an Error naming the first problem. */
export function toExperimentCreate(form: DesignForm): ExperimentCreate {
  if (!form.name.trim()) throw new Error("give the experiment a name");
  if (!form.prompt.trim()) throw new Error("choose a prompt");
  const variants = form.variants
    .filter((v) => v.name.trim() || v.label.trim())
    .map((v) => ({ name: v.name.trim(), label: v.label.trim(), weight: number(v.weight, `weight of ${v.name}`) ?? 1 }));
  if (variants.length < 2) throw new Error("an experiment needs a control and at least one variant");
  for (const v of variants) {
    if (!v.name || !v.label) throw new Error("every variant needs a name and a label");
    if (v.weight < 0) throw new Error(`weight of ${v.name} must not be negative`);
  }
  const metrics = form.metrics
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  const design: Record<string, number> = {};
  for (const [key, value] of [["baseline", form.baseline], ["sd", form.sd], ["mde", form.mde]] as const) {
    const parsed = number(value, key);
    if (parsed !== undefined) design[key] = parsed;
  }
  return {
    name: form.name.trim(),
    prompt: form.prompt.trim(),
    unit: form.unit,
    variants,
    primary_metric: form.primaryMetric,
    metrics,
    guardrails: form.guardrails,
    design,
  } as ExperimentCreate;
}

/** The power request the design implies, or null when it lacks what the calculator needs. */
export function toPowerRequest(form: DesignForm): PowerRequest | null {
  const mde = Number(form.mde);
  const baseline = Number(form.baseline);
  if (!form.mde.trim() || !(mde > 0)) return null;
  const variants = Math.max(2, form.variants.filter((v) => v.name.trim()).length);
  const rate = RATE_METRICS.has(form.primaryMetric) || (!form.sd.trim() && baseline >= 0 && baseline <= 1 && form.baseline.trim() !== "");
  if (rate) {
    if (!form.baseline.trim()) return null;
    return { kind: "proportion", baseline, mde, variants } as PowerRequest;
  }
  const sd = Number(form.sd);
  if (!(sd > 0)) return null;
  return { kind: "mean", sd, mde, variants } as PowerRequest;
}

export function signed(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const text = Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(digits);
  return value > 0 ? `+${text}` : text;
}

export function pValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (value < 0.001) return "< 0.001";
  return value.toFixed(3);
}

export const VERDICT_WORDS: Record<string, string> = {
  better: "Better",
  worse: "Worse",
  no_detectable_difference: "No detectable difference",
  not_enough_data: "Not enough data",
  invalid: "Invalid: sample ratio mismatch",
};

export interface Band {
  day: string;
  x: number;
  estimate: number | null;
  low: number | null;
  high: number | null;
}

/** The chart of intervals over time: x in [0, width], y mapped so every finite estimate
 * and always-valid bound fits, with 0 (no difference) always in view. */
export function chartGeometry(points: SeriesPoint[], width: number, height: number) {
  const values = [0];
  for (const p of points) {
    for (const v of [p.estimate, p.always_valid_ci.low, p.always_valid_ci.high]) {
      if (v !== null && v !== undefined && Number.isFinite(v)) values.push(v);
    }
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const y = (v: number) => height - ((v - min) / span) * height;
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  const bands: Band[] = points.map((p, i) => ({
    day: p.day,
    x: i * step,
    estimate: p.estimate ?? null,
    low: p.always_valid_ci.low ?? null,
    high: p.always_valid_ci.high ?? null,
  }));
  return { bands, y, zero: y(0) };
}
