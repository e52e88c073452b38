// Pure helpers of the evaluation-run pages: numbers with their intervals, progress,
// the launcher's form turned into a request, and an output diff in the shape DiffView
// (the prompt-version diff component) shows.
import type { Diff } from "../../../api/types";
import type { CaseVariant, EvaluatorSummary, RunCreate } from "./runsApi";

export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return "–";
  return `${(value * 100).toFixed(digits)} %`;
}

/** "92.0 % [85.1 %, 97.3 %]" for a pass rate; "0.734 [0.70, 0.77]" for a mean. */
export function withInterval(e: Pick<EvaluatorSummary, "kind" | "value" | "ci_low" | "ci_high">): string {
  const show = (v: number | null) => (e.kind === "pass_rate" ? percent(v) : v === null ? "–" : v.toFixed(3));
  if (e.value === null) return "–";
  if (e.ci_low === null || e.ci_high === null) return show(e.value);
  return `${show(e.value)} [${show(e.ci_low)}, ${show(e.ci_high)}]`;
}

export function progressShare(done: number, failed: number, total: number): number {
  return total > 0 ? Math.min(1, (done + failed) / total) : 1;
}

export function money(value: number | null | undefined): string {
  if (value === null || value === undefined) return "unknown";
  return value < 0.01 && value > 0 ? `$${value.toPrecision(2)}` : `$${value.toFixed(2)}`;
}

/** Comma- or space-separated text as a list ("1, 2" → ["1", "2"]). */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface LauncherForm {
  prompt: string;
  versions: string;
  labels: string;
  models: string[];
  dataset: string;
  evaluators: string[];
  repetitions: number;
  concurrency: number;
  useCache: boolean;
}

/** The launcher's form as POST /evaluations wants it; throws a readable Error when a
 * field is wrong (the server checks the rest). */
export function toRunCreate(form: LauncherForm, dryRun: boolean): RunCreate {
  const versions = splitList(form.versions).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`Versions: "${v}" is not a version number`);
    return n;
  });
  const labels = splitList(form.labels);
  if (!form.prompt) throw new Error("Choose a prompt");
  if (!form.dataset) throw new Error("Choose a dataset");
  if (form.evaluators.length === 0) throw new Error("Choose at least one evaluator");
  return {
    prompt: form.prompt,
    dataset: form.dataset,
    evaluators: form.evaluators.map((kind) => ({ kind })),
    ...(versions.length ? { versions } : {}),
    ...(labels.length ? { labels } : {}),
    ...(form.models.length ? { models: form.models } : {}),
    repetitions: form.repetitions,
    concurrency: form.concurrency,
    use_cache: form.useCache,
    dry_run: dryRun,
  };
}

/** A variant's output against variant 0's, as the Diff DiffView renders. */
export function outputDiff(entry: CaseVariant, fromVersion: number, toVersion: number): Diff | null {
  if (!entry.diff_spans || !entry.diff_stats) return null;
  return {
    from: fromVersion,
    to: toVersion,
    type_changed: false,
    spans: entry.diff_spans,
    unified: entry.diff ?? "",
    messages: null,
    config: [],
    stats: entry.diff_stats,
  };
}
