// The feedback list's filters in the address: kind and generation id.
import type { FeedbackKind, FeedbackQuery } from "../api";

export const KINDS: readonly FeedbackKind[] = ["thumbs", "score", "nps", "comment"];

export interface FeedbackFilters {
  kind: FeedbackKind | "";
  generation: string;
}

export function readFeedbackFilters(params: URLSearchParams): FeedbackFilters {
  const kind = params.get("kind") ?? "";
  return {
    kind: (KINDS as readonly string[]).includes(kind) ? (kind as FeedbackKind) : "",
    generation: (params.get("generation") ?? "").trim(),
  };
}

export function writeFeedbackFilters(filters: FeedbackFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.kind) params.set("kind", filters.kind);
  if (filters.generation.trim()) params.set("generation", filters.generation.trim());
  return params;
}

export function toFeedbackQuery(filters: FeedbackFilters): FeedbackQuery {
  return { kind: filters.kind || undefined, generation_id: filters.generation || undefined };
}
