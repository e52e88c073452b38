import { describe, expect, it } from "vitest";
import type { Rule } from "./api";
import { budgetBar, budgetBody, emptyBudget, emptyRule, ruleBody, ruleForm, THRESHOLD_UNIT } from "./forms";

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

  it("builds an eval_score rule: the score watched and its baseline", () => {
    const result = ruleBody({ ...emptyRule, name: "helpfulness", kind: "eval_score", score: " helpful ", threshold: "0.1", prompt: "support-reply" }, "default");
    expect(result).toEqual({
      ok: true,
      body: {
        name: "helpfulness",
        project: "default",
        kind: "eval_score",
        score: "helpful",
        threshold: 0.1,
        window_minutes: 60,
        cooldown_minutes: 60,
        min_samples: 1,
        prompt: "support-reply",
        baseline: "previous_window",
      },
    });
    const fixed = ruleBody({ ...emptyRule, name: "h", kind: "eval_score", score: "helpful", threshold: "0.1", baseline: "fixed", baselineValue: "0.85" }, "p");
    expect(fixed.ok && [fixed.body.baseline, fixed.body.baseline_value]).toEqual(["fixed", 0.85]);
  });

  it("requires the score of an eval_score rule and sends it for no other kind", () => {
    const missing = ruleBody({ ...emptyRule, name: "h", kind: "eval_score", score: "  ", threshold: "0.1" }, "p");
    expect(missing).toEqual({
      ok: false,
      error: "Name the score to watch: an online evaluator's name, or a score name recorded on generations.",
    });
    const noBaseline = ruleBody({ ...emptyRule, name: "h", kind: "eval_score", score: "helpful", threshold: "0.1", baseline: "fixed" }, "p");
    expect(noBaseline.ok).toBe(false);
    expect(!noBaseline.ok && noBaseline.error).toMatch(/fixed baseline needs its value/);
    const cost = ruleBody({ ...emptyRule, name: "c", kind: "cost", score: "helpful", threshold: "5" }, "p");
    expect(cost.ok && ("score" in cost.body || "baseline" in cost.body)).toBe(false);
    expect(THRESHOLD_UNIT.eval_score).toMatch(/fall/);
  });
});

describe("ruleForm", () => {
  const RULE: Rule = {
    id: 4,
    name: "helpfulness",
    project: "default",
    kind: "eval_score",
    prompt: null,
    model: "gpt-4o",
    score: "helpful",
    window_minutes: 30,
    comparison: "gte",
    threshold: 0.15,
    baseline: "fixed",
    baseline_value: 0.9,
    min_samples: 1,
    cooldown_minutes: 10,
    channel_ids: [],
    active: true,
    created_at: "2026-03-01T00:00:00Z",
    created_by: "admin",
    last_evaluated_at: null,
    last_value: null,
    firing: false,
  };

  it("round-trips an eval_score rule through the form", () => {
    const form = ruleForm(RULE);
    expect(form).toMatchObject({ kind: "eval_score", score: "helpful", threshold: "0.15", baseline: "fixed", baselineValue: "0.9" });
    const body = ruleBody(form, "default");
    expect(body.ok && body.body).toMatchObject({ kind: "eval_score", score: "helpful", threshold: 0.15, model: "gpt-4o", baseline: "fixed", baseline_value: 0.9, window_minutes: 30, cooldown_minutes: 10 });
  });

  it("leaves the score empty for other kinds", () => {
    expect(ruleForm({ ...RULE, kind: "cost", score: null, baseline: null, baseline_value: null }).score).toBe("");
  });
});

describe("budgetBar", () => {
  it("caps the fill and follows the state", () => {
    expect(budgetBar({ percent: 140, state: "exceeded" })).toEqual({ fill: 100, tone: "bad" });
    expect(budgetBar({ percent: 30, state: "at_risk" })).toEqual({ fill: 30, tone: "warn" });
    expect(budgetBar({ percent: 10, state: "ok" })).toEqual({ fill: 10, tone: "ok" });
  });
});
