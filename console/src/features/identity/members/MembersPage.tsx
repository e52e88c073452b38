import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { Role, User } from "../../../api/types";
import { useMe } from "../useMe";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { ROLES } from "../../../lib/roles";
import { useTitle } from "../../../lib/title";
import { InvitationsSection } from "../invitations/InvitationsSection";
import { InviteDialog } from "../invitations/InviteDialog";
import { identityQueries } from "../queries";
import { AccountActiveDialog } from "./AccountActiveDialog";
import { CreateAccountDialog } from "./CreateAccountDialog";
import { ProjectRolesSection } from "./ProjectRolesSection";
import { RemoveMemberDialog } from "./RemoveMemberDialog";
import { ResetPasswordDialog } from "./ResetPasswordDialog";

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
  const members = useQuery(identityQueries.members());
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
      <ProjectRolesSection project={project} members={members.data.items} manage={manage} />
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
        <RemoveMemberDialog
          user={removing}
          onClose={() => setRemoving(null)}
          onDone={(user) => {
            setRemoving(null);
            setStatus(`${user.email} was removed from the workspace; their keys here were revoked.`);
          }}
        />
      )}
      {toggling && (
        <AccountActiveDialog
          user={toggling}
          onClose={() => setToggling(null)}
          onDone={(user) => {
            setToggling(null);
            setStatus(`${user.email} is ${user.is_active ? "enabled" : "disabled"}.`);
          }}
        />
      )}
    </div>
  );
}
