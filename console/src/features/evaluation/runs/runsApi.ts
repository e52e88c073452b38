// The evaluation-run routes the console uses (docs/evaluation.md): start (or estimate) a
// run, follow it, read its results page by page, cancel, resume, compare.
import { request } from "../../../api/client";
import type { components } from "../../../api/schema";
import type { DiffSpan } from "../../../api/types";

type Schemas = components["schemas"];

export type Run = Schemas["RunPublic"];
export type RunCreate = Schemas["RunCreate"];
export type DryRun = Schemas["DryRunPublic"];
export type Estimate = Schemas["RunEstimatePublic"];
export type Results = Schemas["RunResultsPublic"];
export type Comparison = Schemas["RunComparePublic"];

/** One evaluator's headline in a run's summary: pass rate (else mean) with its interval. */
export interface EvaluatorSummary {
  name: string;
  kind: "pass_rate" | "mean";
  value: number | null;
  ci_low: number | null;
  ci_high: number | null;
  n: number;
}

export interface VariantSummary {
  index: number;
  items: number;
  done: number;
  failed: number;
  cached: number;
  evaluators: EvaluatorSummary[];
  cost: { total: number; mean: number | null };
  latency_ms: { mean: number | null; p50: number | null; p95: number | null };
  stability: Record<string, { cases: number; mean_std: number | null; pass_agreement: number | null; output_agreement: number | null }> | null;
}

export interface Summary {
  variants: VariantSummary[];
  evaluators: string[];
}

export interface RepetitionOutput {
  repetition: number;
  status: string;
  output: string | null;
  error: string | null;
  cached: boolean;
  generation_id: string | null;
  scores: Record<string, { value: number | null; passed: boolean | null }>;
  latency_ms: number | null;
  cost: number | null;
}

export interface CaseVariant {
  variant: number;
  outputs: RepetitionOutput[];
  diff: string | null;
  diff_spans: DiffSpan[] | null;
  diff_stats: { insertions: number; deletions: number } | null;
}

export interface ComparedEvaluator {
  name: string;
  run: EvaluatorSummary | null;
  baseline: EvaluatorSummary | null;
  regressed_count: number;
  improved_count: number;
  unchanged_count: number;
  regressed: string[];
  improved: string[];
}

export interface TrendPoint {
  run_id: number;
  created_at: string;
  variant: number;
  version: number | null;
  model: string | null;
  values: Record<string, number | null>;
}

export const FINISHED = ["completed", "cancelled", "failed"] as const;

export const evaluations = {
  list: (project: string, prompt?: string) =>
    request<Schemas["RunsPublic"]>("/evaluations", { query: { project, ...(prompt ? { prompt } : {}) } }),
  get: (project: string, id: number) => request<Run>(`/evaluations/${id}`, { query: { project } }),
  create: (project: string, body: RunCreate) =>
    request<Run | DryRun>("/evaluations", { method: "POST", body, query: { project } }),
  results: (project: string, id: number, offset: number, limit: number) =>
    request<Results>(`/evaluations/${id}/results`, { query: { project, offset, limit } }),
  cancel: (project: string, id: number) =>
    request<Run>(`/evaluations/${id}/cancel`, { method: "POST", query: { project } }),
  resume: (project: string, id: number) =>
    request<Run>(`/evaluations/${id}/resume`, { method: "POST", query: { project } }),
  compare: (project: string, id: number, baseline: number) =>
    request<Comparison>(`/evaluations/${id}/compare`, { query: { project, baseline } }),
};

export const evaluationKeys = {
  list: (project: string, prompt?: string) => ["evaluations", project, "list", prompt ?? ""] as const,
  run: (project: string, id: number) => ["evaluations", project, id] as const,
  results: (project: string, id: number, offset: number) => ["evaluations", project, id, "results", offset] as const,
  compare: (project: string, id: number, baseline: number) => ["evaluations", project, id, "compare", baseline] as const,
};
