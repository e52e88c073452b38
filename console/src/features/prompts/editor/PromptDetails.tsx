import type { PromptType } from "../../../api/types";
import type { Draft } from "./draft";

interface Props {
  draft: Draft;
  isNew: boolean;
  onChange: (patch: Partial<Draft>) => void;
  onType: (type: PromptType) => void;
}

/** The server's rule for prompt names (NAME_PATTERN in src/promptyard/domain/schemas.py). */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `name` would be refused, or "" when it is fine (or still empty). */
export function nameProblem(name: string): string {
  if (!name || NAME_RE.test(name)) return "";
  if (name.length > 128) return "At most 128 characters.";
  if (!/^[A-Za-z0-9]/.test(name)) return "Start with a letter or a digit.";
  const bad = [...new Set(name.replace(/[A-Za-z0-9._-]/g, ""))].map((c) => (c === " " ? "space" : `“${c}”`));
  return `Not allowed: ${bad.join(", ")}. Use letters, digits, ".", "_" and "-".`;
}

export function PromptDetails({ draft, isNew, onChange, onType }: Props) {
  const problem = nameProblem(draft.name);
  return (
    <fieldset className="panel details">
      <legend>Details</legend>
      <div className="details-grid">
        {isNew && (
          <label className="field">
            <span>Name</span>
            <input
              required
              autoFocus
              pattern="[A-Za-z0-9][A-Za-z0-9._\-]*"
              maxLength={128}
              value={draft.name}
              onChange={(e) => onChange({ name: e.target.value })}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? "name-error name-hint" : "name-hint"}
            />
            {problem && (
              <small id="name-error" className="field-error" role="alert">
                {problem}
              </small>
            )}
            <small id="name-hint" className="hint">
              Letters, digits, ".", "_" and "-". Your code fetches the prompt by this name.
            </small>
          </label>
        )}
        <label className="field">
          <span>Folder</span>
          <input
            value={draft.folder}
            placeholder="e.g. support/email"
            onChange={(e) => onChange({ folder: e.target.value })}
          />
        </label>
        <fieldset className="segmented">
          <legend>Type</legend>
          {(["text", "chat"] as const).map((t) => (
            <label key={t} className={draft.type === t ? "active" : ""}>
              <input
                type="radio"
                name="prompt-type"
                value={t}
                checked={draft.type === t}
                onChange={() => onType(t)}
              />
              {t === "text" ? "Text" : "Chat"}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Tags</span>
          <input
            value={draft.tags}
            placeholder="comma separated"
            onChange={(e) => onChange({ tags: e.target.value })}
          />
        </label>
        <label className="field wide">
          <span>Description</span>
          <input
            value={draft.description}
            onChange={(e) => onChange({ description: e.target.value })}
          />
        </label>
      </div>
    </fieldset>
  );
}
