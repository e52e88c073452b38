// Query factories of the governance area (change requests, review policy, impact): one
// place for each query's key, fetcher and freshness, used by the pages and prefetch.ts.
import { queryOptions } from "@tanstack/react-query";
import { prompts, reviews, type ChangeRequestQuery } from "../../api/endpoints";
import { keys } from "../../api/keys";

export const governanceQueries = {
  policy: (project: string) =>
    queryOptions({ queryKey: keys.policy(project), queryFn: () => reviews.policy(project) }),
  changeRequests: (project: string, query: ChangeRequestQuery) =>
    queryOptions({
      queryKey: keys.changeRequestList(project, query),
      queryFn: () => reviews.list(project, query),
    }),
  changeRequest: (id: number) =>
    queryOptions({ queryKey: keys.changeRequest(id), queryFn: () => reviews.get(id) }),
  /** What a change to the prompt (all versions, or one) would affect. */
  impact: (project: string, name: string, version: number | undefined) =>
    queryOptions({
      queryKey: keys.impact(project, name, version ?? "all"),
      queryFn: () => prompts.impact(project, name, version),
    }),
};
