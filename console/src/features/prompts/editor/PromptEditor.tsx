import { useEffect, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { ApiError } from "../../../api/client";
import { prompts } from "../../../api/endpoints";
import { keys, projectScope } from "../../../api/keys";
import type { Prompt, PromptType, TemplateError } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { useModShortcut } from "../../../lib/hooks";
import { useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { ChatMessages } from "./ChatMessages";
import { CodeEditor } from "./CodeEditor";
import { ConflictDialog } from "./ConflictDialog";
import { LeaveGuard } from "./LeaveGuard";
import {
  createBody,
  draftContent,
  draftFromPrompt,
  emptyDraft,
  fingerprint,
  switchType,
  updateBody,
  type Draft,
} from "./draft";
import { describeError, saveTemplateError, splitErrors } from "./lineErrors";
import { ModelConfigForm } from "./ModelConfigForm";
import { Preview } from "./Preview";
import { PromptDetails } from "./PromptDetails";
import { useTemplateCheck } from "./useTemplateCheck";
import { VariablesPanel } from "../../../components/VariablesPanel";
import { FindingsPanel } from "../../quality/FindingsPanel";
import { findingMarks } from "../../quality/findings";
import { locateFinding } from "../../quality/locate";
import { useContentScan } from "../../quality/useContentScan";

interface Props {
  project: string;
  prompt: Prompt | null;
  initialFolder: string;
}

export function PromptEditor({ project, prompt, initialFolder }: Props) {
  const isNew = prompt === null;
  useTitle(isNew ? "New prompt" : prompt.name);
  const client = useQueryClient();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Draft>(() => (prompt ? draftFromPrompt(prompt) : emptyDraft(initialFolder)));
  const [baseline, setBaseline] = useState(() => fingerprint(draft));
  const [baseVersion, setBaseVersion] = useState(prompt?.version.number ?? 0);
  const [commitMessage, setCommitMessage] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saveSyntax, setSaveSyntax] = useState<TemplateError | null>(null);
  const [conflict, setConflict] = useState<ApiError | null>(null);
  const [status, setStatus] = useState("");
  const denied = useDenied()("prompt:write", isNew ? "create prompts" : "save prompts");

  const content = useMemo(() => draftContent(draft), [draft]);
  const check = useTemplateCheck(project, draft.type, content, values);
  const dirty = fingerprint(draft) !== baseline;
  const allErrors = saveSyntax ? [...check.errors, saveSyntax] : check.errors;
  const lineErrors = splitErrors(allErrors, draft.type);
  // Quality and security findings of what is in the editor, marked in the text.
  const quality = useContentScan(project, draft.type, content, draft.config.model);
  const marks = findingMarks(quality.empty ? [] : (quality.scan.data?.findings ?? []));
  const base = `/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(draft.name)}`;

  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const patch = (p: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...p }));
    setSaveSyntax(null);
    setStatus("");
  };

  async function save(onTopOf = baseVersion) {
    if (saving || denied) return;
    if (!isNew && !dirty && onTopOf === baseVersion) {
      setStatus("Nothing to save: no changes since the last save.");
      return;
    }
    setSaving(true);
    setSaveError(null);
    setSaveSyntax(null);
    try {
      if (isNew) {
        const created = await prompts.create(project, createBody(draft, commitMessage));
        client.setQueryData(keys.prompt(project, created.name), created);
        await client.invalidateQueries({ queryKey: projectScope(project), refetchType: "none" });
        await client.invalidateQueries({ queryKey: keys.projects });
        setBaseline(fingerprint(draft));
        navigate(`/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(created.name)}`, {
          replace: true,
        });
        return;
      }
      const saved = await prompts.update(project, prompt.name, updateBody(draft, commitMessage, onTopOf));
      await client.invalidateQueries({ queryKey: projectScope(project), refetchType: "none" });
      client.setQueryData(keys.prompt(project, saved.name), saved);
      setConflict(null);
      setBaseline(fingerprint(draft));
      setCommitMessage("");
      const made = saved.version.number !== onTopOf;
      setBaseVersion(saved.version.number);
      const branch = saved.version.branch && saved.version.branch !== "main" ? ` It is on branch ${saved.version.branch}.` : "";
      setStatus(
        made
          ? `Saved as version ${saved.version.number}.${branch}`
          : "Saved. The template did not change, so no new version was made.",
      );
    } catch (error) {
      if (error instanceof ApiError && error.code === "stale_version") setConflict(error);
      else if (error instanceof ApiError && error.code === "template_syntax_error") {
        setSaveSyntax(saveTemplateError(error.details));
        setSaveError(error);
      } else setSaveError(error);
    } finally {
      setSaving(false);
    }
  }

  async function reloadTheirs() {
    if (!prompt) return;
    const fresh = await client.fetchQuery({
      queryKey: keys.prompt(project, prompt.name),
      queryFn: () => prompts.get(project, prompt.name),
      staleTime: 0,
    });
    const next = draftFromPrompt(fresh);
    setDraft(next);
    setBaseline(fingerprint(next));
    setBaseVersion(fresh.version.number);
    setConflict(null);
    setStatus(`Loaded version ${fresh.version.number}.`);
  }

  useModShortcut("s", () => void save());

  const conflictCurrent = (conflict?.details as { current?: number } | null)?.current ?? null;

  return (
    <form
      className="editor-page"
      aria-label={isNew ? "New prompt" : `Edit ${draft.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="page-head">
        <h1>{isNew ? "New prompt" : draft.name}</h1>
        {!isNew && (
          <span className="muted">
            editing from version {baseVersion}
            {dirty && <strong className="unsaved"> · unsaved changes</strong>}
          </span>
        )}
      </div>
      <div className="editor-grid">
        <div className="editor-main">
          <PromptDetails
            draft={draft}
            isNew={isNew}
            onChange={patch}
            onType={(t: PromptType) => setDraft((d) => switchType(d, t))}
          />
          <section className="panel" aria-labelledby="template-title">
            <h2 id="template-title">Template</h2>
            <p className="hint" id="template-hint">
              Jinja syntax: <code>{"{{ variable }}"}</code>, <code>{"{% if … %}"}</code>,{" "}
              <code>{"{% for … %}"}</code>.
            </p>
            {draft.type === "text" ? (
              <CodeEditor
                label="Prompt template"
                describedBy="template-hint"
                value={draft.text}
                errors={[...lineErrors.text, ...marks.text]}
                placeholder="Hello {{ name }}, …"
                onChange={(text) => patch({ text })}
              />
            ) : (
              <ChatMessages
                messages={draft.messages}
                errors={mergeMarks(lineErrors.messages, marks.messages)}
                onChange={(messages) => patch({ messages })}
              />
            )}
            <div aria-live="polite">
              {allErrors.length > 0 && (
                <ul className="template-errors" aria-label="Template errors">
                  {allErrors.map((e, i) => (
                    <li key={i}>{describeError(e, draft.type)}</li>
                  ))}
                </ul>
              )}
            </div>
          </section>
          <ModelConfigForm config={draft.config} onChange={(config) => patch({ config })} />
        </div>
        <div className="editor-side">
          <FindingsPanel
            result={quality.scan.data}
            error={quality.scan.error}
            pending={quality.pending}
            empty={quality.empty}
            onLocate={locateFinding}
          />
          <VariablesPanel
            variables={check.variables}
            values={values}
            onChange={(name, value) => setValues((v) => ({ ...v, [name]: value }))}
          />
          <Preview
            result={check.render.data}
            error={check.render.error}
            empty={check.empty}
            stale={check.pending || check.render.isFetching}
            outdated={check.syntaxError}
          />
        </div>
      </div>
      <div className="savebar">
        <label className="field grow">
          <span>Commit message</span>
          <input
            value={commitMessage}
            placeholder={isNew ? "first version" : "what changed and why"}
            onChange={(e) => setCommitMessage(e.target.value)}
          />
        </label>
        <button
          type="submit"
          className="btn primary"
          disabled={saving || !!denied || (isNew && !draft.name.trim())}
          aria-describedby={denied ? "save-denied" : undefined}
        >
          {saving ? "Saving…" : isNew ? "Create prompt" : "Save"} <kbd>Ctrl+S</kbd>
        </button>
        {denied && (
          <p id="save-denied" className="hint">
            {denied}
          </p>
        )}
        <p className="save-status" role="status">
          {status}
        </p>
      </div>
      {saveError ? <ErrorMessage error={saveError} title="Not saved." /> : null}
      <LeaveGuard when={dirty && !saving} />
      {conflict && (
        <ConflictDialog
          message={conflict.message}
          baseVersion={baseVersion}
          currentVersion={conflictCurrent}
          busy={saving}
          historyHref={`${base}/history?from=${baseVersion}&to=${conflictCurrent ?? ""}`}
          onCancel={() => setConflict(null)}
          onReload={() => void reloadTheirs()}
          onOverwrite={() => void save(conflictCurrent ?? baseVersion)}
        />
      )}
    </form>
  );
}

function mergeMarks<T>(a: Record<number, T[]>, b: Record<number, T[]>): Record<number, T[]> {
  const merged: Record<number, T[]> = { ...a };
  for (const [index, items] of Object.entries(b)) merged[Number(index)] = [...(merged[Number(index)] ?? []), ...items];
  return merged;
}
