// The analytics routes the console reads (docs/analytics.md), with their shapes as the
// generated OpenAPI types name them.
import { request } from "../../api/client";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

export type UsagePoint = Schemas["UsagePoint"];
export type PerformancePoint = Schemas["PerformancePoint"];
export type CostPoint = Schemas["CostPoint"];
export type Comparison = Schemas["VersionComparison"];
export type ComparedMetric = Schemas["ComparedMetric"];
export type Trends = Schemas["TrendsPublic"];

export type Bucket = "minute" | "hour" | "day" | "week";
export type Dimension = "prompt" | "version" | "model" | "provider" | "feature" | "agent" | "environment" | "user" | "tag";

export interface Series<P> {
  group: Record<string, string>;
  total: P;
  points: P[];
}

export interface Page<P> {
  since: string;
  until: string;
  bucket: Bucket;
  group_by: string[];
  filters: Record<string, string>;
  series: Series<P>[];
  groups_dropped: number;
}

/** The query of GET /analytics/usage|performance|costs. */
export interface AnalyticsQuery {
  since: string;
  until: string;
  bucket: Bucket;
  group_by?: Dimension;
  prompt?: string;
  version?: number;
  model?: string;
}

export const analytics = {
  usage: (project: string, q: AnalyticsQuery, signal?: AbortSignal) =>
    request<Page<UsagePoint>>("/analytics/usage", { query: { project, ...q }, signal }),
  performance: (project: string, q: AnalyticsQuery, signal?: AbortSignal) =>
    request<Page<PerformancePoint>>("/analytics/performance", { query: { project, ...q }, signal }),
  costs: (project: string, q: AnalyticsQuery, signal?: AbortSignal) =>
    request<Page<CostPoint>>("/analytics/costs", { query: { project, ...q }, signal }),
  compare: (project: string, q: { prompt: string; a: string; b: string; since: string; until: string }) =>
    request<Comparison>("/analytics/compare", { query: { project, dimension: "version", ...q } }),
  trends: (project: string, q: { prompt: string; since: string; until: string; bucket: Bucket }) =>
    request<Trends>("/analytics/trends", { query: { project, ...q } }),
};
