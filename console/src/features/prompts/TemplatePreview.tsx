import { Loading } from "../../components/Loading";
import type { ChatMessage, Content, Message, Prompt } from "../../api/types";

/** A version's content as plain text: a text template as it is, a chat prompt's messages
 * one after the other with their roles. */
export function contentText(content: Content): string {
  if (typeof content === "string") return content;
  return content.map(messageText).join("\n\n");
}

function messageText(message: Message): string {
  if ("type" in message && message.type === "placeholder") return `[placeholder: ${message.name}]`;
  const chat = message as ChatMessage;
  return `${chat.role}:\n${chat.content ?? ""}`;
}

/** The prompt's template as plain text while the editor's code loads. On a cold load the
 * prompt's data arrives well before the editor (its chunk, CodeMirror) is ready, so the
 * author reads the template at once and edits it a moment later. */
export function TemplatePreview({ prompt }: { prompt: Prompt }) {
  return (
    <section className="template-preview" aria-label={`Template of ${prompt.name}`} aria-busy="true">
      <Loading label="Loading the editor…" />
      <pre className="template-preview-text">{contentText(prompt.version.content)}</pre>
    </section>
  );
}
