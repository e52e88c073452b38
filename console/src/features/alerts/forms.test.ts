import { describe, expect, it } from "vitest";
import { budgetBar, budgetBody, emptyBudget, emptyRule, ruleBody } from "./forms";

describe("budgetBody", () => {
  it("builds a project budget with its thresholds", () => {
    const result = budgetBody({ ...emptyBudget, name: " Monthly ", amount: "500", thresholds: "50 80,100" }, "default");
    expect(result).toEqual({
      ok: true,
      body: { name: "Monthly", scope: "project", project: "default", amount: 500, period: "month", thresholds: [50, 80, 100], forecast: true },
    });
  });

  it("refuses negative or absurd amounts, bad thresholds and a feature without a name", () => {
    expect(budgetBody({ ...emptyBudget, name: "b", amount: "-5" }, "p").ok).toBe(false);
    expect(budgetBody({ ...emptyBudget, name: "b", amount: "1e20" }, "p").ok).toBe(false);
    expect(budgetBody({ ...emptyBudget, name: "b", amount: "5", thresholds: "0" }, "p").ok).toBe(false);
    expect(budgetBody({ ...emptyBudget, name: "b", amount: "5", scope: "feature" }, "p").ok).toBe(false);
  });

  it("sends no project for a workspace budget", () => {
    const result = budgetBody({ ...emptyBudget, name: "all", amount: "5", scope: "workspace" }, "p");
    expect(result.ok && "project" in result.body).toBe(false);
  });
});

describe("ruleBody", () => {
  it("builds a latency rule scoped to a model", () => {
    const result = ruleBody({ ...emptyRule, name: "slow", kind: "latency_p95", threshold: "2000", model: "gpt-4o" }, "default");
    expect(result).toEqual({
      ok: true,
      body: { name: "slow", project: "default", kind: "latency_p95", threshold: 2000, window_minutes: 60, cooldown_minutes: 60, min_samples: 1, model: "gpt-4o" },
    });
  });

  it("checks error rates and fixed baselines", () => {
    expect(ruleBody({ ...emptyRule, name: "e", kind: "error_rate", threshold: "5" }, "p").ok).toBe(false);
    expect(ruleBody({ ...emptyRule, name: "f", kind: "feedback_drop", threshold: "0.1", baseline: "fixed" }, "p").ok).toBe(false);
    const fixed = ruleBody({ ...emptyRule, name: "f", kind: "feedback_drop", threshold: "0.1", baseline: "fixed", baselineValue: "0.8" }, "p");
    expect(fixed.ok && fixed.body.baseline_value).toBe(0.8);
  });
});

describe("budgetBar", () => {
  it("caps the fill and follows the state", () => {
    expect(budgetBar({ percent: 140, state: "exceeded" })).toEqual({ fill: 100, tone: "bad" });
    expect(budgetBar({ percent: 30, state: "at_risk" })).toEqual({ fill: 30, tone: "warn" });
    expect(budgetBar({ percent: 10, state: "ok" })).toEqual({ fill: 10, tone: "ok" });
  });
});
