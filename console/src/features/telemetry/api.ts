// The telemetry routes the console reads (docs/generations.md): generations and
// feedback, with their shapes as the generated OpenAPI types name them.
import { request } from "../../api/client";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

/** A generation as GET /generations lists it (no text). */
export type GenerationSummary = Schemas["GenerationSummary"];

/** GET /generations/{id}: with input, output, metadata and feedback. */
export type Generation = Schemas["GenerationPublic"];

export type GenerationStatus = GenerationSummary["status"];
export type Cost = Schemas["CostPublic"];
export type Usage = Schemas["UsagePublic"];
export type GenerationPage = Schemas["GenerationPage"];

export type Feedback = Schemas["FeedbackPublic"];
export type FeedbackKind = Feedback["kind"];
export type FeedbackPage = Schemas["FeedbackPage"];

/** The filters of GET /generations (docs/generations.md "Reading"). */
export interface GenerationQuery {
  prompt?: string;
  version?: number;
  model?: string;
  provider?: string;
  user?: string;
  session?: string;
  feature?: string;
  agent?: string;
  status?: GenerationStatus;
  since?: string;
  until?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export interface FeedbackQuery {
  kind?: FeedbackKind;
  generation_id?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

const enc = encodeURIComponent;

export const generations = {
  list: (project: string, q: GenerationQuery, signal?: AbortSignal) =>
    request<GenerationPage>("/generations", { query: { project, ...q }, signal }),
  get: (project: string, id: string) => request<Generation>(`/generations/${enc(id)}`, { query: { project } }),
};

export const feedback = {
  list: (project: string, q: FeedbackQuery, signal?: AbortSignal) =>
    request<FeedbackPage>("/analytics/feedback", { query: { project, ...q }, signal }),
};

/** GET /traces: one summary per trace, newest first. */
export type TraceSummary = Schemas["TraceSummary"];
export type TracePage = Schemas["TracePage"];
/** GET /traces/{trace_id}: every span and generation, flat, in tree order. */
export type TraceDetail = Schemas["TraceDetail"];
export type TraceNode = Schemas["TraceNode"];

export interface TraceQuery {
  user?: string;
  session?: string;
  environment?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

export const traces = {
  list: (project: string, q: TraceQuery, signal?: AbortSignal) =>
    request<TracePage>("/traces", { query: { project, ...q }, signal }),
  get: (project: string, id: string) => request<TraceDetail>(`/traces/${enc(id)}`, { query: { project } }),
};
