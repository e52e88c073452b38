// The experiment routes the console uses (docs/experiments.md): design (with the power
// calculator), start, stop, promote, and the results dashboard.
import { request } from "../../api/client";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

export type Experiment = Schemas["ExperimentPublic"];
export type ExperimentCreate = Schemas["ExperimentCreate"];
export type Results = Schemas["ResultsPublic"];
export type MetricResult = Schemas["MetricResult"];
export type SeriesPoint = Schemas["SeriesPoint"];
export type PowerRequest = Schemas["PowerRequest"];
export type PowerAnswer = Schemas["PowerPublic"];
export type Promotion = Schemas["PromotionPublic"];

export const experimentKeys = {
  list: (project: string) => ["experiments", project] as const,
  one: (project: string, id: number) => ["experiments", project, id] as const,
  results: (project: string, id: number) => ["experiments", project, id, "results"] as const,
};

export const experimentsApi = {
  list: (project: string) => request<Schemas["ExperimentsPublic"]>("/experiments", { query: { project } }),
  get: (project: string, id: number) => request<Experiment>(`/experiments/${id}`, { query: { project } }),
  create: (project: string, body: ExperimentCreate) =>
    request<Experiment>("/experiments", { method: "POST", body, query: { project } }),
  start: (project: string, id: number) =>
    request<Experiment>(`/experiments/${id}/start`, { method: "POST", query: { project } }),
  stop: (project: string, id: number) =>
    request<Experiment>(`/experiments/${id}/stop`, { method: "POST", body: {}, query: { project } }),
  promote: (project: string, id: number, variant?: string) =>
    request<Promotion>(`/experiments/${id}/promote`, {
      method: "POST",
      body: variant ? { variant } : {},
      query: { project },
    }),
  results: (project: string, id: number) => request<Results>(`/experiments/${id}/results`, { query: { project } }),
  power: (body: PowerRequest) => request<PowerAnswer>("/experiments/power", { method: "POST", body }),
};
