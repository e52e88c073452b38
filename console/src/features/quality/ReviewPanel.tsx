// Optional LLM review: pick a model of a provider connection, see what the call will
// cost, ask, then accept the proposal (an ordinary save, on top of the reviewed
// version) or reject it. Nothing is saved without the accept button.
import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { ApiError } from "../../api/client";
import { prompts } from "../../api/endpoints";
import { projectScope } from "../../api/keys";
import type { Content, Diff } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useDenied } from "../../lib/permissions";
import { DiffView } from "../prompts/history/DiffView";
import { promptQueries } from "../prompts/queries";
import { qualityApi, qualityKeys, type Review } from "./api";
import { formatCost } from "./findings";
import { ScoreBadge } from "./FindingsPanel";

interface Props {
  project: string;
  name: string;
  version: number;
}

export function ReviewPanel({ project, name, version }: Props) {
  const client = useQueryClient();
  const models = useQuery(promptQueries.models());
  const [model, setModel] = useState("");
  const [instructions, setInstructions] = useState("");
  const [estimate, setEstimate] = useState<Review | null>(null);
  const [proposal, setProposal] = useState<Review | null>(null);
  const [busy, setBusy] = useState<"" | "estimate" | "ask" | "accept">("");
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState("");
  const denied = useDenied()("prompt:execute", "ask a model for a review");
  const cannotSave = useDenied()("prompt:write", "save the proposal");
  const chosen = model || models.data?.items[0]?.id || "";

  function body(dryRun: boolean) {
    const [connection = "", ...rest] = chosen.split("/");
    return { connection, model: rest.join("/"), version, dry_run: dryRun, instructions };
  }

  async function run(dryRun: boolean) {
    setBusy(dryRun ? "estimate" : "ask");
    setError(null);
    setStatus("");
    try {
      const answer = await qualityApi.review(project, name, body(dryRun));
      if (dryRun) setEstimate(answer);
      else {
        setProposal(answer);
        setStatus(`The model proposed a new version (score ${answer.proposed?.score ?? "?"}).`);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy("");
    }
  }

  async function accept() {
    if (!proposal?.proposed) return;
    setBusy("accept");
    setError(null);
    try {
      const saved = await prompts.update(project, name, {
        content: proposal.proposed.content as Content,
        base_version: proposal.version,
        commit_message: `LLM review (${proposal.model}): ${proposal.summary ?? "suggested improvements"}`.slice(0, 500),
      });
      await client.invalidateQueries({ queryKey: projectScope(project) });
      await client.invalidateQueries({ queryKey: qualityKeys.all(project) });
      setProposal(null);
      setEstimate(null);
      setStatus(`Accepted: saved as version ${saved.version.number}.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy("");
    }
  }

  const stale = error instanceof ApiError && error.code === "stale_version";
  const current = estimate && estimate.model === chosen ? estimate : null;
  return (
    <section className="panel" aria-labelledby="review-title">
      <h2 id="review-title">LLM review</h2>
      <p className="hint">
        A model of one of your provider connections proposes a better version of v{version}, with its reasons. You see
        the cost first; nothing is saved unless you accept.
      </p>
      <form
        className="review-form"
        aria-label="Ask for a review"
        onSubmit={(e) => {
          e.preventDefault();
          void run(true);
        }}
      >
        <label>
          <span>Model</span>
          <select
            value={chosen}
            onChange={(e) => {
              setModel(e.target.value);
              setEstimate(null);
            }}
          >
            {(models.data?.items ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Focus (optional)</span>
          <input value={instructions} maxLength={2000} onChange={(e) => setInstructions(e.target.value)} />
        </label>
        <button
          type="submit"
          className="btn"
          disabled={!!denied || !chosen || busy !== ""}
          aria-describedby={denied ? "review-denied" : undefined}
        >
          {busy === "estimate" ? "Estimating…" : "Estimate the cost"}
        </button>
      </form>
      {denied && (
        <p id="review-denied" className="hint">
          {denied}
        </p>
      )}
      {current && (
        <div className="estimate" aria-label="Cost estimate" role="group">
          <p>
            Estimated cost: <strong>{formatCost(current.estimate.cost, current.estimate.currency)}</strong> at most (
            {current.estimate.input_tokens} input tokens + up to {current.estimate.output_tokens} output tokens, priced
            {current.estimate.price_source ? ` from ${current.estimate.price_source}` : ""}).
          </p>
          <button type="button" className="btn primary" disabled={busy !== "" || !!denied} onClick={() => void run(false)}>
            {busy === "ask" ? "Asking the model…" : `Ask ${current.model} for a review`}
          </button>
        </div>
      )}
      <p role="status" className="save-status">
        {status}
      </p>
      {error ? (
        <ErrorMessage
          error={error}
          title={stale ? "Not saved: the prompt changed since this version." : "The review did not complete."}
        />
      ) : null}
      {proposal?.proposed && proposal.diff && (
        <div className="review-result" aria-label="Proposed version" role="region">
          <h3>Proposal</h3>
          {proposal.summary && <p>{proposal.summary}</p>}
          <p>
            Score: <ScoreBadge score={proposal.score} /> → <ScoreBadge score={proposal.proposed.score} />
          </p>
          {(proposal.suggestions ?? []).length > 0 && (
            <ul aria-label="Suggestions">
              {(proposal.suggestions ?? []).map((s, i) => (
                <li key={i}>
                  <strong>{s.title}</strong>
                  {s.rationale ? `: ${s.rationale}` : ""}
                </li>
              ))}
            </ul>
          )}
          <DiffView diff={proposal.diff as unknown as Diff} mode="inline" />
          <p className="estimate">
            Real cost: <strong>{formatCost(proposal.cost?.total ?? null, proposal.cost?.currency)}</strong>
            {proposal.usage
              ? ` (${proposal.usage.input_tokens ?? "?"} input + ${proposal.usage.output_tokens ?? "?"} output tokens)`
              : ""}
            {proposal.generation_id && (
              <>
                {" · "}
                <Link to={`/p/${encodeURIComponent(project)}/generations/${proposal.generation_id}`}>the recorded call</Link>
              </>
            )}
          </p>
          <div className="row">
            <button
              type="button"
              className="btn primary"
              disabled={busy !== "" || !!cannotSave}
              aria-describedby={cannotSave ? "accept-denied" : undefined}
              onClick={() => void accept()}
            >
              {busy === "accept" ? "Saving…" : "Accept as a new version"}
            </button>{" "}
            <button
              type="button"
              className="btn"
              disabled={busy !== ""}
              onClick={() => {
                setProposal(null);
                setStatus("Proposal rejected; nothing was saved.");
              }}
            >
              Reject
            </button>
            {cannotSave && (
              <p id="accept-denied" className="hint">
                {cannotSave}
              </p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
