// The create form's rubric criteria: one per line, "name: description".
import type { components } from "../../../api/schema";

type Criterion = components["schemas"]["Criterion"];

/** Criteria from lines of "name: description" (blank lines ignored; a line without a
 * colon is a name that is its own description). */
export function parseCriteria(text: string): Criterion[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(":");
      const name = (at < 0 ? line : line.slice(0, at)).trim();
      const description = (at < 0 ? line : line.slice(at + 1)).trim() || name;
      return { name, description, weight: 1 };
    });
}
