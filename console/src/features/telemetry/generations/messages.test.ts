import { describe, expect, it } from "vitest";
import { contentText, toMessages } from "./messages";

describe("input messages", () => {
  it("shows roles and text, parts joined, the rest as JSON", () => {
    const shown = toMessages([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Hi" }, { type: "text", content: "there" }] },
      { role: "assistant", content: null, tool_calls: [{ id: "c1" }] },
      { content: "no role" },
    ]);
    expect(shown.map((m) => m.role)).toEqual(["system", "user", "assistant", "message"]);
    expect(shown[1]!.text).toBe("Hi\nthere");
    expect(shown[2]!.text).toBe("");
    expect(JSON.parse(shown[2]!.extra)).toEqual({ tool_calls: [{ id: "c1" }] });
    expect(shown[0]!.extra).toBe("");
  });

  it("never hides content it does not understand", () => {
    expect(contentText([{ type: "image_url", image_url: { url: "x" } }])).toContain("image_url");
    expect(contentText({ a: 1 })).toContain('"a": 1');
  });
});
