// The score and findings of a version or of the content being edited: each finding with
// its severity, rule, what was found (never a secret in full), the rule's rationale and
// a suggestion, and (in the editor) a button that selects it in the text. Collapsed on
// narrow screens; the summary line always shows the score.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { ErrorMessage } from "../../components/ErrorMessage";
import { qualityQueries, type Finding, type Findings } from "./api";
import { countsText, describeLocation, safeText, scoreBand, sortFindings } from "./findings";
import "./quality.css";

interface Props {
  result: Findings | undefined;
  error?: unknown;
  pending?: boolean;
  empty?: boolean;
  title?: string;
  onLocate?: (finding: Finding) => void;
}

function wide(): boolean {
  return typeof window === "undefined" || !window.matchMedia ? true : window.matchMedia("(min-width: 700px)").matches;
}

export function ScoreBadge({ score }: { score: number }) {
  return (
    <span className={`score-badge ${scoreBand(score)}`}>
      {score}
      <span className="muted">/100</span>
    </span>
  );
}

export function FindingsPanel({ result, error, pending, empty, title = "Quality and security", onLocate }: Props) {
  const [open, setOpen] = useState(wide);
  const rules = useQuery(qualityQueries.rules());
  const rationale = (id: string) => rules.data?.items.find((r) => r.id === id)?.rationale;
  const findings = result ? sortFindings(result.findings) : [];
  return (
    <section className="panel quality-panel" aria-label={title}>
      <details open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
        <summary>
          <span className="quality-summary-title">{title}</span>{" "}
          {empty ? (
            <span className="muted">nothing to score yet</span>
          ) : result ? (
            <>
              <ScoreBadge score={result.score} /> <span className="muted">{countsText(result.counts)}</span>
            </>
          ) : (
            <span className="muted">scoring…</span>
          )}
        </summary>
        <p className="sr-only" role="status" aria-live="polite">
          {result && !empty ? `Quality score ${result.score} of 100, ${countsText(result.counts)}.` : ""}
        </p>
        {error ? <ErrorMessage error={error} title="Could not score this content." /> : null}
        {pending && result ? <p className="hint">Updating…</p> : null}
        {result && !empty && findings.length === 0 && <p className="hint">No findings: nothing to fix.</p>}
        {result && result.deductions.length > 0 && (
          <p className="hint">
            Points taken off: {result.deductions.map((d) => `${d.rule} −${d.deduction}`).join(", ")}.
          </p>
        )}
        {!empty && findings.length > 0 && (
          <ul className="findings" aria-label="Findings">
            {findings.map((f, i) => (
              <li key={`${f.rule}-${f.field}-${f.line}-${f.column}-${i}`} className={`finding sev-${f.severity}`}>
                <div className="finding-head">
                  <span className={`sev-badge sev-${f.severity}`}>{f.severity}</span>
                  <strong>{f.title}</strong> <code>{f.rule}</code>
                </div>
                {f.detail && <p className="finding-detail">{safeText(f.detail)}</p>}
                {rationale(f.rule) && (
                  <p className="hint">
                    <span className="label">Why:</span> {rationale(f.rule)}
                  </p>
                )}
                <p className="hint">
                  <span className="label">Fix:</span> {f.suggestion}
                </p>
                {onLocate ? (
                  <button type="button" className="btn small" onClick={() => onLocate(f)}>
                    Show at {describeLocation(f)}
                    <span className="sr-only"> in the editor: {f.title}</span>
                  </button>
                ) : (
                  <p className="hint">At {describeLocation(f)}</p>
                )}
              </li>
            ))}
          </ul>
        )}
      </details>
    </section>
  );
}
