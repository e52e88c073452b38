// A trace's nodes (GET /traces/{id}: flat, each naming its parent) as the rows of the
// tree-and-timeline view: depth-first, children by start, a collapsed node's subtree
// hidden, and each row's bar placed on the trace's time axis (percentages).

export interface TreeInput {
  id: string;
  parent_id: string | null;
  start_time: string;
  duration_ms: number | null;
}

export interface TreeRow<T extends TreeInput> {
  node: T;
  depth: number;
  /** Ids of the children, in start order. */
  children: string[];
  /** The bar: left edge and width, in percent of the trace's duration. */
  left: number;
  width: number;
}

/** The shortest bar drawn, in percent: a span of a few microseconds stays visible. */
export const MIN_BAR = 0.5;

/** Rows in tree order. A node whose parent is not in the trace is a root; a cycle is
 * broken at its earliest node. ``collapsed``: ids whose descendants are hidden. */
export function buildRows<T extends TreeInput>(nodes: readonly T[], collapsed: ReadonlySet<string> = new Set()): TreeRow<T>[] {
  if (nodes.length === 0) return [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ordered = [...nodes].sort((a, b) => startOf(a) - startOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kids = new Map<string | null, T[]>();
  for (const n of ordered) {
    const parent = n.parent_id !== null && n.parent_id !== n.id && byId.has(n.parent_id) ? n.parent_id : null;
    const list = kids.get(parent);
    if (list) list.push(n);
    else kids.set(parent, [n]);
  }
  const start = Math.min(...ordered.map(startOf));
  const end = Math.max(...ordered.map((n) => startOf(n) + (n.duration_ms ?? 0)));
  const total = Math.max(end - start, 1e-3);
  const rows: TreeRow<T>[] = [];
  const seen = new Set<string>();

  const walk = (root: T) => {
    const stack: [T, number, boolean][] = [[root, 0, false]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [node, depth, hidden] = item;
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      const children = (kids.get(node.id) ?? []).filter((k) => !seen.has(k.id));
      if (!hidden) {
        const left = Math.min(((startOf(node) - start) / total) * 100, 100 - MIN_BAR);
        const width = Math.min(Math.max(((node.duration_ms ?? 0) / total) * 100, MIN_BAR), 100 - left);
        rows.push({ node, depth, children: children.map((k) => k.id), left, width });
      }
      const hideKids = hidden || collapsed.has(node.id);
      for (const child of [...children].reverse()) stack.push([child, depth + 1, hideKids]);
    }
  };
  for (const root of kids.get(null) ?? []) walk(root);
  for (const n of ordered) if (!seen.has(n.id)) walk(n); // only nodes in a cycle are left
  return rows;
}

function startOf(n: TreeInput): number {
  return Date.parse(n.start_time);
}
