// A reuse suggestion: the run of words two prompts share, and the include tag that
// could replace it in both.
import type { SharedPart } from "./api";

export function SharedPartView({ part }: { part: SharedPart }) {
  return (
    <details className="shared-part-details">
      <summary>
        Reuse: {part.words} shared words from line {part.line}; replace with <code>{part.include}</code>
      </summary>
      <p className="hint">{part.message}</p>
      <pre className="shared-part" tabIndex={0} aria-label="The shared part">
        {part.text}
        {part.truncated ? "…" : ""}
      </pre>
    </details>
  );
}
