// Pure helpers of the alerts page: form values → request bodies (with the reason a value
// is refused), and what a budget's bar shows.
import type { Budget, BudgetCreate, Rule, RuleCreate } from "./api";

export type Result<T> = { ok: true; body: T } | { ok: false; error: string };

export interface BudgetForm {
  name: string;
  scope: "workspace" | "project" | "feature" | "user";
  scopeValue: string;
  amount: string;
  period: "day" | "week" | "month";
  thresholds: string;
  forecast: boolean;
}

export const emptyBudget: BudgetForm = {
  name: "",
  scope: "project",
  scopeValue: "",
  amount: "",
  period: "month",
  thresholds: "50, 80, 100",
  forecast: true,
};

const MAX_AMOUNT = 1_000_000_000;

export function budgetBody(form: BudgetForm, project: string): Result<BudgetCreate> {
  const name = form.name.trim();
  if (!name) return { ok: false, error: "Give the budget a name." };
  const amount = Number(form.amount);
  if (!form.amount.trim() || !Number.isFinite(amount) || amount <= 0 || amount > MAX_AMOUNT)
    return { ok: false, error: "The amount is a positive number of USD (at most 1,000,000,000)." };
  const parts = form.thresholds.split(/[\s,]+/).filter(Boolean);
  const thresholds = parts.map(Number);
  if (thresholds.some((t) => !Number.isInteger(t) || t < 1 || t > 1000))
    return { ok: false, error: "Thresholds are whole percentages from 1 to 1000, e.g. 50, 80, 100." };
  const body: BudgetCreate = {
    name,
    scope: form.scope,
    amount,
    period: form.period,
    thresholds,
    forecast: form.forecast,
  };
  if (form.scope !== "workspace") body.project = project;
  if (form.scope === "feature" || form.scope === "user") {
    const value = form.scopeValue.trim();
    if (!value) return { ok: false, error: `Name the ${form.scope} this budget is for.` };
    body.scope_value = value;
  }
  return { ok: true, body };
}

export interface RuleForm {
  name: string;
  kind: "cost" | "latency_p95" | "error_rate" | "feedback_drop" | "eval_score";
  /** eval_score: the score watched (an online evaluator's name, or a score name). */
  score: string;
  threshold: string;
  windowMinutes: string;
  cooldownMinutes: string;
  prompt: string;
  model: string;
  baseline: "previous_window" | "fixed";
  baselineValue: string;
}

export const emptyRule: RuleForm = {
  name: "",
  kind: "cost",
  score: "",
  threshold: "",
  windowMinutes: "60",
  cooldownMinutes: "60",
  prompt: "",
  model: "",
  baseline: "previous_window",
  baselineValue: "",
};

export function ruleForm(rule: Rule): RuleForm {
  return {
    name: rule.name,
    kind: rule.kind as RuleForm["kind"],
    score: rule.score ?? "",
    threshold: String(rule.threshold),
    windowMinutes: String(rule.window_minutes),
    cooldownMinutes: String(rule.cooldown_minutes),
    prompt: rule.prompt ?? "",
    model: rule.model ?? "",
    baseline: rule.baseline ?? "previous_window",
    baselineValue: rule.baseline_value == null ? "" : String(rule.baseline_value),
  };
}

export const THRESHOLD_UNIT: Record<RuleForm["kind"], string> = {
  cost: "USD in the window",
  latency_p95: "ms",
  error_rate: "share of calls, 0 to 1",
  feedback_drop: "fall of the mean score (0 to 1 scale)",
  eval_score: "fall of the score's mean, on its own scale",
};

/** The kinds measured as a fall from a baseline (previous window or a fixed value). */
export const DROP_KINDS: readonly RuleForm["kind"][] = ["feedback_drop", "eval_score"];

export const isDropKind = (kind: string): boolean => (DROP_KINDS as readonly string[]).includes(kind);

function whole(text: string, min: number, max: number): number | null {
  const n = Number(text);
  return text.trim() && Number.isInteger(n) && n >= min && n <= max ? n : null;
}

export function ruleBody(form: RuleForm, project: string): Result<RuleCreate> {
  const name = form.name.trim();
  if (!name) return { ok: false, error: "Give the rule a name." };
  const threshold = Number(form.threshold);
  if (!form.threshold.trim() || !Number.isFinite(threshold) || threshold < 0 || threshold > MAX_AMOUNT)
    return { ok: false, error: "The threshold is a number of at least 0." };
  if (form.kind === "error_rate" && threshold > 1)
    return { ok: false, error: "An error rate threshold is a share from 0 to 1 (0.05 is 5 %)." };
  const window = whole(form.windowMinutes, 1, 43_200);
  if (window === null) return { ok: false, error: "The window is 1 to 43,200 minutes." };
  const cooldown = whole(form.cooldownMinutes, 0, 43_200);
  if (cooldown === null) return { ok: false, error: "The cool-down is 0 to 43,200 minutes." };
  const body: RuleCreate = {
    name,
    project,
    kind: form.kind,
    threshold,
    window_minutes: window,
    cooldown_minutes: cooldown,
    min_samples: 1,
  };
  if (form.prompt.trim()) body.prompt = form.prompt.trim();
  if (form.model.trim()) body.model = form.model.trim();
  if (form.kind === "eval_score") {
    const score = form.score.trim();
    if (!score)
      return {
        ok: false,
        error: "Name the score to watch: an online evaluator's name, or a score name recorded on generations.",
      };
    body.score = score;
  }
  if (isDropKind(form.kind)) {
    body.baseline = form.baseline;
    if (form.baseline === "fixed") {
      const value = Number(form.baselineValue);
      if (!form.baselineValue.trim() || !Number.isFinite(value) || Math.abs(value) > MAX_AMOUNT)
        return {
          ok: false,
          error:
            form.kind === "feedback_drop"
              ? "A fixed baseline needs its value (the usual mean score, 0 to 1)."
              : "A fixed baseline needs its value (the score's usual mean, e.g. 0.85).",
        };
      body.baseline_value = value;
    }
  }
  return { ok: true, body };
}

/** The share of the bar to fill (0–100) and its tone. */
export function budgetBar(budget: Pick<Budget, "percent" | "state">): { fill: number; tone: "ok" | "warn" | "bad" } {
  const fill = Math.max(0, Math.min(100, budget.percent));
  const tone = budget.state === "exceeded" ? "bad" : budget.state === "ok" ? "ok" : "warn";
  return { fill, tone };
}

export const STATE_LABEL: Record<Budget["state"], string> = {
  ok: "On track",
  warning: "Threshold crossed",
  at_risk: "Forecast to exceed",
  exceeded: "Exceeded",
};
