// Query factories of the alerts area. Budgets, rules and alerts belong to the workspace.
import { queryOptions } from "@tanstack/react-query";
import { alertsApi } from "./api";

export const alertKeys = {
  all: ["alerts"] as const,
  budgets: ["alerts", "budgets"] as const,
  rules: ["alerts", "rules"] as const,
  channels: ["alerts", "channels"] as const,
  fired: (state: string) => ["alerts", "fired", state] as const,
};

export const alertQueries = {
  budgets: () => queryOptions({ queryKey: alertKeys.budgets, queryFn: alertsApi.budgets, refetchInterval: 60_000 }),
  rules: () => queryOptions({ queryKey: alertKeys.rules, queryFn: alertsApi.rules }),
  channels: () => queryOptions({ queryKey: alertKeys.channels, queryFn: alertsApi.channels }),
  fired: (state: string) =>
    queryOptions({
      queryKey: alertKeys.fired(state),
      queryFn: () => alertsApi.alerts(state === "all" ? undefined : state),
      refetchInterval: 30_000,
    }),
};
