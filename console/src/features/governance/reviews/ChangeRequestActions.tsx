import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../../api/client";
import { reviews } from "../../../api/endpoints";
import { keys, projectScope } from "../../../api/keys";
import type { ChangeRequest, Permission } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { can } from "../../../lib/permissions";

type Action = "comment" | "approve" | "request-changes" | "apply" | "close";

const ACTIVE = new Set(["open", "changes_requested", "approved"]);

/** The signed-in actor as the actions need it: name, role, and its permissions (GET /auth/me). */
type ReviewActor = { name: string; role: string; permissions?: readonly Permission[] };

/** Which actions the state of the request and the actor's permissions allow. */
export function allowedActions(cr: ChangeRequest, actor: ReviewActor): Set<Action> {
  const out = new Set<Action>();
  const active = ACTIVE.has(cr.status);
  if (can(actor, "review:comment")) out.add("comment");
  if (!active) return out;
  if (can(actor, "review:approve") && !cr.approvals.includes(actor.name) && cr.author !== actor.name) {
    out.add("approve");
  }
  if (can(actor, "review:approve")) out.add("request-changes");
  if (cr.status === "approved" && can(actor, "review:apply")) out.add("apply");
  if (can(actor, "review:open") && (cr.author === actor.name || can(actor, "review:approve"))) out.add("close");
  return out;
}

function errorTitle(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "self_approval") return "You cannot approve your own change request.";
    if (error.code === "gate_failed") return "A quality gate failed.";
    if (error.status === 403) return "Not allowed.";
    if (error.code === "invalid_status") return "The request changed meanwhile.";
  }
  return "Could not do that.";
}

/** Comment, approve, request changes, apply and close, as the request's state allows. */
export function ChangeRequestActions({ cr, actor }: { cr: ChangeRequest; actor: ReviewActor }) {
  const [comment, setComment] = useState("");
  const [confirm, setConfirm] = useState<"apply" | "close" | null>(null);
  const [done, setDone] = useState("");
  const client = useQueryClient();
  const allowed = allowedActions(cr, actor);
  const act = useMutation({
    mutationFn: (action: Action) => {
      switch (action) {
        case "comment":
          return reviews.comment(cr.id, comment);
        case "approve":
          return reviews.approve(cr.id, comment);
        case "request-changes":
          return reviews.requestChanges(cr.id, comment);
        case "apply":
          return reviews.apply(cr.id);
        case "close":
          return reviews.close(cr.id, comment);
      }
    },
    onSuccess: async (updated, action) => {
      client.setQueryData(keys.changeRequest(cr.id), updated);
      await client.invalidateQueries({ queryKey: keys.changeRequests(cr.project) });
      if (action === "apply") await client.invalidateQueries({ queryKey: projectScope(cr.project) });
      setComment("");
      setConfirm(null);
      setDone(
        {
          comment: "Comment added.",
          approve: "You approved this change request.",
          "request-changes": "You asked for changes.",
          apply: `Applied: ${cr.label} now points to version ${cr.version}.`,
          close: "Change request closed.",
        }[action],
      );
    },
  });
  if (allowed.size === 0) {
    return <p className="hint">Your role ({actor.role}) can only read change requests.</p>;
  }
  const busy = act.isPending;
  // A reviewer who opened the request sees Approve, disabled, with why: the server refuses it.
  const ownRequest =
    ACTIVE.has(cr.status) && can(actor, "review:approve") && cr.author === actor.name;
  return (
    <section className="panel stack" aria-labelledby="cr-actions-title">
      <h2 id="cr-actions-title">Review</h2>
      {allowed.has("comment") && (
        <label className="field">
          <span>Comment</span>
          <textarea rows={3} value={comment} onChange={(e) => setComment(e.target.value)} aria-describedby="cr-comment-hint" />
        </label>
      )}
      <p id="cr-comment-hint" className="hint">
        Sent with the comment, approve, request changes and close buttons. Requesting changes needs a comment.
      </p>
      <div className="row">
        {allowed.has("comment") && (
          <button type="button" className="btn" disabled={busy || !comment.trim()} onClick={() => act.mutate("comment")}>
            Comment
          </button>
        )}
        {allowed.has("approve") && (
          <button type="button" className="btn primary" disabled={busy} onClick={() => act.mutate("approve")}>
            Approve
          </button>
        )}
        {ownRequest && (
          <button type="button" className="btn primary" disabled aria-describedby="cr-approve-reason">
            Approve
          </button>
        )}
        {allowed.has("request-changes") && (
          <button type="button" className="btn" disabled={busy || !comment.trim()} onClick={() => act.mutate("request-changes")}>
            Request changes
          </button>
        )}
        {allowed.has("apply") && (
          <button type="button" className="btn primary" disabled={busy} onClick={() => setConfirm("apply")}>
            Apply…
          </button>
        )}
        {allowed.has("close") && (
          <button type="button" className="btn danger" disabled={busy} onClick={() => setConfirm("close")}>
            Close…
          </button>
        )}
      </div>
      {ownRequest && (
        <p id="cr-approve-reason" className="hint">
          You opened this change request, so you cannot approve it: another reviewer must.
        </p>
      )}
      <p className="sr-only" role="status">{done}</p>
      {done && !act.error && <div className="notice ok">{done}</div>}
      {act.error && !confirm ? <ErrorMessage error={act.error} title={errorTitle(act.error)} /> : null}
      {confirm === "apply" && (
        <ConfirmDialog
          title={`Apply change request #${cr.id}?`}
          confirmLabel={`Move ${cr.label} to v${cr.version}`}
          busy={busy}
          error={act.error}
          onCancel={() => setConfirm(null)}
          onConfirm={() => act.mutate("apply")}
        >
          <p>
            <strong>{cr.label}</strong> of <strong>{cr.prompt}</strong> will point to{" "}
            <strong>version {cr.version}</strong>. Apps that fetch <code>{`${cr.prompt}@${cr.label}`}</code>{" "}
            get that version from now on.
          </p>
        </ConfirmDialog>
      )}
      {confirm === "close" && (
        <ConfirmDialog
          title={`Close change request #${cr.id}?`}
          confirmLabel="Close request"
          danger
          busy={busy}
          error={act.error}
          onCancel={() => setConfirm(null)}
          onConfirm={() => act.mutate("close")}
        >
          <p>The label stays where it is. A closed request cannot be reopened.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
