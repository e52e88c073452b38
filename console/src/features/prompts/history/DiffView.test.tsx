import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Diff } from "../../../api/types";
import { DiffView } from "./DiffView";

const textDiff: Diff = {
  from: 1,
  to: 3,
  type_changed: false,
  spans: [
    { op: "equal", text: "Hello " },
    { op: "delete", text: "world" },
    { op: "insert", text: "{{ name }}" },
    { op: "equal", text: ", how are you?" },
  ],
  unified: "--- greeting@v1\n+++ greeting@v3\n@@ -1 +1 @@\n-Hello world, how are you?\n+Hello {{ name }}, how are you?",
  messages: null,
  config: [{ path: "temperature", op: "changed", old: 0.7, new: 0.2 }],
  stats: { insertions: 1, deletions: 1 },
};

function entry(op: string, oldIndex: number | null, newIndex: number | null, roleOld: string | null, roleNew: string | null) {
  return {
    op,
    old_index: oldIndex,
    new_index: newIndex,
    role_old: roleOld,
    role_new: roleNew,
    kind_old: oldIndex === null ? null : ("message" as const),
    kind_new: newIndex === null ? null : ("message" as const),
    name_old: null,
    name_new: null,
  };
}

const visible = (el: HTMLElement) => {
  const clone = el.cloneNode(true) as HTMLElement;
  clone.querySelectorAll(".sr-only").forEach((n) => n.remove());
  return clone.textContent;
};

describe("DiffView", () => {
  it("shows both versions side by side with word-level highlights", () => {
    render(<DiffView diff={textDiff} mode="split" />);
    const old = screen.getByLabelText("Version 1");
    const next = screen.getByLabelText("Version 3");
    expect(visible(old)).toBe("Hello world, how are you?");
    expect(visible(next)).toBe("Hello {{ name }}, how are you?");
    expect(old.querySelector("del")).toHaveTextContent("world");
    expect(old.querySelector("ins")).toBeNull();
    expect(next.querySelector("ins")).toHaveTextContent("{{ name }}");
    expect(next.querySelector("del")).toBeNull();
  });

  it("shows one inline text with deletions and insertions", () => {
    render(<DiffView diff={textDiff} mode="inline" />);
    const pane = screen.getByLabelText("Changes from version 1 to 3");
    expect(visible(pane)).toBe("Hello world{{ name }}, how are you?");
    // screen readers hear what was removed and added
    expect(pane.querySelector("del")?.textContent).toBe("[removed: world]");
    expect(pane.querySelector("ins")?.textContent).toBe("[added: {{ name }}]");
  });

  it("lists stats, config changes and the unified diff", () => {
    render(<DiffView diff={textDiff} mode="split" />);
    expect(screen.getByText("+1")).toBeInTheDocument();
    expect(screen.getByText("−1")).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Model configuration changes" });
    const row = within(table).getByRole("row", { name: /temperature/ });
    expect(row).toHaveTextContent("changed0.70.2");
    expect(screen.getByText("Unified diff")).toBeInTheDocument();
  });

  it("diffs chat prompts message by message", () => {
    const chat: Diff = {
      ...textDiff,
      spans: [],
      config: [],
      unified: "",
      // the shape domain/diff.py produces
      messages: [
        { ...entry("equal", 0, 0, "system", "system"), spans: [{ op: "equal", text: "Be brief." }] },
        {
          ...entry("changed", 1, 1, "assistant", "user"),
          spans: [
            { op: "equal", text: "Question: " },
            { op: "insert", text: "{{ question }}" },
          ],
        },
        { ...entry("insert", null, 2, null, "assistant"), spans: [{ op: "insert", text: "Sure." }] },
        {
          ...entry("delete", 2, null, null, null),
          kind_old: "placeholder",
          name_old: "history",
          spans: [{ op: "delete", text: "{{ history }}" }],
        },
      ],
    };
    render(<DiffView diff={chat} mode="split" />);
    const items = screen.getAllByRole("listitem");
    expect(items).toHaveLength(4);
    expect(within(items[0]!).getByRole("heading")).toHaveTextContent("Message 1 (system) unchanged");
    expect(within(items[1]!).getByRole("heading")).toHaveTextContent("Message 2 (assistant → user) changed");
    expect(within(items[1]!).getByLabelText("Version 3").querySelector("ins")).toHaveTextContent("{{ question }}");
    expect(within(items[2]!).getByRole("heading")).toHaveTextContent("Message 3 (assistant) added");
    expect(within(items[3]!).getByRole("heading")).toHaveTextContent("Message 3 (placeholder history) removed");
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });

  it("says so when two versions are the same", () => {
    const same: Diff = { ...textDiff, spans: [{ op: "equal", text: "Hi" }], config: [], stats: { insertions: 0, deletions: 0 } };
    render(<DiffView diff={same} mode="inline" />);
    expect(screen.getByText("These versions have the same content and configuration.")).toBeInTheDocument();
  });
});
