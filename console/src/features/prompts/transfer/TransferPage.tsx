import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ApiError } from "../../../api/client";
import { projects } from "../../../api/endpoints";
import { keys, projectScope } from "../../../api/keys";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { useDenied } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { identityQueries } from "../../identity/queries";

function contentTypeOf(file: File): string {
  if (/\.ya?ml$/i.test(file.name) || /yaml/.test(file.type)) return "application/yaml";
  return "application/json";
}

/** Export a project as a bundle file, or import a bundle into a project. */
export default function TransferPage() {
  const { project = "default" } = useParams();
  useTitle("Import and export");
  const list = useQuery(identityQueries.projects());
  const client = useQueryClient();
  const [target, setTarget] = useState(project);
  const [file, setFile] = useState<File | null>(null);
  const [onConflict, setOnConflict] = useState<"fail" | "skip">("fail");
  const denied = useDenied()("project:import", "import bundles");
  const importer = useMutation({
    mutationFn: (bundle: File) => projects.import(target, bundle, contentTypeOf(bundle), onConflict),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: projectScope(target) });
      await client.invalidateQueries({ queryKey: keys.projects });
    },
  });
  const current = list.data?.items.find((p) => p.slug === project);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (file) importer.mutate(file);
  }

  return (
    <div className="transfer">
      <h1>Import and export</h1>
      <div className="transfer-grid">
        <section className="panel" aria-labelledby="export-title">
          <h2 id="export-title">Export {project}</h2>
          <p>
            A bundle holds every prompt of the project with all versions, labels and their history.
            Importing it into an empty project reproduces the project exactly.
            {current ? ` This project has ${current.prompt_count} prompts.` : ""}
          </p>
          <div className="row">
            <a className="btn primary" href={projects.exportUrl(project, "json")} download>
              Download JSON
            </a>
            <a className="btn" href={projects.exportUrl(project, "yaml")} download>
              Download YAML
            </a>
          </div>
        </section>
        <section className="panel" aria-labelledby="import-title">
          <h2 id="import-title">Import a bundle</h2>
          <form className="stack" onSubmit={submit}>
            <label className="field">
              <span>Bundle file (.json, .yaml)</span>
              <input
                type="file"
                accept=".json,.yaml,.yml,application/json,application/yaml"
                required
                onChange={(e) => {
                  setFile(e.target.files?.[0] ?? null);
                  importer.reset();
                }}
              />
            </label>
            <label className="field">
              <span>Into project</span>
              <select value={target} onChange={(e) => setTarget(e.target.value)}>
                {!list.data?.items.some((p) => p.slug === target) && <option value={target}>{target}</option>}
                {(list.data?.items ?? []).map((p) => (
                  <option key={p.slug} value={p.slug}>
                    {p.name || p.slug}
                  </option>
                ))}
              </select>
            </label>
            <fieldset className="radios">
              <legend>When a prompt already exists</legend>
              <label>
                <input type="radio" name="on-conflict" checked={onConflict === "fail"} onChange={() => setOnConflict("fail")} />
                Stop and import nothing
              </label>
              <label>
                <input type="radio" name="on-conflict" checked={onConflict === "skip"} onChange={() => setOnConflict("skip")} />
                Skip it and import the rest
              </label>
            </fieldset>
            <div className="row">
              <button
                type="submit"
                className="btn primary"
                disabled={!file || importer.isPending || !!denied}
                aria-describedby={denied ? "import-denied" : undefined}
              >
                {importer.isPending ? "Importing…" : "Import"}
              </button>
            </div>
            {denied && (
              <p id="import-denied" className="hint">
                {denied}
              </p>
            )}
          </form>
          <div aria-live="polite">
            {importer.error ? <ImportError error={importer.error} /> : null}
            {importer.data && (
              <div className="notice ok" data-testid="import-result">
                <p>
                  Imported {importer.data.created.length} prompt{importer.data.created.length === 1 ? "" : "s"}
                  {importer.data.skipped.length > 0 && `, skipped ${importer.data.skipped.length} that already existed`}.
                </p>
                {importer.data.created.length > 0 && <p>Created: {importer.data.created.join(", ")}</p>}
                {importer.data.skipped.length > 0 && <p>Skipped: {importer.data.skipped.join(", ")}</p>}
                <Link to={`/p/${encodeURIComponent(target)}`}>Open the {target} library</Link>
              </div>
            )}
          </div>
        </section>
      </div>
    </div>
  );
}

/** The server's refusal, in the words of this form: a name conflict points at "Skip it". */
function ImportError({ error }: { error: unknown }) {
  const existing = error instanceof ApiError ? (error.details as { existing?: string[] } | null)?.existing : undefined;
  if (!existing?.length) return <ErrorMessage error={error} title="Nothing was imported." />;
  return (
    <div className="notice error" role="alert">
      <strong>Nothing was imported.</strong>
      <span>
        {existing.length === 1 ? "1 prompt already exists" : `${existing.length} prompts already exist`} in this project:{" "}
        {existing.join(", ")}. To import the others, choose “Skip it and import the rest” under “When a prompt already
        exists” and import again.
      </span>
    </div>
  );
}
