// Pure helpers of the analytics pages: time ranges, number formats, chart data and the
// link from a chart point to the generations behind it.

import type { Bucket } from "./api";

export type RangeKey = "24h" | "7d" | "30d";

export const RANGES: readonly { value: RangeKey; label: string; bucket: Bucket; ms: number }[] = [
  { value: "24h", label: "Last 24 hours", bucket: "hour", ms: 24 * 3600_000 },
  { value: "7d", label: "Last 7 days", bucket: "day", ms: 7 * 24 * 3600_000 },
  { value: "30d", label: "Last 30 days", bucket: "day", ms: 30 * 24 * 3600_000 },
];

export const BUCKET_MS: Record<Bucket, number> = {
  minute: 60_000,
  hour: 3600_000,
  day: 24 * 3600_000,
  week: 7 * 24 * 3600_000,
};

/** The API's since/until for a range ending now (to the minute, so one render's
 * queries share their keys). */
export function rangeOf(key: RangeKey, now: number = Date.now()): { since: string; until: string; bucket: Bucket } {
  const range = RANGES.find((r) => r.value === key) ?? { ms: 30 * 24 * 3600_000, bucket: "day" as Bucket };
  const until = Math.floor(now / 60_000) * 60_000 + 60_000;
  return { since: new Date(until - range.ms).toISOString(), until: new Date(until).toISOString(), bucket: range.bucket };
}

export function isRange(value: string | null): value is RangeKey {
  return RANGES.some((r) => r.value === value);
}

/** ISO time → datetime-local text (local time, minutes), as the explorer's filters hold it. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const EXPLORER_FIELDS: Record<string, string> = {
  prompt: "prompt",
  version: "version",
  model: "model",
  provider: "provider",
  user: "user",
  feature: "feature",
  agent: "agent",
};

/** The generations explorer, filtered to ``[since, until)`` and a group's values. */
export function generationsRangeLink(
  project: string,
  since: number,
  until: number,
  group: Record<string, string> = {},
  filters: Record<string, string | number | undefined> = {},
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...filters, ...group })) {
    const field = EXPLORER_FIELDS[name];
    if (field && value !== undefined && value !== "" && !(name === "version" && value === "0")) params.set(field, String(value));
  }
  params.set("since", toLocalInput(since));
  params.set("until", toLocalInput(until));
  return `/p/${encodeURIComponent(project)}/generations?${params.toString()}`;
}

/** The generations explorer, filtered to one bucket (and group) of a chart. */
export function generationsLink(
  project: string,
  bucketStart: string,
  bucket: Bucket,
  group: Record<string, string> = {},
  filters: Record<string, string | number | undefined> = {},
): string {
  const start = Date.parse(bucketStart);
  return generationsRangeLink(project, start, start + BUCKET_MS[bucket], group, filters);
}

export function formatCost(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (value === 0) return "$0";
  if (Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value.toLocaleString("en-US");
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function formatPct(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return "–";
  return `${(value * 100).toFixed(digits)} %`;
}

/** A bucket's label on a chart's table: day buckets as dates, finer ones with the time. */
export function bucketLabel(iso: string, bucket: Bucket): string {
  const d = new Date(iso);
  if (bucket === "day" || bucket === "week") return d.toLocaleDateString("en-CA");
  return d.toLocaleString("en-CA", { dateStyle: "short", timeStyle: "short" });
}

/** uPlot's data: x in seconds, then one array per series (null where undefined). */
export function chartData(buckets: string[], series: (number | null | undefined)[][]): (number | null)[][] {
  return [buckets.map((b) => Date.parse(b) / 1000), ...series.map((values) => values.map((v) => (v === undefined ? null : v)))];
}

/** The group's label in a legend or a table. */
export function groupLabel(group: Record<string, string>): string {
  const parts = Object.entries(group).map(([name, value]) => (name === "version" ? `v${value}` : value || `(no ${name})`));
  return parts.join(" · ") || "all";
}
