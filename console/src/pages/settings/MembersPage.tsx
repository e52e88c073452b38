import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { accounts } from "../../api/endpoints";
import { keys } from "../../api/keys";
import type { Role, User } from "../../api/types";
import { useMe } from "../../auth/useMe";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { absoluteTime, relativeTime } from "../../lib/format";
import { ROLES, roleRank, useCan } from "../../lib/permissions";
import { useTitle } from "../../lib/title";
import { InvitationsSection } from "./InvitationsSection";
import { InviteDialog } from "./InviteDialog";

/** Why a workspace admin sees no account controls (docs/security.md, accounts). */
const ACCOUNTS_NOTE =
  "Only an instance administrator can create accounts, reset passwords, or disable and enable accounts: invite people instead.";

/** Workspace members with their roles, invitations, and the roles narrowed in the
 * current project. Memberships are the workspace admin's; accounts (password, active
 * state, new accounts) only an instance administrator's. */
export default function MembersPage() {
  useTitle("Members & roles");
  const { project = "default" } = useParams();
  const can = useCan();
  const manage = can("member:manage");
  const accountAdmin = can("account:manage");
  const me = useMe();
  const client = useQueryClient();
  const members = useQuery({ queryKey: keys.members, queryFn: accounts.members });
  const [adding, setAdding] = useState(false);
  const [inviting, setInviting] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [toggling, setToggling] = useState<User | null>(null);
  const [removing, setRemoving] = useState<User | null>(null);
  const [status, setStatus] = useState("");
  const refresh = () => client.invalidateQueries({ queryKey: keys.members });
  const setRole = useMutation({
    mutationFn: ({ user, role }: { user: User; role: Role }) => accounts.setRole(user.id, role),
    onSuccess: async (user) => {
      await refresh();
      setStatus(`${user.email} is now ${user.role}.`);
    },
  });
  const toggle = useMutation({
    mutationFn: (user: User) => accounts.updateUser(user.id, { is_active: !user.is_active }),
    onSuccess: async (user) => {
      await refresh();
      setToggling(null);
      setStatus(`${user.email} is ${user.is_active ? "enabled" : "disabled"}.`);
    },
  });

  const removeMember = useMutation({
    mutationFn: (user: User) => accounts.removeMember(user.id),
    onSuccess: async (_r, user) => {
      await refresh();
      setRemoving(null);
      setStatus(`${user.email} was removed from the workspace; their keys here were revoked.`);
    },
  });

  if (members.error) return <ErrorMessage error={members.error} onRetry={() => void members.refetch()} />;
  if (!members.data) return <Loading label="Loading members…" />;
  const selfId = me.data?.actor.type === "user" ? me.data.actor.id : null;

  return (
    <div className="stack">
      <div className="section-head">
        <h1>Members &amp; roles</h1>
        {(manage || accountAdmin) && (
          <div className="row">
            {manage && (
              <button type="button" className="btn primary" onClick={() => setInviting(true)}>
                Invite…
              </button>
            )}
            {accountAdmin && (
              <button type="button" className="btn" onClick={() => setAdding(true)}>
                Create account…
              </button>
            )}
          </div>
        )}
      </div>
      <p className="hint">
        Roles, in increasing power: viewer (read), editor (write, move labels, open change
        requests), reviewer (also approve), admin (everything, including members and keys).
        {!manage && " Only admins can change members."}
      </p>
      {manage && !accountAdmin && (
        <p className="hint" data-testid="accounts-note">
          {ACCOUNTS_NOTE}
        </p>
      )}
      <p className="sr-only" role="status">{status}</p>
      {status && <div className="notice ok">{status}</div>}
      {setRole.error ? <ErrorMessage error={setRole.error} title="Could not change the role." /> : null}
      <div className="table-wrap">
        <table className="members">
          <caption className="sr-only">Members of the workspace</caption>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col" className="col-updated">Last sign-in</th>
              {(manage || accountAdmin) && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {members.data.items.map((user) => (
              <tr key={user.id} data-testid={`member-${user.email}`}>
                <td>
                  <strong className="prompt-link">{user.name || user.email}</strong>
                  <span className="folder">{user.email}</span>
                </td>
                <td>
                  {manage ? (
                    <select
                      aria-label={`Role of ${user.email}`}
                      value={user.role}
                      disabled={setRole.isPending}
                      onChange={(e) => setRole.mutate({ user, role: e.target.value as Role })}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <span className="badge">{user.role}</span>
                  )}
                </td>
                <td>
                  <span className={user.is_active ? "badge status-ok" : "badge status-off"}>
                    {user.is_active ? "active" : "disabled"}
                  </span>
                </td>
                <td className="col-updated">
                  {user.last_login_at ? (
                    <time dateTime={user.last_login_at} title={absoluteTime(user.last_login_at)}>
                      {relativeTime(user.last_login_at)}
                    </time>
                  ) : (
                    <span className="muted">never</span>
                  )}
                </td>
                {(manage || accountAdmin) && (
                  <td>
                    <div className="row tight">
                      {accountAdmin && (
                        <>
                          <button
                            type="button"
                            className={user.is_active ? "btn small danger" : "btn small"}
                            disabled={user.id === selfId}
                            title={user.id === selfId ? "You cannot disable your own account." : undefined}
                            onClick={() => setToggling(user)}
                            aria-label={`${user.is_active ? "Disable" : "Enable"} ${user.email}`}
                          >
                            {user.is_active ? "Disable…" : "Enable…"}
                          </button>
                          <button
                            type="button"
                            className="btn small"
                            onClick={() => setResetting(user)}
                            aria-label={`Reset password of ${user.email}`}
                          >
                            Reset password…
                          </button>
                        </>
                      )}
                      {manage && (
                        <button
                          type="button"
                          className="btn small danger"
                          disabled={user.id === selfId}
                          title={user.id === selfId ? "You cannot remove yourself." : undefined}
                          onClick={() => setRemoving(user)}
                          aria-label={`Remove ${user.email}`}
                        >
                          Remove…
                        </button>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {manage && <InvitationsSection />}
      <ProjectRoles project={project} members={members.data.items} manage={manage} />
      {inviting && (
        <InviteDialog
          onClose={() => setInviting(false)}
          onInvited={(invitation) =>
            setStatus(`An invitation for ${invitation.email} as ${invitation.role} was created.`)
          }
        />
      )}
      {adding && (
        <CreateAccountDialog
          onClose={() => setAdding(false)}
          onDone={(user) => {
            setAdding(false);
            setStatus(`An account for ${user.email} was created; they are ${user.role} here.`);
          }}
        />
      )}
      {resetting && (
        <ResetPasswordDialog
          user={resetting}
          onClose={() => setResetting(null)}
          onDone={() => {
            setStatus(`The password of ${resetting.email} was reset; their sessions ended.`);
            setResetting(null);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.email} from the workspace?`}
          confirmLabel="Remove member"
          danger
          busy={removeMember.isPending}
          error={removeMember.error}
          onCancel={() => setRemoving(null)}
          onConfirm={() => removeMember.mutate(removing)}
        >
          <p>They lose access to every project here, and their API keys in this workspace are revoked.</p>
        </ConfirmDialog>
      )}
      {toggling && (
        <ConfirmDialog
          title={`${toggling.is_active ? "Disable" : "Enable"} ${toggling.email}?`}
          confirmLabel={toggling.is_active ? "Disable account" : "Enable account"}
          danger={toggling.is_active}
          busy={toggle.isPending}
          error={toggle.error}
          onCancel={() => setToggling(null)}
          onConfirm={() => toggle.mutate(toggling)}
        >
          <p>
            {toggling.is_active
              ? "The account is disabled in every workspace: they are signed out at once and cannot sign in until enabled again."
              : "They can sign in again with their password, in every workspace they belong to."}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Instance administrators only: a new account with a password, member here. */
function CreateAccountDialog({ onClose, onDone }: { onClose: () => void; onDone: (user: User) => void }) {
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

function ResetPasswordDialog(props: { user: User; onClose: () => void; onDone: () => void }) {
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

/** A project can narrow a member's role (never raise it). */
function ProjectRoles({ project, members, manage }: { project: string; members: User[]; manage: boolean }) {
  const client = useQueryClient();
  const rows = useQuery({ queryKey: keys.projectMembers(project), queryFn: () => accounts.projectMembers(project) });
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [done, setDone] = useState("");
  const refresh = () => client.invalidateQueries({ queryKey: keys.projectMembers(project) });
  const set = useMutation({
    mutationFn: () => accounts.setProjectRole(project, Number(userId), role),
    onSuccess: async (row) => {
      await refresh();
      setDone(`${row.email} is ${row.role} in ${project}.`);
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) => accounts.removeProjectRole(project, id),
    onSuccess: async () => {
      await refresh();
      setDone("The project role was removed; the workspace role applies again.");
    },
  });
  const picked = members.find((m) => String(m.id) === userId);
  function submit(event: FormEvent) {
    event.preventDefault();
    set.mutate();
  }
  return (
    <section className="panel" aria-labelledby="project-roles-title">
      <h2 id="project-roles-title">Roles in project {project}</h2>
      <p className="hint">
        Narrow a member's role in this project only (for example a workspace editor who may only
        read here). A project role cannot be higher than the workspace role.
      </p>
      {rows.error ? <ErrorMessage error={rows.error} onRetry={() => void rows.refetch()} /> : null}
      {rows.data && rows.data.items.length === 0 && <p className="muted">No narrowed roles in this project.</p>}
      {rows.data && rows.data.items.length > 0 && (
        <ul className="plain-list">
          {rows.data.items.map((row) => (
            <li key={row.user_id} className="row">
              <span>
                <strong>{row.email}</strong>: {row.role} here{" "}
                <span className="muted">(workspace role {row.workspace_role})</span>
              </span>
              {manage && (
                <button
                  type="button"
                  className="btn small"
                  disabled={remove.isPending}
                  onClick={() => remove.mutate(row.user_id)}
                  aria-label={`Remove the project role of ${row.email}`}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {manage && (
        <form className="filters" onSubmit={submit}>
          <label className="field">
            <span>Member</span>
            <select required value={userId} onChange={(e) => setUserId(e.target.value)}>
              <option value="">Choose…</option>
              {members.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.email} ({m.role})
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Role in {project}</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.filter((r) => !picked || roleRank(r) <= roleRank(picked.role)).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="btn" disabled={set.isPending || !userId}>
            Set project role
          </button>
        </form>
      )}
      <p className="sr-only" role="status">{done}</p>
      {done && <div className="notice ok">{done}</div>}
      {set.error ? <ErrorMessage error={set.error} title="Could not set the project role." /> : null}
      {remove.error ? <ErrorMessage error={remove.error} /> : null}
    </section>
  );
}
