import { describe, expect, it } from "vitest";
import { chartData, formatCost, formatMs, generationsLink, groupLabel, rangeOf } from "./model";

describe("analytics model", () => {
  it("builds ranges ending on the next whole minute", () => {
    const now = Date.parse("2026-11-20T12:00:30Z");
    const r = rangeOf("24h", now);
    expect(r.until).toBe("2026-11-20T12:01:00.000Z");
    expect(r.since).toBe("2026-11-19T12:01:00.000Z");
    expect(r.bucket).toBe("hour");
    expect(rangeOf("30d", now).bucket).toBe("day");
  });

  it("links a chart point to the generations of its bucket and group", () => {
    const href = generationsLink("default", "2026-11-20T10:00:00Z", "hour", { model: "gpt-4o", version: "3" });
    const url = new URL(href, "http://x");
    expect(url.pathname).toBe("/p/default/generations");
    expect(url.searchParams.get("model")).toBe("gpt-4o");
    expect(url.searchParams.get("version")).toBe("3");
    const since = Date.parse(url.searchParams.get("since") ?? "");
    const until = Date.parse(url.searchParams.get("until") ?? "");
    expect(until - since).toBe(3600_000);
    expect(since).toBe(Date.parse("2026-11-20T10:00:00Z"));
  });

  it("leaves out the empty version and unknown dimensions", () => {
    const url = new URL(generationsLink("p", "2026-11-20T00:00:00Z", "day", { version: "0", tag: "eu" }), "http://x");
    expect(url.searchParams.has("version")).toBe(false);
    expect(url.searchParams.has("tag")).toBe(false);
  });

  it("formats figures and labels", () => {
    expect(formatCost(1234.5)).toBe("$1,234.50");
    expect(formatCost(0.00123)).toBe("$0.0012");
    expect(formatCost(null)).toBe("–");
    expect(formatMs(850)).toBe("850 ms");
    expect(formatMs(1850)).toBe("1.85 s");
    expect(groupLabel({ version: "2", model: "" })).toBe("v2 · (no model)");
    expect(groupLabel({})).toBe("all");
  });

  it("turns points into uPlot columns with seconds on x", () => {
    const data = chartData(["2026-11-20T00:00:00Z"], [[3], [undefined]]);
    expect(data).toEqual([[Date.parse("2026-11-20T00:00:00Z") / 1000], [3], [null]]);
  });
});
