import { describe, expect, it } from "vitest";
import { outputDiff, percent, progressShare, splitList, toRunCreate, withInterval, type LauncherForm } from "./format";

const form: LauncherForm = {
  prompt: "greet",
  versions: "1, 2",
  labels: "",
  models: ["fake/echo"],
  dataset: "words@3",
  evaluators: ["exact_match"],
  repetitions: 2,
  concurrency: 8,
  useCache: true,
};

describe("evaluation run format", () => {
  it("shows a pass rate and a mean with their intervals", () => {
    expect(withInterval({ kind: "pass_rate", value: 0.92, ci_low: 0.851, ci_high: 0.973 })).toBe(
      "92.0 % [85.1 %, 97.3 %]",
    );
    expect(withInterval({ kind: "mean", value: 0.7341, ci_low: null, ci_high: null })).toBe("0.734");
    expect(withInterval({ kind: "mean", value: null, ci_low: null, ci_high: null })).toBe("–");
    expect(percent(1)).toBe("100.0 %");
  });

  it("counts failed calls as progress", () => {
    expect(progressShare(3, 1, 8)).toBe(0.5);
    expect(progressShare(0, 0, 0)).toBe(1);
  });

  it("turns the launcher's form into a request", () => {
    expect(splitList(" a, b  c")).toEqual(["a", "b", "c"]);
    expect(toRunCreate(form, true)).toEqual({
      prompt: "greet",
      dataset: "words@3",
      evaluators: [{ kind: "exact_match" }],
      versions: [1, 2],
      models: ["fake/echo"],
      repetitions: 2,
      concurrency: 8,
      use_cache: true,
      dry_run: true,
    });
    expect(() => toRunCreate({ ...form, versions: "one" }, false)).toThrow(/not a version number/);
    expect(() => toRunCreate({ ...form, evaluators: [] }, false)).toThrow(/evaluator/);
  });

  it("builds the diff DiffView shows from a variant's spans", () => {
    const diff = outputDiff(
      {
        variant: 1,
        outputs: [],
        diff: "-a\n+A",
        diff_spans: [
          { op: "delete", text: "a" },
          { op: "insert", text: "A" },
        ],
        diff_stats: { insertions: 1, deletions: 1 },
      },
      1,
      2,
    );
    expect(diff?.from).toBe(1);
    expect(diff?.stats.insertions).toBe(1);
    expect(outputDiff({ variant: 0, outputs: [], diff: null, diff_spans: null, diff_stats: null }, 1, 1)).toBeNull();
  });
});
