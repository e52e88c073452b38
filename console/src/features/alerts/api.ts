// The alert routes the console uses (docs/alerting.md): budgets, alert rules, channels
// and fired alerts, all of the workspace (a project-scoped key sees its project's).
import { request } from "../../api/client";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

export type Budget = Schemas["BudgetPublic"];
export type BudgetCreate = Schemas["BudgetCreate"];
export type BudgetUpdate = Schemas["BudgetUpdate"];
export type Rule = Schemas["AlertRulePublic"];
export type RuleCreate = Schemas["AlertRuleCreate"];
export type RuleUpdate = Schemas["AlertRuleUpdate"];
export type Alert = Schemas["AlertPublic"];
export type Channel = Schemas["AlertChannelPublic"];

export const alertsApi = {
  budgets: () => request<Schemas["BudgetsPublic"]>("/budgets"),
  createBudget: (body: BudgetCreate) => request<Budget>("/budgets", { method: "POST", body }),
  updateBudget: (id: number, body: BudgetUpdate) =>
    request<Budget>(`/budgets/${id}`, { method: "PATCH", body }),
  removeBudget: (id: number) => request<undefined>(`/budgets/${id}`, { method: "DELETE" }),
  rules: () => request<Schemas["AlertRulesPublic"]>("/alert-rules"),
  createRule: (body: RuleCreate) => request<Rule>("/alert-rules", { method: "POST", body }),
  updateRule: (id: number, body: RuleUpdate) =>
    request<Rule>(`/alert-rules/${id}`, { method: "PATCH", body }),
  removeRule: (id: number) => request<undefined>(`/alert-rules/${id}`, { method: "DELETE" }),
  channels: () => request<Schemas["AlertChannelsPublic"]>("/alert-channels"),
  alerts: (state?: string) =>
    request<Schemas["AlertsPublic"]>(state ? `/alerts?state=${encodeURIComponent(state)}` : "/alerts"),
  acknowledge: (id: number) => request<Alert>(`/alerts/${id}/acknowledge`, { method: "POST" }),
  silence: (id: number, minutes: number) =>
    request<Alert>(`/alerts/${id}/silence`, { method: "POST", body: { minutes } }),
  unsilence: (id: number) => request<Alert>(`/alerts/${id}/silence`, { method: "DELETE" }),
};
