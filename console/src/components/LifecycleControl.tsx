import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { prompts } from "../api/endpoints";
import { projectScope } from "../api/keys";
import type { Lifecycle, LifecycleTarget } from "../api/types";
import { ConfirmDialog } from "./ConfirmDialog";
import { ErrorMessage } from "./ErrorMessage";

const TARGETS: LifecycleTarget[] = ["draft", "published", "deprecated", "archived"];

interface Props {
  project: string;
  name: string;
  current: Lifecycle;
}

/** Set a prompt's lifecycle by hand; deprecate and archive ask first. */
export function LifecycleControl({ project, name, current }: Props) {
  const client = useQueryClient();
  const choices = TARGETS.filter((t) => t !== current);
  const [target, setTarget] = useState<LifecycleTarget | "">("");
  const [confirming, setConfirming] = useState<LifecycleTarget | null>(null);
  const [status, setStatus] = useState("");
  const save = useMutation({
    mutationFn: (state: LifecycleTarget) => prompts.setLifecycle(project, name, state),
    onSuccess: async (result) => {
      setConfirming(null);
      setTarget("");
      setStatus(`${name} is now ${result.lifecycle}.`);
      await client.invalidateQueries({ queryKey: projectScope(project) });
    },
  });

  const submit = () => {
    if (!target) return;
    setStatus("");
    save.reset();
    if (target === "deprecated" || target === "archived") setConfirming(target);
    else save.mutate(target);
  };

  return (
    <div className="lifecycle-control">
      <form
        className="row tight"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <select
          aria-label={`Set lifecycle of ${name}`}
          value={target}
          onChange={(e) => setTarget(e.target.value as LifecycleTarget | "")}
        >
          <option value="">Set lifecycle…</option>
          {choices.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <button type="submit" className="btn small" disabled={!target || save.isPending}>
          {save.isPending && !confirming ? "Saving…" : "Set"}
        </button>
      </form>
      <p className="sr-only" role="status">
        {status}
      </p>
      {save.error && !confirming ? <ErrorMessage error={save.error} title="Could not change the lifecycle" /> : null}
      {confirming && (
        <ConfirmDialog
          title={confirming === "deprecated" ? `Deprecate ${name}?` : `Archive ${name}?`}
          confirmLabel={confirming === "deprecated" ? "Deprecate" : "Archive"}
          danger
          busy={save.isPending}
          error={save.error}
          onCancel={() => {
            setConfirming(null);
            save.reset();
          }}
          onConfirm={() => save.mutate(confirming)}
        >
          {confirming === "deprecated" ? (
            <p>
              A deprecated prompt is still served: apps that fetch <code>{name}</code> keep getting it, and
              the answer carries the header <code>Deprecation: true</code> so that they can warn about it.
            </p>
          ) : (
            <p>
              An archived prompt cannot get new change requests until its lifecycle is set back to draft. Its
              versions and labels stay as they are.
            </p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
