import { useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../../api/client";
import { prompts } from "../../../api/endpoints";
import { keys, projectScope } from "../../../api/keys";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { useDenied } from "../../../lib/permissions";
import { ConflictDialog } from "../../prompts/editor/ConflictDialog";
import { variantConfig, type Variant } from "./runs";

interface Props {
  project: string;
  prompt: string;
  model: string;
  variant: Variant;
  /** Saved (or nothing changed): the version and what to tell the user. */
  onSaved: (version: number, status: string) => void;
  /** "Discard mine": the variant replaced by the prompt's latest version. */
  onReload: (fresh: Variant) => void;
}

/** "Save as version": the variant saved through the prompt's normal write (PATCH with
 * base_version); someone else's save meanwhile opens the editor's conflict dialog. */
export function SaveVariant({ project, prompt, model, variant, onSaved, onReload }: Props) {
  const client = useQueryClient();
  const id = useId();
  const [message, setMessage] = useState("");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [conflict, setConflict] = useState<ApiError | null>(null);
  const [status, setStatus] = useState("");
  const denied = useDenied()("prompt:write", "save versions");

  async function save(onTopOf: number) {
    if (saving || denied) return;
    setSaving(true);
    setError(null);
    try {
      const saved = await prompts.update(project, prompt, {
        type: variant.type,
        content: variant.content,
        config: variantConfig(variant, model),
        commit_message: message.trim() || `From the playground (edited v${variant.from})`,
        base_version: onTopOf,
      });
      await client.invalidateQueries({ queryKey: projectScope(project) });
      client.setQueryData(keys.prompt(project, saved.name), saved);
      setConflict(null);
      setMessage("");
      onSaved(
        saved.version.number,
        saved.version.number === onTopOf
          ? `Nothing changed: version ${onTopOf} already has this template and config.`
          : `Saved as version ${saved.version.number}.`,
      );
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === "stale_version") setConflict(caught);
      else setError(caught);
    } finally {
      setSaving(false);
    }
  }

  async function reloadTheirs() {
    const fresh = await client.fetchQuery({
      queryKey: keys.prompt(project, prompt),
      queryFn: () => prompts.get(project, prompt),
      staleTime: 0,
    });
    await client.invalidateQueries({ queryKey: keys.versions(project, prompt) });
    const config = fresh.version.config ?? {};
    onReload({
      type: fresh.version.type,
      content: fresh.version.content,
      from: fresh.version.number,
      baseVersion: fresh.version.number,
      baseConfig: { ...config },
      temperature: config.temperature === undefined ? "" : String(config.temperature),
      maxTokens: config.max_tokens === undefined ? "" : String(config.max_tokens),
    });
    setConflict(null);
    setStatus(`Loaded version ${fresh.version.number}.`);
  }

  const current = (conflict?.details as { current?: number } | null)?.current ?? null;
  return (
    <div className="save-variant">
      <label className="field">
        <span>Commit message</span>
        <input value={message} onChange={(e) => setMessage(e.target.value)} placeholder={`Edited v${variant.from}`} />
      </label>
      <button
        type="button"
        className="btn"
        onClick={() => void save(variant.baseVersion)}
        disabled={saving || !!denied}
        aria-describedby={denied ? `${id}-denied` : undefined}
      >
        {saving ? "Saving…" : "Save as version"}
      </button>
      {denied && (
        <p id={`${id}-denied`} className="hint">
          {denied}
        </p>
      )}
      <p className="hint" role="status">
        {status}
      </p>
      {error !== null && <ErrorMessage error={error} title="Not saved." />}
      {conflict && (
        <ConflictDialog
          message={conflict.message}
          baseVersion={variant.baseVersion}
          currentVersion={current}
          busy={saving}
          historyHref={`/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(prompt)}/history?from=${variant.baseVersion}&to=${current ?? ""}`}
          onCancel={() => setConflict(null)}
          onReload={() => void reloadTheirs()}
          onOverwrite={() => void save(current ?? variant.baseVersion)}
        />
      )}
    </div>
  );
}
