// Shapes of the Promptyard HTTP API, under the names the pages use. They are aliases of
// the types generated from the server's OpenAPI schema (schema.d.ts: `npm run gen:api`,
// and `npm run check:api` fails when it is stale). A shape whose route still answers an
// untyped object in that schema is written here by hand, with the route it mirrors.
import type { components } from "./schema";

type Schemas = components["schemas"];

// -- sessions (docs/api-accounts.md) ------------------------------------------------

/** GET /auth/me: who is signed in, in which workspace, and what they may do. */
export type Me = Schemas["MePublic"];

/** The actor of GET /auth/me, with `permissions`: every permission it holds, sorted. */
export type Actor = Me["actor"];

/** One permission name ("prompt:read", "member:manage", …): an enum in the schema. */
export type Permission = Actor["permissions"][number];

/** POST /auth/switch and POST /auth/invitations/accept: the session's actor and
 * workspace (without permissions: read GET /auth/me for those). */
export type Session = Schemas["SessionPublic"];

/** POST /auth/login. */
export type Login = Schemas["LoginPublic"];

export type Project = Schemas["ProjectPublic"];

// -- prompts and versions (docs/api.md) -------------------------------------------------

export type PromptType = Schemas["PromptPublic"]["type"];

/** One chat message of a version's content (the schema says only "object"). */
export interface ChatMessage {
  role: string;
  content: string;
}

/** A message list to be filled in at render time (e.g. the conversation history). */
export interface PlaceholderMessage {
  type: "placeholder";
  name: string;
}

export type Message = ChatMessage | PlaceholderMessage;
export type Content = string | Message[];

export type ModelConfig = Schemas["VersionPublic"]["config"];

export type Variable = Schemas["VariablePublic"];

/** A version; its content's messages typed as the console reads them. */
export type Version = Omit<Schemas["VersionPublic"], "content"> & { content: Content };

/** A prompt's lifecycle: set by review (draft, in_review, published) or by hand
 * (deprecated, archived). */
export type Lifecycle = Schemas["LifecyclePublic"]["lifecycle"];

/** The states POST /prompts/{name}/lifecycle accepts. */
export type LifecycleTarget = Schemas["LifecycleBody"]["state"];

/** A prompt as the library lists it (GET /prompts), without its version. */
export type PromptSummary = Omit<Schemas["PromptPublic"], "version" | "lifecycle"> & {
  lifecycle?: Lifecycle;
};

/** A prompt with one version (GET, POST, PATCH /prompts/{name} always include it). */
export type Prompt = PromptSummary & { version: Version };

/** A page of a list answer. */
export interface Page<T> {
  items: T[];
  total: number;
  limit?: number;
  offset?: number;
}

export type Label = Schemas["LabelPublic"];

/** Mirrors the items of GET /prompts/{name}/label-events. */
export interface LabelEvent {
  label: string;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  created_at: string;
}

export type SpanOp = "equal" | "insert" | "delete";

/** Mirrors a span of GET /prompts/{name}/diff. */
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

/** Mirrors an entry of `config` in GET /prompts/{name}/diff. */
export interface ConfigChange {
  path: string;
  op: string;
  old?: unknown;
  new?: unknown;
}

/** Mirrors GET /prompts/{name}/diff. */
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

/** An error in a template, where the server found it. */
export type TemplateError = Schemas["TemplateProblemPublic"];

/** POST /templates/validate. */
export type ValidateResult = Schemas["TemplateCheckPublic"];

/** POST /templates/render; a chat prompt's messages typed as the console reads them. */
export type RenderResult = Omit<Schemas["RenderedTemplatePublic"], "rendered"> & { rendered: string | Message[] };

export type Model = Schemas["ModelPublic"];

/** POST /prompts/execute; a chat prompt's messages typed as the console reads them. */
export type ExecuteResult = Omit<Schemas["ExecutionPublic"], "rendered"> & { rendered: string | Message[] };

/** Mirrors the items of GET /folders. */
export interface Folder {
  path: string;
  count: number;
}

/** Mirrors the items of GET /tags. */
export interface Tag {
  name: string;
  count: number;
}

export type BulkAction = Schemas["BulkAction"]["action"];

// -- accounts, review and audit (docs/api-accounts.md, api-review.md, api-audit.md) ----

/** A workspace role (lib/roles.ts orders them, weakest first). */
export type Role = Schemas["MemberPublic"]["role"];

/** A member of the workspace (GET /members; POST /users answers one too). */
export type User = Schemas["MemberPublic"];

/** An account as PATCH /users/{id} answers it (instance administrators). */
export type Account = Schemas["UserPublic"];

export type ProjectMember = Schemas["ProjectMemberPublic"];

export type ApiKey = Schemas["KeyPublic"];

/** POST /keys: the key plus its secret, shown this once. */
export type CreatedKey = Schemas["KeyCreated"];

export type InvitationStatus = Schemas["InvitationPublic"]["status"];

export type Invitation = Schemas["InvitationPublic"];

/** POST /invitations: the invitation plus its token, shown this once. */
export type CreatedInvitation = Schemas["InvitationCreated"];

export type Workspace = Schemas["WorkspacePublic"];

/** The review policy of a project: the answer has every field, defaults included. */
export type Policy = Required<Schemas["Policy"]>;

export type GateResult = Schemas["GateResultPublic"];

export type ChangeRequestStatus = Schemas["ChangeRequestPublic"]["status"];

export type ChangeRequestEvent = Schemas["ChangeRequestEventPublic"];

/** A change request as GET /change-requests lists it. */
export type ChangeRequest = Schemas["ChangeRequestPublic"];

/** GET /change-requests/{id} (and every action on one): with its timeline. */
export type ChangeRequestDetail = Schemas["ChangeRequestDetailPublic"];

export type Webhook = Schemas["WebhookPublic"];

/** POST /webhooks: the webhook plus its signing secret, shown this once. */
export type CreatedWebhook = Schemas["WebhookCreated"];

export type WebhookDelivery = Schemas["DeliveryPublic"];

export type AuditEvent = Schemas["AuditEventPublic"];

/** GET /audit/verify. */
export type AuditVerify = Schemas["AuditVerifyPublic"];

export type Dependent = Schemas["DependentPublic"];

/** GET /prompts/{name}/impact (docs/api-review.md). */
export type Impact = Schemas["ImpactPublic"];
