// Small pieces shared by the generations list, the detail page and the feedback list.
import type { GenerationStatus } from "../api";
import { costText, flagText } from "../format";
import type { Cost } from "../api";

export function StatusBadge({ status }: { status: GenerationStatus }) {
  return <span className={`badge gen-${status}`}>{status}</span>;
}

/** The total cost, or "unknown" with the reason (never $0 for an unknown price). */
export function CostValue({ cost, flags }: { cost: Cost | null; flags: readonly string[] }) {
  const { text, note } = costText(cost, flags);
  if (!note) return <>{text}</>;
  return (
    <>
      <span>{text}</span>
      <span className="folder">{note}</span>
    </>
  );
}

/** Every flag of a generation with what it means. */
export function FlagList({ flags }: { flags: readonly string[] }) {
  if (flags.length === 0) return <p className="muted">No flags: the counts and cost are as reported or priced.</p>;
  return (
    <ul className="gen-flags">
      {flags.map((flag) => (
        <li key={flag}>
          <code>{flag}</code>: {flagText(flag)}
        </li>
      ))}
    </ul>
  );
}

export function When({ iso }: { iso: string }) {
  const local = absolute(iso);
  return <time dateTime={iso}>{local}</time>;
}

const dtf = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });

/** A time to the second (generations a few seconds apart must read apart). */
export function absolute(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dtf.format(t);
}
