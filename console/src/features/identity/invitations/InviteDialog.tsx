import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { CreatedInvitation, Role } from "../../../api/types";
import { CopyField } from "../../../components/CopyField";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { absoluteTime } from "../../../lib/format";
import { ROLES } from "../../../lib/roles";

/** The accept page's address for a token. The token is in the fragment, which browsers
 * never send to the server, so it stays out of access logs and Referer headers. */
export function inviteLink(token: string, origin: string = window.location.origin): string {
  return `${origin}/invite#token=${encodeURIComponent(token)}`;
}

interface Props {
  onClose: () => void;
  /** Called once the invitation exists (the list is refreshed already). */
  onInvited: (invitation: CreatedInvitation) => void;
}

/** Invite an email to the workspace with a role, then show its link and token once. */
export function InviteDialog({ onClose, onInvited }: Props) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const client = useQueryClient();
  const invite = useMutation({
    mutationFn: () => accounts.invite({ email: email.trim(), role }),
    onSuccess: async (invitation) => {
      await client.invalidateQueries({ queryKey: keys.invitations });
      setCreated(invitation);
      onInvited(invitation);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate();
  }

  if (created) {
    // A new Dialog (key): focus moves to its copy button instead of being lost with the form.
    return (
      <Dialog
        key="created"
        title={`Invitation for ${created.email} created`}
        onClose={onClose}
        footer={
          <button type="button" className="btn primary" onClick={onClose}>
            I sent it, close
          </button>
        }
      >
        <div className="notice warn" role="note">
          <strong>Copy the link now: it is shown only once.</strong>
          <span>
            Promptyard keeps only a hash of the token. If it is lost, revoke the invitation and
            invite again.
          </span>
        </div>
        <div className="stack">
          <CopyField
            label="Invitation link"
            value={inviteLink(created.token)}
            copyLabel="Copy link"
            what="the link"
            testId="invite-link"
            autoFocus
          />
          <CopyField
            label="Invitation token"
            value={created.token}
            copyLabel="Copy token"
            what="the token"
            testId="invite-token"
          />
          <p className="hint">
            Send the link to <strong>{created.email}</strong> yourself (Promptyard sends no
            mail). Opening it, they choose a password to create their account, or enter the
            password of the account they already have; they join as{" "}
            <strong>{created.role}</strong>. It works until{" "}
            <time dateTime={created.expires_at}>{absoluteTime(created.expires_at)}</time>, once.
          </p>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog key="form" title="Invite a member" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            required
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <p className="hint">
          You get a one-time link to hand to this person. A new invitation for the same email
          replaces a pending one.
        </p>
        {invite.error ? <ErrorMessage error={invite.error} title="Could not invite." /> : null}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={invite.isPending}>
            {invite.isPending ? "Inviting…" : "Create invitation"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
