import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi, renderAt } from "../../test/utils";
import AlertsPage from "./AlertsPage";

const BUDGET = {
  id: 1,
  name: "Support bot",
  scope: "project",
  project: "default",
  scope_value: null,
  amount: 500,
  currency: "USD",
  period: "month",
  thresholds: [50, 80, 100],
  forecast: true,
  channel_ids: [],
  active: true,
  created_at: "2026-01-01T00:00:00Z",
  created_by: "admin",
  period_start: "2026-03-01T00:00:00Z",
  period_end: "2026-04-01T00:00:00Z",
  spend: 460,
  percent: 92,
  forecast_spend: 610,
  state: "at_risk",
};
const ALERT = {
  id: 7,
  project: "default",
  rule_id: 3,
  budget_id: null,
  kind: "latency_p95",
  state: "firing",
  title: "slow: latency p95 2400 ms > 2000 ms over 15 min",
  details: {},
  value: 2400,
  threshold: 2000,
  fired_at: "2026-03-11T11:00:00Z",
  last_seen_at: "2026-03-11T11:00:00Z",
  acknowledged_at: null,
  acknowledged_by: null,
  silenced_until: null,
  silenced: false,
  resolved_at: null,
  reopened: 0,
};

function api(role: string, permissions: string[]) {
  return mockApi({
    "GET /auth/me": () => ({
      actor: { type: "user", id: 2, name: "bob@example.com", role, instance_admin: false, permissions, project_permissions: null },
      workspace: { slug: "default", name: "Default" },
    }),
    "GET /budgets": () => ({ items: [BUDGET] }),
    "GET /alert-rules": () => ({ items: [] }),
    "GET /alerts": () => ({ items: [ALERT], firing: 1 }),
    "POST /alerts/7/acknowledge": () => ({ ...ALERT, state: "acknowledged", acknowledged_by: "bob@example.com" }),
    "POST /alert-rules": (call) => ({ id: 9, ...(call.body as object) }),
  });
}

const renderPage = () => renderAt(<AlertsPage />, { path: "/p/default/alerts", route: "/p/:project/alerts" });

describe("AlertsPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows spend against the amount and lets an editor acknowledge", async () => {
    const { calls } = api("editor", ["alert:read", "alert:respond"]);
    renderPage();
    const budget = await screen.findByTestId("budget-1");
    const bar = within(budget).getByRole("progressbar", { name: "Support bot: spend of the amount" });
    expect(bar).toHaveAttribute("aria-valuenow", "92");
    expect(within(budget).getByText("Forecast to exceed")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Add budget" })).toBeDisabled();
    const alert = await screen.findByTestId("alert-7");
    await userEvent.click(within(alert).getByRole("button", { name: "Acknowledge" }));
    expect(calls.some((c) => c.method === "POST" && c.path === "/alerts/7/acknowledge")).toBe(true);
    expect(await screen.findByText(/acknowledged\.$/, { selector: ".notice" })).toBeInTheDocument();
  });

  it("hides responding from a viewer", async () => {
    api("viewer", ["alert:read"]);
    renderPage();
    const alert = await screen.findByTestId("alert-7");
    expect(within(alert).queryByRole("button", { name: "Acknowledge" })).not.toBeInTheDocument();
  });

  it("lets an admin create a rule, refusing a bad threshold first", async () => {
    const { calls } = api("admin", ["alert:read", "alert:respond", "alert:manage"]);
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Add rule" }));
    const form = screen.getByRole("form", { name: "New alert rule" });
    await userEvent.type(within(form).getByLabelText("Name"), "errors");
    await userEvent.selectOptions(within(form).getByLabelText("When"), "error_rate");
    await userEvent.type(within(form).getByLabelText(/^Threshold/), "5");
    await userEvent.click(within(form).getByRole("button", { name: "Save rule" }));
    expect(within(form).getByRole("alert")).toHaveTextContent(/share from 0 to 1/);
    await userEvent.clear(within(form).getByLabelText(/^Threshold/));
    await userEvent.type(within(form).getByLabelText(/^Threshold/), "0.05");
    await userEvent.click(within(form).getByRole("button", { name: "Save rule" }));
    const post = calls.find((c) => c.method === "POST" && c.path === "/alert-rules");
    expect(post?.body).toMatchObject({ name: "errors", kind: "error_rate", threshold: 0.05, project: "default" });
  });

  it("asks for the score of an eval_score rule and sends it with the baseline", async () => {
    const { calls } = api("admin", ["alert:read", "alert:respond", "alert:manage"]);
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Add rule" }));
    const form = screen.getByRole("form", { name: "New alert rule" });
    expect(within(form).queryByLabelText("Score name")).not.toBeInTheDocument();
    await userEvent.type(within(form).getByLabelText("Name"), "helpfulness");
    await userEvent.selectOptions(within(form).getByLabelText("When"), "eval_score");
    expect(within(form).getByLabelText(/^Threshold/)).toHaveAccessibleName("Threshold (fall of the score's mean, on its own scale)");
    await userEvent.type(within(form).getByLabelText(/^Threshold/), "0.1");
    await userEvent.click(within(form).getByRole("button", { name: "Save rule" }));
    expect(within(form).getByRole("alert")).toHaveTextContent(/Name the score to watch/);
    expect(calls.some((c) => c.method === "POST" && c.path === "/alert-rules")).toBe(false);
    await userEvent.type(within(form).getByLabelText("Score name"), "helpful");
    await userEvent.selectOptions(within(form).getByLabelText("Baseline"), "fixed");
    await userEvent.type(within(form).getByLabelText("Baseline mean of the score"), "0.9");
    await userEvent.click(within(form).getByRole("button", { name: "Save rule" }));
    const post = calls.find((c) => c.method === "POST" && c.path === "/alert-rules");
    expect(post?.body).toMatchObject({
      name: "helpfulness",
      kind: "eval_score",
      score: "helpful",
      threshold: 0.1,
      baseline: "fixed",
      baseline_value: 0.9,
    });
  });
});
