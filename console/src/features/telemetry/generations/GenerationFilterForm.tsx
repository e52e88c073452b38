import { useState, type FormEvent } from "react";
import { EMPTY_FILTERS, RANGES, STATUSES, type GenerationFilters, type TextField } from "../filters";

const TEXT_LABELS: Record<TextField, { label: string; placeholder?: string; type?: string }> = {
  q: { label: "Search text", placeholder: "in input and output", type: "search" },
  prompt: { label: "Prompt", placeholder: "prompt name" },
  version: { label: "Version", type: "number" },
  model: { label: "Model", placeholder: "e.g. gpt-4o-mini" },
  provider: { label: "Provider", placeholder: "e.g. openai" },
  user: { label: "User", placeholder: "user id" },
  session: { label: "Session", placeholder: "session id" },
  feature: { label: "Feature" },
  agent: { label: "Agent" },
};

interface Props {
  filters: GenerationFilters;
  onApply: (filters: GenerationFilters) => void;
}

/** The explorer's filters as a form: applied together, so typing sends no request. */
export function GenerationFilterForm({ filters, onApply }: Props) {
  const [draft, setDraft] = useState(filters);
  // The address changed (back, forward, a link): show what it says.
  const [shown, setShown] = useState(filters);
  if (shown !== filters && JSON.stringify(shown) !== JSON.stringify(filters)) {
    setShown(filters);
    setDraft(filters);
  }
  const set = (patch: Partial<GenerationFilters>) => setDraft({ ...draft, ...patch });

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft);
  }
  function clear() {
    setDraft(EMPTY_FILTERS);
    onApply(EMPTY_FILTERS);
  }

  return (
    <form className="filters panel gen-filters" role="search" aria-label="Filter generations" onSubmit={submit}>
      {(Object.keys(TEXT_LABELS) as TextField[]).map((field) => {
        const { label, placeholder, type } = TEXT_LABELS[field];
        return (
          <label key={field} className={field === "q" ? "field grow" : "field"}>
            <span>{label}</span>
            <input
              type={type ?? "text"}
              value={draft[field]}
              placeholder={placeholder}
              min={type === "number" ? 1 : undefined}
              step={type === "number" ? 1 : undefined}
              onChange={(e) => set({ [field]: e.target.value })}
            />
          </label>
        );
      })}
      <label className="field">
        <span>Status</span>
        <select value={draft.status} onChange={(e) => set({ status: e.target.value as GenerationFilters["status"] })}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Time range</span>
        <select value={draft.range} onChange={(e) => set({ range: e.target.value as GenerationFilters["range"] })}>
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>From</span>
        <input type="datetime-local" value={draft.since} onChange={(e) => set({ since: e.target.value })} />
      </label>
      <label className="field">
        <span>Until</span>
        <input type="datetime-local" value={draft.until} onChange={(e) => set({ until: e.target.value })} />
      </label>
      <div className="row">
        <button type="submit" className="btn primary">
          Apply filters
        </button>
        <button type="button" className="btn" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
