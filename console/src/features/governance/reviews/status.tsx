import type { ChangeRequestStatus, GateResult } from "../../../api/types";

export const STATUS_TEXT: Record<ChangeRequestStatus, string> = {
  open: "open",
  changes_requested: "changes requested",
  approved: "approved",
  applied: "applied",
  closed: "closed",
};

export function StatusBadge({ status }: { status: ChangeRequestStatus }) {
  return <span className={`badge cr-${status}`}>{STATUS_TEXT[status] ?? status}</span>;
}

/** The quality gates' verdicts, passed or failed, with the server's message. */
export function GateResults({ results }: { results: GateResult[] | null | undefined }) {
  if (!results || results.length === 0) return <p className="hint">No quality gates ran.</p>;
  return (
    <ul className="gates">
      {results.map((g) => (
        <li key={g.gate} className={g.ok ? "gate ok" : "gate failed"}>
          <span aria-hidden="true">{g.ok ? "✓" : "✗"}</span>{" "}
          <strong>{g.gate}</strong>: {g.ok ? "passed" : "failed"}
          {g.message ? <span className="muted"> · {g.message}</span> : null}
        </li>
      ))}
    </ul>
  );
}
