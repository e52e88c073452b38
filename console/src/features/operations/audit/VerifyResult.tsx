import type { AuditVerify } from "../../../api/types";

/** The verdict of GET /audit/verify: intact, or where the chain first breaks. */
export function VerifyResult({ result }: { result: AuditVerify }) {
  if (result.ok) {
    return (
      <div className="notice ok" role="status" data-testid="verify-result">
        <strong>Chain OK.</strong>
        <span>
          All {result.checked} events were checked; every hash matches and none is missing.
        </span>
      </div>
    );
  }
  return (
    <div className="notice error" role="alert" data-testid="verify-result">
      <strong>Chain broken.</strong>
      <span>
        The first broken event is{" "}
        {result.first_broken_seq !== null ? <>#{result.first_broken_seq}</> : "unknown"}
        {result.first_broken_id !== null ? <> (id {result.first_broken_id})</> : null}
        {result.reason ? <>: {result.reason}</> : null}. {result.checked} events were checked.
        Events from there on may have been changed or removed.
      </span>
    </div>
  );
}
