import type { ListQuery } from "../../../api/endpoints";

export const PAGE_SIZE = 50;

export type UpdatedWithin = "" | "1d" | "7d" | "30d" | "365d";

export interface LibraryFilters {
  q: string;
  tags: string[];
  folder: string;
  label: string;
  author: string;
  type: string;
  updated: UpdatedWithin;
  sort: string;
  page: number;
}

const DAYS: Record<Exclude<UpdatedWithin, "">, number> = { "1d": 1, "7d": 7, "30d": 30, "365d": 365 };

export function readFilters(params: URLSearchParams): LibraryFilters {
  const updated = params.get("updated") ?? "";
  return {
    q: params.get("q") ?? "",
    tags: params.getAll("tag"),
    folder: params.get("folder") ?? "",
    label: params.get("label") ?? "",
    author: params.get("author") ?? "",
    type: params.get("type") ?? "",
    updated: (updated in DAYS ? updated : "") as UpdatedWithin,
    sort: params.get("sort") ?? "-updated_at",
    page: Math.max(1, Number(params.get("page") ?? "1") || 1),
  };
}

export function writeFilters(filters: LibraryFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.q) params.set("q", filters.q);
  filters.tags.forEach((t) => params.append("tag", t));
  if (filters.folder) params.set("folder", filters.folder);
  if (filters.label) params.set("label", filters.label);
  if (filters.author) params.set("author", filters.author);
  if (filters.type) params.set("type", filters.type);
  if (filters.updated) params.set("updated", filters.updated);
  if (filters.sort !== "-updated_at") params.set("sort", filters.sort);
  if (filters.page > 1) params.set("page", String(filters.page));
  return params;
}

export function hasFilters(f: LibraryFilters): boolean {
  return Boolean(f.q || f.tags.length || f.folder || f.label || f.author || f.type || f.updated);
}

export function toListQuery(f: LibraryFilters, now: number = Date.now()): ListQuery {
  return {
    q: f.q || undefined,
    tag: f.tags.length ? f.tags : undefined,
    folder: f.folder || undefined,
    label: f.label || undefined,
    author: f.author || undefined,
    type: f.type || undefined,
    updated_after: f.updated
      ? new Date(now - DAYS[f.updated] * 24 * 3600 * 1000).toISOString()
      : undefined,
    sort: f.sort,
    limit: PAGE_SIZE,
    offset: (f.page - 1) * PAGE_SIZE,
  };
}
