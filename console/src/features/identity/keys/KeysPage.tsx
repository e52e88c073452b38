import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ApiKey, CreatedKey } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { identityQueries } from "../queries";
import { CreateKeyDialog } from "./CreateKeyDialog";
import { KeyCreatedDialog } from "./KeyCreatedDialog";
import { RevokeKeyDialog } from "./RevokeKeyDialog";

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
  const list = useQuery(identityQueries.apiKeys());
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [status, setStatus] = useState("");
  const [now] = useState(() => Date.now());
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
        <RevokeKeyDialog
          apiKey={revoking}
          onClose={() => setRevoking(null)}
          onDone={(key) => {
            setRevoking(null);
            setStatus(`Key ${key.name} was revoked; it no longer works.`);
          }}
        />
      )}
    </div>
  );
}
