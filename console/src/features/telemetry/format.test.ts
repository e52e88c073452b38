import { describe, expect, it } from "vitest";
import { costText, feedbackValue, flagText, formatMoney, formatTokens, promptHref, promptRef, tokensInOut } from "./format";

const cost = (total: number, currency = "USD") => ({ input: total / 2, output: total / 2, total, currency, source: "genai-prices" });

describe("generation costs", () => {
  it("shows an unknown price as unknown with the reason, never as $0", () => {
    expect(costText(null, ["unknown_model_price"])).toEqual({ text: "unknown", note: "no price known for this model" });
    expect(costText(null, ["no_token_counts"])).toEqual({ text: "unknown", note: "no token counts to price" });
    expect(costText(null)).toEqual({ text: "unknown", note: "not priced" });
    expect(costText(undefined, []).text).not.toContain("$");
  });

  it("shows a known cost, fractions of a cent included", () => {
    expect(costText(cost(0.00123))).toEqual({ text: "$0.001230", note: null });
    expect(costText(cost(1.5))).toEqual({ text: "$1.5000", note: null });
    expect(costText(cost(0)).text).toBe("$0"); // a known price of zero (e.g. the fake provider)
    expect(formatMoney(2, "EUR")).toBe("2.0000 EUR");
  });
});

describe("tokens, flags, feedback and prompt references", () => {
  it("marks estimated token counts and missing ones", () => {
    expect(formatTokens(1200)).toBe("1,200");
    expect(formatTokens(1200, true)).toBe("~1,200");
    expect(formatTokens(null)).toBe("–");
    expect(tokensInOut({ input_tokens: 10, output_tokens: 5, cached_tokens: null, reasoning_tokens: null, estimated: true })).toBe(
      "~10 in / ~5 out",
    );
  });

  it("explains every documented flag and shows unknown ones as they are", () => {
    expect(flagText("unknown_model_price")).toMatch(/cost is unknown \(not zero\)/);
    expect(flagText("estimated_tokens")).toMatch(/counted here/);
    expect(flagText("brand_new_flag")).toBe("brand new flag");
  });

  it("reads feedback values", () => {
    expect(feedbackValue({ kind: "thumbs", value: 1, scale: null })).toBe("thumbs up");
    expect(feedbackValue({ kind: "thumbs", value: 0, scale: null })).toBe("thumbs down");
    expect(feedbackValue({ kind: "score", value: 4, scale: "1-5" })).toBe("score 4 on 1–5");
    expect(feedbackValue({ kind: "nps", value: 9, scale: null })).toBe("NPS 9 of 10");
    expect(feedbackValue({ kind: "comment", value: null, scale: null })).toBe("comment");
  });

  it("names and links the prompt version", () => {
    expect(promptRef({ name: "greeting", version: 3 })).toBe("greeting@3");
    expect(promptRef({ name: "greeting", version: null, label: "production" })).toBe("greeting (production)");
    expect(promptRef(null)).toBe("");
    expect(promptHref("/p/default", { name: "a b", version: 2 })).toBe("/p/default/prompts/a%20b/history?to=2");
    expect(promptHref("/p/default", { name: "x", version: 9 }, ["unknown_prompt_version"])).toBe("/p/default/prompts/x");
  });
});
