// The add-a-price form: text fields checked and turned into POST /providers/prices.
import type { PriceOverrideCreate } from "../api";

export interface PriceForm {
  model: string;
  provider: string;
  input: string;
  output: string;
  cached: string;
  /** datetime-local (local time); empty: from now. */
  from: string;
}

export const EMPTY_PRICE: PriceForm = { model: "", provider: "", input: "", output: "", cached: "", from: "" };

const MAX = 1_000_000;

function price(text: string): number | null {
  if (!text.trim()) return null;
  const value = Number(text.trim().replace(/^\$/, ""));
  return Number.isFinite(value) && value >= 0 && value <= MAX ? value : Number.NaN;
}

export function priceBody(form: PriceForm): { body?: PriceOverrideCreate; error?: string } {
  const model = form.model.trim();
  if (!model) return { error: "Enter the model to price." };
  const input = price(form.input);
  const output = price(form.output);
  const cached = price(form.cached);
  if (input === null || output === null) return { error: "Enter both the input and the output price." };
  if ([input, output, cached].some((v) => v !== null && Number.isNaN(v))) {
    return { error: "Prices are numbers from 0 to 1,000,000 (USD per million tokens)." };
  }
  const body: PriceOverrideCreate = { model, input_per_mtok: input, output_per_mtok: output, currency: "USD" };
  if (form.provider.trim()) body.provider = form.provider.trim();
  if (cached !== null) body.cached_input_per_mtok = cached;
  if (form.from) {
    const t = Date.parse(form.from);
    if (Number.isNaN(t)) return { error: "Enter the date and time the price is in force from." };
    body.effective_from = new Date(t).toISOString();
  }
  return { body };
}
