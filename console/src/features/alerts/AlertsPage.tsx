import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { absoluteTime, formatCost, relativeTime } from "../../lib/format";
import { useCan, useDenied } from "../../lib/permissions";
import { useTitle } from "../../lib/title";
import { alertsApi, type Alert, type Budget, type Rule } from "./api";
import {
  budgetBar,
  budgetBody,
  emptyBudget,
  emptyRule,
  isDropKind,
  ruleBody,
  ruleForm,
  STATE_LABEL,
  THRESHOLD_UNIT,
  type BudgetForm,
  type RuleForm,
} from "./forms";
import { alertKeys, alertQueries } from "./queries";
import "./alerts.css";

/** Budgets (spend against amount), alert rules and fired alerts of the workspace.
 * Everyone with alert:read sees them; editors acknowledge and silence; admins manage. */
export default function AlertsPage() {
  useTitle("Budgets and alerts");
  const can = useCan();
  if (!can("alert:read")) {
    return (
      <div className="stack">
        <h1>Budgets and alerts</h1>
        <p className="notice">Your role cannot see this workspace&apos;s budgets and alerts.</p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>Budgets and alerts</h1>
      <FiredAlerts />
      <Budgets />
      <Rules />
    </div>
  );
}

const SILENCE_CHOICES = [
  { label: "1 hour", hours: 1 },
  { label: "8 hours", hours: 8 },
  { label: "1 day", hours: 24 },
  { label: "1 week", hours: 168 },
];

function FiredAlerts() {
  const [state, setState] = useState<"open" | "all">("open");
  const fired = useQuery(alertQueries.fired(state));
  const denied = useDenied()("alert:respond", "acknowledge or silence alerts");
  const client = useQueryClient();
  const [status, setStatus] = useState("");
  const act = useMutation({
    mutationFn: async ({ alert, action, hours }: { alert: Alert; action: "ack" | "silence" | "unsilence"; hours?: number }) => {
      if (action === "ack") return alertsApi.acknowledge(alert.id);
      if (action === "unsilence") return alertsApi.unsilence(alert.id);
      return alertsApi.silence(alert.id, (hours ?? 1) * 60);
    },
    onSuccess: async (alert, { action }) => {
      await client.invalidateQueries({ queryKey: alertKeys.all });
      setStatus(
        action === "ack"
          ? `Alert “${alert.title}” acknowledged.`
          : action === "silence"
            ? `Alert “${alert.title}” silenced until ${absoluteTime(alert.silenced_until)}.`
            : `Alert “${alert.title}” notifies again.`,
      );
    },
  });
  return (
    <section className="panel stack" aria-labelledby="fired-title">
      <div className="section-head">
        <h2 id="fired-title">
          Fired alerts {fired.data ? <span className="count">{fired.data.firing} open</span> : null}
        </h2>
        <div className="segmented" role="group" aria-label="Which alerts">
          {(["open", "all"] as const).map((value) => (
            <button key={value} type="button" className="btn small" aria-pressed={state === value} onClick={() => setState(value)}>
              {value === "open" ? "Open" : "All"}
            </button>
          ))}
        </div>
      </div>
      <p className="sr-only" role="status">
        {status}
      </p>
      {status && <div className="notice ok">{status}</div>}
      {act.error ? <ErrorMessage error={act.error} /> : null}
      {denied && <p className="hint">{denied}</p>}
      {fired.error ? <ErrorMessage error={fired.error} onRetry={() => void fired.refetch()} /> : null}
      {!fired.data && !fired.error && <Loading label="Loading alerts…" />}
      {fired.data && fired.data.items.length === 0 && <p className="muted">No {state === "open" ? "open " : ""}alerts.</p>}
      {fired.data && fired.data.items.length > 0 && (
        <ul className="plain-list alert-list" aria-label="Fired alerts">
          {fired.data.items.map((alert) => (
            <li key={alert.id} className="panel alert-item" data-testid={`alert-${alert.id}`}>
              <h3>
                <span className={`badge alert-state-${alert.state}`}>{alert.state}</span> {alert.title}
              </h3>
              <p className="alert-meta">
                <span>{alert.project ? `project ${alert.project}` : "workspace"}</span>
                <span>
                  fired <time dateTime={alert.fired_at} title={absoluteTime(alert.fired_at)}>{relativeTime(alert.fired_at)}</time>
                </span>
                {alert.acknowledged_by && <span>acknowledged by {alert.acknowledged_by}</span>}
                {alert.silenced && <span>silenced until {absoluteTime(alert.silenced_until)}</span>}
                {alert.reopened > 0 && <span>came back {alert.reopened}× within the cool-down</span>}
              </p>
              {!denied && alert.state !== "resolved" && (
                <div className="alert-actions">
                  {alert.state === "firing" && (
                    <button type="button" className="btn small" disabled={act.isPending} onClick={() => act.mutate({ alert, action: "ack" })}>
                      Acknowledge
                    </button>
                  )}
                  {alert.silenced ? (
                    <button type="button" className="btn small" disabled={act.isPending} onClick={() => act.mutate({ alert, action: "unsilence" })}>
                      Unsilence
                    </button>
                  ) : (
                    <label className="inline-field">
                      <span>Silence for</span>{" "}
                      <select
                        aria-label={`Silence “${alert.title}” for`}
                        value=""
                        onChange={(event) => {
                          const hours = Number(event.target.value);
                          if (hours > 0) act.mutate({ alert, action: "silence", hours });
                        }}
                      >
                        <option value="">…</option>
                        {SILENCE_CHOICES.map((choice) => (
                          <option key={choice.hours} value={choice.hours}>
                            {choice.label}
                          </option>
                        ))}
                      </select>
                    </label>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Budgets() {
  const list = useQuery(alertQueries.budgets());
  const denied = useDenied()("alert:manage", "add or remove budgets");
  const [adding, setAdding] = useState(false);
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: (budget: Budget) => alertsApi.removeBudget(budget.id),
    onSuccess: () => client.invalidateQueries({ queryKey: alertKeys.budgets }),
  });
  return (
    <section className="panel stack" aria-labelledby="budgets-title">
      <div className="section-head">
        <h2 id="budgets-title">Budgets</h2>
        <button type="button" className="btn" disabled={denied !== null} aria-expanded={adding} onClick={() => setAdding(!adding)}>
          Add budget
        </button>
      </div>
      {denied && <p className="hint">{denied}</p>}
      {adding && <BudgetFormPanel onDone={() => setAdding(false)} />}
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading budgets…" />}
      {list.data && list.data.items.length === 0 && <p className="muted">No budgets yet.</p>}
      {remove.error ? <ErrorMessage error={remove.error} /> : null}
      {list.data && list.data.items.length > 0 && (
        <ul className="plain-list alert-list" aria-label="Budgets">
          {list.data.items.map((budget) => {
            const bar = budgetBar(budget);
            const scope =
              budget.scope === "workspace"
                ? "whole workspace"
                : budget.scope === "project"
                  ? `project ${budget.project ?? ""}`
                  : `${budget.scope} ${budget.scope_value ?? ""}${budget.project ? ` in ${budget.project}` : ""}`;
            return (
              <li key={budget.id} className="panel alert-item" data-testid={`budget-${budget.id}`}>
                <h3>
                  {budget.name} <span className="badge">{STATE_LABEL[budget.state]}</span>
                </h3>
                <div
                  className="budget-bar"
                  role="progressbar"
                  aria-label={`${budget.name}: spend of the amount`}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(bar.fill)}
                  aria-valuetext={`${budget.percent.toFixed(0)} %`}
                >
                  <span className={`tone-${bar.tone}`} style={{ width: `${bar.fill}%` }} />
                </div>
                <p className="alert-meta">
                  <span>
                    {formatCost(budget.spend)} of {formatCost(budget.amount)} this {budget.period} ({budget.percent.toFixed(0)} %)
                  </span>
                  {budget.forecast_spend != null && <span>forecast {formatCost(budget.forecast_spend)}</span>}
                  <span>{scope}</span>
                  <span>notifies at {budget.thresholds.join(", ")} %{budget.forecast ? " and on forecast" : ""}</span>
                </p>
                {!denied && (
                  <div className="alert-actions">
                    <button type="button" className="btn small danger" aria-label={`Remove budget ${budget.name}`} onClick={() => remove.mutate(budget)}>
                      Remove
                    </button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function BudgetFormPanel({ onDone }: { onDone: () => void }) {
  const { project = "default" } = useParams();
  const [form, setForm] = useState<BudgetForm>(emptyBudget);
  const [problem, setProblem] = useState("");
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: alertsApi.createBudget,
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: alertKeys.budgets });
      onDone();
    },
  });
  const set = (patch: Partial<BudgetForm>) => setForm({ ...form, ...patch });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = budgetBody(form, project);
    if (!result.ok) return setProblem(result.error);
    setProblem("");
    save.mutate(result.body);
  };
  return (
    <form className="alert-form" aria-label="New budget" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor="budget-name">Name</label>
        <input id="budget-name" value={form.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} />
      </div>
      <div className="field">
        <label htmlFor="budget-scope">For</label>
        <select id="budget-scope" value={form.scope} onChange={(e) => set({ scope: e.target.value as BudgetForm["scope"] })}>
          <option value="project">this project</option>
          <option value="workspace">the whole workspace</option>
          <option value="feature">a feature</option>
          <option value="user">a user</option>
        </select>
      </div>
      {(form.scope === "feature" || form.scope === "user") && (
        <div className="field">
          <label htmlFor="budget-value">{form.scope === "feature" ? "Feature" : "User"}</label>
          <input id="budget-value" value={form.scopeValue} onChange={(e) => set({ scopeValue: e.target.value })} maxLength={200} />
        </div>
      )}
      <div className="field">
        <label htmlFor="budget-amount">Amount (USD)</label>
        <input id="budget-amount" inputMode="decimal" value={form.amount} onChange={(e) => set({ amount: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="budget-period">Per</label>
        <select id="budget-period" value={form.period} onChange={(e) => set({ period: e.target.value as BudgetForm["period"] })}>
          <option value="day">day</option>
          <option value="week">week</option>
          <option value="month">month</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="budget-thresholds">Notify at (%)</label>
        <input id="budget-thresholds" value={form.thresholds} onChange={(e) => set({ thresholds: e.target.value })} />
      </div>
      <label className="inline-field">
        <input type="checkbox" checked={form.forecast} onChange={(e) => set({ forecast: e.target.checked })} /> Also when forecast to exceed
      </label>
      <div className="alert-actions">
        <button type="submit" className="btn primary" disabled={save.isPending}>
          Save budget
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {save.error ? <ErrorMessage error={save.error} /> : null}
    </form>
  );
}

function Rules() {
  const list = useQuery(alertQueries.rules());
  const denied = useDenied()("alert:manage", "add, change or remove alert rules");
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: (rule: Rule) => alertsApi.removeRule(rule.id),
    onSuccess: () => client.invalidateQueries({ queryKey: alertKeys.rules }),
  });
  return (
    <section className="panel stack" aria-labelledby="rules-title">
      <div className="section-head">
        <h2 id="rules-title">Alert rules</h2>
        <button type="button" className="btn" disabled={denied !== null} aria-expanded={editing === "new"} onClick={() => setEditing(editing === "new" ? null : "new")}>
          Add rule
        </button>
      </div>
      {denied && <p className="hint">{denied}</p>}
      {editing && <RuleFormPanel key={editing === "new" ? "new" : editing.id} rule={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading rules…" />}
      {list.data && list.data.items.length === 0 && <p className="muted">No alert rules yet.</p>}
      {remove.error ? <ErrorMessage error={remove.error} /> : null}
      {list.data && list.data.items.length > 0 && (
        <ul className="plain-list alert-list" aria-label="Alert rules">
          {list.data.items.map((rule) => (
            <li key={rule.id} className="panel alert-item" data-testid={`rule-${rule.id}`}>
              <h3>
                {rule.name} {rule.firing && <span className="badge alert-state-firing">firing</span>}
              </h3>
              <p className="rule-facts">
                {rule.kind} {rule.comparison} {rule.threshold} ({THRESHOLD_UNIT[rule.kind as RuleForm["kind"]] ?? ""}) over {rule.window_minutes} min ·
                {rule.score ? ` score ${rule.score} ·` : ""} project {rule.project}
                {rule.prompt ? ` · prompt ${rule.prompt}` : ""}
                {rule.model ? ` · model ${rule.model}` : ""} · cool-down {rule.cooldown_minutes} min
                {rule.last_value != null ? ` · last value ${rule.last_value.toPrecision(4)}` : ""}
              </p>
              {!denied && (
                <div className="alert-actions">
                  <button type="button" className="btn small" aria-label={`Edit rule ${rule.name}`} onClick={() => setEditing(rule)}>
                    Edit
                  </button>
                  <button type="button" className="btn small danger" aria-label={`Remove rule ${rule.name}`} onClick={() => remove.mutate(rule)}>
                    Remove
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RuleFormPanel({ rule, onDone }: { rule: Rule | null; onDone: () => void }) {
  const { project = "default" } = useParams();
  const [form, setForm] = useState<RuleForm>(rule ? ruleForm(rule) : emptyRule);
  const [problem, setProblem] = useState("");
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: async (body: ReturnType<typeof ruleBody> & { ok: true }) => {
      if (!rule) return alertsApi.createRule(body.body);
      const { name, threshold, window_minutes, cooldown_minutes, baseline, baseline_value } = body.body;
      return alertsApi.updateRule(rule.id, {
        name,
        threshold,
        window_minutes,
        cooldown_minutes,
        prompt: body.body.prompt ?? null,
        model: body.body.model ?? null,
        ...(rule.kind === "eval_score" && body.body.score ? { score: body.body.score } : {}),
        ...(isDropKind(rule.kind) ? { baseline, baseline_value: baseline_value ?? null } : {}),
      });
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: alertKeys.rules });
      onDone();
    },
  });
  const set = (patch: Partial<RuleForm>) => setForm({ ...form, ...patch });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = ruleBody(form, rule?.project ?? project);
    if (!result.ok) return setProblem(result.error);
    setProblem("");
    save.mutate(result);
  };
  return (
    <form className="alert-form" aria-label={rule ? `Edit rule ${rule.name}` : "New alert rule"} onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor="rule-name">Name</label>
        <input id="rule-name" value={form.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} />
      </div>
      <div className="field">
        <label htmlFor="rule-kind">When</label>
        <select id="rule-kind" value={form.kind} disabled={rule !== null} onChange={(e) => set({ kind: e.target.value as RuleForm["kind"] })}>
          <option value="cost">cost goes above</option>
          <option value="latency_p95">latency p95 goes above</option>
          <option value="error_rate">error rate goes above</option>
          <option value="feedback_drop">feedback falls by</option>
          <option value="eval_score">an evaluation score falls by</option>
        </select>
      </div>
      {form.kind === "eval_score" && (
        <div className="field">
          <label htmlFor="rule-score">Score name</label>
          <input
            id="rule-score"
            value={form.score}
            onChange={(e) => set({ score: e.target.value })}
            maxLength={200}
            placeholder="an evaluator's name, e.g. helpful"
            autoComplete="off"
          />
        </div>
      )}
      <div className="field">
        <label htmlFor="rule-threshold">Threshold ({THRESHOLD_UNIT[form.kind]})</label>
        <input id="rule-threshold" inputMode="decimal" value={form.threshold} onChange={(e) => set({ threshold: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="rule-window">Window (minutes)</label>
        <input id="rule-window" inputMode="numeric" value={form.windowMinutes} onChange={(e) => set({ windowMinutes: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="rule-cooldown">Cool-down (minutes)</label>
        <input id="rule-cooldown" inputMode="numeric" value={form.cooldownMinutes} onChange={(e) => set({ cooldownMinutes: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="rule-prompt">Only prompt (optional)</label>
        <input id="rule-prompt" value={form.prompt} onChange={(e) => set({ prompt: e.target.value })} maxLength={200} />
      </div>
      <div className="field">
        <label htmlFor="rule-model">Only model (optional)</label>
        <input id="rule-model" value={form.model} onChange={(e) => set({ model: e.target.value })} maxLength={200} />
      </div>
      {isDropKind(form.kind) && (
        <>
          <div className="field">
            <label htmlFor="rule-baseline">Baseline</label>
            <select id="rule-baseline" value={form.baseline} onChange={(e) => set({ baseline: e.target.value as RuleForm["baseline"] })}>
              <option value="previous_window">the previous window</option>
              <option value="fixed">a fixed value</option>
            </select>
          </div>
          {form.baseline === "fixed" && (
            <div className="field">
              <label htmlFor="rule-baseline-value">
                {form.kind === "feedback_drop" ? "Baseline score (0 to 1)" : "Baseline mean of the score"}
              </label>
              <input id="rule-baseline-value" inputMode="decimal" value={form.baselineValue} onChange={(e) => set({ baselineValue: e.target.value })} />
            </div>
          )}
        </>
      )}
      <div className="alert-actions">
        <button type="submit" className="btn primary" disabled={save.isPending}>
          Save rule
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {save.error ? <ErrorMessage error={save.error} /> : null}
    </form>
  );
}
