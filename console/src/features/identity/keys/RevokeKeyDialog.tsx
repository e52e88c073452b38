import { useMutation, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { ApiKey } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";

/** Revoke a key after a confirm step: it gets 401 at once. */
export function RevokeKeyDialog(props: { apiKey: ApiKey; onClose: () => void; onDone: (key: ApiKey) => void }) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: (key: ApiKey) => accounts.revokeKey(key.id),
    onSuccess: async (_r, key) => {
      await client.invalidateQueries({ queryKey: keys.apiKeys });
      props.onDone(key);
    },
  });
  const key = props.apiKey;
  return (
    <ConfirmDialog
      title={`Revoke ${key.name}?`}
      confirmLabel="Revoke key"
      danger
      busy={revoke.isPending}
      error={revoke.error}
      onCancel={props.onClose}
      onConfirm={() => revoke.mutate(key)}
    >
      <p>
        Every app using <code>{key.prefix}…</code> gets “401 unauthorized” from now on. This cannot be
        undone.
      </p>
    </ConfirmDialog>
  );
}
