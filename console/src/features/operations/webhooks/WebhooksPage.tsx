import { useState, type FormEvent } from "react";
import { useMutation, useMutationState, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { webhooks } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { Webhook, WebhookDelivery } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { CopyField } from "../../../components/CopyField";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { operationsQueries } from "../queries";

/** What a webhook can subscribe to (the server's list: docs/api-review.md#webhooks). */
export const WEBHOOK_EVENTS = [
  "prompt.created",
  "version.created",
  "label.moved",
  "prompt.deleted",
  "prompt.restored",
  "change_request.opened",
  "change_request.approved",
  "change_request.changes_requested",
  "change_request.applied",
  "change_request.closed",
  "change_request.commented",
  "alert.fired",
  "alert.resolved",
  "budget.threshold",
  "audit.checkpoint",
];

/** Webhooks of the current project: list, create, delete, and each one's deliveries. */
export default function WebhooksPage() {
  const { project = "default" } = useParams();
  useTitle(`Webhooks of ${project}`);
  const can = useCan();
  if (!can("webhook:manage")) {
    return (
      <div className="stack">
        <h1>Webhooks of {project}</h1>
        <p className="notice">Only admins can see and manage webhooks.</p>
      </div>
    );
  }
  return <Webhooks project={project} />;
}

function Webhooks({ project }: { project: string }) {
  const client = useQueryClient();
  const list = useQuery(operationsQueries.webhooks(project));
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["change_request.opened", "change_request.applied"]);
  const [secret, setSecret] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [showing, setShowing] = useState<number | null>(null);
  const create = useMutation({
    mutationFn: () => webhooks.create(project, { url, events }),
    onSuccess: async (hook) => {
      await client.invalidateQueries({ queryKey: keys.webhooks(project) });
      setUrl("");
      setSecret(hook.secret ?? null);
    },
  });
  const remove = useMutation({
    mutationFn: (hook: Webhook) => webhooks.remove(hook.id),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: keys.webhooks(project) });
      setDeleting(null);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setSecret(null);
    create.mutate();
  }
  return (
    <div className="stack">
      <h1>Webhooks of {project}</h1>
      <form className="panel stack" onSubmit={submit} aria-labelledby="new-hook-title">
        <h2 id="new-hook-title">Add a webhook</h2>
        <label className="field">
          <span>URL</span>
          <input type="url" required placeholder="https://example.com/hooks/promptyard" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <fieldset className="radios">
          <legend>Events</legend>
          <div className="event-grid">
            {WEBHOOK_EVENTS.map((ev) => (
              <label key={ev}>
                <input
                  type="checkbox"
                  checked={events.includes(ev)}
                  onChange={(e) => setEvents(e.target.checked ? [...events, ev] : events.filter((x) => x !== ev))}
                />
                <code>{ev}</code>
              </label>
            ))}
          </div>
        </fieldset>
        {create.error ? <ErrorMessage error={create.error} title="Could not add the webhook." /> : null}
        <div className="row">
          <button type="submit" className="btn primary" disabled={create.isPending || events.length === 0}>
            Add webhook
          </button>
        </div>
        {secret && (
          <div className="notice warn" role="status">
            <strong>Signing secret (shown once):</strong>
            <span>Deliveries are signed with it; copy it now, you won't see it again.</span>
            <CopyField label="Signing secret" value={secret} copyLabel="Copy secret" what="the secret" />
          </div>
        )}
      </form>
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading webhooks…" />}
      {list.data && list.data.items.length === 0 && <p className="muted">No webhooks in this project.</p>}
      {list.data && list.data.items.length > 0 && (
        <ul className="plain-list stack">
          {list.data.items.map((hook) => (
            <li key={hook.id} className="panel">
              <div className="section-head">
                <h2 className="hook-url">{hook.url}</h2>
                <div className="row tight">
                  <TestButton hook={hook} />
                  <button
                    type="button"
                    className="btn small"
                    aria-expanded={showing === hook.id}
                    onClick={() => setShowing(showing === hook.id ? null : hook.id)}
                  >
                    Deliveries
                  </button>
                  <button type="button" className="btn small danger" onClick={() => setDeleting(hook)} aria-label={`Delete webhook ${hook.url}`}>
                    Delete…
                  </button>
                </div>
              </div>
              <p className="muted">
                {hook.events.join(", ")} · added by {hook.created_by}{" "}
                <time dateTime={hook.created_at} title={absoluteTime(hook.created_at)}>
                  {relativeTime(hook.created_at)}
                </time>
                {hook.active ? "" : " · inactive"}
              </p>
              <TestOutcome id={hook.id} />
              {showing === hook.id && <Deliveries id={hook.id} />}
            </li>
          ))}
        </ul>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          danger
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate(deleting)}
        >
          <p>
            <code>{deleting.url}</code> gets no more events.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function useTestDelivery(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationKey: ["webhook-test", id],
    mutationFn: () => webhooks.test(id),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.deliveries(id) }),
  });
}

/** "Send test delivery": a signed ping sent now through the normal delivery path. */
function TestButton({ hook }: { hook: Webhook }) {
  const test = useTestDelivery(hook.id);
  return (
    <button
      type="button"
      className="btn small"
      onClick={() => test.mutate()}
      disabled={test.isPending}
      aria-label={`Send test delivery to ${hook.url}`}
    >
      {test.isPending ? "Sending…" : "Send test delivery"}
    </button>
  );
}

function outcome(d: WebhookDelivery): string {
  if (d.status === "delivered") return `Test delivery sent: the endpoint answered HTTP ${d.last_status_code}.`;
  return `Test delivery failed: ${d.last_error ?? "no answer"}. It is not retried.`;
}

/** The outcome of the latest test of this webhook (shared through the mutation cache). */
function TestOutcome({ id }: { id: number }) {
  const state = useMutationState({
    filters: { mutationKey: ["webhook-test", id] },
    select: (m) => ({ data: m.state.data as WebhookDelivery | undefined, error: m.state.error }),
  }).at(-1);
  return (
    <div role="status">
      {state?.data && (
        <p className={state.data.status === "delivered" ? "notice ok" : "notice warn"}>{outcome(state.data)}</p>
      )}
      {state?.error ? <ErrorMessage error={state.error} title="Could not send the test delivery." /> : null}
    </div>
  );
}

function Deliveries({ id }: { id: number }) {
  const list = useQuery(operationsQueries.deliveries(id));
  if (list.error) return <ErrorMessage error={list.error} onRetry={() => void list.refetch()} />;
  if (!list.data) return <Loading label="Loading deliveries…" />;
  if (list.data.items.length === 0) return <p className="hint">Nothing delivered yet.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Deliveries</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Answer</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((d) => (
            <tr key={d.id}>
              <td><code>{d.event}</code></td>
              <td>{d.status}</td>
              <td>{d.attempts}</td>
              <td>{d.last_error ?? d.last_status_code ?? "–"}</td>
              <td>
                <time dateTime={d.created_at} title={absoluteTime(d.created_at)}>
                  {relativeTime(d.created_at)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
