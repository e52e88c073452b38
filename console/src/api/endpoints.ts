// One function per API route the console uses (docs/api.md).
import { buildUrl, request } from "./client";
import type {
  Account,
  ApiKey,
  AuditEvent,
  AuditVerify,
  BulkAction,
  ChangeRequest,
  ChangeRequestDetail,
  ChangeRequestStatus,
  CreatedKey,
  CreatedWebhook,
  CreatedInvitation,
  Invitation,
  Policy,
  ProjectMember,
  Role,
  User,
  Webhook,
  WebhookDelivery,
  Workspace,
  Content,
  Diff,
  Folder,
  Impact,
  Lifecycle,
  LifecycleTarget,
  Label,
  LabelEvent,
  Login,
  Me,
  Model,
  ModelConfig,
  Page,
  Project,
  Prompt,
  PromptSummary,
  PromptType,
  RenderResult,
  Session,
  Tag,
  ValidateResult,
  Version,
} from "./types";

const p = (name: string) => `/prompts/${encodeURIComponent(name)}`;

export const auth = {
  login: (body: { email: string; password: string } | { api_key: string }) =>
    request<Login>("/auth/login", { method: "POST", body }),
  logout: () => request<undefined>("/auth/logout", { method: "POST" }),
  me: () => request<Me>("/auth/me"),
  changePassword: (body: { current_password: string; new_password: string }) =>
    request<undefined>("/auth/password", { method: "POST", body }),
  switchWorkspace: (workspace: string) =>
    request<Session>("/auth/switch", { method: "POST", body: { workspace } }),
  /** Public: joins the invitation's workspace and signs in (session cookies, like login). */
  acceptInvitation: (body: { token: string; password: string; name?: string }) =>
    request<Session>("/auth/invitations/accept", { method: "POST", body }),
};

export const projects = {
  list: () => request<{ items: Project[] }>("/projects"),
  create: (body: { slug: string; name: string }) =>
    request<Project>("/projects", { method: "POST", body }),
  exportUrl: (slug: string, format: "json" | "yaml") =>
    `/api/v1/projects/${encodeURIComponent(slug)}/export?format=${format}`,
  import: (slug: string, file: Blob, contentType: string, onConflict: "fail" | "skip") =>
    request<{ created: string[]; skipped: string[] }>(
      `/projects/${encodeURIComponent(slug)}/import`,
      { method: "POST", query: { on_conflict: onConflict }, rawBody: file, contentType },
    ),
};

export interface ListQuery {
  q?: string;
  tag?: string[];
  folder?: string;
  label?: string;
  author?: string;
  type?: string;
  updated_after?: string;
  sort?: string;
  limit?: number;
  offset?: number;
}

export interface CreatePromptBody {
  name: string;
  type: PromptType;
  content: Content;
  config?: ModelConfig;
  folder?: string;
  description?: string;
  tags?: string[];
  commit_message?: string;
}

export interface UpdatePromptBody {
  content?: Content;
  config?: ModelConfig;
  type?: PromptType;
  description?: string;
  tags?: string[];
  folder?: string;
  commit_message?: string;
  base_version?: number;
}

export const prompts = {
  list: (project: string, q: ListQuery) =>
    request<Page<PromptSummary>>("/prompts", { query: { project, ...q } }),
  get: (project: string, name: string, version?: number) =>
    request<Prompt>(p(name), { query: { project, version } }),
  create: (project: string, body: CreatePromptBody) =>
    request<Prompt>("/prompts", { method: "POST", query: { project }, body }),
  update: (project: string, name: string, body: UpdatePromptBody) =>
    request<Prompt>(p(name), { method: "PATCH", query: { project }, body }),
  versions: (project: string, name: string, limit = 200, offset = 0) =>
    request<Page<Version>>(`${p(name)}/versions`, { query: { project, limit, offset } }),
  diff: (project: string, name: string, from: number, to: number) =>
    request<Diff>(`${p(name)}/diff`, { query: { project, from, to } }),
  rollback: (project: string, name: string, version: number, baseVersion: number) =>
    request<Prompt>(`${p(name)}/rollback`, {
      method: "POST",
      query: { project },
      body: { version, base_version: baseVersion, commit_message: `Roll back to version ${version}` },
    }),
  labels: (project: string, name: string) =>
    request<{ items: Label[] }>(`${p(name)}/labels`, { query: { project } }),
  setLabel: (project: string, name: string, label: string, version: number) =>
    request<Label>(`${p(name)}/labels/${encodeURIComponent(label)}`, {
      method: "PUT",
      query: { project },
      body: { version },
    }),
  deleteLabel: (project: string, name: string, label: string) =>
    request<undefined>(`${p(name)}/labels/${encodeURIComponent(label)}`, {
      method: "DELETE",
      query: { project },
    }),
  labelEvents: (project: string, name: string, label?: string) =>
    request<{ items: LabelEvent[] }>(`${p(name)}/label-events`, { query: { project, label } }),
  bulk: (
    project: string,
    body: { action: BulkAction; names: string[]; tags?: string[]; folder?: string; label?: string },
  ) => request<{ updated: number }>("/prompts/bulk", { method: "POST", query: { project }, body }),
  setLifecycle: (project: string, name: string, state: LifecycleTarget) =>
    request<{ name: string; lifecycle: Lifecycle; previous: Lifecycle }>(`${p(name)}/lifecycle`, {
      method: "POST",
      query: { project },
      body: { state },
    }),
  impact: (project: string, name: string, version?: number) =>
    request<Impact>(`${p(name)}/impact`, { query: { project, version } }),
  folders: (project: string) => request<{ items: Folder[] }>("/folders", { query: { project } }),
  tags: (project: string) => request<{ items: Tag[] }>("/tags", { query: { project } }),
};

