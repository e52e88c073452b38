import { describe, expect, it } from "vitest";
import { emptyGateForm, gateForm, gateSettings, readThreshold, withEvaluationGate } from "./gateForm";

describe("gateSettings", () => {
  it("reads thresholds one per line or separated by commas, and optional models", () => {
    const result = gateSettings({
      dataset: " qa@3 ",
      thresholds: "exact_match=0.9\n contains = 1 ,\n\nlength=-2.5e1",
      models: "openai/gpt-4o-mini, local/llama3:8b",
    });
    expect(result).toEqual({
      ok: true,
      settings: {
        dataset: "qa@3",
        fail_under: ["exact_match=0.9", "contains=1", "length=-2.5e1"],
        models: ["openai/gpt-4o-mini", "local/llama3:8b"],
      },
    });
  });

  it("sends no models when none are given, and each threshold once", () => {
    expect(gateSettings({ dataset: "qa", thresholds: "exact_match=1, exact_match=1", models: " " })).toEqual({
      ok: true,
      settings: { dataset: "qa", fail_under: ["exact_match=1"] },
    });
  });

  it("requires a dataset, named as the server accepts it", () => {
    const missing = gateSettings({ ...emptyGateForm, thresholds: "exact_match=0.9" });
    expect(missing).toMatchObject({ ok: false, field: "dataset" });
    expect(!missing.ok && missing.error).toMatch(/Name the dataset/);
    const bad = gateSettings({ dataset: "my dataset", thresholds: "exact_match=0.9", models: "" });
    expect(bad).toMatchObject({ ok: false, field: "dataset" });
    expect(gateSettings({ dataset: "qa@v2", thresholds: "a=1", models: "" }).ok).toBe(false);
  });

  it("requires at least one evaluator=number threshold and names the bad one", () => {
    const none = gateSettings({ dataset: "qa", thresholds: " ,\n ", models: "" });
    expect(none).toMatchObject({ ok: false, field: "thresholds" });
    expect(!none.ok && none.error).toMatch(/at least one threshold/);
    const bad = gateSettings({ dataset: "qa", thresholds: "exact_match=0.9\nexact_match>0.9", models: "" });
    expect(bad).toEqual({
      ok: false,
      field: "thresholds",
      error: "“exact_match>0.9” is not a threshold: write evaluator=minimum, e.g. exact_match=0.9.",
    });
    const many = Array.from({ length: 21 }, (_, i) => `e${i}=0.5`).join("\n");
    expect(gateSettings({ dataset: "qa", thresholds: many, models: "" })).toMatchObject({ ok: false, field: "thresholds" });
  });

  it("checks the models are connection/model, at most 8", () => {
    const bad = gateSettings({ dataset: "qa", thresholds: "a=1", models: "gpt-4o" });
    expect(bad).toMatchObject({ ok: false, field: "models" });
    expect(!bad.ok && bad.error).toMatch(/“gpt-4o” is not a model: write connection\/model/);
    const many = Array.from({ length: 9 }, (_, i) => `c/m${i}`).join(", ");
    expect(gateSettings({ dataset: "qa", thresholds: "a=1", models: many })).toMatchObject({ ok: false, field: "models" });
  });
});

describe("readThreshold", () => {
  it("accepts what the server reads and refuses the rest", () => {
    expect(readThreshold("exact_match=0.9")).toBe("exact_match=0.9");
    expect(readThreshold(" judge = .75 ")).toBe("judge=.75");
    for (const text of ["exact_match", "=0.9", "exact_match=", "exact_match=high", "a=NaN", "a=1e999", "a=0.9=1"])
      expect(readThreshold(text)).toBeNull();
  });
});

describe("gateForm", () => {
  it("fills the fields from the stored settings", () => {
    expect(gateForm({ dataset: "qa@3", fail_under: ["exact_match=0.9", "judge=0.8"], models: ["openai/gpt-4o"] })).toEqual({
      dataset: "qa@3",
      thresholds: "exact_match=0.9\njudge=0.8",
      models: "openai/gpt-4o",
    });
    expect(gateForm(undefined)).toEqual(emptyGateForm);
  });
});

describe("withEvaluationGate", () => {
  it("sets or removes evaluation_run, keeping other gates' settings", () => {
    const current = { evaluation_run: { dataset: "old", fail_under: ["a=1"] }, custom: { level: 2 } };
    expect(withEvaluationGate(current, { dataset: "qa", fail_under: ["b=0.5"] })).toEqual({
      evaluation_run: { dataset: "qa", fail_under: ["b=0.5"] },
      custom: { level: 2 },
    });
    expect(withEvaluationGate(current, null)).toEqual({ custom: { level: 2 } });
    expect(withEvaluationGate({}, null)).toEqual({});
    expect(current.evaluation_run.dataset).toBe("old");
  });
});
