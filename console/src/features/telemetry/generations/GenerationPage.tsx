import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ApiError } from "../../../api/client";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { formatMs } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import type { Generation } from "../api";
import { FeedbackItems } from "../feedback/FeedbackItems";
import { costText, formatMoney, formatTokens, promptHref, promptRef } from "../format";
import { telemetryQueries } from "../queries";
import "../telemetry.css";
import { toMessages } from "./messages";
import { absolute, FlagList, StatusBadge, When } from "./parts";

/** One generation: input, output, usage, cost, timing, flags, metadata and feedback. */
export default function GenerationPage() {
  const { project = "default", id = "" } = useParams();
  useTitle(`Generation ${id}`);
  const can = useCan();
  const base = `/p/${encodeURIComponent(project)}`;
  const crumbs = (
    <nav aria-label="Breadcrumb" className="crumbs">
      <Link to={`${base}/generations`}>Generations</Link> / <span aria-current="page">{id}</span>
    </nav>
  );
  if (!can("generation:read")) {
    return (
      <div className="stack">
        {crumbs}
        <h1>Generation {id}</h1>
        <p className="notice">Your role cannot read this project&apos;s generations.</p>
      </div>
    );
  }
  return <Detail project={project} id={id} base={base} crumbs={crumbs} />;
}

function Detail({ project, id, base, crumbs }: { project: string; id: string; base: string; crumbs: ReactNode }) {
  const one = useQuery(telemetryQueries.generation(project, id));
  const missing = one.error instanceof ApiError && one.error.status === 404;
  // One heading in one place whatever the state, so the focus moved to it on
  // arrival stays there once the generation has loaded.
  return (
    <div className="stack">
      {crumbs}
      <div className="section-head">
        <h1>Generation {id}</h1>
        {one.data && <StatusBadge status={one.data.status} />}
      </div>
      {missing && <p className="notice">No generation {id} in project {project}.</p>}
      {one.error && !missing ? <ErrorMessage error={one.error} onRetry={() => void one.refetch()} /> : null}
      {!one.data && !one.error && <Loading label="Loading the generation…" />}
      {one.data && <Body g={one.data} base={base} />}
    </div>
  );
}

function Body({ g, base }: { g: Generation; base: string }) {
  return (
    <>
      <p className="muted">
        <When iso={g.start_time} /> · {g.provider ?? "unknown provider"} / {g.model ?? "unknown model"} ·{" "}
        {sourceText(g.source)}
      </p>
      {g.error && (
        <div className="notice error">
          <strong>Error</strong> <span>{g.error}</span>
        </div>
      )}
      <div className="gen-grid">
        <div className="stack">
          <section className="panel" aria-labelledby="gen-input">
            <h2 id="gen-input">Input</h2>
            <InputView input={g.input} flags={g.flags} />
          </section>
          <section className="panel" aria-labelledby="gen-output">
            <h2 id="gen-output">Output</h2>
            {g.output === null ? (
              <p className="muted">{textMissing(g.flags, "output")}</p>
            ) : (
              <pre className="rendered">{g.output}</pre>
            )}
          </section>
          <section className="panel" aria-labelledby="gen-feedback">
            <h2 id="gen-feedback">Feedback</h2>
            <FeedbackItems items={g.feedback} empty="No feedback on this generation yet." />
          </section>
          <section className="panel" aria-labelledby="gen-metadata">
            <h2 id="gen-metadata">Metadata</h2>
            {Object.keys(g.metadata).length === 0 ? (
              <p className="muted">No metadata.</p>
            ) : (
              <pre className="gen-json">{JSON.stringify(g.metadata, null, 2)}</pre>
            )}
          </section>
        </div>
        <div className="stack">
          <section className="panel" aria-labelledby="gen-cost">
            <h2 id="gen-cost">Usage and cost</h2>
            <UsageCost g={g} />
          </section>
          <section className="panel" aria-labelledby="gen-flags">
            <h2 id="gen-flags">Flags</h2>
            <FlagList flags={g.flags} />
          </section>
          <section className="panel" aria-labelledby="gen-context">
            <h2 id="gen-context">Context</h2>
            <Context g={g} base={base} />
          </section>
        </div>
      </div>
    </>
  );
}

