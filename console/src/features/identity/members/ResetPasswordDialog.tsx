import { useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import type { User } from "../../../api/types";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";

/** Instance administrators only: a new password for someone; every session of theirs ends. */
export function ResetPasswordDialog(props: { user: User; onClose: () => void; onDone: () => void }) {
  const [password, setPassword] = useState("");
  const reset = useMutation({
    mutationFn: () => accounts.resetPassword(props.user.id, password),
    onSuccess: props.onDone,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    reset.mutate();
  }
  return (
    <Dialog title={`Reset the password of ${props.user.email}`} onClose={props.onClose}>
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>New password</span>
          <input type="password" required minLength={10} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <p className="hint">
          It is their password in every workspace, and every session of theirs ends. Tell them
          the new password another way.
        </p>
        {reset.error ? <ErrorMessage error={reset.error} title="Could not reset the password." /> : null}
        <div className="row end">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={reset.isPending}>
            Reset password
          </button>
        </div>
      </form>
    </Dialog>
  );
}
