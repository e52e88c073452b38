import type { Tag } from "../../../api/types";
import { useRovingTabIndex } from "../../../components/useRovingTabIndex";

interface Props {
  tags: Tag[];
  active: string[];
  onToggle: (tag: string) => void;
}

/** One tab stop: the arrow keys move between the tags, Enter or Space toggles one. */
export function TagChips({ tags, active, onToggle }: Props) {
  const firstOn = tags.findIndex((t) => active.includes(t.name));
  const roving = useRovingTabIndex(tags.length, Math.max(firstOn, 0));
  return (
    <section aria-labelledby="tags-title" className="tag-cloud">
      <h2 className="side-title" id="tags-title">
        Tags
      </h2>
      {tags.length === 0 ? (
        <p className="hint">No tags yet. Select prompts and use “Tag” to add some.</p>
      ) : (
        <ul className="chips" onKeyDown={roving.onKeyDown}>
          {tags.map((tag, index) => {
            const on = active.includes(tag.name);
            return (
              <li key={tag.name}>
                <button
                  type="button"
                  {...roving.item(index)}
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
