// Shapes of the Promptyard HTTP API (docs/api.md). Only what the console reads.

export interface Actor {
  type: "user" | "key";
  id: number;
  name: string;
  role: string;
  /** Manages accounts of the whole instance (create, reset passwords, disable). */
  instance_admin: boolean;
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
  /** Set by review (draft, in_review, …, published) or by hand (deprecated, archived). */
  lifecycle?: Lifecycle;
}

export type Lifecycle =
  | "draft"
  | "in_review"
  | "changes_requested"
  | "approved"
  | "published"
  | "deprecated"
  | "archived";

/** The states POST /prompts/{name}/lifecycle accepts. */
export type LifecycleTarget = "draft" | "published" | "deprecated" | "archived";

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

// -- accounts, review and audit (docs/api-accounts.md, api-review.md, api-audit.md) ----

export type Role = "viewer" | "editor" | "reviewer" | "admin";

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  is_active: boolean;
  created_at: string;
  last_login_at: string | null;
}

export interface ProjectMember {
  user_id: number;
  email: string;
  role: Role;
  workspace_role: Role;
}

export interface ApiKey {
  id: number;
  name: string;
  kind: "api" | "langfuse";
  prefix: string;
  public_key: string | null;
  role: Role;
  project: string | null;
  user_id: number | null;
  service_account: boolean;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** The answer to POST /keys: the key plus its secret, shown this once. */
export interface CreatedKey extends ApiKey {
  key: string;
}

export type InvitationStatus = "pending" | "accepted" | "revoked" | "expired";

export interface Invitation {
  id: number;
  email: string;
  role: Role;
  status: InvitationStatus;
  created_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

/** The answer to POST /invitations: the invitation plus its token, shown this once. */
export interface CreatedInvitation extends Invitation {
  token: string;
}

export interface Workspace {
  slug: string;
  name: string;
  role: Role;
  current: boolean;
}

export interface Policy {
  require_review: boolean;
  protected_labels: string[];
  required_approvals: number;
  gates: Record<string, boolean>;
}

export interface GateResult {
  gate: string;
  ok: boolean;
  message: string;
}

export type ChangeRequestStatus = "open" | "changes_requested" | "approved" | "applied" | "closed";

export interface ChangeRequestEvent {
  id: number;
  kind: string;
  actor: string;
  body: string;
  created_at: string;
}

export interface ChangeRequest {
  id: number;
  project: string;
  prompt: string;
  version: number;
  label: string;
  description: string;
  status: ChangeRequestStatus;
  author: string;
  required_approvals: number;
  approvals: string[];
  sample_variables: Record<string, unknown>;
  gate_results: GateResult[] | null;
  created_at: string;
  updated_at: string;
  applied_at: string | null;
  applied_by: string | null;
  events?: ChangeRequestEvent[];
}

export interface Webhook {
  id: number;
  url: string;
  events: string[];
  active: boolean;
  created_at: string;
  created_by: string;
  secret?: string;
}

export interface WebhookDelivery {
  id: number;
  webhook_id: number;
  event: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface AuditEvent {
  seq: number;
  id: number;
  created_at: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  summary: Record<string, unknown> | null;
  request_id: string | null;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditVerify {
  ok: boolean;
  checked: number;
  first_broken_seq: number | null;
  first_broken_id: number | null;
  reason: string | null;
}

/** GET /prompts/{name}/impact (docs/api-review.md). */
export interface Dependent {
  prompt: string;
  version: number;
  reference: string;
  resolves_to: number | null;
}

export interface Impact {
  prompt: string;
  version: number | null;
  lifecycle: Lifecycle;
  labels: { name: string; version: number }[];
  dependents: Dependent[];
  change_requests: ChangeRequest[];
}
