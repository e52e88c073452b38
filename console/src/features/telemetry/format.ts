// How a generation's numbers read in the console: costs (an unknown price reads
// "unknown" with the reason, never $0), tokens (estimated ones marked), flags in words,
// and feedback values.
import type { Cost, Feedback, Usage } from "./api";

/** What each flag of a generation means (docs/generations.md "Flags"). */
export const FLAG_TEXT: Record<string, string> = {
  estimated_tokens: "No token counts were reported: they were counted here, so they may be an estimate.",
  unknown_model_price: "No price is known for this model, so its cost is unknown (not zero). Add a price override in the provider settings.",
  no_token_counts: "Neither token counts nor text were reported: there was nothing to price.",
  unknown_prompt: "The prompt is not in this project's registry.",
  unknown_prompt_version: "That version of the prompt is not in this project's registry.",
  input_truncated: "The input was longer than the stored limit and was cut.",
  output_truncated: "The output was longer than the stored limit and was cut.",
  text_not_stored: "Text was sent, but this project stores no input or output text.",
};

/** A flag in words; a flag the console does not know yet is shown as it is. */
export function flagText(flag: string): string {
  return FLAG_TEXT[flag] ?? flag.replaceAll("_", " ");
}

/** An amount of money: dollars with enough digits for fractions of a cent. */
export function formatMoney(amount: number, currency = "USD"): string {
  const digits = amount === 0 ? 0 : Math.abs(amount) < 0.01 ? 6 : 4;
  const text = amount.toFixed(digits);
  return currency === "USD" ? `$${text}` : `${text} ${currency}`;
}

export interface CostText {
  /** "$0.001234", or "unknown". */
  text: string;
  /** Why the cost is unknown (null when it is known). */
  note: string | null;
}

/** A generation's total cost; `null` (the price is unknown) reads "unknown" with why. */
export function costText(cost: Cost | null | undefined, flags: readonly string[] = []): CostText {
  if (cost) return { text: formatMoney(cost.total, cost.currency), note: null };
  if (flags.includes("no_token_counts")) return { text: "unknown", note: "no token counts to price" };
  if (flags.includes("unknown_model_price")) return { text: "unknown", note: "no price known for this model" };
  return { text: "unknown", note: "not priced" };
}

const integer = new Intl.NumberFormat("en");

/** A token count; estimated counts start with "~"; none reported reads "–". */
export function formatTokens(count: number | null | undefined, estimated = false): string {
  if (count === null || count === undefined) return "–";
  return `${estimated ? "~" : ""}${integer.format(count)}`;
}

/** "1,200 in / 85 out" for a row; estimated counts marked with "~". */
export function tokensInOut(usage: Usage): string {
  const est = usage.estimated ?? false;
  return `${formatTokens(usage.input_tokens, est)} in / ${formatTokens(usage.output_tokens, est)} out`;
}

/** A feedback's value in words: "thumbs up", "4 of 1–5", "NPS 9", "comment". */
export function feedbackValue(item: Pick<Feedback, "kind" | "value" | "scale">): string {
  const { kind, value, scale } = item;
  if (kind === "comment" || value === null || value === undefined) return kind;
  if (kind === "thumbs") return value >= 1 ? "thumbs up" : "thumbs down";
  if (kind === "nps") return `NPS ${value} of 10`;
  return `score ${value} on ${(scale ?? "0-1").replace("-", "–")}`;
}

/** The prompt a generation used: "name@3", "name (production)", or just the name. */
export function promptRef(prompt: { name: string; version?: number | null; label?: string | null } | null): string {
  if (!prompt) return "";
  if (prompt.version) return `${prompt.name}@${prompt.version}`;
  if (prompt.label) return `${prompt.name} (${prompt.label})`;
  return prompt.name;
}

/** Where the prompt a generation used lives: its version in the history when that
 * version is known to the registry, else the prompt itself. */
export function promptHref(
  base: string,
  prompt: { name: string; version?: number | null },
  flags: readonly string[] = [],
): string {
  const root = `${base}/prompts/${encodeURIComponent(prompt.name)}`;
  return prompt.version && !flags.includes("unknown_prompt_version") ? `${root}/history?to=${prompt.version}` : root;
}
