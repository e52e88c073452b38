import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { ApiError } from "../../../api/client";
import { prompts } from "../../../api/endpoints";
import { projectScope } from "../../../api/keys";
import type { Version } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { Dialog } from "../../../components/Dialog";
import { governanceQueries } from "../../governance/queries";

interface Props {
  project: string;
  name: string;
  versions: Version[];
  /** label name → version it points to now */
  labels: Record<string, number>;
  initialLabel?: string;
  initialVersion: number;
  onClose: () => void;
  onDone: (message: string) => void;
}

const LABEL_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Pick a label and a version, then confirm the move (two steps). A label the project's
 * policy protects is said to need review in the first step, whose primary action is then
 * "Open a change request" (prefilled); the server's 409 review_required stays handled for
 * a policy changed meanwhile. */
export function MoveLabelDialog(props: Props) {
  const { project, name, versions, labels, onClose, onDone } = props;
  const [label, setLabel] = useState(props.initialLabel ?? "production");
  const [version, setVersion] = useState(props.initialVersion);
  const [confirming, setConfirming] = useState(false);
  const client = useQueryClient();
  const move = useMutation({
    mutationFn: () => prompts.setLabel(project, name, label, version),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: projectScope(project) });
      onDone(`Label ${label} now points to version ${version}.`);
      onClose();
    },
  });
  const policy = useQuery(governanceQueries.policy(project));
  const invalid = label === "latest" ? "latest always follows the newest version and cannot be moved." : !LABEL_RE.test(label) ? "Use lower-case letters, digits, '.', '_' or '-'." : "";
  const from = labels[label];
  const guarded = Boolean(policy.data?.require_review && policy.data.protected_labels?.includes(label));
  const crLink = `/p/${encodeURIComponent(project)}/reviews/new?${new URLSearchParams({
    prompt: name,
    version: String(version),
    label,
  }).toString()}`;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!invalid) setConfirming(true);
  }

  if (confirming) {
    const review = move.error instanceof ApiError && move.error.code === "review_required";
    return (
      <ConfirmDialog
        title={from === undefined ? `Create label ${label}?` : `Move label ${label}?`}
        confirmLabel={from === undefined ? `Point ${label} to v${version}` : `Move ${label} to v${version}`}
        onConfirm={() => move.mutate()}
        onCancel={onClose}
        busy={move.isPending}
        error={review ? null : move.error}
      >
        <p>
          {from === undefined ? (
            <>
              <strong>{label}</strong> will point to <strong>version {version}</strong> of{" "}
              <strong>{name}</strong>.
            </>
          ) : (
            <>
              <strong>{label}</strong> moves from <strong>version {from}</strong> to{" "}
              <strong>version {version}</strong> of <strong>{name}</strong>.
            </>
          )}{" "}
          Apps that fetch <code>{`${name}@${label}`}</code> get that version from now on.
        </p>
        {review && (
          <div className="notice warn" role="alert">
            <strong>{label} is protected in this project.</strong>
            <span>It moves only through an approved change request.</span>
            <Link className="btn small primary" to={crLink}>
              Open a change request
            </Link>
          </div>
        )}
      </ConfirmDialog>
    );
  }

  const existing = Object.keys(labels).filter((l) => l !== "latest");
  return (
    <Dialog title="Move a label" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Label</span>
          <input
            data-autofocus
            list="move-label-options"
            value={label}
            onChange={(e) => setLabel(e.target.value.trim())}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={guarded ? "move-label-error move-label-review" : "move-label-error"}
          />
        </label>
        <datalist id="move-label-options">
          {[...new Set([...existing, "production", "staging"])].map((l) => (
            <option key={l} value={l} />
          ))}
        </datalist>
        <p id="move-label-error" className={invalid ? "field-error" : "hint"}>
          {invalid || (from !== undefined ? `Now at version ${from}.` : "A new label.")}
        </p>
        {guarded && !invalid && (
          <div className="notice warn" id="move-label-review">
            <strong>{label} is protected in this project: moving it needs review.</strong>
            <span>
              Open a change request for version {version}; it moves once approved and applied.
            </span>
          </div>
        )}
        <label className="field">
          <span>Version</span>
          <select value={version} onChange={(e) => setVersion(Number(e.target.value))}>
            {versions.map((v) => (
              <option key={v.number} value={v.number}>
                v{v.number} {v.message ? `– ${v.message}` : ""}
              </option>
            ))}
          </select>
        </label>
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          {guarded && !invalid ? (
            <Link className="btn primary" to={crLink} aria-describedby="move-label-review">
              Open a change request
            </Link>
          ) : (
            <button type="submit" className="btn primary" disabled={Boolean(invalid) || from === version}>
              Continue
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
