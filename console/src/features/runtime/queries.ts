// Query factories of the runtime area (provider connections, their models, prices).
// Connections and prices belong to the workspace, not to a project.
import { queryOptions } from "@tanstack/react-query";
import { providers } from "./api";

export const runtimeKeys = {
  connections: ["providers"] as const,
  models: (name: string) => ["providers", "models", name] as const,
  prices: ["providers", "prices"] as const,
};

export const runtimeQueries = {
  connections: () => queryOptions({ queryKey: runtimeKeys.connections, queryFn: providers.list }),
  /** Asks the provider: only when the user says so (a click), never refetched by itself. */
  models: (name: string) =>
    queryOptions({ queryKey: runtimeKeys.models(name), queryFn: () => providers.models(name), staleTime: 60_000 }),
  prices: () => queryOptions({ queryKey: runtimeKeys.prices, queryFn: providers.prices }),
};
