import type { Variable } from "../api/types";

interface Props {
  variables: Variable[];
  values: Record<string, string>;
  onChange: (name: string, value: string) => void;
  title?: string;
}

/** One input per variable found in the template, updated as the user types. */
export function VariablesPanel({ variables, values, onChange, title = "Variables" }: Props) {
  return (
    <section className="panel" aria-labelledby="vars-title">
      <h2 id="vars-title">
        {title} <span className="count">{variables.length}</span>
      </h2>
      {variables.length === 0 ? (
        <p className="hint">
          No variables yet. Write <code>{"{{ name }}"}</code> in the template and an input for{" "}
          <code>name</code> appears here.
        </p>
      ) : (
        <ul className="vars" aria-label="Detected variables">
          {variables.map((v) => (
            <li key={v.name}>
              <label className="field">
                <span>
                  <code>{v.name}</code>
                  {!v.required && <span className="muted"> (optional)</span>}
                </span>
                <textarea
                  rows={1}
                  value={values[v.name] ?? ""}
                  placeholder="value (JSON for lists)"
                  onChange={(e) => onChange(v.name, e.target.value)}
                />
              </label>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
