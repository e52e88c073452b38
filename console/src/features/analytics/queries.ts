// Query factories of the analytics pages: one key per route and query.
import { queryOptions } from "@tanstack/react-query";
import { analytics, type AnalyticsQuery, type Bucket } from "./api";

export const analyticsKeys = {
  all: (project: string) => ["analytics", project] as const,
  view: (project: string, view: string, q: AnalyticsQuery) => ["analytics", project, view, q] as const,
};

export const analyticsQueries = {
  usage: (project: string, q: AnalyticsQuery) =>
    queryOptions({ queryKey: analyticsKeys.view(project, "usage", q), queryFn: ({ signal }) => analytics.usage(project, q, signal) }),
  performance: (project: string, q: AnalyticsQuery) =>
    queryOptions({
      queryKey: analyticsKeys.view(project, "performance", q),
      queryFn: ({ signal }) => analytics.performance(project, q, signal),
    }),
  costs: (project: string, q: AnalyticsQuery) =>
    queryOptions({ queryKey: analyticsKeys.view(project, "costs", q), queryFn: ({ signal }) => analytics.costs(project, q, signal) }),
  trends: (project: string, q: { prompt: string; since: string; until: string; bucket: Bucket }) =>
    queryOptions({ queryKey: ["analytics", project, "trends", q] as const, queryFn: () => analytics.trends(project, q) }),
};
