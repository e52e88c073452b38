// The playground's runs: one streamed POST /prompts/execute with a `runs` list (one run per
// column), its server-sent events applied to the columns as they arrive.
import { API_BASE, ApiError, buildUrl, errorFrom, readCookie } from "../../../api/client";
import type { components } from "../../../api/schema";
import type { Content, ExecuteResult, PromptType } from "../../../api/types";
import { readSse } from "./sse";

export type ExecuteBody = components["schemas"]["ExecuteInput"];
export type RunSpec = components["schemas"]["RunSpec"];

/** An edited variant of a version: its own content and parameters, not saved yet. */
export interface Variant {
  type: PromptType;
  content: Content;
  /** The version it was edited from (its config is the starting point). */
  from: number;
  /** The prompt's latest version when editing started: a save is refused if it moved. */
  baseVersion: number;
  /** The config of the version it was edited from. */
  baseConfig: Record<string, unknown>;
  temperature: string;
  maxTokens: string;
}

export interface Column {
  id: number;
  model: string;
  /** "3" for a version number, "label:production" for a label */
  target: string;
  variant: Variant | null;
}

export type ColumnResult =
  | { state: "running"; output: string }
  | { state: "done"; output: string; result: ExecuteResult }
  | { state: "error"; output: string; error: unknown }
  | { state: "cancelled"; output: string };

export type RunEvent =
  | { type: "delta"; index: number; text: string }
  | { type: "done"; index: number; result: ExecuteResult }
  | { type: "error"; index: number; code: string; message: string }
  | { type: "end" };

/** The parameters a variant sets over its version's config (empty fields set nothing). */
export function variantParams(variant: Variant): Record<string, number> {
  const params: Record<string, number> = {};
  const temperature = Number(variant.temperature);
  if (variant.temperature.trim() !== "" && Number.isFinite(temperature)) params.temperature = temperature;
  const maxTokens = Number(variant.maxTokens);
  if (variant.maxTokens.trim() !== "" && Number.isInteger(maxTokens)) params.max_tokens = maxTokens;
  return params;
}

/** The config a variant runs with and is saved with: its version's, with the column's
 * model and the variant's temperature and maximum tokens (an emptied field removes it). */
export function variantConfig(variant: Variant, model: string): Record<string, unknown> {
  const config: Record<string, unknown> = { ...variant.baseConfig, model };
  delete config.temperature;
  delete config.max_tokens;
  return { ...config, ...variantParams(variant) };
}

export function runSpec(column: Column): RunSpec {
  if (column.variant) {
    const { type, content } = column.variant;
    return { model: column.model, type, content: content as RunSpec["content"], config: variantConfig(column.variant, column.model) };
  }
  if (column.target.startsWith("label:")) return { model: column.model, label: column.target.slice(6) };
  return { model: column.model, version: Number(column.target) };
}

/** One server-sent event of execute as a typed event (unknown ones are null). */
export function toRunEvent(event: string, data: string): RunEvent | null {
  const payload = JSON.parse(data) as Record<string, unknown>;
  if (event === "delta") return { type: "delta", index: payload.index as number, text: payload.text as string };
  if (event === "done") return { type: "done", index: payload.index as number, result: payload as unknown as ExecuteResult };
  if (event === "error") {
    const error = payload.error as { code: string; message: string };
    return { type: "error", index: payload.index as number, code: error.code, message: error.message };
  }
  if (event === "end") return { type: "end" };
  return null;
}

/** The column results after `event` (`ids[i]` is the column of run i). */
export function applyEvent(
  results: Record<number, ColumnResult>,
  ids: number[],
  event: RunEvent,
): Record<number, ColumnResult> {
  if (event.type === "end") return results;
  const id = ids[event.index];
  const current = id === undefined ? undefined : results[id];
  if (id === undefined || !current) return results;
  if (event.type === "delta") {
    if (current.state !== "running") return results;
    return { ...results, [id]: { state: "running", output: current.output + event.text } };
  }
  if (event.type === "done") return { ...results, [id]: { state: "done", output: event.result.output, result: event.result } };
  const error = new ApiError(event.code === "provider_error" ? 502 : 422, event.code, event.message);
  return { ...results, [id]: { state: "error", output: current.output, error } };
}

/** Columns still running when the stream stopped: cancelled (the user stopped it) or failed. */
export function settle(results: Record<number, ColumnResult>, cause: "cancelled" | unknown): Record<number, ColumnResult> {
  const next = { ...results };
  for (const [id, result] of Object.entries(next)) {
    if (result.state !== "running") continue;
    next[Number(id)] =
      cause === "cancelled"
        ? { state: "cancelled", output: result.output }
        : { state: "error", output: result.output, error: cause };
  }
  return next;
}

/** Runs `body` streamed; `onEvent` gets each event as soon as it has arrived. Aborting
 * `signal` closes the connection, and the server cancels the provider calls. */
export async function streamRuns(
  project: string,
  body: ExecuteBody,
  onEvent: (event: RunEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const headers: Record<string, string> = { Accept: "text/event-stream", "Content-Type": "application/json" };
  const csrf = readCookie("promptyard_csrf");
  if (csrf) headers["X-CSRF-Token"] = csrf;
  let response: Response;
  try {
    response = await fetch(buildUrl("/prompts/execute", { project }), {
      method: "POST",
      headers,
      body: JSON.stringify({ ...body, stream: true }),
      credentials: "same-origin",
      signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "network_error", `Cannot reach the Promptyard server at ${API_BASE}. Try again.`);
  }
  if (!response.ok || !response.body) throw await errorFrom(response);
  await readSse(response.body, (event) => {
    const parsed = toRunEvent(event.event, event.data);
    if (parsed) onEvent(parsed);
  });
}
