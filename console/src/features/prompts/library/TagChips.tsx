import type { Tag } from "../../../api/types";

interface Props {
  tags: Tag[];
  active: string[];
  onToggle: (tag: string) => void;
}

export function TagChips({ tags, active, onToggle }: Props) {
  return (
    <section aria-labelledby="tags-title" className="tag-cloud">
      <h2 className="side-title" id="tags-title">
        Tags
      </h2>
      {tags.length === 0 ? (
        <p className="hint">No tags yet. Select prompts and use “Tag” to add some.</p>
      ) : (
        <ul className="chips">
          {tags.map((tag) => {
            const on = active.includes(tag.name);
            return (
              <li key={tag.name}>
                <button
                  type="button"
                  className={on ? "chip on" : "chip"}
                  aria-pressed={on}
                  onClick={() => onToggle(tag.name)}
                >
                  {tag.name} <span className="count">{tag.count}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
