import type { Feedback } from "../api";
import { feedbackValue } from "../format";
import { When } from "../generations/parts";

/** Feedback items (thumbs, scores, NPS, comments) as a plain list, in the order given. */
export function FeedbackItems({ items, empty }: { items: readonly Feedback[]; empty: string }) {
  if (items.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="gen-feedback">
      {items.map((f) => (
        <li key={f.id}>
          <strong>{feedbackValue(f)}</strong>{" "}
          <span className="muted">
            · <When iso={f.created_at} />
            {f.user_id ? ` · user ${f.user_id}` : ""}
          </span>
          {f.comment && <p>{f.comment}</p>}
        </li>
      ))}
    </ul>
  );
}
