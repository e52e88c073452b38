import { useState, type FormEvent } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { relativeTime } from "../../../lib/format";
import { useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { datasetKeys, datasetsApi, type Case } from "./api";
import { inputSummary, parseInput } from "./caseForm";
import "./datasets.css";

/** One dataset: its cases at a version (the latest by default), its versions, and (at the
 * latest version) adding, editing and deleting cases, each a new version. */
export default function DatasetPage() {
  const { project = "default", name = "" } = useParams();
  useTitle(`Dataset ${name}`);
  const [params, setParams] = useSearchParams();
  const picked = params.get("version");
  const version = picked ? Number(picked) : undefined;
  const client = useQueryClient();
  const denied = useDenied()("dataset:write", "edit datasets");
  const data = useQuery({
    queryKey: datasetKeys.one(project, name, version),
    queryFn: () => datasetsApi.get(project, name, version, 0, 1000),
  });
  const versions = useQuery({
    queryKey: datasetKeys.versions(project, name),
    queryFn: () => datasetsApi.versions(project, name),
  });
  const [editing, setEditing] = useState<Case | "new" | null>(null);
  const [status, setStatus] = useState("");
  const changed = async (message: string) => {
    await client.invalidateQueries({ queryKey: datasetKeys.all(project) });
    setParams({});
    setStatus(message);
  };
  const remove = useMutation({
    mutationFn: (c: Case) => datasetsApi.deleteCase(project, name, c.id),
    onSuccess: (d, c) => changed(`Case ${c.id} deleted: version ${d.version}.`),
  });

  if (data.error) return <ErrorMessage error={data.error} onRetry={() => void data.refetch()} />;
  if (!data.data) return <Loading label="Loading the dataset…" />;
  const d = data.data;
  const latest = d.version === d.latest_version;
  return (
    <div className="stack">
      <p>
        <Link to={`/p/${project}/datasets`}>← Datasets</Link>
      </p>
      <div className="section-head">
        <h1>
          {d.name} <span className="count">v{d.version}</span>
        </h1>
        <label className="inline-field">
          Version
          <select
            aria-label="Version"
            value={d.version}
            onChange={(e) => setParams(Number(e.target.value) === d.latest_version ? {} : { version: e.target.value })}
          >
            {(versions.data?.items ?? []).map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version} · {v.case_count} cases{v.version === d.latest_version ? " (latest)" : ""}
              </option>
            ))}
          </select>
        </label>
      </div>
      {d.description && <p className="hint">{d.description}</p>}
      <p className="sr-only" role="status">
        {status}
      </p>
      {status && <div className="notice ok">{status}</div>}
      {!latest && <p className="notice">Version {d.version} is read-only: versions never change. Edit the latest version.</p>}
      {remove.error ? <ErrorMessage error={remove.error} /> : null}
      <div className="section-head">
        <h2>
          Cases <span className="count">{d.version_case_count}</span>
        </h2>
        <div className="row-actions">
          {(["csv", "json", "jsonl"] as const).map((fmt) => (
            <a key={fmt} className="btn small" href={datasetsApi.exportUrl(project, name, fmt, d.version)} download>
              Export {fmt.toUpperCase()}
            </a>
          ))}
          {latest && !denied && (
            <button type="button" className="btn small primary" onClick={() => setEditing("new")}>
              Add case
            </button>
          )}
        </div>
      </div>
      {d.cases.length === 0 ? (
        <p className="muted">No cases in this version.</p>
      ) : (
        <table className="table dataset-cases" aria-label="Cases">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Input</th>
              <th scope="col">Expected</th>
              <th scope="col">Since</th>
              {latest && !denied && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {d.cases.map((c) => (
              <tr key={c.id} data-testid={`case-${c.id}`}>
                <td>
                  <code>{c.id}</code>
                </td>
                <td title={JSON.stringify(c.input, null, 1)}>{inputSummary(c.input)}</td>
                <td>{c.expected ?? <span className="muted">—</span>}</td>
                <td>v{c.since_version}</td>
                {latest && !denied && (
                  <td className="row-actions">
                    <button type="button" className="btn small" aria-label={`Edit ${c.id}`} onClick={() => setEditing(c)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="btn small danger"
                      aria-label={`Delete ${c.id}`}
                      disabled={remove.isPending}
                      onClick={() => remove.mutate(c)}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section className="panel stack" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        <ol className="plain-list" aria-label="Versions">
          {(versions.data?.items ?? []).map((v) => (
            <li key={v.version}>
              <strong>v{v.version}</strong> · {v.case_count} cases · {v.message || "—"} ·{" "}
              <span title={v.created_at}>
                {relativeTime(v.created_at)} by {v.created_by}
              </span>
            </li>
          ))}
        </ol>
      </section>
      {editing && (
        <CaseDialog
          project={project}
          name={name}
          editing={editing}
          onClose={() => setEditing(null)}
          onSaved={(message) => {
            setEditing(null);
            void changed(message);
          }}
        />
      )}
    </div>
  );
}

interface DialogProps {
  project: string;
  name: string;
  editing: Case | "new";
  onClose: () => void;
  onSaved: (message: string) => void;
}

function CaseDialog({ project, name, editing, onClose, onSaved }: DialogProps) {
  const existing = editing === "new" ? null : editing;
  const [input, setInput] = useState(existing ? JSON.stringify(existing.input, null, 2) : "{\n  \n}");
  const [expected, setExpected] = useState(existing?.expected ?? "");
  const [message, setMessage] = useState("");
  const [problem, setProblem] = useState("");
  const save = useMutation({
    mutationFn: (value: Record<string, unknown>) =>
      existing
        ? datasetsApi.updateCase(project, name, existing.id, {
            input: value,
            expected: expected === "" ? null : expected,
            clear_expected: expected === "",
            message,
          })
        : datasetsApi.addCase(project, name, value, expected === "" ? null : expected),
    onSuccess: (d) => onSaved(existing ? `Case ${existing.id} saved: version ${d.version}.` : `Case added: version ${d.version}.`),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseInput(input);
    if (!parsed.ok) {
      setProblem(parsed.error);
      return;
    }
    setProblem("");
    save.mutate(parsed.value);
  };
  return (
    <Dialog
      title={existing ? `Edit case ${existing.id}` : "Add a case"}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="case-form" className="btn primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save as a new version"}
          </button>
        </>
      }
    >
      <form id="case-form" className="stack" aria-label="Case" onSubmit={submit}>
        <label>
          Input (a JSON object of variables)
          <textarea
            data-autofocus
            rows={8}
            className="mono"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? "case-problem" : undefined}
          />
        </label>
        {problem && (
          <p className="error" id="case-problem" role="alert">
            {problem}
          </p>
        )}
        <label>
          Expected output (optional)
          <textarea rows={4} value={expected} onChange={(e) => setExpected(e.target.value)} />
        </label>
        {existing && (
          <label>
            Why (the version&apos;s note)
            <input value={message} onChange={(e) => setMessage(e.target.value)} maxLength={2000} />
          </label>
        )}
        {save.error ? <ErrorMessage error={save.error} /> : null}
      </form>
    </Dialog>
  );
}