function sourceText(source: string): string {
  if (source === "execute") return "run by Promptyard";
  if (source === "otel" || source === "otlp") return "from an OpenTelemetry trace";
  if (source === "api") return "reported by an app";
  return source;
}

function textMissing(flags: readonly string[], what: "input" | "output"): string {
  if (flags.includes("text_not_stored")) return `Not stored: this project keeps no ${what} text.`;
  return `No ${what} was reported.`;
}

function InputView({ input, flags }: { input: Generation["input"]; flags: readonly string[] }) {
  if (input === null) return <p className="muted">{textMissing(flags, "input")}</p>;
  if (typeof input === "string") return <pre className="rendered">{input}</pre>;
  const messages = toMessages(input);
  if (messages.length === 0) return <p className="muted">No messages.</p>;
  return (
    <ol className="messages" aria-label="Input messages">
      {messages.map((m, i) => (
        <li key={i} className={`message role-${m.role}`}>
          <div className="message-head">
            <span className="role">{m.role}</span>
          </div>
          {m.text && <pre className="rendered">{m.text}</pre>}
          {m.extra && <pre className="gen-json">{m.extra}</pre>}
        </li>
      ))}
    </ol>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

function UsageCost({ g }: { g: Generation }) {
  const u = g.usage;
  const est = u.estimated ?? false;
  const cost = costText(g.cost, g.flags);
  return (
    <dl className="gen-facts">
      <Fact term="Input tokens">{formatTokens(u.input_tokens, est)}</Fact>
      <Fact term="Output tokens">{formatTokens(u.output_tokens, est)}</Fact>
      <Fact term="Cached tokens">{formatTokens(u.cached_tokens)}</Fact>
      <Fact term="Reasoning tokens">{formatTokens(u.reasoning_tokens)}</Fact>
      {est && <Fact term="Counts">estimated (none reported)</Fact>}
      {g.cost ? (
        <>
          <Fact term="Input cost">{formatMoney(g.cost.input, g.cost.currency)}</Fact>
          <Fact term="Output cost">{formatMoney(g.cost.output, g.cost.currency)}</Fact>
          <Fact term="Total cost">{formatMoney(g.cost.total, g.cost.currency)}</Fact>
          <Fact term="Priced by">{g.cost.source}</Fact>
        </>
      ) : (
        <Fact term="Total cost">
          {cost.text} ({cost.note})
        </Fact>
      )}
      <Fact term="Latency">{formatMs(g.latency_ms)}</Fact>
      <Fact term="Time to first token">{formatMs(g.ttft_ms)}</Fact>
    </dl>
  );
}

function Context({ g, base }: { g: Generation; base: string }) {
  const dash = <span className="muted">–</span>;
  const unknownPrompt = g.flags.includes("unknown_prompt");
  return (
    <dl className="gen-facts">
      <Fact term="Prompt">
        {g.prompt ? (
          unknownPrompt ? (
            `${promptRef(g.prompt)} (not in the registry)`
          ) : (
            <Link to={promptHref(base, g.prompt, g.flags)}>{promptRef(g.prompt)}</Link>
          )
        ) : (
          dash
        )}
      </Fact>
      {g.prompt?.label && <Fact term="Label">{g.prompt.label}</Fact>}
      <Fact term="Started">{absolute(g.start_time)}</Fact>
      <Fact term="User">{g.user_id ?? dash}</Fact>
      <Fact term="Session">{g.session_id ?? dash}</Fact>
      <Fact term="Feature">{g.feature ?? dash}</Fact>
      <Fact term="Agent">{g.agent ?? dash}</Fact>
      <Fact term="Environment">{g.environment ?? dash}</Fact>
      <Fact term="Tags">{g.tags.length ? g.tags.map((t) => <span key={t} className="tag">{t}</span>) : dash}</Fact>
      <Fact term="Trace">
        {g.trace_id ? <Link to={`${base}/traces/${encodeURIComponent(g.trace_id)}`}>{g.trace_id}</Link> : dash}
      </Fact>
      <Fact term="Parent span">{g.parent_span_id ?? dash}</Fact>
      <Fact term="External id">{g.external_id ?? dash}</Fact>
    </dl>
  );
}
