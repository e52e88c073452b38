import { Link } from "react-router";
import type { PromptSummary } from "../../../api/types";
import { LifecycleBadge } from "../../../components/LifecycleBadge";
import { absoluteTime, relativeTime } from "../../../lib/format";

interface Props {
  project: string;
  items: PromptSummary[];
  sort: string;
  onSort: (sort: string) => void;
  selected: Set<string>;
  onToggle: (name: string) => void;
  onToggleAll: (on: boolean) => void;
}

function SortHeader(props: {
  label: string;
  field: string;
  sort: string;
  onSort: (s: string) => void;
  className?: string;
}) {
  const { label, field, sort, onSort, className } = props;
  const current = sort === field ? "ascending" : sort === `-${field}` ? "descending" : "none";
  const next = current === "ascending" ? `-${field}` : field;
  return (
    <th scope="col" aria-sort={current} className={className}>
      <button type="button" className="sort" onClick={() => onSort(next)}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {current === "ascending" ? "▲" : current === "descending" ? "▼" : "↕"}
        </span>
      </button>
    </th>
  );
}

export function PromptTable(props: Props) {
  const { project, items, sort, onSort, selected, onToggle, onToggleAll } = props;
  const allOn = items.length > 0 && items.every((p) => selected.has(p.name));
  return (
    <div className="table-wrap">
      <table className="prompts">
        <caption className="sr-only">Prompts</caption>
        <thead>
          <tr>
            <th scope="col" className="check">
              <input
                type="checkbox"
                aria-label="Select all prompts on this page"
                checked={allOn}
                onChange={(e) => onToggleAll(e.target.checked)}
              />
            </th>
            <SortHeader label="Name" field="name" sort={sort} onSort={onSort} />
            <th scope="col" className="col-type">
              Type
            </th>
            <th scope="col">Labels</th>
            <th scope="col" className="col-num">
              Latest
            </th>
            <th scope="col" className="col-by">
              Updated by
            </th>
            <SortHeader label="Updated" field="updated_at" sort={sort} onSort={onSort} className="col-updated" />
          </tr>
        </thead>
        <tbody>
          {items.map((prompt) => (
            <PromptRow
              key={prompt.name}
              project={project}
              prompt={prompt}
              checked={selected.has(prompt.name)}
              onToggle={onToggle}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PromptRow(props: {
  project: string;
  prompt: PromptSummary;
  checked: boolean;
  onToggle: (name: string) => void;
}) {
  const { project, prompt, checked, onToggle } = props;
  const labels = Object.entries(prompt.labels ?? {}).filter(([name]) => name !== "latest");
  return (
    <tr className={checked ? "selected" : undefined} data-testid="prompt-row">
      <td className="check">
        <input
          type="checkbox"
          aria-label={`Select ${prompt.name}`}
          checked={checked}
          onChange={() => onToggle(prompt.name)}
        />
      </td>
      <td className="name-cell">
        <Link
          to={`/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(prompt.name)}`}
          className="prompt-link"
        >
          {prompt.name}
        </Link>
        {(prompt.lifecycle === "deprecated" || prompt.lifecycle === "archived") && (
          <>
            {" "}
            <LifecycleBadge state={prompt.lifecycle} />
          </>
        )}
        {prompt.folder && <span className="folder">{prompt.folder}/</span>}
        <span className="mobile-meta">
          v{prompt.latest_version} · {relativeTime(prompt.updated_at)}
        </span>
        {prompt.tags.length > 0 && (
          <span className="row-tags">
            {prompt.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </span>
        )}
      </td>
      <td className="col-type">
        <span className={`type type-${prompt.type}`}>{prompt.type}</span>
      </td>
      <td>
        {labels.length === 0 ? (
          <span className="muted">–</span>
        ) : (
          labels.map(([name, version]) => (
            <span key={name} className={`label label-${name}`}>
              {name} <span className="label-v">v{version}</span>
            </span>
          ))
        )}
      </td>
      <td className="col-num">v{prompt.latest_version}</td>
      <td className="col-by">{prompt.updated_by}</td>
      <td className="col-updated">
        <time dateTime={prompt.updated_at} title={absoluteTime(prompt.updated_at)}>
          {relativeTime(prompt.updated_at)}
        </time>
      </td>
    </tr>
  );
}
