// The generations explorer's filters live in the address (shareable, back/forward
// work): read from and written to the query string, and turned into GET /generations'
// query. Defaults are left out of the address.
import type { GenerationQuery, GenerationStatus } from "./api";

export const PAGE_SIZE = 50;

export const STATUSES: readonly GenerationStatus[] = ["ok", "error", "cancelled"];

/** A time range relative to now, or "" for any time. */
export type Range = "" | "1h" | "24h" | "7d" | "30d";

export const RANGES: readonly { value: Range; label: string }[] = [
  { value: "", label: "Any time" },
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
];

const RANGE_MS: Record<Exclude<Range, "">, number> = {
  "1h": 3600_000,
  "24h": 24 * 3600_000,
  "7d": 7 * 24 * 3600_000,
  "30d": 30 * 24 * 3600_000,
};

/** The text filters, in the order the form shows them; each is its own URL parameter. */
export const TEXT_FIELDS = ["q", "prompt", "version", "model", "provider", "user", "session", "feature", "agent"] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface GenerationFilters extends Record<TextField, string> {
  status: GenerationStatus | "";
  range: Range;
  /** datetime-local values (local time, no zone), as the inputs hold them. */
  since: string;
  until: string;
}

export const EMPTY_FILTERS: GenerationFilters = {
  q: "",
  prompt: "",
  version: "",
  model: "",
  provider: "",
  user: "",
  session: "",
  feature: "",
  agent: "",
  status: "",
  range: "",
  since: "",
  until: "",
};

const ORDER = [...TEXT_FIELDS, "status", "range", "since", "until"] as const;

function isStatus(value: string): value is GenerationStatus {
  return (STATUSES as readonly string[]).includes(value);
}

export function readFilters(params: URLSearchParams): GenerationFilters {
  const out = { ...EMPTY_FILTERS };
  for (const field of TEXT_FIELDS) out[field] = (params.get(field) ?? "").trim();
  const version = Number(out.version);
  if (out.version && !(Number.isInteger(version) && version >= 1)) out.version = "";
  const status = params.get("status") ?? "";
  out.status = isStatus(status) ? status : "";
  const range = params.get("range") ?? "";
  out.range = range in RANGE_MS ? (range as Range) : "";
  out.since = params.get("since") ?? "";
  out.until = params.get("until") ?? "";
  return out;
}

export function writeFilters(filters: GenerationFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const field of ORDER) {
    const value = filters[field].trim();
    if (value) params.set(field, value);
  }
  return params;
}

export function hasFilters(filters: GenerationFilters): boolean {
  return ORDER.some((field) => filters[field].trim() !== "");
}

/** datetime-local (local time, no zone) → ISO in UTC, as the API expects. */
export function localToIso(local: string): string | undefined {
  if (!local) return undefined;
  const t = Date.parse(local);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** The API query for these filters (without the cursor). An explicit "From" wins over
 * the relative range. */
export function toQuery(filters: GenerationFilters, now: number = Date.now()): GenerationQuery {
  const text = (field: TextField) => filters[field] || undefined;
  const since =
    localToIso(filters.since) ??
    (filters.range ? new Date(now - RANGE_MS[filters.range]).toISOString() : undefined);
  return {
    q: text("q"),
    prompt: text("prompt"),
    version: filters.version ? Number(filters.version) : undefined,
    model: text("model"),
    provider: text("provider"),
    user: text("user"),
    session: text("session"),
    feature: text("feature"),
    agent: text("agent"),
    status: filters.status || undefined,
    since,
    until: localToIso(filters.until),
    limit: PAGE_SIZE,
  };
}
