import { describe, expect, it } from "vitest";
import { formatOf, inputSummary, parseInput } from "./caseForm";

describe("caseForm", () => {
  it("tells the format from the file name", () => {
    expect(formatOf("qa.CSV")).toBe("csv");
    expect(formatOf("qa.json")).toBe("json");
    expect(formatOf("qa.jsonl")).toBe("jsonl");
    expect(formatOf("qa.ndjson")).toBe("jsonl");
  });

  it("accepts only a JSON object as input", () => {
    expect(parseInput('{"name": "Ada"}')).toEqual({ ok: true, value: { name: "Ada" } });
    expect(parseInput("")).toEqual({ ok: true, value: {} });
    const notJson = parseInput("{name}");
    expect(notJson.ok).toBe(false);
    expect(!notJson.ok && notJson.error).toMatch(/not valid JSON/);
    const list = parseInput("[1]");
    expect(!list.ok && list.error).toMatch(/JSON object/);
  });

  it("summarises an input on one line", () => {
    expect(inputSummary({ name: "Ada", n: 2 })).toBe("name: Ada · n: 2");
    expect(inputSummary({})).toBe("(no variables)");
    expect(inputSummary({ t: "x".repeat(100) }, 10)).toHaveLength(10);
  });
});
