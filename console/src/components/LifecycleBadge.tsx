import type { Lifecycle } from "../api/types";

export const LIFECYCLE_TEXT: Record<Lifecycle, string> = {
  draft: "draft",
  in_review: "in review",
  published: "published",
  deprecated: "deprecated",
  archived: "archived",
};

/** A prompt's lifecycle state as a badge ("deprecated", "in review", …). */
export function LifecycleBadge({ state, prefix }: { state: Lifecycle | undefined; prefix?: boolean }) {
  const value = state ?? "draft";
  return (
    <span className={`badge lc lc-${value}`} data-testid="lifecycle-badge">
      {prefix && <span className="sr-only">Lifecycle: </span>}
      {LIFECYCLE_TEXT[value] ?? value}
    </span>
  );
}
