// CodeMirror 6 with Jinja highlighting, used for a text prompt and for each chat message.
import { useEffect, useRef } from "react";
import { autocompletion, closeBrackets, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { jinja } from "@codemirror/lang-jinja";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { Annotation, EditorSelection, EditorState, type Text } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  keymap,
  lineNumbers,
  placeholder as placeholderExt,
} from "@codemirror/view";

export interface LineError {
  line: number | null;
  column: number | null;
  message: string;
  /** A range's end (1-based; quality findings), else one character or the whole line. */
  endLine?: number;
  endColumn?: number;
  severity?: "error" | "warning" | "info" | "hint";
}

interface Props {
  value: string;
  onChange: (value: string) => void;
  label: string;
  errors?: LineError[];
  placeholder?: string;
  id?: string;
  describedBy?: string;
}

/**
 * Typing the end of a tag over the `%}` that auto-close inserted steps over it, as `}}`
 * does: `%` before `%}` and `}` between `%` and `}` move the cursor instead of inserting.
 */
const stepOverTagEnd = EditorView.inputHandler.of((view, from, to, text) => {
  if (from !== to || (text !== "%" && text !== "}")) return false;
  const doc = view.state.doc;
  const ahead = doc.sliceString(from, from + 2);
  const steps = text === "%" ? ahead === "%}" : ahead[0] === "}" && doc.sliceString(from - 1, from) === "%";
  if (!steps) return false;
  view.dispatch({ selection: EditorSelection.cursor(from + 1), scrollIntoView: true, userEvent: "select" });
  return true;
});

/** Marks changes that came from the value prop, so they are not reported back as edits. */
const fromOutside = Annotation.define<boolean>();

function toDiagnostics(doc: Text, errors: LineError[]): Diagnostic[] {
  return errors.map((error) => {
    const lineNo = Math.min(Math.max(error.line ?? 1, 1), doc.lines);
    const line = doc.line(lineNo);
    const col = Math.min(Math.max((error.column ?? 1) - 1, 0), line.length);
    const from = line.from + col;
    let to = error.column ? Math.min(line.to, from + 1) : line.to;
    if (error.endLine && error.endColumn) {
      const end = doc.line(Math.min(Math.max(error.endLine, lineNo), doc.lines));
      to = Math.min(end.from + Math.max(error.endColumn - 1, 0), end.to);
    }
    return { from, to: Math.max(to, from), severity: error.severity ?? "error", message: error.message };
  });
}

export function CodeEditor({ value, onChange, label, errors = [], placeholder, id, describedBy }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  });

  useEffect(() => {
    const attrs: Record<string, string> = { "aria-label": label };
    if (describedBy) attrs["aria-describedby"] = describedBy;
    if (id) attrs.id = id;
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          closeBrackets(),
          autocompletion(),
          stepOverTagEnd,
          jinja(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          lintGutter(),
          EditorView.lineWrapping,
          placeholderExt(placeholder ?? ""),
          EditorView.contentAttributes.of(attrs),
          keymap.of([...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          EditorView.updateListener.of((update) => {
            const outside = update.transactions.some((tr) => tr.annotation(fromOutside));
            if (update.docChanged && !outside) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor is created once; later value changes are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Outside changes (a reload after a conflict, a type switch) replace the document.
  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== value) {
      editor.dispatch({
        changes: { from: 0, to: current.length, insert: value },
        annotations: fromOutside.of(true),
      });
    }
  }, [value]);

  const errorsKey = JSON.stringify(errors);
  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const list = JSON.parse(errorsKey) as LineError[];
    editor.dispatch(setDiagnostics(editor.state, toDiagnostics(editor.state.doc, list)));
  }, [errorsKey]);

  return <div className="code-editor" ref={host} data-testid="code-editor" />;
}
