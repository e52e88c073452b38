import { useEffect, useRef, useState } from "react";
import { CodeEditor, type LineError } from "./CodeEditor";
import { newId, type DraftMessage } from "./draft";

export const ROLES = ["system", "user", "assistant", "tool"];
const PLACEHOLDER = "placeholder";

interface Props {
  messages: DraftMessage[];
  onChange: (messages: DraftMessage[]) => void;
  /** Errors per message index (from validation). */
  errors?: Record<number, LineError[]>;
}

/** A chat prompt as a list of role/content messages: add, remove, reorder. */
export function ChatMessages({ messages, onChange, errors = {} }: Props) {
  const list = useRef<HTMLDivElement>(null);
  const [focus, setFocus] = useState<string | null>(null);

  useEffect(() => {
    if (!focus || !list.current) return;
    const target = list.current.querySelector<HTMLElement>(`[data-focus="${focus}"]`);
    const fallback = list.current.querySelector<HTMLElement>(
      `[data-focus^="${focus.split(":")[0]}:"]:not([disabled])`,
    );
    (target && !(target as HTMLButtonElement).disabled ? target : fallback)?.focus();
    setFocus(null);
  }, [focus, messages]);

  const replace = (index: number, message: DraftMessage) =>
    onChange(messages.map((m, i) => (i === index ? message : m)));

  const move = (index: number, delta: -1 | 1) => {
    const to = index + delta;
    if (to < 0 || to >= messages.length) return;
    const item = messages[index];
    if (!item) return;
    const next = messages.filter((_, i) => i !== index);
    next.splice(to, 0, item);
    onChange(next);
    setFocus(`${item.id}:${delta < 0 ? "up" : "down"}`);
  };

  const remove = (index: number) => {
    const next = messages.filter((_, i) => i !== index);
    onChange(next);
    const neighbour = next[Math.min(index, next.length - 1)];
    setFocus(neighbour ? `${neighbour.id}:remove` : "add:");
  };

  const add = () => {
    const last = messages[messages.length - 1];
    const role = last?.kind === "message" && last.role === "user" ? "assistant" : "user";
    const created: DraftMessage = { id: newId(), kind: "message", role, content: "" };
    onChange([...messages, created]);
  };

  const setRole = (index: number, role: string) => {
    const current = messages[index];
    if (!current) return;
    if (role === PLACEHOLDER) {
      replace(index, { id: current.id, kind: "placeholder", name: current.kind === "placeholder" ? current.name : "history" });
    } else {
      replace(index, {
        id: current.id,
        kind: "message",
        role,
        content: current.kind === "message" ? current.content : "",
      });
    }
  };

  return (
    <div className="chat-messages" ref={list}>
      {messages.length === 0 && (
        <p className="hint">A chat prompt is a list of messages. Add the first one below.</p>
      )}
      <ol className="messages" aria-label="Messages">
        {messages.map((message, index) => {
          const n = index + 1;
          const role = message.kind === "placeholder" ? PLACEHOLDER : message.role;
          return (
            <li key={message.id} className={`message role-${role}`} data-testid="chat-message">
              <div className="message-head">
                <label className="inline-field">
                  <span>Message {n} role</span>
                  <select value={role} onChange={(e) => setRole(index, e.target.value)}>
                    {[...new Set([...ROLES, role])].filter((r) => r !== PLACEHOLDER).map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                    <option value={PLACEHOLDER}>placeholder (history)</option>
                  </select>
                </label>
                <div className="row tight">
                  <button
                    type="button"
                    className="btn small icon"
                    aria-label={`Move message ${n} up`}
                    data-focus={`${message.id}:up`}
                    disabled={index === 0}
                    onClick={() => move(index, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="btn small icon"
                    aria-label={`Move message ${n} down`}
                    data-focus={`${message.id}:down`}
                    disabled={index === messages.length - 1}
                    onClick={() => move(index, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="btn small danger"
                    aria-label={`Remove message ${n}`}
                    data-focus={`${message.id}:remove`}
                    onClick={() => remove(index)}
                  >
                    Remove
                  </button>
                </div>
              </div>
              {message.kind === "placeholder" ? (
                <label className="field">
                  <span>Variable holding the message list</span>
                  <input
                    value={message.name}
                    onChange={(e) => replace(index, { ...message, name: e.target.value })}
                  />
                </label>
              ) : (
                <CodeEditor
                  label={`Message ${n} content (${message.role})`}
                  value={message.content}
                  placeholder={message.role === "system" ? "You are a helpful assistant…" : "{{ question }}"}
                  errors={errors[index]}
                  onChange={(content) => replace(index, { ...message, content })}
                />
              )}
            </li>
          );
        })}
      </ol>
      <button type="button" className="btn" data-focus="add:" onClick={add}>
        Add message
      </button>
    </div>
  );
}
