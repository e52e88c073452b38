import { describe, expect, it } from "vitest";
import type { HealthComponent, ScheduledJob } from "./api";
import { componentValue, everyText, jobOutcome } from "./format";

const component = (over: Partial<HealthComponent>): HealthComponent => ({
  name: "latency",
  status: "green",
  summary: "",
  value: null,
  target: null,
  unit: null,
  advice: null,
  ...over,
});

const job = (over: Partial<ScheduledJob>): ScheduledJob => ({
  name: "backups",
  interval_seconds: 86400,
  running: false,
  owner: null,
  next_run_at: "2026-12-03T00:00:00Z",
  runs: 0,
  last_started_at: null,
  last_finished_at: null,
  last_outcome: null,
  last_result: null,
  last_owner: null,
  ...over,
});

describe("status page formatting", () => {
  it("shows a component's value against its target in its unit", () => {
    expect(componentValue(component({ value: 312.4, target: 250, unit: "ms" }))).toBe("312 ms (target 250 ms)");
    expect(componentValue(component({ value: 0.031, target: 0.01, unit: "ratio" }))).toBe("3.1 % (target 1.0 %)");
    expect(componentValue(component({ value: 0.42, unit: "free ratio" }))).toBe("42.0 % free");
    expect(componentValue(component({ value: 3 * 1024 * 1024, unit: "bytes" }))).toBe("3.0 MB");
    expect(componentValue(component({ value: 30, target: 36, unit: "hours" }))).toBe("30.0 h (target 36.0 h)");
    expect(componentValue(component({ value: 2, unit: "failures in a row" }))).toBe("2 failures in a row");
    expect(componentValue(component({}))).toBe("");
  });

  it("words intervals and outcomes", () => {
    expect(everyText(86400)).toBe("24 h");
    expect(everyText(1800)).toBe("30 min");
    expect(everyText(45)).toBe("45 s");
    expect(jobOutcome(job({}))).toEqual({ word: "not run yet", tone: "status-off" });
    expect(jobOutcome(job({ last_outcome: "failed" })).word).toBe("failed");
    expect(jobOutcome(job({ last_outcome: "ok", running: true })).word).toBe("running");
  });
});
