import type { Version } from "../../../api/types";
import { absoluteTime, relativeTime } from "../../../lib/format";

interface Props {
  versions: Version[];
  total: number;
  from: number;
  to: number;
  latest: number;
  onPick: (which: "from" | "to", version: number) => void;
  onRollback: (version: number) => void;
  onMoveLabel: (version: number) => void;
}

/** Versions newest first, with two radio groups to pick what to compare. */
export function Timeline(props: Props) {
  const { versions, total, from, to, latest, onPick, onRollback, onMoveLabel } = props;
  return (
    <section className="panel timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">
        Versions <span className="count">{total}</span>
      </h2>
      <ol className="versions">
        {versions.map((v) => (
          <li
            key={v.number}
            className={v.number === from || v.number === to ? "version picked" : "version"}
            data-testid="version"
          >
            <div className="version-head">
              <strong className="vnum">v{v.number}</strong>
              {v.branch && v.branch !== "main" && (
                <span className="branch-chip" data-testid="branch-chip">
                  <span className="sr-only">branch </span>
                  <span aria-hidden="true">⑂ </span>
                  {v.branch}
                </span>
              )}
              {v.labels.map((l) => (
                <span key={l} className={`label label-${l}`}>
                  {l}
                </span>
              ))}
            </div>
            <p className="version-msg">{v.message || <span className="muted">no message</span>}</p>
            <p className="version-meta">
              {v.author} ·{" "}
              <time dateTime={v.created_at} title={absoluteTime(v.created_at)}>
                {relativeTime(v.created_at)}
              </time>
            </p>
            <div className="version-actions">
              <label className="pick">
                <input
                  type="radio"
                  name="diff-from"
                  checked={v.number === from}
                  onChange={() => onPick("from", v.number)}
                />
                from
                <span className="sr-only"> version {v.number}</span>
              </label>
              <label className="pick">
                <input
                  type="radio"
                  name="diff-to"
                  checked={v.number === to}
                  onChange={() => onPick("to", v.number)}
                />
                to
                <span className="sr-only"> version {v.number}</span>
              </label>
              <button type="button" className="btn small" onClick={() => onMoveLabel(v.number)}>
                Move label to v{v.number}…
              </button>
              {v.number !== latest && (
                <button type="button" className="btn small" onClick={() => onRollback(v.number)}>
                  Roll back to v{v.number}…
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
      {total > versions.length && (
        <p className="hint">
          Showing the newest {versions.length} of {total} versions.
        </p>
      )}
    </section>
  );
}
