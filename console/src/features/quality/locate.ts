// Moves the editor's cursor to a finding: selects its range in the CodeMirror editor of
// the text prompt (or of its chat message) and focuses it. Only the editor page imports
// this, so CodeMirror stays in the editor's chunk.
import { EditorView } from "@codemirror/view";
import type { Finding } from "./api";

export function locateFinding(finding: Finding): boolean {
  const selector =
    finding.message_index === null || finding.message_index === undefined
      ? '.cm-content[aria-label="Prompt template"]'
      : `.cm-content[aria-label^="Message ${finding.message_index + 1} content"]`;
  const element = document.querySelector<HTMLElement>(selector);
  const view = element ? EditorView.findFromDOM(element) : null;
  if (!view) return false;
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(finding.line, 1), doc.lines));
  const from = Math.min(line.from + Math.max(finding.column - 1, 0), line.to);
  const end = doc.line(Math.min(Math.max(finding.end_line, line.number), doc.lines));
  const to = Math.max(from, Math.min(end.from + Math.max(finding.end_column - 1, 0), end.to));
  view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
  view.focus();
  return true;
}
