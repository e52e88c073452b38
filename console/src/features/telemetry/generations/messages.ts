// A generation's input as the console shows it: text, or chat messages with a role and
// their text. Message content may be a string, or a list of parts (OpenAI's
// `{type: "text", text}`, OTel's `{type: "text", content}`); what is not text is shown
// as JSON so nothing the app sent is hidden.

export interface ShownMessage {
  role: string;
  text: string;
  /** Everything else the message carried (tool calls, names, ids), as JSON; or "". */
  extra: string;
}

function partText(part: unknown): string {
  if (typeof part === "string") return part;
  if (part && typeof part === "object") {
    const p = part as Record<string, unknown>;
    if (typeof p.text === "string") return p.text;
    if (typeof p.content === "string") return p.content;
  }
  return JSON.stringify(part);
}

export function contentText(content: unknown): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map(partText).join("\n");
  return JSON.stringify(content, null, 2);
}

export function toMessages(input: readonly Record<string, unknown>[]): ShownMessage[] {
  return input.map((message) => {
    const { role, content, parts, ...rest } = message;
    const text = contentText(content ?? parts);
    return {
      role: typeof role === "string" ? role : "message",
      text,
      extra: Object.keys(rest).length ? JSON.stringify(rest, null, 2) : "",
    };
  });
}
