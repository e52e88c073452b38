// The dataset and evaluator routes the console uses (docs/api-datasets.md): versioned
// datasets of cases, file import and export, case edits, the evaluator library.
import { buildUrl, request } from "../../../api/client";
import type { components } from "../../../api/schema";

type Schemas = components["schemas"];

export type Dataset = Schemas["DatasetPublic"];
export type DatasetSummary = Schemas["DatasetSummary"];
export type DatasetVersion = Schemas["DatasetVersionPublic"];
export type Case = Schemas["CasePublic"];
export type CaseUpdate = Schemas["CaseUpdate"];
export type ImportResult = Schemas["DatasetImportPublic"];
export type EvaluatorKind = Schemas["EvaluatorKindPublic"];
export type FileFormat = "csv" | "json" | "jsonl";

const enc = encodeURIComponent;
const MEDIA: Record<FileFormat, string> = {
  csv: "text/csv",
  json: "application/json",
  jsonl: "application/x-ndjson",
};

export const datasetsApi = {
  list: (project: string) => request<Schemas["DatasetsPublic"]>("/datasets", { query: { project } }),
  get: (project: string, name: string, version?: number, offset = 0, limit = 100) =>
    request<Dataset>(`/datasets/${enc(name)}`, { query: { project, version, offset, limit } }),
  versions: (project: string, name: string) =>
    request<Schemas["DatasetVersionsPublic"]>(`/datasets/${enc(name)}/versions`, { query: { project } }),
  create: (project: string, name: string, description: string) =>
    request<Dataset>("/datasets", { method: "POST", query: { project }, body: { name, description, cases: [] } }),
  addCase: (project: string, name: string, input: Record<string, unknown>, expected: string | null) =>
    request<Dataset>(`/datasets/${enc(name)}/cases`, {
      method: "POST",
      query: { project },
      body: { cases: [{ input, expected }] },
    }),
  updateCase: (project: string, name: string, caseId: string, body: CaseUpdate) =>
    request<Dataset>(`/datasets/${enc(name)}/cases/${enc(caseId)}`, { method: "PATCH", query: { project }, body }),
  deleteCase: (project: string, name: string, caseId: string) =>
    request<Dataset>(`/datasets/${enc(name)}/cases/${enc(caseId)}`, { method: "DELETE", query: { project } }),
  importFile: (project: string, name: string, format: FileFormat, file: Blob, mode: "append" | "replace") =>
    request<ImportResult>(`/datasets/${enc(name)}/import`, {
      method: "POST",
      query: { project, format, mode },
      rawBody: file,
      contentType: MEDIA[format],
    }),
  exportUrl: (project: string, name: string, format: FileFormat, version?: number) =>
    buildUrl(`/datasets/${enc(name)}/export`, { project, format, version }),
  evaluators: (project: string) =>
    request<Schemas["EvaluatorKindsPublic"]>("/evaluators", { query: { project } }),
};

export const datasetKeys = {
  all: (project: string) => ["datasets", project] as const,
  one: (project: string, name: string, version?: number) => ["datasets", project, name, version ?? "latest"] as const,
  versions: (project: string, name: string) => ["datasets", project, name, "versions"] as const,
  evaluators: (project: string) => ["evaluators", project] as const,
};
