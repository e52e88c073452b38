import type { Folder } from "../../../api/types";
import { useRovingTabIndex } from "../../../components/useRovingTabIndex";

interface Node {
  name: string;
  path: string;
  count: number;
  children: Node[];
}

/** Turns flat folder paths ("a", "a/b") into a tree; a folder's count includes its children. */
export function buildTree(folders: Folder[]): Node[] {
  const root: Node = { name: "", path: "", count: 0, children: [] };
  for (const folder of folders) {
    if (!folder.path) continue;
    let node = root;
    let path = "";
    for (const segment of folder.path.split("/")) {
      path = path ? `${path}/${segment}` : segment;
      let child = node.children.find((c) => c.name === segment);
      if (!child) {
        child = { name: segment, path, count: 0, children: [] };
        node.children.push(child);
      }
      child.count += folder.count;
      node = child;
    }
  }
  const sort = (nodes: Node[]) => {
    nodes.sort((a, b) => a.name.localeCompare(b.name));
    nodes.forEach((n) => sort(n.children));
  };
  sort(root.children);
  return root.children;
}

interface Props {
  folders: Folder[];
  total: number | undefined;
  selected: string;
  onSelect: (path: string) => void;
}

/** The folders in reading order ("" for All prompts first): the arrow keys' order. */
function flatten(nodes: Node[], into: string[] = [""]): string[] {
  for (const node of nodes) {
    into.push(node.path);
    flatten(node.children, into);
  }
  return into;
}

/** One tab stop: Tab lands on the selected folder, the arrow keys move between folders. */
export function FolderTree({ folders, total, selected, onSelect }: Props) {
  const tree = buildTree(folders);
  const order = flatten(tree);
  const roving = useRovingTabIndex(order.length, Math.max(order.indexOf(selected), 0));
  const renderNodes = (nodes: Node[]) => (
    <ul>
      {nodes.map((node) => (
        <li key={node.path}>
          <button
            type="button"
            {...roving.item(order.indexOf(node.path))}
            className="tree-item"
            aria-current={selected === node.path ? "true" : undefined}
            onClick={() => onSelect(node.path)}
          >
            <span className="tree-name">{node.name}</span>
            <span className="count" aria-label={`${node.count} prompts`}>
              {node.count}
            </span>
          </button>
          {node.children.length > 0 && renderNodes(node.children)}
        </li>
      ))}
    </ul>
  );
  return (
    <nav aria-label="Folders" className="tree" onKeyDown={roving.onKeyDown}>
      <h2 className="side-title">Folders</h2>
      <p className="sr-only" id="folders-keys">
        Use the arrow keys to move between folders.
      </p>
      <ul aria-describedby="folders-keys">
        <li>
          <button
            type="button"
            {...roving.item(0)}
            className="tree-item"
            aria-current={selected === "" ? "true" : undefined}
            onClick={() => onSelect("")}
          >
            <span className="tree-name">All prompts</span>
            {total !== undefined && <span className="count">{total}</span>}
          </button>
          {tree.length > 0 && renderNodes(tree)}
        </li>
      </ul>
    </nav>
  );
}
