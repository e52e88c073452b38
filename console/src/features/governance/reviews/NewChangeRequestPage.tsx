import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../../api/client";
import { reviews } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import type { GateResult } from "../../../api/types";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { useTitle } from "../../../lib/title";
import { useDebounced } from "../../../lib/hooks";
import { parseValue } from "../../../lib/values";
import { promptQueries } from "../../prompts/queries";
import { GateResults } from "./status";

/** Open a change request; prefilled from ?prompt=&version=&label= (e.g. after a 409). */
export default function NewChangeRequestPage() {
  const { project = "default" } = useParams();
  useTitle("New change request");
  const [params] = useSearchParams();
  const [prompt, setPrompt] = useState(params.get("prompt") ?? "");
  const [version, setVersion] = useState(params.get("version") ?? "");
  const [label, setLabel] = useState(params.get("label") ?? "production");
  const [description, setDescription] = useState("");
  const [samples, setSamples] = useState("");
  const navigate = useNavigate();
  // The variables the chosen version requires: the default gates render it with the samples.
  const promptName = useDebounced(prompt.trim(), 300);
  const versions = useQuery({ ...promptQueries.versions(project, promptName), enabled: !!promptName, retry: false });
  const chosen = versions.data?.items.find((v) => v.number === Number(version));
  const required = (chosen?.variables ?? []).filter((v) => v.required).map((v) => v.name);
  const client = useQueryClient();
  const base = `/p/${encodeURIComponent(project)}/reviews`;
  const open = useMutation({
    mutationFn: () => {
      const sample = samples.trim() ? parseValue(samples) : undefined;
      if (sample !== undefined && (typeof sample !== "object" || sample === null || Array.isArray(sample))) {
        throw new ApiError(0, "invalid", 'Sample variables must be a JSON object, e.g. {"name": "Ada"}.');
      }
      return reviews.open(project, {
        prompt: prompt.trim(),
        version: Number(version),
        label: label.trim(),
        description,
        sample_variables: sample as Record<string, unknown> | undefined,
      });
    },
    onSuccess: async (cr) => {
      await client.invalidateQueries({ queryKey: keys.changeRequests(project) });
      navigate(`${base}/${cr.id}`);
    },
  });
  const gates =
    open.error instanceof ApiError && open.error.code === "gate_failed"
      ? ((open.error.details as { gates?: GateResult[] } | null)?.gates ?? null)
      : null;
  function submit(event: FormEvent) {
    event.preventDefault();
    open.mutate();
  }
  return (
    <form className="stack narrow-form" onSubmit={submit}>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={base}>Change requests</Link> <span aria-hidden="true">/</span> <span aria-current="page">new</span>
      </nav>
      <h1>New change request</h1>
      <p className="hint">Ask to point a label of a prompt at a version. The quality gates run first.</p>
      <div className="panel stack">
        <label className="field">
          <span>Prompt</span>
          <input required value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        </label>
        <div className="row">
          <label className="field">
            <span>Label</span>
            <input required value={label} onChange={(e) => setLabel(e.target.value)} />
          </label>
          <label className="field">
            <span>Version</span>
            <input type="number" min={1} required value={version} onChange={(e) => setVersion(e.target.value)} />
          </label>
        </div>
        <label className="field">
          <span>Description</span>
          <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} placeholder="Why this change?" />
        </label>
        <label className="field">
          <span>Sample variables (JSON)</span>
          <textarea
            rows={2}
            value={samples}
            onChange={(e) => setSamples(e.target.value)}
            placeholder='{"customer": "Ada"}'
            aria-describedby="samples-hint"
          />
        </label>
        <p className="hint" id="samples-hint">
          The quality gates render the version with these values, so give one for every variable it requires
          {required.length > 0 ? (
            <>
              : version {chosen?.number} needs {required.map((n, i) => (
                <span key={n}>
                  {i > 0 && ", "}
                  <code>{n}</code>
                </span>
              ))}
              .
            </>
          ) : (
            "."
          )}
        </p>
        {required.length > 0 && !samples.trim() && (
          <div>
            <button
              type="button"
              className="btn small"
              onClick={() => setSamples(JSON.stringify(Object.fromEntries(required.map((n) => [n, ""]))))}
            >
              Start from these names
            </button>
          </div>
        )}
      </div>
      {open.error ? <ErrorMessage error={open.error} title="Could not open the change request." /> : null}
      {gates && (
        <section className="panel" aria-labelledby="gates-failed-title">
          <h2 id="gates-failed-title">Quality gates</h2>
          <GateResults results={gates} />
        </section>
      )}
      <div className="row">
        <button type="submit" className="btn primary" disabled={open.isPending}>
          Open change request
        </button>
        <Link className="btn" to={base}>
          Cancel
        </Link>
      </div>
    </form>
  );
}
