import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { accounts } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { CreatedKey, Role } from "../../../api/types";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { useCan } from "../../../lib/permissions";
import { ROLES, roleRank } from "../../../lib/roles";
import { identityQueries } from "../queries";
import { useMe } from "../useMe";

/** A new key: name, role (up to one's own, any for key managers), project, expiry, kind
 * and, for key managers, whether it is a service account. */
export function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (key: CreatedKey) => void }) {
  const me = useMe();
  const can = useCan();
  const manage = can("key:manage");
  const myRole = me.data?.actor.role;
  const projectList = useQuery(identityQueries.projects());
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [project, setProject] = useState("");
  const [expires, setExpires] = useState("");
  const [service, setService] = useState(false);
  const [kind, setKind] = useState<"api" | "langfuse">("api");
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      accounts.createKey({
        name,
        role,
        project: project || undefined,
        expires_at: expires ? new Date(`${expires}T23:59:59`).toISOString() : undefined,
        service_account: service || undefined,
        kind,
      }),
    onSuccess: async (key) => {
      await client.invalidateQueries({ queryKey: keys.apiKeys });
      onCreated(key);
    },
  });
  const roles = ROLES.filter((r) => manage || roleRank(r) <= roleRank(myRole));
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <Dialog title="Create an API key" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Name</span>
          <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. checkout-service" />
        </label>
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Project</span>
          <select value={project} onChange={(e) => setProject(e.target.value)}>
            <option value="">Every project</option>
            {(projectList.data?.items ?? []).map((p) => (
              <option key={p.slug} value={p.slug}>
                {p.name || p.slug}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Expires on (optional)</span>
          <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <label className="field">
          <span>Kind</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as "api" | "langfuse")}>
            <option value="api">Promptyard API key</option>
            <option value="langfuse">Langfuse-compatible key pair</option>
          </select>
        </label>
        {manage && (
          <label className="inline-field">
            <input type="checkbox" checked={service} onChange={(e) => setService(e.target.checked)} />
            Service account (not tied to you; keeps working if you leave)
          </label>
        )}
        {create.error ? <ErrorMessage error={create.error} title="Could not create the key." /> : null}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={create.isPending}>
            Create key
          </button>
        </div>
      </form>
    </Dialog>
  );
}
