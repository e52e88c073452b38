// The quality routes the console uses (docs/quality.md): findings and scores, scans of
// unsaved content and of the project, score trends, similar prompts, near-duplicates,
// semantic search and the LLM review. Types come from the generated schema.
import { queryOptions } from "@tanstack/react-query";
import { request } from "../../api/client";
import type { components } from "../../api/schema";
import type { Content, PromptType } from "../../api/types";

type Schemas = components["schemas"];

export type Finding = Schemas["FindingPublic"];
export type Findings = Schemas["FindingsPublic"];
export type ContentScan = Schemas["ContentScanPublic"];
export type ProjectReport = Schemas["ProjectReportPublic"];
export type PromptScore = Schemas["PromptScorePublic"];
export type Trend = Schemas["TrendPublic"];
export type Similar = Schemas["SimilarPublic"];
export type NearDuplicates = Schemas["NearDuplicatesPublic"];
export type SharedPart = Schemas["SharedPartPublic"];
export type SemanticStatus = Schemas["SemanticStatusPublic"];
export type SemanticResults = Schemas["SemanticSearchPublic"];
export type ReviewInput = Schemas["ReviewInput"];
export type Review = Schemas["ReviewPublic"];
export type Severity = Finding["severity"];
export type Rules = Schemas["RulesPublic"];

const p = (name: string) => `/prompts/${encodeURIComponent(name)}`;

export const qualityKeys = {
  all: (project: string) => ["quality", project] as const,
  scan: (project: string, draft: string) => ["quality", project, "scan", draft] as const,
  findings: (project: string, name: string, version: number | "latest") =>
    ["quality", project, "findings", name, version] as const,
  trend: (project: string, name: string) => ["quality", project, "trend", name] as const,
  similar: (project: string, name: string) => ["quality", project, "similar", name] as const,
  report: (project: string, label: string) => ["quality", project, "report", label] as const,
  duplicates: (project: string, threshold: number) => ["quality", project, "duplicates", threshold] as const,
  semanticStatus: (project: string) => ["quality", project, "semantic-status"] as const,
  rules: ["quality-rules"] as const,
  semantic: (project: string, q: string) => ["quality", project, "semantic", q] as const,
};

export const qualityApi = {
  scanContent: (project: string, type: PromptType, content: Content, config: Record<string, unknown>) =>
    request<ContentScan>("/scan", { method: "POST", body: { type, content, config }, query: { project } }),
  scanProject: (project: string, label?: string) =>
    request<ProjectReport>("/scan", { method: "POST", body: label ? { label } : {}, query: { project } }),
  findings: (project: string, name: string, version?: number) =>
    request<Findings>(`${p(name)}/findings`, { query: { project, version } }),
  trend: (project: string, name: string) => request<Trend>(`${p(name)}/quality-trend`, { query: { project } }),
  similar: (project: string, name: string) => request<Similar>(`${p(name)}/similar`, { query: { project } }),
  nearDuplicates: (project: string, threshold: number) =>
    request<NearDuplicates>("/quality/near-duplicates", { query: { project, threshold } }),
  semanticStatus: (project: string) => request<SemanticStatus>("/semantic-search/status", { query: { project } }),
  semanticSearch: (project: string, q: string) =>
    request<SemanticResults>("/semantic-search", { query: { project, q, limit: 20 } }),
  rules: () => request<Rules>("/quality/rules"),
  review: (project: string, name: string, body: ReviewInput) =>
    request<Review>(`${p(name)}/review`, { method: "POST", body, query: { project } }),
};

export const qualityQueries = {
  /** The rule catalogue (rationales), the same for every project of the server. */
  rules: () => queryOptions({ queryKey: qualityKeys.rules, queryFn: qualityApi.rules, staleTime: Infinity }),
  /** The score and findings of unsaved content (`draft` identifies type and content). */
  scan: (project: string, draft: string, type: PromptType, content: Content, config: Record<string, unknown>) =>
    queryOptions({
      queryKey: qualityKeys.scan(project, draft),
      queryFn: () => qualityApi.scanContent(project, type, content, config),
      staleTime: Infinity,
    }),
  findings: (project: string, name: string, version?: number) =>
    queryOptions({
      queryKey: qualityKeys.findings(project, name, version ?? "latest"),
      queryFn: () => qualityApi.findings(project, name, version),
    }),
  trend: (project: string, name: string) =>
    queryOptions({ queryKey: qualityKeys.trend(project, name), queryFn: () => qualityApi.trend(project, name) }),
  similar: (project: string, name: string) =>
    queryOptions({ queryKey: qualityKeys.similar(project, name), queryFn: () => qualityApi.similar(project, name) }),
  report: (project: string, label: string) =>
    queryOptions({
      queryKey: qualityKeys.report(project, label),
      queryFn: () => qualityApi.scanProject(project, label || undefined),
    }),
  duplicates: (project: string, threshold: number) =>
    queryOptions({
      queryKey: qualityKeys.duplicates(project, threshold),
      queryFn: () => qualityApi.nearDuplicates(project, threshold),
    }),
  semanticStatus: (project: string) =>
    queryOptions({
      queryKey: qualityKeys.semanticStatus(project),
      queryFn: () => qualityApi.semanticStatus(project),
      staleTime: 60_000,
    }),
  semantic: (project: string, q: string) =>
    queryOptions({ queryKey: qualityKeys.semantic(project, q), queryFn: () => qualityApi.semanticSearch(project, q) }),
};
