// The score and findings of the content being edited: POST /scan, debounced like the
// template check, keeping the last answer on screen while the next one is computed.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { Content, PromptType } from "../../api/types";
import { useDebounced } from "../../lib/hooks";
import { qualityQueries } from "./api";

export const SCAN_DELAY_MS = 400;

function isEmpty(content: Content): boolean {
  return typeof content === "string"
    ? content.trim() === ""
    : content.every((m) => !("content" in m) || !m.content.trim());
}

export function useContentScan(project: string, type: PromptType, content: Content, model: unknown) {
  const config = typeof model === "string" && model ? { model } : {};
  const key = JSON.stringify([type, content, config]);
  const debouncedKey = useDebounced(key, SCAN_DELAY_MS);
  const [dType, dContent, dConfig] = JSON.parse(debouncedKey) as [PromptType, Content, Record<string, unknown>];
  const empty = isEmpty(dContent);
  const scan = useQuery({
    ...qualityQueries.scan(project, debouncedKey, dType, dContent, dConfig),
    placeholderData: keepPreviousData,
    enabled: !empty,
  });
  return { scan, empty, pending: key !== debouncedKey || scan.isFetching };
}
