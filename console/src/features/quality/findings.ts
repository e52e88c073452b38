// Pure helpers of the quality area: ordering findings, placing them in the editor,
// describing scores and costs. No React here (tested with vitest).
import type { Finding, Severity } from "./api";

export const SEVERITIES: Severity[] = ["high", "medium", "low", "info"];

const RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1, info: 0 };

/** Most severe first, then in reading order (message, line, column). */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      RANK[b.severity] - RANK[a.severity] ||
      (a.message_index ?? -1) - (b.message_index ?? -1) ||
      a.line - b.line ||
      a.column - b.column,
  );
}

/** CodeMirror's lint severity for a finding's. */
export function markSeverity(severity: Severity): "error" | "warning" | "info" | "hint" {
  return severity === "high" ? "error" : severity === "medium" ? "warning" : severity === "low" ? "info" : "hint";
}

export interface Mark {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: "error" | "warning" | "info" | "hint";
  message: string;
}

/** A long unbroken run of letters and digits (a key or token) shortened to its first
 * four characters: the server never sends a secret in full, and neither do we show one. */
export function safeText(text: string): string {
  return text.replace(/[A-Za-z0-9_\-+/=]{24,}/g, (run) => `${run.slice(0, 4)}…`);
}

export function markOf(finding: Finding): Mark {
  return {
    line: finding.line,
    column: finding.column,
    endLine: finding.end_line,
    endColumn: finding.end_column,
    severity: markSeverity(finding.severity),
    message: safeText(`${finding.title} (${finding.rule}, ${finding.severity}): ${finding.suggestion}`),
  };
}

/** Where each finding is marked: the text editor, or a chat message by index. */
export function findingMarks(findings: Finding[]): { text: Mark[]; messages: Record<number, Mark[]> } {
  const text: Mark[] = [];
  const messages: Record<number, Mark[]> = {};
  for (const finding of findings) {
    if (finding.message_index === null || finding.message_index === undefined) text.push(markOf(finding));
    else (messages[finding.message_index] ??= []).push(markOf(finding));
  }
  return { text, messages };
}

export function describeLocation(finding: Finding): string {
  const where: string[] = [];
  if (finding.message_index !== null && finding.message_index !== undefined)
    where.push(`message ${finding.message_index + 1}`);
  where.push(`line ${finding.line}`, `column ${finding.column}`);
  return where.join(", ");
}

export type ScoreBand = "good" | "fair" | "poor";

export function scoreBand(score: number): ScoreBand {
  return score >= 80 ? "good" : score >= 50 ? "fair" : "poor";
}

export function countsText(counts: Record<string, number>): string {
  const parts = SEVERITIES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(", ") : "no findings";
}

/** A cost in its currency with enough digits for fractions of a cent. */
export function formatCost(cost: number | null | undefined, currency: string | null | undefined = "USD"): string {
  if (cost === null || cost === undefined) return "unknown (no price for this model)";
  const symbol = (currency ?? "USD") === "USD" ? "$" : `${currency} `;
  if (cost === 0) return `${symbol}0`;
  const digits = cost >= 0.01 ? 4 : 6;
  return `${symbol}${cost.toFixed(digits)}`;
}

/** Points of an SVG polyline for scores 0..100 over `width` x `height`. */
export function trendPoints(scores: number[], width: number, height: number): string {
  if (scores.length === 0) return "";
  const step = scores.length > 1 ? width / (scores.length - 1) : 0;
  return scores
    .map((s, i) => {
      const x = scores.length > 1 ? i * step : width / 2;
      const y = height - (Math.min(Math.max(s, 0), 100) / 100) * height;
      return `${round(x)},${round(y)}`;
    })
    .join(" ");
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The share of the largest band, for bar widths (0 when every band is empty). */
export function bandShares(distribution: Record<string, number>): { band: string; count: number; share: number }[] {
  const entries = Object.entries(distribution);
  const max = Math.max(0, ...entries.map(([, n]) => n));
  return entries.map(([band, count]) => ({ band, count, share: max ? count / max : 0 }));
}
