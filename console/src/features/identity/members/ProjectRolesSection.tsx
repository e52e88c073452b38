import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { Role, User } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { roleRank, ROLES } from "../../../lib/roles";
import { identityQueries } from "../queries";

/** A project can narrow a member's role (never raise it). */
export function ProjectRolesSection({ project, members, manage }: { project: string; members: User[]; manage: boolean }) {
  const client = useQueryClient();
  const rows = useQuery(identityQueries.projectMembers(project));
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
