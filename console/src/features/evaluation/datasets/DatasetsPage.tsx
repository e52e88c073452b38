import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { relativeTime } from "../../../lib/format";
import { useCan, useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { datasetKeys, datasetsApi, type FileFormat, type ImportResult } from "./api";
import { formatOf } from "./caseForm";
import "./datasets.css";

/** The project's datasets, and importing a file (CSV, JSON, JSON Lines) as a new version. */
export default function DatasetsPage() {
  useTitle("Datasets");
  const can = useCan();
  if (!can("dataset:read")) {
    return (
      <div className="stack">
        <h1>Datasets</h1>
        <p className="notice">Your role cannot see this project&apos;s datasets.</p>
      </div>
    );
  }
  return <Datasets />;
}

function Datasets() {
  const { project = "default" } = useParams();
  const list = useQuery({ queryKey: datasetKeys.all(project), queryFn: () => datasetsApi.list(project) });
  const denied = useDenied()("dataset:write", "create, import or edit datasets");
  return (
    <div className="stack">
      <div className="section-head">
        <h1>Datasets</h1>
        <Link className="btn" to={`/p/${project}/evaluators`}>
          Evaluator library
        </Link>
      </div>
      <p className="hint">
        Cases to evaluate prompts on: input variables, an expected output, metadata. Every change makes a new version;
        runs can pin one as <code>name@version</code>.
      </p>
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading datasets…" />}
      {list.data && list.data.items.length === 0 && <p className="muted">No datasets yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table className="table" aria-label="Datasets">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Cases</th>
              <th scope="col">Updated</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((d) => (
              <tr key={d.id} data-testid={`dataset-${d.name}`}>
                <td>
                  <Link to={`/p/${project}/datasets/${encodeURIComponent(d.name)}`}>{d.name}</Link>
                </td>
                <td>v{d.latest_version}</td>
                <td>{d.case_count}</td>
                <td title={d.updated_at}>
                  {relativeTime(d.updated_at)} by {d.updated_by}
                </td>
                <td>{d.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {denied ? <p className="notice">{denied}</p> : <ImportForm project={project} />}
    </div>
  );
}

function ImportForm({ project }: { project: string }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<FileFormat | "auto">("auto");
  const [replace, setReplace] = useState(false);
  const [done, setDone] = useState<ImportResult | null>(null);
  const upload = useMutation({
    mutationFn: () => {
      if (!file) throw new Error("Choose a file to import.");
      const fmt = format === "auto" ? formatOf(file.name) : format;
      return datasetsApi.importFile(project, name.trim(), fmt, file, replace ? "replace" : "append");
    },
    onSuccess: async (result) => {
      setDone(result);
      await client.invalidateQueries({ queryKey: datasetKeys.all(project) });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    upload.mutate();
  };
  return (
    <section className="panel stack" aria-labelledby="import-title">
      <h2 id="import-title">Import a file</h2>
      <p className="hint">
        CSV (a header row; columns <code>id</code>, <code>expected</code>, <code>metadata</code>, every other column an
        input variable), JSON (a list of cases) or JSON Lines. A bad record stops the import with its row and column, and
        nothing is imported.
      </p>
      <form className="dataset-import" aria-label="Import a dataset file" onSubmit={submit}>
        <label>
          Dataset name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={128}
            placeholder="support-questions"
          />
        </label>
        <label>
          File
          <input type="file" accept=".csv,.json,.jsonl,.ndjson" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value as FileFormat | "auto")}>
            <option value="auto">From the file name</option>
            <option value="csv">CSV</option>
            <option value="json">JSON</option>
            <option value="jsonl">JSON Lines</option>
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} />
          Replace every case (otherwise the file&apos;s cases are added)
        </label>
        <button type="submit" className="btn primary" disabled={upload.isPending}>
          {upload.isPending ? "Importing…" : "Import"}
        </button>
      </form>
      {upload.error ? <ErrorMessage error={upload.error} /> : null}
      <p className="sr-only" role="status">
        {done ? `Imported ${done.added} cases into ${done.dataset} version ${done.version}.` : ""}
      </p>
      {done && (
        <div className="notice ok">
          Imported {done.added} cases into {done.dataset} (version {done.version}, {done.case_count} cases).{" "}
          <button type="button" className="btn small" onClick={() => navigate(`/p/${project}/datasets/${encodeURIComponent(done.dataset)}`)}>
            Open {done.dataset}
          </button>
        </div>
      )}
    </section>
  );
}
