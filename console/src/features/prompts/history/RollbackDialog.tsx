import { useMutation, useQueryClient } from "@tanstack/react-query";
import { prompts } from "../../../api/endpoints";
import { projectScope } from "../../../api/keys";
import { ConfirmDialog } from "../../../components/ConfirmDialog";

interface Props {
  project: string;
  name: string;
  version: number;
  latest: number;
  labels: Record<string, number>;
  onClose: () => void;
  /** Called with the message and the number of the version the rollback made. */
  onDone: (message: string, made: number) => void;
}

export function RollbackDialog({ project, name, version, latest, labels, onClose, onDone }: Props) {
  const client = useQueryClient();
  const rollback = useMutation({
    mutationFn: () => prompts.rollback(project, name, version, latest),
    onSuccess: async (prompt) => {
      await client.invalidateQueries({ queryKey: projectScope(project) });
      onDone(
        `Rolled back: version ${prompt.version.number} has the content of version ${version}.`,
        prompt.version.number,
      );
      onClose();
    },
  });
  const pinned = Object.entries(labels).filter(([l]) => l !== "latest");
  return (
    <ConfirmDialog
      title={`Roll back to version ${version}?`}
      confirmLabel={`Roll back to v${version}`}
      onConfirm={() => rollback.mutate()}
      onCancel={onClose}
      busy={rollback.isPending}
      error={rollback.error}
    >
      <p>
        This makes a new <strong>version {latest + 1}</strong> of <strong>{name}</strong> with the
        content and configuration of <strong>version {version}</strong>. Nothing is deleted.
      </p>
      {pinned.length > 0 && (
        <p>
          Other labels stay where they are:{" "}
          {pinned.map(([l, v]) => `${l} → v${v}`).join(", ")}. Move <code>production</code> separately if
          your apps should get the rolled-back text.
        </p>
      )}
    </ConfirmDialog>
  );
}
