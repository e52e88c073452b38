import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { annotationApi, annotationKeys, countdown, scalePoints, type Work } from "./api";
import "./annotation.css";

/** Renew the lock when less than this many seconds are left (while the page is open). */
const RENEW_BELOW = 60;

/** Working a queue: the claimed item, the rubric form, the lock's countdown, next/skip.
 * Keys: 1-9 score the current criterion and move to the next, Enter submits (Ctrl+Enter
 * in the comment), "s" skips. */
export default function AnnotatePage() {
  useTitle("Annotate");
  const can = useCan();
  const { project = "default", id = "" } = useParams();
  if (!can("annotation:score")) {
    return (
      <div className="stack">
        <h1>Annotate</h1>
        <p className="notice">Your role cannot annotate: scoring needs the editor role or above.</p>
        <Link to={`/p/${project}/annotation/${id}`}>Back to the queue</Link>
      </div>
    );
  }
  return <Annotate project={project} queueId={Number(id)} />;
}

function Annotate({ project, queueId }: { project: string; queueId: number }) {
  const client = useQueryClient();
  const [work, setWork] = useState<Work | null>(null);
  const [reason, setReason] = useState<string | null>(null);
  const [scores, setScores] = useState<Record<string, number>>({});
  const [comment, setComment] = useState("");
  const [active, setActive] = useState(0);
  const [left, setLeft] = useState(0);
  const [status, setStatus] = useState("");
  const form = useRef<HTMLFormElement>(null);

  const take = useCallback(
    (next: Work | null, why: string | null) => {
      setWork(next);
      setReason(why);
      setScores({});
      setComment("");
      setActive(0);
      void client.invalidateQueries({ queryKey: annotationKeys.all(project) });
    },
    [client, project],
  );
  const next = useMutation({
    mutationFn: () => annotationApi.next(project, queueId),
    onSuccess: (answer) => take(answer.work ?? null, answer.reason ?? null),
  });
  const renew = useMutation({
    mutationFn: (item: number) => annotationApi.renew(project, queueId, item),
    onSuccess: (answer) => setWork((current) => (current ? { ...current, locked_until: answer.locked_until } : current)),
  });
  const skip = useMutation({
    mutationFn: (item: number) => annotationApi.skip(project, queueId, item),
    onSuccess: () => {
      setStatus("Skipped.");
      next.mutate();
    },
  });
  const submit = useMutation({
    mutationFn: (item: number) => annotationApi.submit(project, queueId, item, { scores, comment: comment || null }),
    onSuccess: () => {
      setStatus("Scores saved.");
      next.mutate();
    },
  });

  // the first item, once
  const started = useRef(false);
  useEffect(() => {
    if (!started.current) {
      started.current = true;
      next.mutate();
    }
  }, [next]);

  // the lock's countdown, renewed while the page is open
  useEffect(() => {
    if (!work) return undefined;
    const tick = () => {
      const seconds = (Date.parse(work.locked_until) - Date.now()) / 1000;
      setLeft(seconds);
      if (seconds < RENEW_BELOW && seconds > 0 && document.visibilityState === "visible" && !renew.isPending) {
        renew.mutate(work.item.id);
      }
    };
    tick();
    const timer = window.setInterval(tick, 1000);
    return () => window.clearInterval(timer);
  }, [work, renew]);

  const criteria = work?.rubric.criteria ?? [];
  const complete = criteria.length > 0 && criteria.every((c) => scores[c.name] !== undefined);
  const send = () => {
    if (work && complete && !submit.isPending) submit.mutate(work.item.id);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  // keyboard: digits score the current criterion, Enter submits, s skips
  useEffect(() => {
    if (!work) return undefined;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target?.tagName === "TEXTAREA" || (target?.tagName === "INPUT" && (target as HTMLInputElement).type === "text");
      if (typing) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          send();
        }
        return;
      }
      const criterion = criteria[active];
      if (/^[0-9]$/.test(event.key) && criterion) {
        const value = Number(event.key);
        if (value >= work.rubric.scale_min && value <= work.rubric.scale_max) {
          event.preventDefault();
          setScores((current) => ({ ...current, [criterion.name]: value }));
          setActive((index) => Math.min(index + 1, criteria.length - 1));
        }
      } else if (event.key === "s" && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        if (!skip.isPending) skip.mutate(work.item.id);
      } else if (event.key === "Enter" && target?.tagName !== "BUTTON" && target?.tagName !== "A") {
        event.preventDefault();
        send();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const error = next.error ?? submit.error ?? skip.error ?? renew.error;
  return (
    <div className="stack annotate">
      <p>
        <Link to={`/p/${project}/annotation/${queueId}`}>← The queue</Link>
      </p>
      <h1>Annotate</h1>
      <p className="sr-only" role="status">
        {status}
      </p>
      {error ? <ErrorMessage error={error} /> : null}
      {!work && next.isPending && <Loading label="Claiming the next item…" />}
      {!work && !next.isPending && reason && (
        <div className="notice">
          <p>{reason}</p>
          <button type="button" className="btn" onClick={() => next.mutate()}>
            Ask again
          </button>
        </div>
      )}
      {work && (
        <>
          <div className="lock-bar" data-testid="lock">
            <span>
              Item {work.item.id}
              {work.prompt ? ` · ${work.prompt}${work.prompt_version ? ` v${work.prompt_version}` : ""}` : ""}
              {work.model ? ` · ${work.model}` : ""} · {work.remaining} left for you
            </span>
            <span className={left < RENEW_BELOW ? "lock-time low" : "lock-time"} aria-label="Time left on your lock">
              {left > 0 ? `Locked for you: ${countdown(left)}` : "Your lock expired: someone else may take this item"}
            </span>
          </div>
          <div className="annotate-grid">
            <section className="panel" aria-labelledby="input-title">
              <h2 id="input-title">Input</h2>
              <pre className="annotate-text">
                {typeof work.input === "string" ? work.input : JSON.stringify(work.input, null, 2)}
              </pre>
              {work.expected !== null && (
                <>
                  <h3>Reference answer</h3>
                  <pre className="annotate-text">{work.expected}</pre>
                </>
              )}
            </section>
            <section className="panel" aria-labelledby="output-title">
              <h2 id="output-title">Output</h2>
              <pre className="annotate-text" data-testid="output">
                {work.output}
              </pre>
            </section>
          </div>
          <form ref={form} className="panel stack rubric-form" aria-label="Rubric" onSubmit={onSubmit}>
            <p className="hint">
              Keys: {work.rubric.scale_min}–{Math.min(9, work.rubric.scale_max)} score the highlighted criterion, Enter saves,
              s skips.
            </p>
            {criteria.map((c, index) => (
              <fieldset
                key={c.name}
                className={index === active ? "criterion active" : "criterion"}
                onFocus={() => setActive(index)}
              >
                <legend>
                  {c.name}
                  <span className="muted"> — {c.description}</span>
                </legend>
                <div className="scale">
                  {scalePoints(work.rubric.scale_min, work.rubric.scale_max).map((point) => (
                    <label key={point} className={scores[c.name] === point ? "point chosen" : "point"}>
                      <input
                        type="radio"
                        name={`criterion-${c.name}`}
                        value={point}
                        checked={scores[c.name] === point}
                        onChange={() => setScores((current) => ({ ...current, [c.name]: point }))}
                      />
                      {point}
                    </label>
                  ))}
                </div>
              </fieldset>
            ))}
            <label>
              Comment (optional)
              <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} maxLength={4000} />
            </label>
            <div className="actions">
              <button type="submit" className="btn primary" disabled={!complete || submit.isPending}>
                {submit.isPending ? "Saving…" : "Save and next"}
              </button>
              <button type="button" className="btn" disabled={skip.isPending} onClick={() => skip.mutate(work.item.id)}>
                Skip
              </button>
              {!complete && <span className="muted">Score every criterion to save.</span>}
            </div>
          </form>
        </>
      )}
    </div>
  );
}
