import type { Diff, DiffSpan, MessageDiff } from "../../../api/types";

export type DiffMode = "split" | "inline";

function Spans({ spans, show }: { spans: DiffSpan[]; show: "old" | "new" | "both" }) {
  return (
    <>
      {spans.map((span, i) => {
        if (span.op === "equal") return <span key={i}>{span.text}</span>;
        if (span.op === "delete") {
          if (show === "new") return null;
          return (
            <del key={i} className="d-del">
              <span className="sr-only">[removed: </span>
              {span.text}
              <span className="sr-only">]</span>
            </del>
          );
        }
        if (show === "old") return null;
        return (
          <ins key={i} className="d-ins">
            <span className="sr-only">[added: </span>
            {span.text}
            <span className="sr-only">]</span>
          </ins>
        );
      })}
    </>
  );
}

function SpanBlock({ spans, mode, from, to }: { spans: DiffSpan[]; mode: DiffMode; from: number; to: number }) {
  if (mode === "inline") {
    return (
      <pre className="diff-pane inline" aria-label={`Changes from version ${from} to ${to}`}>
        <Spans spans={spans} show="both" />
      </pre>
    );
  }
  return (
    <div className="diff-split">
      <div>
        <div className="diff-side-title">Version {from}</div>
        <pre className="diff-pane old" aria-label={`Version ${from}`}>
          <Spans spans={spans} show="old" />
        </pre>
      </div>
      <div>
        <div className="diff-side-title">Version {to}</div>
        <pre className="diff-pane new" aria-label={`Version ${to}`}>
          <Spans spans={spans} show="new" />
        </pre>
      </div>
    </div>
  );
}

function describeSide(kind: string | null | undefined, role: string | null, name: string | null | undefined) {
  if (kind === "placeholder") return `placeholder ${name ?? ""}`.trim();
  return role;
}

function messageTitle(m: MessageDiff, index: number): string {
  const before = describeSide(m.kind_old, m.role_old, m.name_old);
  const after = describeSide(m.kind_new, m.role_new, m.name_new);
  const what = before && after && before !== after ? `${before} → ${after}` : (after ?? before ?? "");
  const n = (m.new_index ?? m.old_index ?? index) + 1;
  return `Message ${n}${what ? ` (${what})` : ""}`;
}

const OP_TEXT: Record<string, string> = {
  insert: "added",
  added: "added",
  delete: "removed",
  removed: "removed",
  equal: "unchanged",
  change: "changed",
  changed: "changed",
  replace: "changed",
};

function formatValue(value: unknown): string {
  return value === undefined ? "–" : JSON.stringify(value);
}

/** Side-by-side or inline diff with word-level highlighting, as computed by the server. */
export function DiffView({ diff, mode }: { diff: Diff; mode: DiffMode }) {
  const { from, to } = diff;
  const noChange =
    diff.stats.insertions === 0 && diff.stats.deletions === 0 && diff.config.length === 0 && !diff.type_changed;
  return (
    <div className="diff" data-testid="diff">
      <p className="diff-stats">
        <span className="plus">+{diff.stats.insertions}</span>{" "}
        <span className="minus">−{diff.stats.deletions}</span>{" "}
        <span className="muted">
          words between version {from} and version {to}
        </span>
        {diff.type_changed && <strong> · the prompt type changed</strong>}
      </p>
      {noChange && <p className="hint">These versions have the same content and configuration.</p>}
      {diff.messages ? (
        <ol className="diff-messages">
          {diff.messages.map((m, i) => (
            <li key={i} className="diff-message">
              <h3>
                {messageTitle(m, i)}{" "}
                <span className={`badge op-${OP_TEXT[m.op] ?? m.op}`}>{OP_TEXT[m.op] ?? m.op}</span>
              </h3>
              <SpanBlock spans={m.spans ?? []} mode={mode} from={from} to={to} />
            </li>
          ))}
        </ol>
      ) : (
        <SpanBlock spans={diff.spans} mode={mode} from={from} to={to} />
      )}
      {diff.config.length > 0 && (
        <div className="table-wrap">
          <table className="config-diff">
            <caption>Model configuration changes</caption>
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col">Change</th>
                <th scope="col">Version {from}</th>
                <th scope="col">Version {to}</th>
              </tr>
            </thead>
            <tbody>
              {diff.config.map((c) => (
                <tr key={c.path}>
                  <th scope="row">
                    <code>{c.path}</code>
                  </th>
                  <td>{c.op}</td>
                  <td>
                    <code>{formatValue(c.old)}</code>
                  </td>
                  <td>
                    <code>{formatValue(c.new)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {diff.unified && (
        <details className="unified">
          <summary>Unified diff</summary>
          <pre>{diff.unified}</pre>
        </details>
      )}
    </div>
  );
}
