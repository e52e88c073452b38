// Pure helpers of the dataset pages: a file's format from its name, and a case's input
// (a JSON object typed in a text area) checked before it is sent.

import type { FileFormat } from "./api";

export function formatOf(filename: string): FileFormat {
  const lower = filename.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".json")) return "json";
  return "jsonl";
}

export type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** The case input typed as JSON: an object, or why not. */
export function parseInput(text: string): Parsed {
  if (!text.trim()) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Input is not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, error: 'Input must be a JSON object of variables, e.g. {"name": "Ada"}.' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** A short, one-line view of a case's input for the table. */
export function inputSummary(input: Record<string, unknown>, width = 80): string {
  const text = Object.entries(input)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" · ");
  return text.length > width ? `${text.slice(0, width - 1)}…` : text || "(no variables)";
}
