// The add / edit form of a provider connection: its text fields, checked here the way
// the server checks them, and turned into the body of POST /providers or (only the
// fields that changed) PATCH /providers/{name}. The key is never shown: the field
// starts empty, empty keeps the stored key, and removing it is its own choice.
import { splitList } from "../../../lib/format";
import type { Connection, ConnectionCreate, ConnectionUpdate } from "../api";

/** The built-in kinds (docs/providers.md); a plugin may register more. */
export const KNOWN_KINDS = ["openai", "azure_openai", "anthropic", "fake"] as const;

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface ConnectionForm {
  name: string;
  kind: string;
  base_url: string;
  api_key: string;
  /** Edit only: remove the stored key. */
  clear_key: boolean;
  /** Comma or space separated. */
  models: string;
  max_concurrency: string;
  timeout_seconds: string;
  /** JSON objects. */
  default_params: string;
  options: string;
}

export type FormErrors = Partial<Record<keyof ConnectionForm, string>>;

const json = (value: Record<string, unknown>) => (Object.keys(value).length ? JSON.stringify(value, null, 2) : "");

export function formFrom(conn: Connection | null): ConnectionForm {
  return {
    name: conn?.name ?? "",
    kind: conn?.kind ?? "openai",
    base_url: conn?.base_url ?? "",
    api_key: "",
    clear_key: false,
    models: conn?.models.join(", ") ?? "",
    max_concurrency: conn ? String(conn.max_concurrency) : "",
    timeout_seconds: conn ? String(conn.timeout_seconds) : "",
    default_params: conn ? json(conn.default_params) : "",
    options: conn ? json(conn.options) : "",
  };
}

function parseObject(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return { value: value as Record<string, unknown> };
    return { error: 'Write a JSON object, e.g. {"temperature": 0.2}.' };
  } catch {
    return { error: 'Not valid JSON; write an object, e.g. {"temperature": 0.2}.' };
  }
}

function parseNumber(text: string, { integer, min, max, exclusiveMin }: { integer: boolean; min: number; max: number; exclusiveMin?: boolean }) {
  if (!text.trim()) return { value: undefined };
  const value = Number(text);
  const low = exclusiveMin ? value <= min : value < min;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || low || value > max) {
    const what = integer ? "a whole number" : "a number";
    return { error: `Enter ${what} ${exclusiveMin ? "above" : "from"} ${min} ${exclusiveMin ? "up to" : "to"} ${max}.` };
  }
  return { value };
}

interface Parsed {
  errors: FormErrors;
  models: string[];
  max_concurrency?: number;
  timeout_seconds?: number;
  default_params?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

function parse(form: ConnectionForm): Parsed {
  const errors: FormErrors = {};
  const conc = parseNumber(form.max_concurrency, { integer: true, min: 1, max: 256 });
  if (conc.error) errors.max_concurrency = conc.error;
  const timeout = parseNumber(form.timeout_seconds, { integer: false, min: 0, max: 600, exclusiveMin: true });
  if (timeout.error) errors.timeout_seconds = timeout.error;
  const params = parseObject(form.default_params);
  if (params.error) errors.default_params = params.error;
  const options = parseObject(form.options);
  if (options.error) errors.options = options.error;
  if (form.base_url.trim() && !/^https?:\/\/\S+$/i.test(form.base_url.trim())) {
    errors.base_url = "Enter an http:// or https:// address, or leave it empty for the kind's default.";
  }
  return {
    errors,
    models: splitList(form.models),
    max_concurrency: conc.value,
    timeout_seconds: timeout.value,
    default_params: params.value,
    options: options.value,
  };
}

/** The body of POST /providers, or the errors to show next to the fields. */
export function createBody(form: ConnectionForm): { body?: ConnectionCreate; errors: FormErrors } {
  const parsed = parse(form);
  const errors = { ...parsed.errors };
  if (!NAME.test(form.name.trim())) errors.name = "Use a-z, 0-9, _ and -, starting with a letter or digit (at most 64).";
  if (!form.kind.trim()) errors.kind = "Choose the kind of provider.";
  if (Object.keys(errors).length) return { errors };
  const body: ConnectionCreate = { name: form.name.trim(), kind: form.kind.trim() };
  if (form.base_url.trim()) body.base_url = form.base_url.trim();
  if (form.api_key) body.api_key = form.api_key;
  if (parsed.models.length) body.models = parsed.models;
  if (parsed.max_concurrency !== undefined) body.max_concurrency = parsed.max_concurrency;
  if (parsed.timeout_seconds !== undefined) body.timeout_seconds = parsed.timeout_seconds;
  if (parsed.default_params && Object.keys(parsed.default_params).length) body.default_params = parsed.default_params;
  if (parsed.options && Object.keys(parsed.options).length) body.options = parsed.options;
  return { body, errors };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The body of PATCH /providers/{name}: only what changed. Options are sent only when
 * their text was edited (the server shows header values masked; sending the masked
 * text back would replace the real values). */
export function updateBody(form: ConnectionForm, original: Connection): { body?: ConnectionUpdate; errors: FormErrors } {
  const parsed = parse(form);
  if (Object.keys(parsed.errors).length) return { errors: parsed.errors };
  const before = formFrom(original);
  const body: ConnectionUpdate = {};
  const baseUrl = form.base_url.trim();
  if (baseUrl !== (original.base_url ?? "")) body.base_url = baseUrl || null;
  if (form.clear_key) body.api_key = null;
  else if (form.api_key) body.api_key = form.api_key;
  if (!same(parsed.models, original.models)) body.models = parsed.models;
  if (parsed.max_concurrency !== undefined && parsed.max_concurrency !== original.max_concurrency) {
    body.max_concurrency = parsed.max_concurrency;
  }
  if (parsed.timeout_seconds !== undefined && parsed.timeout_seconds !== original.timeout_seconds) {
    body.timeout_seconds = parsed.timeout_seconds;
  }
  if (form.default_params !== before.default_params && !same(parsed.default_params, original.default_params)) {
    body.default_params = parsed.default_params;
  }
  if (form.options !== before.options && !same(parsed.options, original.options)) body.options = parsed.options;
  return { body, errors: {} };
}
