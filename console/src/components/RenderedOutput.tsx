import type { Message } from "../api/types";

/** A rendered prompt: text, or the list of chat messages. */
export function RenderedOutput({ rendered }: { rendered: string | Message[] }) {
  if (typeof rendered === "string") return <pre className="rendered">{rendered}</pre>;
  return (
    <ol className="rendered-messages">
      {rendered.map((m, i) => (
        <li key={i} className="rendered-message">
          {"type" in m && m.type === "placeholder" ? (
            <span className="muted">placeholder: {m.name}</span>
          ) : (
            <>
              <span className="role">{(m as { role: string }).role}</span>
              <pre className="rendered">{(m as { content: string }).content}</pre>
            </>
          )}
        </li>
      ))}
    </ol>
  );
}
