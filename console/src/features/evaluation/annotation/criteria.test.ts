import { describe, expect, it } from "vitest";
import { countdown, figure, scalePoints } from "./api";
import { parseCriteria } from "./criteria";

describe("annotation helpers", () => {
  it("parses criteria lines", () => {
    expect(parseCriteria("a: first\n\n b :second one\nc")).toEqual([
      { name: "a", description: "first", weight: 1 },
      { name: "b", description: "second one", weight: 1 },
      { name: "c", description: "c", weight: 1 },
    ]);
  });
  it("counts down and formats", () => {
    expect(countdown(245)).toBe("4:05");
    expect(countdown(-3)).toBe("0:00");
    expect(scalePoints(1, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(figure(null)).toBe("—");
    expect(figure(0.4567)).toBe("0.46");
  });
});
