import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { Invitation } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { identityQueries } from "../queries";

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

/** The workspace's invitations (newest first) with their status; pending ones can be
 * revoked. Shown to workspace admins (member:manage). */
export function InvitationsSection() {
  const client = useQueryClient();
  const list = useQuery(identityQueries.invitations());
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [status, setStatus] = useState("");
  const revoke = useMutation({
    mutationFn: (invitation: Invitation) => accounts.revokeInvitation(invitation.id),
    onSuccess: async (_r, invitation) => {
      await client.invalidateQueries({ queryKey: keys.invitations });
      setRevoking(null);
      setStatus(`The invitation of ${invitation.email} was revoked; its link no longer works.`);
    },
  });
  const items = list.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      <p className="hint">
        An invitation link works once, until it expires. Accepting it with an account that
        already exists needs that account's password.
      </p>
      <p className="sr-only" role="status">{status}</p>
      {status && <div className="notice ok">{status}</div>}
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.isPending && <Loading label="Loading invitations…" />}
      {list.data && items.length === 0 && <p className="muted">No invitations yet.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="members">
            <caption className="sr-only">Invitations to the workspace</caption>
            <thead>
              <tr>
                <th scope="col">Invitation</th>
                <th scope="col">Status</th>
                <th scope="col" className="col-updated">Invited</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((inv) => (
                <tr key={inv.id} data-testid={`invitation-${inv.email}`}>
                  <td className="wrap">
                    <strong>{inv.email}</strong>
                    <span className="folder">as {inv.role}</span>
                  </td>
                  <td>
                    <span className={`badge inv-${inv.status}`}>{inv.status}</span>
                    <span className="folder">
                      {inv.status === "accepted" && inv.accepted_at ? (
                        <When iso={inv.accepted_at} />
                      ) : inv.status === "pending" ? (
                        <>
                          expires <When iso={inv.expires_at} />
                        </>
                      ) : null}
                    </span>
                  </td>
                  <td className="col-updated">
                    <When iso={inv.created_at} />
                    <span className="folder">by {inv.created_by}</span>
                  </td>
                  <td>
                    {inv.status === "pending" && (
                      <button
                        type="button"
                        className="btn small danger"
                        onClick={() => setRevoking(inv)}
                        aria-label={`Revoke the invitation of ${inv.email}`}
                      >
                        Revoke…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the invitation of ${revoking.email}?`}
          confirmLabel="Revoke invitation"
          danger
          busy={revoke.isPending}
          error={revoke.error}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking)}
        >
          <p>Its link stops working at once. You can invite the email again later.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
