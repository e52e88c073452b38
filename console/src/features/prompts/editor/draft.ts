// The editor's working copy of a prompt, and conversions to and from the API shapes.
import type { Content, Message, ModelConfig, Prompt, PromptType } from "../../../api/types";
import type { CreatePromptBody, UpdatePromptBody } from "../../../api/endpoints";
import { splitList } from "../../../lib/format";

export type DraftMessage =
  | { id: string; kind: "message"; role: string; content: string }
  | { id: string; kind: "placeholder"; name: string };

export interface Draft {
  name: string;
  folder: string;
  type: PromptType;
  text: string;
  messages: DraftMessage[];
  config: ModelConfig;
  description: string;
  tags: string;
}

let counter = 0;
export const newId = () => `m${++counter}`;

export function toDraftMessages(messages: Message[]): DraftMessage[] {
  return messages.map((m) =>
    "type" in m && m.type === "placeholder"
      ? { id: newId(), kind: "placeholder", name: m.name }
      : { id: newId(), kind: "message", role: (m as { role: string }).role, content: (m as { content: string }).content ?? "" },
  );
}

export function fromDraftMessages(messages: DraftMessage[]): Message[] {
  return messages.map((m) =>
    m.kind === "placeholder"
      ? { type: "placeholder", name: m.name }
      : { role: m.role, content: m.content },
  );
}

export function emptyDraft(folder = ""): Draft {
  return {
    name: "",
    folder,
    type: "text",
    text: "",
    messages: [
      { id: newId(), kind: "message", role: "system", content: "" },
      { id: newId(), kind: "message", role: "user", content: "" },
    ],
    config: {},
    description: "",
    tags: "",
  };
}

export function draftFromPrompt(prompt: Prompt): Draft {
  const content = prompt.version.content;
  return {
    name: prompt.name,
    folder: prompt.folder ?? "",
    type: prompt.version.type ?? prompt.type,
    text: typeof content === "string" ? content : "",
    messages: Array.isArray(content) ? toDraftMessages(content) : [],
    config: prompt.version.config ?? {},
    description: prompt.description ?? "",
    tags: (prompt.tags ?? []).join(", "),
  };
}

export function draftContent(draft: Draft): Content {
  return draft.type === "text" ? draft.text : fromDraftMessages(draft.messages);
}

/** Switching type keeps the words: text becomes one user message and back. */
export function switchType(draft: Draft, type: PromptType): Draft {
  if (type === draft.type) return draft;
  if (type === "chat") {
    const hasMessages = draft.messages.some((m) => m.kind === "placeholder" || m.content.trim());
    return {
      ...draft,
      type,
      messages: hasMessages || !draft.text
        ? draft.messages
        : [{ id: newId(), kind: "message", role: "user", content: draft.text }],
    };
  }
  const joined = draft.messages
    .filter((m): m is Extract<DraftMessage, { kind: "message" }> => m.kind === "message")
    .map((m) => m.content)
    .filter(Boolean)
    .join("\n\n");
  return { ...draft, type, text: draft.text || joined };
}

/** A comparable fingerprint of what a save would send. */
export function fingerprint(draft: Draft): string {
  return JSON.stringify([
    draft.folder,
    draft.type,
    draftContent(draft),
    cleanConfig(draft.config),
    draft.description,
    splitList(draft.tags),
  ]);
}

export function cleanConfig(config: ModelConfig): ModelConfig {
  return Object.fromEntries(
    Object.entries(config).filter(([, v]) => v !== "" && v !== null && v !== undefined),
  );
}

export function createBody(draft: Draft, message: string): CreatePromptBody {
  return {
    name: draft.name.trim(),
    type: draft.type,
    content: draftContent(draft),
    config: cleanConfig(draft.config),
    folder: draft.folder.trim(),
    description: draft.description,
    tags: splitList(draft.tags),
    commit_message: message || undefined,
  };
}

export function updateBody(draft: Draft, message: string, baseVersion: number): UpdatePromptBody {
  return {
    type: draft.type,
    content: draftContent(draft),
    config: cleanConfig(draft.config),
    folder: draft.folder.trim(),
    description: draft.description,
    tags: splitList(draft.tags),
    commit_message: message || undefined,
    base_version: baseVersion,
  };
}
