import { ApiError } from "../../../api/client";
import type { RenderResult } from "../../../api/types";
import { RenderedOutput } from "../../../components/RenderedOutput";
import { ErrorMessage } from "../../../components/ErrorMessage";

interface Props {
  result: RenderResult | undefined;
  error: unknown;
  empty: boolean;
  stale: boolean;
  /** The template does not parse now: what is shown is the last render that worked. */
  outdated?: boolean;
}

/** Live preview of the rendered prompt with the variable values filled in. */
export function Preview({ result, error, empty, stale, outdated = false }: Props) {
  let body;
  if (empty) body = <p className="hint">Start typing the template to see it rendered here.</p>;
  else if (error instanceof ApiError && error.code === "missing_variables") {
    const missing = (error.details as { missing?: string[] } | null)?.missing ?? [];
    body = (
      <p className="hint">
        Fill in{" "}
        {missing.map((m, i) => (
          <span key={m}>
            {i > 0 && ", "}
            <code>{m}</code>
          </span>
        ))}{" "}
        to see the rendered prompt.
      </p>
    );
  } else if (error) body = <ErrorMessage error={error} title="Cannot render." />;
  else if (result) body = <RenderedOutput rendered={result.rendered} />;
  else body = <p className="hint">Rendering…</p>;
  const showOutdated = outdated && !empty;
  return (
    <section
      className={showOutdated ? "panel preview outdated" : "panel preview"}
      aria-labelledby="preview-title"
      aria-busy={stale}
      data-stale={showOutdated ? "true" : "false"}
    >
      <h2 id="preview-title">Preview</h2>
      <div aria-live="polite">
        {showOutdated && (
          <p className="notice warn preview-stale">
            Out of date: the template has a syntax error, so this is the last preview that rendered.
            It updates when the template parses again.
          </p>
        )}
        {body}
      </div>
    </section>
  );
}
