import { ApiError } from "../../../api/client";
import type { RenderResult } from "../../../api/types";
import { RenderedOutput } from "../../../components/RenderedOutput";
import { ErrorMessage } from "../../../components/ErrorMessage";

interface Props {
  result: RenderResult | undefined;
  error: unknown;
  empty: boolean;
  stale: boolean;
}

/** Live preview of the rendered prompt with the variable values filled in. */
export function Preview({ result, error, empty, stale }: Props) {
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
  return (
    <section className="panel preview" aria-labelledby="preview-title" aria-busy={stale}>
      <h2 id="preview-title">Preview</h2>
      <div aria-live="polite">{body}</div>
    </section>
  );
}
