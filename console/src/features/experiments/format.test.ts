import { describe, expect, it } from "vitest";
import { chartGeometry, pValue, signed, toExperimentCreate, toPowerRequest, type DesignForm } from "./format";

const form: DesignForm = {
  name: "tone",
  prompt: "greeting",
  unit: "user",
  variants: [
    { name: "control", label: "production", weight: "1" },
    { name: "friendly", label: "candidate", weight: "1" },
    { name: "", label: "", weight: "" },
  ],
  primaryMetric: "feedback",
  metrics: "meta:resolved, latency",
  guardrails: ["cost", "error_rate"],
  baseline: "0.5",
  sd: "",
  mde: "0.1",
};

describe("the experiment designer", () => {
  it("builds the request body, dropping empty variant rows", () => {
    const body = toExperimentCreate(form);
    expect(body.variants).toEqual([
      { name: "control", label: "production", weight: 1 },
      { name: "friendly", label: "candidate", weight: 1 },
    ]);
    expect(body.metrics).toEqual(["meta:resolved", "latency"]);
    expect(body.design).toEqual({ baseline: 0.5, mde: 0.1 });
  });

  it("refuses an incomplete design with a reason", () => {
    expect(() => toExperimentCreate({ ...form, variants: form.variants.slice(0, 1) })).toThrow(/at least one variant/);
    expect(() => toExperimentCreate({ ...form, mde: "lots" })).toThrow(/mde must be a number/);
    expect(() => toExperimentCreate({ ...form, name: " " })).toThrow(/name/);
  });

  it("asks the calculator for a rate or a mean", () => {
    expect(toPowerRequest(form)).toEqual({ kind: "proportion", baseline: 0.5, mde: 0.1, variants: 2 });
    expect(toPowerRequest({ ...form, baseline: "4.2", sd: "1.5" })).toEqual({ kind: "mean", sd: 1.5, mde: 0.1, variants: 2 });
    expect(toPowerRequest({ ...form, mde: "" })).toBeNull();
  });
});

describe("numbers in words", () => {
  it("signs estimates and bounds p-values", () => {
    expect(signed(0.0123)).toBe("+0.0123");
    expect(signed(-2)).toBe("-2.00");
    expect(signed(null)).toBe("–");
    expect(pValue(0.0004)).toBe("< 0.001");
    expect(pValue(0.0421)).toBe("0.042");
  });

  it("keeps zero and every interval in the chart", () => {
    const points = [
      { day: "2026-11-01", variant: "b", n: 10, estimate: 0.2, ci: { low: 0, high: 0.4 }, always_valid_ci: { low: -0.3, high: 0.7 }, always_valid_p: 1 },
      { day: "2026-11-02", variant: "b", n: 20, estimate: 0.1, ci: { low: 0, high: 0.2 }, always_valid_ci: { low: 0.02, high: 0.3 }, always_valid_p: 0.01 },
    ];
    const { bands, y, zero } = chartGeometry(points, 300, 100);
    expect(bands.map((b) => b.x)).toEqual([0, 300]);
    expect(y(0.7)).toBeCloseTo(0);
    expect(y(-0.3)).toBeCloseTo(100);
    expect(zero).toBeCloseTo(70);
  });
});
