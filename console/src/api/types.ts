// Shapes of the Promptyard HTTP API (docs/api.md). Only what the console reads.

export interface Actor {
  type: "user" | "key";
  id: number;
  name: string;
  role: string;
}

export interface Me {
  actor: Actor;
  workspace: { slug: string; name: string };
}

export interface Project {
  slug: string;
  name: string;
  prompt_count: number;
  created_at: string;
}

export type PromptType = "text" | "chat";

export interface ChatMessage {
  role: string;
  content: string;
}

export interface PlaceholderMessage {
  type: "placeholder";
  name: string;
}

export type Message = ChatMessage | PlaceholderMessage;
export type Content = string | Message[];

export type ModelConfig = Record<string, unknown>;

export interface Variable {
  name: string;
  required: boolean;
}

export interface Version {
  number: number;
  branch: string;
  type: PromptType;
  content: Content;
  config: ModelConfig | null;
  variables: Variable[];
  references: string[];
  content_hash: string;
  parent: number | null;
  merge_parent: number | null;
  message: string | null;
  author: string;
  created_at: string;
  labels: string[];
}

export interface PromptSummary {
  id: number;
  project: string;
  name: string;
  folder: string;
  type: PromptType;
  description: string;
  tags: string[];
  metadata: Record<string, unknown>;
  latest_version: number;
  labels: Record<string, number>;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  deleted_at: string | null;
}

export interface Prompt extends PromptSummary {
  version: Version;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit?: number;
  offset?: number;
}

export interface Label {
  name: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface LabelEvent {
  label: string;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  created_at: string;
}

export type SpanOp = "equal" | "insert" | "delete";

export interface DiffSpan {
  op: SpanOp;
  text: string;
}

/** One chat message in a diff (domain/diff.py `_message_entry`): op is equal, changed,
 * insert or delete; a side is null when the message is only on the other side. */
export interface MessageDiff {
  op: string;
  old_index: number | null;
  new_index: number | null;
  role_old: string | null;
  role_new: string | null;
  kind_old?: "message" | "placeholder" | null;
  kind_new?: "message" | "placeholder" | null;
  name_old?: string | null;
  name_new?: string | null;
  spans: DiffSpan[];
}

export interface ConfigChange {
  path: string;
  op: string;
  old?: unknown;
  new?: unknown;
}

export interface Diff {
  from: number;
  to: number;
  type_changed: boolean;
  spans: DiffSpan[];
  unified: string;
  messages: MessageDiff[] | null;
  config: ConfigChange[];
  stats: { insertions: number; deletions: number };
}

export interface TemplateError {
  field: string | null;
  line: number | null;
  column: number | null;
  message: string;
}

export interface ValidateResult {
  valid: boolean;
  variables: (Variable | string)[];
  references: string[];
  errors: TemplateError[];
}

export interface RenderResult {
  type: PromptType;
  rendered: string | Message[];
  version?: number;
}

export interface Model {
  id: string;
  provider: string;
  name: string;
}

export interface ExecuteResult {
  output: string;
  model: string;
  provider: string;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  cost_usd: number | null;
  latency_ms: number;
  rendered: string | Message[];
}

export interface Folder {
  path: string;
  count: number;
}

export interface Tag {
  name: string;
  count: number;
}

export type BulkAction = "tag" | "untag" | "move" | "label" | "delete" | "restore";
