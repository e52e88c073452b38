import { describe, expect, it } from "vitest";
import type { Finding } from "./api";
import {
  bandShares,
  countsText,
  describeLocation,
  findingMarks,
  formatCost,
  safeText,
  scoreBand,
  sortFindings,
  trendPoints,
} from "./findings";

function finding(over: Partial<Finding>): Finding {
  return {
    rule: "no-task",
    category: "quality",
    severity: "low",
    title: "No stated task",
    detail: "",
    suggestion: "Say what to do.",
    field: "content",
    message_index: null,
    role: null,
    line: 1,
    column: 1,
    end_line: 1,
    end_column: 5,
    ...over,
  };
}

describe("findings", () => {
  it("sorts by severity, then reading order", () => {
    const sorted = sortFindings([
      finding({ rule: "a", severity: "low", line: 1 }),
      finding({ rule: "b", severity: "high", line: 9 }),
      finding({ rule: "c", severity: "high", line: 2 }),
      finding({ rule: "d", severity: "info" }),
    ]);
    expect(sorted.map((f) => f.rule)).toEqual(["c", "b", "a", "d"]);
  });

  it("places marks in the text or in their chat message, with ranges and severities", () => {
    const marks = findingMarks([
      finding({ severity: "high", line: 2, column: 3, end_line: 2, end_column: 9 }),
      finding({ severity: "medium", message_index: 1, field: "content[1].content" }),
    ]);
    expect(marks.text).toEqual([
      expect.objectContaining({ line: 2, column: 3, endLine: 2, endColumn: 9, severity: "error" }),
    ]);
    expect(marks.messages[1]).toEqual([expect.objectContaining({ severity: "warning" })]);
    expect(marks.text[0]?.message).toContain("No stated task (no-task, high): Say what to do.");
  });

  it("never shows a long key in full", () => {
    const key = "sk-proj-" + "Qw3rTy7uI9oP".repeat(4);
    const shown = safeText(`found ${key} here`);
    expect(shown).not.toContain(key.slice(4, 30));
    expect(shown).toContain("found sk-p…");
    expect(safeText("short words stay")).toBe("short words stay");
  });

  it("describes locations, scores and counts", () => {
    expect(describeLocation(finding({ message_index: 0, line: 3, column: 4 }))).toBe("message 1, line 3, column 4");
    expect(describeLocation(finding({ line: 2, column: 1 }))).toBe("line 2, column 1");
    expect([scoreBand(95), scoreBand(80), scoreBand(79), scoreBand(49)]).toEqual(["good", "good", "fair", "poor"]);
    expect(countsText({ high: 1, medium: 0, low: 2 })).toBe("1 high, 2 low");
    expect(countsText({})).toBe("no findings");
  });

  it("formats costs, known or not", () => {
    expect(formatCost(0.0123)).toBe("$0.0123");
    expect(formatCost(0.000123)).toBe("$0.000123");
    expect(formatCost(0)).toBe("$0");
    expect(formatCost(null)).toBe("unknown (no price for this model)");
    expect(formatCost(1.5, "EUR")).toBe("EUR 1.5000");
  });

  it("draws trends and bands", () => {
    expect(trendPoints([0, 50, 100], 100, 50)).toBe("0,50 50,25 100,0");
    expect(trendPoints([70], 100, 50)).toBe("50,15");
    expect(trendPoints([], 100, 50)).toBe("");
    expect(bandShares({ "0-9": 1, "10-19": 4, "20-29": 0 })).toEqual([
      { band: "0-9", count: 1, share: 0.25 },
      { band: "10-19", count: 4, share: 1 },
      { band: "20-29", count: 0, share: 0 },
    ]);
    expect(bandShares({ a: 0 })[0]?.share).toBe(0);
  });
});
