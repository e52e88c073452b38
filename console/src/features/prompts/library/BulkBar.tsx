import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { prompts } from "../../../api/endpoints";
import { projectScope } from "../../../api/keys";
import type { BulkAction, Folder } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { splitList } from "../../../lib/format";

type Open = null | "tag" | "move" | "label" | "delete";

interface Props {
  project: string;
  names: string[];
  folders: Folder[];
  onDone: (message: string) => void;
  onClear: () => void;
}

export function BulkBar({ project, names, folders, onDone, onClear }: Props) {
  const [open, setOpen] = useState<Open>(null);
  const client = useQueryClient();
  const bulk = useMutation({
    mutationFn: (body: { action: BulkAction; tags?: string[]; folder?: string; label?: string }) =>
      prompts.bulk(project, { ...body, names }),
    onSuccess: async (result, body) => {
      await client.invalidateQueries({ queryKey: projectScope(project) });
      setOpen(null);
      const verb: Record<BulkAction, string> = {
        tag: "Tagged",
        untag: "Untagged",
        move: "Moved",
        label: "Labelled",
        delete: "Deleted",
        restore: "Restored",
      };
      onDone(`${verb[body.action]} ${result.updated} prompt${result.updated === 1 ? "" : "s"}.`);
    },
  });
  const close = () => {
    setOpen(null);
    bulk.reset();
  };
  const count = `${names.length} selected`;

  return (
    <div className="bulkbar" role="region" aria-label="Bulk actions">
      <strong>{count}</strong>
      <button type="button" className="btn small" onClick={() => setOpen("tag")}>
        Tag…
      </button>
      <button type="button" className="btn small" onClick={() => setOpen("move")}>
        Move…
      </button>
      <button type="button" className="btn small" onClick={() => setOpen("label")}>
        Label…
      </button>
      <button type="button" className="btn small danger" onClick={() => setOpen("delete")}>
        Delete…
      </button>
      <button type="button" className="btn small link" onClick={onClear}>
        Clear selection
      </button>

      {open === "tag" && (
        <TextDialog
          title={`Tag ${names.length} prompts`}
          label="Tags (comma or space separated)"
          choices={[
            ["tag", "Add these tags"],
            ["untag", "Remove these tags"],
          ]}
          submitLabel="Apply tags"
          onClose={close}
          error={bulk.error}
          busy={bulk.isPending}
          onSubmit={(value, choice) => bulk.mutate({ action: choice as BulkAction, tags: splitList(value) })}
        />
      )}
      {open === "move" && (
        <TextDialog
          title={`Move ${names.length} prompts`}
          label="Folder (empty for the root, a/b for nested folders)"
          suggestions={folders.map((f) => f.path).filter(Boolean)}
          submitLabel="Move"
          allowEmpty
          onClose={close}
          error={bulk.error}
          busy={bulk.isPending}
          onSubmit={(value) => bulk.mutate({ action: "move", folder: value.trim().replace(/^\/+|\/+$/g, "") })}
        />
      )}
      {open === "label" && (
        <TextDialog
          title={`Label ${names.length} prompts`}
          label="Label (points to each prompt's latest version)"
          suggestions={["production", "staging"]}
          submitLabel="Set label"
          onClose={close}
          error={bulk.error}
          busy={bulk.isPending}
          onSubmit={(value) => bulk.mutate({ action: "label", label: value.trim() })}
        />
      )}
      {open === "delete" && (
        <ConfirmDialog
          title={`Delete ${names.length} prompts?`}
          confirmLabel="Delete"
          danger
          busy={bulk.isPending}
          error={bulk.error}
          onCancel={close}
          onConfirm={() => bulk.mutate({ action: "delete" })}
        >
          <p>
            These prompts will be removed from the library: {names.join(", ")}. Deleted prompts
            can be restored through the API.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

interface TextDialogProps {
  title: string;
  label: string;
  submitLabel: string;
  suggestions?: string[];
  choices?: [string, string][];
  allowEmpty?: boolean;
  busy: boolean;
  error: unknown;
  onClose: () => void;
  onSubmit: (value: string, choice: string) => void;
}

function TextDialog(props: TextDialogProps) {
  const [value, setValue] = useState("");
  const [choice, setChoice] = useState(props.choices?.[0]?.[0] ?? "");
  const listId = `${props.title.replace(/\W+/g, "-")}-list`;
  function submit(event: FormEvent) {
    event.preventDefault();
    props.onSubmit(value, choice);
  }
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form onSubmit={submit} className="stack">
        {props.choices && (
          <fieldset className="radios">
            <legend className="sr-only">Action</legend>
            {props.choices.map(([key, text]) => (
              <label key={key}>
                <input
                  type="radio"
                  name="choice"
                  value={key}
                  checked={choice === key}
                  onChange={() => setChoice(key)}
                />
                {text}
              </label>
            ))}
          </fieldset>
        )}
        <label className="field">
          <span>{props.label}</span>
          <input
            data-autofocus
            required={!props.allowEmpty}
            value={value}
            list={props.suggestions ? listId : undefined}
            onChange={(e) => setValue(e.target.value)}
          />
        </label>
        {props.suggestions && (
          <datalist id={listId}>
            {props.suggestions.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        )}
        {props.error ? <ErrorMessage error={props.error} /> : null}
        <div className="row end">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={props.busy}>
            {props.submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
