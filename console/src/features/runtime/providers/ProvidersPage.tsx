import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useCan, useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { providers, type Connection } from "../api";
import { runtimeKeys, runtimeQueries } from "../queries";
import "../runtime.css";
import { ConnectionDialog } from "./ConnectionDialog";
import { PricesSection } from "./PricesSection";

/** The workspace's provider connections (keys shown masked only) and price overrides.
 * Everyone may read them; admins (provider:manage) add, change and remove them. */
export default function ProvidersPage() {
  useTitle("Provider connections");
  const can = useCan();
  if (!can("provider:read")) {
    return (
      <div className="stack">
        <h1>Provider connections</h1>
        <p className="notice">Your role cannot see this workspace&apos;s provider connections.</p>
      </div>
    );
  }
  return <Providers />;
}

function Providers() {
  const denied = useDenied()("provider:manage", "add, change or remove provider connections and prices");
  const list = useQuery(runtimeQueries.connections());
  const client = useQueryClient();
  const [editing, setEditing] = useState<Connection | "new" | null>(null);
  const [removing, setRemoving] = useState<Connection | null>(null);
  const [status, setStatus] = useState("");
  const remove = useMutation({
    mutationFn: (conn: Connection) => providers.remove(conn.name),
    onSuccess: async (_, conn) => {
      await client.invalidateQueries({ queryKey: runtimeKeys.connections });
      setRemoving(null);
      setStatus(`Connection ${conn.name} was removed.`);
    },
  });

  return (
    <div className="stack">
      <div className="section-head">
        <h1>Provider connections</h1>
        <button
          type="button"
          className="btn primary"
          onClick={() => {
            setStatus("");
            setEditing("new");
          }}
          disabled={denied !== null}
          aria-describedby={denied ? "providers-denied" : undefined}
        >
          Add connection
        </button>
      </div>
      <p className="hint">
        The models this workspace can run, and the keys to reach them. Keys are stored encrypted and never shown:
        only a masked hint.
      </p>
      {denied && (
        <p className="notice" id="providers-denied">
          {denied} Ask an admin.
        </p>
      )}
      <p className="sr-only" role="status">
        {status}
      </p>
      {status && <div className="notice ok">{status}</div>}
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading connections…" />}
      {list.data && list.data.items.length === 0 && (
        <p className="muted">No provider connections yet{denied ? "." : ": add one to run prompts on a model."}</p>
      )}
      {list.data && list.data.items.length > 0 && (
        <ul className="plain-list stack" aria-label="Connections">
          {list.data.items.map((conn) => (
            <ConnectionItem
              key={conn.id}
              connection={conn}
              manage={denied === null}
              onEdit={() => {
                setStatus("");
                setEditing(conn);
              }}
              onRemove={() => setRemoving(conn)}
            />
          ))}
        </ul>
      )}
      <PricesSection denied={denied} />
      {editing && (
        <ConnectionDialog
          connection={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(conn, created) => {
            setEditing(null);
            setStatus(created ? `Connection ${conn.name} was added.` : `Connection ${conn.name} was saved.`);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove connection"
          danger
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            setRemoving(null);
            remove.reset();
          }}
          onConfirm={() => remove.mutate(removing)}
        >
          <p>
            Prompts can no longer run on <code>{removing.name}/…</code> models, and its stored key is deleted. Past
            generations are kept.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function ConnectionItem({
  connection: c,
  manage,
  onEdit,
  onRemove,
}: {
  connection: Connection;
  manage: boolean;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const [showModels, setShowModels] = useState(false);
  const titleId = `conn-${c.id}`;
  return (
    <li className="panel" aria-labelledby={titleId} data-testid={`connection-${c.name}`}>
      <div className="section-head">
        <h2 id={titleId} className="conn-name">
          {c.name} <span className="badge">{c.kind}</span>
        </h2>
        <div className="row tight">
          <button
            type="button"
            className="btn small"
            aria-expanded={showModels}
            aria-controls={`${titleId}-models`}
            onClick={() => setShowModels(!showModels)}
          >
            List models
          </button>
          {manage && (
            <>
              <button type="button" className="btn small" onClick={onEdit} aria-label={`Edit ${c.name}`}>
                Edit…
              </button>
              <button type="button" className="btn small danger" onClick={onRemove} aria-label={`Remove ${c.name}`}>
                Remove…
              </button>
            </>
          )}
        </div>
      </div>
      <dl className="conn-facts">
        <dt>API key</dt>
        <dd>{c.api_key_set ? <code>{c.api_key_hint ?? "set (masked)"}</code> : <span className="muted">none</span>}</dd>
        <dt>Base URL</dt>
        <dd>{c.base_url ? <code>{c.base_url}</code> : <span className="muted">the kind&apos;s default</span>}</dd>
        <dt>Models</dt>
        <dd>{c.models.length ? c.models.join(", ") : <span className="muted">none configured</span>}</dd>
        <dt>Limits</dt>
        <dd>
          {c.max_concurrency} at once · {c.timeout_seconds} s timeout
        </dd>
        {Object.keys(c.default_params).length > 0 && (
          <>
            <dt>Defaults</dt>
            <dd>
              <code>{JSON.stringify(c.default_params)}</code>
            </dd>
          </>
        )}
        <dt>Updated</dt>
        <dd>
          <time dateTime={c.updated_at} title={absoluteTime(c.updated_at)}>
            {relativeTime(c.updated_at)}
          </time>{" "}
          · added by {c.created_by}
        </dd>
      </dl>
      <div id={`${titleId}-models`} className="conn-models" hidden={!showModels}>
        {showModels && <ModelList name={c.name} />}
      </div>
    </li>
  );
}

function ModelList({ name }: { name: string }) {
  const models = useQuery(runtimeQueries.models(name));
  if (models.error) return <ErrorMessage error={models.error} title="Could not list the models." onRetry={() => void models.refetch()} />;
  if (!models.data) return <Loading label="Asking the provider…" />;
  const { items, source, error } = models.data;
  return (
    <div className="stack" role="region" aria-label={`Models of ${name}`}>
      <p className="hint">
        {source === "provider" ? "As the provider lists them." : "As configured on the connection."}
        {models.isFetching ? " Refreshing…" : ""}
      </p>
      {error && (
        <div className="notice warn">
          <strong>The provider&apos;s list could not be read:</strong> <span>{error}</span>
        </div>
      )}
      {items.length === 0 ? (
        <p className="muted">No models.</p>
      ) : (
        <ul className="chips">
          {items.map((m) => (
            <li key={m.id} className="tag">
              <code>{m.id}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
