import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { accounts, projects } from "../../api/endpoints";
import { keys } from "../../api/keys";
import type { ApiKey, CreatedKey, Role } from "../../api/types";
import { useMe } from "../../auth/useMe";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { absoluteTime, relativeTime } from "../../lib/format";
import { ROLES, roleRank, useCan } from "../../lib/permissions";
import { useTitle } from "../../lib/title";
import { KeyCreatedDialog } from "./KeyCreatedDialog";

function When({ iso, empty }: { iso: string | null; empty: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

function keyStatus(key: ApiKey, now: number): { text: string; cls: string } {
  if (key.revoked_at) return { text: "revoked", cls: "status-off" };
  if (key.expires_at && Date.parse(key.expires_at) <= now) return { text: "expired", cls: "status-off" };
  return { text: "active", cls: "status-ok" };
}

/** Your API keys (every key of the workspace for admins): create, see, revoke. */
export default function KeysPage() {
  useTitle("API keys");
  const can = useCan();
  const client = useQueryClient();
  const list = useQuery({ queryKey: keys.apiKeys, queryFn: accounts.keys });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [status, setStatus] = useState("");
  const [now] = useState(() => Date.now());
  const revoke = useMutation({
    mutationFn: (key: ApiKey) => accounts.revokeKey(key.id),
    onSuccess: async (_r, key) => {
      await client.invalidateQueries({ queryKey: keys.apiKeys });
      setRevoking(null);
      setStatus(`Key ${key.name} was revoked; it no longer works.`);
    },
  });
  if (list.error) return <ErrorMessage error={list.error} onRetry={() => void list.refetch()} />;
  if (!list.data) return <Loading label="Loading API keys…" />;
  return (
    <div className="stack">
      <div className="section-head">
        <h1>API keys</h1>
        <button type="button" className="btn primary" onClick={() => setCreating(true)}>
          Create API key
        </button>
      </div>
      <p className="hint">
        {can("key:manage")
          ? "Every key of the workspace. "
          : "Your own keys. "}
        Apps send a key as <code>Authorization: Bearer …</code>. Only the prefix is stored in
        the clear.
      </p>
      <p className="sr-only" role="status">{status}</p>
      {status && <div className="notice ok">{status}</div>}
      {list.data.items.length === 0 ? (
        <p className="muted">No API keys yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="keys-table">
            <caption className="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Role</th>
                <th scope="col">Scope</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((key) => {
                const st = keyStatus(key, now);
                return (
                  <tr key={key.id} data-testid={`key-${key.name}`}>
                    <td>
                      <strong>{key.name}</strong>
                      <span className="folder">
                        {key.service_account ? "service account" : `by ${key.created_by}`}
                        {key.kind === "langfuse" ? " · Langfuse pair" : ""}
                      </span>
                    </td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{key.role}</td>
                    <td>{key.project ? `project ${key.project}` : "workspace"}</td>
                    <td>
                      <When iso={key.expires_at} empty="never" />
                    </td>
                    <td>
                      <When iso={key.last_used_at} empty="never" />
                    </td>
                    <td>
                      <span className={`badge ${st.cls}`}>{st.text}</span>
                      {key.revoked_at && (
                        <span className="folder">
                          <When iso={key.revoked_at} empty="" />
                        </span>
                      )}
                    </td>
                    <td>
                      {!key.revoked_at && (
                        <button
                          type="button"
                          className="btn small danger"
                          onClick={() => setRevoking(key)}
                          aria-label={`Revoke ${key.name}`}
                        >
                          Revoke…
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setCreated(key);
            setStatus(`Key ${key.name} was created.`);
          }}
        />
      )}
      {created && <KeyCreatedDialog created={created} onClose={() => setCreated(null)} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke key"
          danger
          busy={revoke.isPending}
          error={revoke.error}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking)}
        >
          <p>
            Every app using <code>{revoking.prefix}…</code> gets “401 unauthorized” from now on. This
            cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (key: CreatedKey) => void }) {
  const me = useMe();
  const can = useCan();
  const manage = can("key:manage");
  const myRole = me.data?.actor.role;
  const projectList = useQuery({ queryKey: keys.projects, queryFn: projects.list, staleTime: 60_000 });
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
