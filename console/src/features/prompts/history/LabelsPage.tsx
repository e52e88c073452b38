import { useEffect, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { prompts } from "../../../api/endpoints";
import { projectScope } from "../../../api/keys";
import type { LabelEvent } from "../../../api/types";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useTitle } from "../../../lib/title";
import { promptQueries } from "../queries";
import { MoveLabelDialog } from "./MoveLabelDialog";

function describeMove(e: LabelEvent): string {
  if (e.from_version === null || e.from_version === undefined) return `set to v${e.to_version}`;
  if (e.to_version === null || e.to_version === undefined) return `removed (was v${e.from_version})`;
  return `v${e.from_version} → v${e.to_version}`;
}

/** Where each label points, and who moved it when. */
export default function LabelsPage() {
  const { project = "default", name = "" } = useParams();
  useTitle(`${name} labels`);
  const client = useQueryClient();
  const prompt = useQuery(promptQueries.one(project, name));
  const versions = useQuery(promptQueries.versions(project, name));
  const labels = useQuery(promptQueries.labels(project, name));
  const events = useQuery(promptQueries.labelEvents(project, name));
  const [moving, setMoving] = useState<string | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [result, setResult] = useState({ text: "", n: 0 });
  const resultRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (result.n > 0) resultRef.current?.focus();
  }, [result]);
  const setStatus = (text: string) => setResult((r) => ({ text, n: r.n + 1 }));
  const remove = useMutation({
    mutationFn: (label: string) => prompts.deleteLabel(project, name, label),
    onSuccess: async (_r, label) => {
      await client.invalidateQueries({ queryKey: projectScope(project) });
      setStatus(`Label ${label} removed.`);
      setDeleting(null);
    },
  });

  const failed = labels.error ?? events.error ?? prompt.error;
  if (failed)
    return (
      <ErrorMessage
        error={failed}
        onRetry={() => void Promise.all([labels.refetch(), events.refetch(), prompt.refetch()])}
      />
    );
  if (!labels.data || !events.data || !prompt.data) return <Loading label="Loading labels…" />;
  const byLabel = new Map<string, LabelEvent[]>();
  for (const e of events.data.items) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), e]);
  const current = Object.fromEntries(labels.data.items.map((l) => [l.name, l.version]));

  return (
    <div className="labels-page">
      <div className="section-head">
        <h1>Labels of {name}</h1>
        <button type="button" className="btn primary" onClick={() => setMoving(null)} disabled={!versions.data}>
          Add or move a label
        </button>
      </div>
      <p className="sr-only" role="status">
        {result.text}
      </p>
      {result.text && (
        <div className="notice ok" ref={resultRef} tabIndex={-1} data-testid="labels-result">
          {result.text}
        </div>
      )}
      <ul className="label-cards">
        {labels.data.items.map((label) => (
          <li key={label.name} className="panel label-card" data-testid={`label-${label.name}`}>
            <div className="section-head">
              <h2>
                <span className={`label label-${label.name}`}>{label.name}</span> → v{label.version}
              </h2>
              {label.name !== "latest" && (
                <div className="row tight">
                  <button type="button" className="btn small" onClick={() => setMoving(label.name)} disabled={!versions.data}>
                    Move {label.name}…
                  </button>
                  <button type="button" className="btn small danger" onClick={() => setDeleting(label.name)}>
                    Remove {label.name}…
                  </button>
                </div>
              )}
            </div>
            <p className="muted">
              {label.name === "latest" ? "Follows the newest version automatically. " : ""}
              Last set by {label.updated_by},{" "}
              <time dateTime={label.updated_at} title={absoluteTime(label.updated_at)}>
                {relativeTime(label.updated_at)}
              </time>
              .
            </p>
            <h3 className="small-title">Move history</h3>
            {(byLabel.get(label.name) ?? []).length === 0 ? (
              <p className="hint">No moves recorded.</p>
            ) : (
              <ol className="moves">
                {(byLabel.get(label.name) ?? []).map((e, i) => (
                  <li key={i}>
                    <strong>{describeMove(e)}</strong> by {e.actor},{" "}
                    <time dateTime={e.created_at} title={absoluteTime(e.created_at)}>
                      {relativeTime(e.created_at)}
                    </time>
                  </li>
                ))}
              </ol>
            )}
          </li>
        ))}
      </ul>
      {moving !== undefined && versions.data && (
        <MoveLabelDialog
          project={project}
          name={name}
          versions={versions.data.items}
          labels={current}
          initialLabel={moving ?? undefined}
          initialVersion={prompt.data.latest_version}
          onClose={() => setMoving(undefined)}
          onDone={setStatus}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Remove label ${deleting}?`}
          confirmLabel="Remove label"
          danger
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate(deleting)}
        >
          <p>
            Apps that fetch <code>{`${name}@${deleting}`}</code> will get a “not found” error until the
            label is set again.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
