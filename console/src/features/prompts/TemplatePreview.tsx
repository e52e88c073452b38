import { Loading } from "../../components/Loading";
import { RenderedOutput } from "../../components/RenderedOutput";
import type { Prompt } from "../../api/types";

/** The prompt's template as plain text while the editor's code loads. On a cold load the
 * prompt's data arrives well before the editor (its chunk, CodeMirror) is ready, so the
 * author reads the template at once and edits it a moment later. */
export function TemplatePreview({ prompt }: { prompt: Prompt }) {
  return (
    <section className="template-preview" aria-label={`Template of ${prompt.name}`} aria-busy="true">
      <Loading label="Loading the editor…" />
      <div className="template-preview-text">
        <RenderedOutput rendered={prompt.version.content} />
      </div>
    </section>
  );
}
