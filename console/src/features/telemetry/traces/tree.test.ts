import { describe, expect, it } from "vitest";
import { buildRows, MIN_BAR, type TreeInput } from "./tree";

const T0 = Date.parse("2026-12-01T10:00:00Z");
function node(id: string, parent: string | null, startMs: number, durationMs: number | null): TreeInput {
  return { id, parent_id: parent, start_time: new Date(T0 + startMs).toISOString(), duration_ms: durationMs };
}

describe("buildRows", () => {
  const nodes = [
    node("llm2", "root", 600, 300),
    node("root", null, 0, 1000),
    node("tool", "root", 100, 200),
    node("llm1", "tool", 150, 100),
  ];

  it("orders depth-first with children by start and sets depths", () => {
    const rows = buildRows(nodes);
    expect(rows.map((r) => [r.node.id, r.depth])).toEqual([
      ["root", 0],
      ["tool", 1],
      ["llm1", 2],
      ["llm2", 1],
    ]);
    expect(rows[0]?.children).toEqual(["tool", "llm2"]);
  });

  it("places bars on the trace's time axis", () => {
    const rows = buildRows(nodes);
    const bar = (id: string) => rows.find((r) => r.node.id === id);
    expect(bar("root")?.left).toBe(0);
    expect(bar("root")?.width).toBe(100);
    expect(bar("tool")?.left).toBeCloseTo(10);
    expect(bar("tool")?.width).toBeCloseTo(20);
    expect(bar("llm2")?.left).toBeCloseTo(60);
  });

  it("hides a collapsed node's descendants, not the node", () => {
    const rows = buildRows(nodes, new Set(["tool"]));
    expect(rows.map((r) => r.node.id)).toEqual(["root", "tool", "llm2"]);
  });

  it("makes orphans roots and breaks cycles", () => {
    const rows = buildRows([node("a", "missing", 0, 10), node("b", "c", 5, 1), node("c", "b", 6, 1)]);
    expect(rows.map((r) => r.node.id).sort()).toEqual(["a", "b", "c"]);
    const depth = (id: string) => rows.find((r) => r.node.id === id)?.depth;
    expect(depth("a")).toBe(0);
    expect(depth("b")).toBe(0);
    expect(depth("c")).toBe(1);
  });

  it("keeps zero-length and open spans visible", () => {
    const rows = buildRows([node("a", null, 0, 1000), node("b", "a", 1000, 0), node("c", "a", 10, null)]);
    for (const r of rows) {
      expect(r.width).toBeGreaterThanOrEqual(MIN_BAR);
      expect(r.left + r.width).toBeLessThanOrEqual(100 + 1e-9);
    }
  });

  it("is empty for no nodes", () => {
    expect(buildRows([])).toEqual([]);
  });
});
