// Query factories of the telemetry area (generations, feedback): one place for each
// query's key, fetcher and freshness. Lists are cursor-paged ("Load more").
import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { feedback, generations, traces, type FeedbackQuery, type TraceQuery } from "./api";
import { toQuery, type GenerationFilters } from "./filters";

export const telemetryKeys = {
  all: (project: string) => ["telemetry", project] as const,
  generations: (project: string, filters: GenerationFilters) =>
    ["telemetry", project, "generations", filters] as const,
  generation: (project: string, id: string) => ["telemetry", project, "generation", id] as const,
  feedback: (project: string, query: FeedbackQuery) => ["telemetry", project, "feedback", query] as const,
  traces: (project: string, query: TraceQuery) => ["telemetry", project, "traces", query] as const,
  trace: (project: string, id: string) => ["telemetry", project, "trace", id] as const,
};

export const FEEDBACK_PAGE = 50;

export const telemetryQueries = {
  /** Pages of generations, newest first. The key holds the filters, not the times a
   * relative range gives, so one list does not refetch on every render. */
  generations: (project: string, filters: GenerationFilters) =>
    infiniteQueryOptions({
      queryKey: telemetryKeys.generations(project, filters),
      queryFn: ({ pageParam, signal }) =>
        generations.list(project, { ...toQuery(filters), cursor: pageParam ?? undefined }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? undefined,
    }),
  generation: (project: string, id: string) =>
    queryOptions({ queryKey: telemetryKeys.generation(project, id), queryFn: () => generations.get(project, id) }),
  traces: (project: string, query: TraceQuery) =>
    infiniteQueryOptions({
      queryKey: telemetryKeys.traces(project, query),
      queryFn: ({ pageParam, signal }) =>
        traces.list(project, { ...query, cursor: pageParam ?? undefined }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? undefined,
    }),
  trace: (project: string, id: string) =>
    queryOptions({ queryKey: telemetryKeys.trace(project, id), queryFn: () => traces.get(project, id) }),
  feedback: (project: string, query: FeedbackQuery) =>
    infiniteQueryOptions({
      queryKey: telemetryKeys.feedback(project, query),
      queryFn: ({ pageParam, signal }) =>
        feedback.list(project, { ...query, limit: FEEDBACK_PAGE, cursor: pageParam ?? undefined }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? undefined,
    }),
};
