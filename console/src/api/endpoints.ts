// One function per API route the console uses (docs/api.md).
import { request } from "./client";
import type {
  BulkAction,
  Content,
  Diff,
  ExecuteResult,
  Folder,
  Label,
  LabelEvent,
  Me,
  Model,
  ModelConfig,
  Page,
  Project,
  Prompt,
  PromptSummary,
  PromptType,
  RenderResult,
  Tag,
  ValidateResult,
  Version,
} from "./types";

const p = (name: string) => `/prompts/${encodeURIComponent(name)}`;

export const auth = {
  login: (body: { email: string; password: string } | { api_key: string }) =>
    request<{ actor: Me["actor"] }>("/auth/login", { method: "POST", body }),
  logout: () => request<undefined>("/auth/logout", { method: "POST" }),
  me: () => request<Me>("/auth/me"),
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
  execute: (
    project: string,
    body: { prompt: string; version?: number; label?: string; variables: Record<string, unknown>; model: string },
  ) => request<ExecuteResult>("/prompts/execute", { method: "POST", query: { project }, body }),
};
