// TanStack Query keys, in one place so that mutations invalidate the right data.
export const keys = {
  me: ["me"] as const,
  projects: ["projects"] as const,
  models: ["models"] as const,
  members: ["members"] as const,
  invitations: ["invitations"] as const,
  projectMembers: (project: string) => ["members", "project", project] as const,
  apiKeys: ["api-keys"] as const,
  workspaces: ["workspaces"] as const,
  policy: (project: string) => ["policy", project] as const,
  changeRequests: (project: string) => ["change-requests", project] as const,
  changeRequestList: (project: string, query: unknown) => ["change-requests", project, "list", query] as const,
  changeRequest: (id: number) => ["change-request", id] as const,
  webhooks: (project: string) => ["webhooks", project] as const,
  deliveries: (id: number) => ["webhooks", "deliveries", id] as const,
  audit: (query: unknown) => ["audit", query] as const,
  systemHealth: ["system", "health"] as const,
  systemJobs: ["system", "jobs"] as const,
  promptList: (project: string) => ["prompts", project, "list"] as const,
  promptListQuery: (project: string, query: unknown) =>
    ["prompts", project, "list", query] as const,
  folders: (project: string) => ["prompts", project, "folders"] as const,
  tags: (project: string) => ["prompts", project, "tags"] as const,
  prompt: (project: string, name: string) => ["prompts", project, "one", name] as const,
  promptVersion: (project: string, name: string, version: number | "latest") =>
    ["prompts", project, "one", name, "v", version] as const,
  versions: (project: string, name: string) => ["prompts", project, "one", name, "versions"] as const,
  diff: (project: string, name: string, from: number, to: number) =>
    ["prompts", project, "one", name, "diff", from, to] as const,
  labels: (project: string, name: string) => ["prompts", project, "one", name, "labels"] as const,
  validate: (project: string, draft: string) => ["validate", project, draft] as const,
  render: (project: string, draft: string, variables: string) => ["render", project, draft, variables] as const,
  impact: (project: string, name: string, version: number | "all") =>
    ["prompts", project, "one", name, "impact", version] as const,
  labelEvents: (project: string, name: string) =>
    ["prompts", project, "one", name, "label-events"] as const,
};

/** Everything about one project's prompts: invalidate after any write. */
export const projectScope = (project: string) => ["prompts", project] as const;
