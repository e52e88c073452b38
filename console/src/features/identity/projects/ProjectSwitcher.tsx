import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { projects } from "../../../api/endpoints";
import { keys } from "../../../api/keys";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { useCan } from "../../../lib/permissions";
import { identityQueries } from "../queries";

export const LAST_PROJECT_KEY = "promptyard.project";

export function ProjectSwitcher({ project }: { project: string }) {
  const list = useQuery(identityQueries.projects());
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const can = useCan();
  const items = list.data?.items ?? [];
  const known = items.some((p) => p.slug === project);

  function go(slug: string) {
    localStorage.setItem(LAST_PROJECT_KEY, slug);
    navigate(`/p/${encodeURIComponent(slug)}`);
  }

  return (
    <div className="project-switcher">
      <label className="inline-field">
        <span>Project</span>
        <select value={project} onChange={(e) => go(e.target.value)}>
          {!known && <option value={project}>{project}</option>}
          {items.map((p) => (
            <option key={p.slug} value={p.slug}>
              {p.name || p.slug}
            </option>
          ))}
        </select>
      </label>
      {can("project:write") && (
        <button type="button" className="btn small" onClick={() => setCreating(true)}>
          New project
        </button>
      )}
      {creating && <NewProjectDialog onClose={() => setCreating(false)} onCreated={go} />}
    </div>
  );
}

function NewProjectDialog(props: { onClose: () => void; onCreated: (slug: string) => void }) {
  const [ownSlug, setOwnSlug] = useState<string | null>(null);
  const [name, setName] = useState("");
  // The slug follows the name until the user edits it.
  const slug = ownSlug ?? slugify(name);
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () => projects.create({ slug, name: name || slug }),
    onSuccess: async (created) => {
      await client.invalidateQueries({ queryKey: keys.projects });
      props.onClose();
      props.onCreated(created.slug);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <Dialog title="New project" onClose={props.onClose}>
      <form onSubmit={submit} className="stack">
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} data-autofocus />
        </label>
        <label className="field">
          <span>Slug</span>
          <input
            required
            pattern="[a-z0-9][a-z0-9_\-]*"
            value={slug}
            onChange={(e) => setOwnSlug(e.target.value)}
            aria-describedby="slug-hint"
          />
        </label>
        <p id="slug-hint" className="hint">
          Made from the name unless you change it. Lower-case letters, digits, "-" and "_"; used in URLs
          and in <code>?project=</code>.
        </p>
        {create.error ? <ErrorMessage error={create.error} /> : null}
        <div className="row end">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={create.isPending}>
            Create project
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** "Support Bot (EU)" → "support-bot-eu": what the slug pattern accepts. */
function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .slice(0, 64)
    .replace(/^[-_]+|-+$/g, "");
}
