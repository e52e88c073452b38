// Query factories of the operations area (audit log, webhooks): one place for each
// query's key, fetcher and freshness, used by the pages and prefetch.ts.
import { queryOptions } from "@tanstack/react-query";
import { audit, webhooks, type AuditQuery } from "../../api/endpoints";
import { keys } from "../../api/keys";

export const operationsQueries = {
  audit: (query: AuditQuery) => queryOptions({ queryKey: keys.audit(query), queryFn: () => audit.list(query) }),
  webhooks: (project: string) =>
    queryOptions({ queryKey: keys.webhooks(project), queryFn: () => webhooks.list(project) }),
  deliveries: (id: number) =>
    queryOptions({ queryKey: keys.deliveries(id), queryFn: () => webhooks.deliveries(id) }),
};