export const templates = {
  validate: (project: string, type: PromptType, content: Content, signal?: AbortSignal) =>
    request<ValidateResult>("/templates/validate", {
      method: "POST",
      query: { project },
      body: { type, content },
      signal,
    }),
  render: (
    project: string,
    type: PromptType,
    content: Content,
    variables: Record<string, unknown>,
    signal?: AbortSignal,
  ) =>
    request<RenderResult>("/templates/render", {
      method: "POST",
      query: { project },
      body: { type, content, variables },
      signal,
    }),
};

export const runtime = {
  models: () => request<{ items: Model[] }>("/models"),
};

const enc = encodeURIComponent;

export const accounts = {
  members: () => request<{ items: User[] }>("/members"),
  createUser: (body: { email: string; name: string; password: string; role: Role }) =>
    request<User>("/users", { method: "POST", body }),
  updateUser: (id: number, body: { name?: string; is_active?: boolean; is_instance_admin?: boolean }) =>
    request<Account>(`/users/${id}`, { method: "PATCH", body }),
  resetPassword: (id: number, password: string) =>
    request<undefined>(`/users/${id}/password`, { method: "POST", body: { password } }),
  invitations: () => request<{ items: Invitation[] }>("/invitations"),
  invite: (body: { email: string; role: Role }) =>
    request<CreatedInvitation>("/invitations", { method: "POST", body }),
  revokeInvitation: (id: number) => request<undefined>(`/invitations/${id}`, { method: "DELETE" }),
  setRole: (id: number, role: Role) => request<User>(`/members/${id}`, { method: "PUT", body: { role } }),
  removeMember: (id: number) => request<undefined>(`/members/${id}`, { method: "DELETE" }),
  projectMembers: (slug: string) =>
    request<{ items: ProjectMember[] }>(`/projects/${enc(slug)}/members`),
  setProjectRole: (slug: string, id: number, role: Role) =>
    request<ProjectMember>(`/projects/${enc(slug)}/members/${id}`, { method: "PUT", body: { role } }),
  removeProjectRole: (slug: string, id: number) =>
    request<undefined>(`/projects/${enc(slug)}/members/${id}`, { method: "DELETE" }),
  keys: () => request<{ items: ApiKey[] }>("/keys"),
  createKey: (body: {
    name: string;
    role: Role;
    project?: string;
    expires_at?: string;
    service_account?: boolean;
    kind?: "api" | "langfuse";
  }) => request<CreatedKey>("/keys", { method: "POST", body }),
  revokeKey: (id: number) => request<undefined>(`/keys/${id}`, { method: "DELETE" }),
  workspaces: () => request<{ items: Workspace[] }>("/workspaces"),
};

export interface ChangeRequestQuery {
  status?: ChangeRequestStatus | "";
  prompt?: string;
  limit?: number;
  offset?: number;
}

export interface OpenChangeRequestBody {
  prompt: string;
  version: number;
  label: string;
  description: string;
  sample_variables?: Record<string, unknown>;
}

export const reviews = {
  policy: (slug: string) => request<Policy>(`/projects/${enc(slug)}/policy`),
  setPolicy: (slug: string, body: Partial<Policy>) =>
    request<Policy>(`/projects/${enc(slug)}/policy`, { method: "PUT", body }),
  list: (project: string, q: ChangeRequestQuery) =>
    request<Page<ChangeRequest>>("/change-requests", { query: { project, ...q } }),
  get: (id: number) => request<ChangeRequestDetail>(`/change-requests/${id}`),
  open: (project: string, body: OpenChangeRequestBody) =>
    request<ChangeRequestDetail>("/change-requests", { method: "POST", query: { project }, body }),
  comment: (id: number, body: string) =>
    request<ChangeRequestDetail>(`/change-requests/${id}/comments`, { method: "POST", body: { body } }),
  approve: (id: number, comment: string) =>
    request<ChangeRequestDetail>(`/change-requests/${id}/approve`, { method: "POST", body: { comment } }),
  requestChanges: (id: number, comment: string) =>
    request<ChangeRequestDetail>(`/change-requests/${id}/request-changes`, { method: "POST", body: { comment } }),
  apply: (id: number) => request<ChangeRequestDetail>(`/change-requests/${id}/apply`, { method: "POST" }),
  close: (id: number, comment: string) =>
    request<ChangeRequestDetail>(`/change-requests/${id}/close`, { method: "POST", body: { comment } }),
};

export const webhooks = {
  list: (project: string) => request<{ items: Webhook[] }>("/webhooks", { query: { project } }),
  create: (project: string, body: { url: string; events: string[]; secret?: string }) =>
    request<CreatedWebhook>("/webhooks", { method: "POST", query: { project }, body }),
  remove: (id: number) => request<undefined>(`/webhooks/${id}`, { method: "DELETE" }),
  deliveries: (id: number) => request<{ items: WebhookDelivery[] }>(`/webhooks/${id}/deliveries`),
  /** Send a signed `ping` now and answer how it went (not retried). */
  test: (id: number) => request<WebhookDelivery>(`/webhooks/${id}/test`, { method: "POST" }),
};

export interface AuditQuery {
  actor?: string;
  action?: string;
  object_type?: string;
  object_id?: string;
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
}

export const audit = {
  list: (q: AuditQuery) => request<{ items: AuditEvent[]; total: number }>("/audit", { query: { ...q } }),
  verify: () => request<AuditVerify>("/audit/verify"),
  exportUrl: (format: "csv" | "jsonl", q: AuditQuery) => {
    return buildUrl("/audit/export", { ...q, limit: undefined, offset: undefined, format });
  },
};
