import { useMutation, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { Account, User } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";

/** Instance administrators only: disable an account (signed out at once) or enable it again. */
export function AccountActiveDialog(props: { user: User; onClose: () => void; onDone: (account: Account) => void }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: (user: User) => accounts.updateUser(user.id, { is_active: !user.is_active }),
    onSuccess: async (user) => {
      await client.invalidateQueries({ queryKey: keys.members });
      props.onDone(user);
    },
  });
  const { user } = props;
  return (
    <ConfirmDialog
      title={`${user.is_active ? "Disable" : "Enable"} ${user.email}?`}
      confirmLabel={user.is_active ? "Disable account" : "Enable account"}
      danger={user.is_active}
      busy={toggle.isPending}
      error={toggle.error}
      onCancel={props.onClose}
      onConfirm={() => toggle.mutate(user)}
    >
      <p>
        {user.is_active
          ? "The account is disabled in every workspace: they are signed out at once and cannot sign in until enabled again."
          : "They can sign in again with their password, in every workspace they belong to."}
      </p>
    </ConfirmDialog>
  );
}
