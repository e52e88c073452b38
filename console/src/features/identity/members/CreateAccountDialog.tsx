import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { Role, User } from "../../../api/types";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { ROLES } from "../../../lib/roles";

/** Instance administrators only: a new account with a password, member here. */
export function CreateAccountDialog({ onClose, onDone }: { onClose: () => void; onDone: (user: User) => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () => accounts.createUser({ email, name, password, role }),
    onSuccess: async (user) => {
      await client.invalidateQueries({ queryKey: keys.members });
      onDone(user);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <Dialog title="Create an account" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Email</span>
          <input type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Name</span>
          <input value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>Initial password</span>
          <input
            type="password"
            required
            minLength={10}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby="add-password-hint"
          />
        </label>
        <p id="add-password-hint" className="hint">
          At least 10 characters. Tell it to them another way. An email that already has an
          account is refused: invite it instead.
        </p>
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
        {create.error ? <ErrorMessage error={create.error} title="Could not create the account." /> : null}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={create.isPending}>
            Create account
          </button>
        </div>
      </form>
    </Dialog>
  );
}
