import { useMutation, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { User } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";

/** Workspace admins: remove a member (their keys in this workspace are revoked). */
export function RemoveMemberDialog(props: { user: User; onClose: () => void; onDone: (user: User) => void }) {
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: (user: User) => accounts.removeMember(user.id),
    onSuccess: async (_r, user) => {
      await client.invalidateQueries({ queryKey: keys.members });
      props.onDone(user);
    },
  });
  return (
    <ConfirmDialog
      title={`Remove ${props.user.email} from the workspace?`}
      confirmLabel="Remove member"
      danger
      busy={remove.isPending}
      error={remove.error}
      onCancel={props.onClose}
      onConfirm={() => remove.mutate(props.user)}
    >
      <p>They lose access to every project here, and their API keys in this workspace are revoked.</p>
    </ConfirmDialog>
  );
}
