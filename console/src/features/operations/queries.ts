// Query factories of the operations area (audit log, webhooks): one place for each
// query's key, fetcher and freshness, used by the pages and prefetch.ts.
import { queryOptions } from "@tanstack/react-query";
import { audit, webhooks, type AuditQuery } from "../../api/endpoints";
import { keys } from "../../api/keys";
import { systemApi } from "./status/api";

export const operationsQueries = {
  audit: (query: AuditQuery) => queryOptions({ queryKey: keys.audit(query), queryFn: () => audit.list(query) }),
  webhooks: (project: string) =>
    queryOptions({ queryKey: keys.webhooks(project), queryFn: () => webhooks.list(project) }),
  deliveries: (id: number) =>
    queryOptions({ queryKey: keys.deliveries(id), queryFn: () => webhooks.deliveries(id) }),
  health: () => queryOptions({ queryKey: keys.systemHealth, queryFn: systemApi.health, refetchInterval: 30_000 }),
  jobs: () => queryOptions({ queryKey: keys.systemJobs, queryFn: systemApi.jobs, refetchInterval: 60_000 }),
};
