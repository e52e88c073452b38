import { describe, expect, it } from "vitest";
import type { Connection } from "../api";
import { createBody, formFrom, updateBody } from "./connectionForm";
import { priceBody, EMPTY_PRICE } from "./priceForm";

const CONN: Connection = {
  id: 1,
  name: "openai",
  kind: "openai",
  base_url: null,
  api_key_set: true,
  api_key_hint: "sk-…abcd",
  models: ["gpt-4o"],
  default_params: { temperature: 0.2 },
  options: { headers: { "X-Team": "ab…cd" } },
  timeout_seconds: 60,
  max_concurrency: 8,
  created_by: "admin@example.com",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("connection form", () => {
  it("builds the body of a new connection, leaving empty fields out", () => {
    const form = { ...formFrom(null), name: "local", kind: "fake", models: "echo, upper json", max_concurrency: "4" };
    expect(createBody(form)).toEqual({
      body: { name: "local", kind: "fake", models: ["echo", "upper", "json"], max_concurrency: 4 },
      errors: {},
    });
  });

  it("checks fields as the server does", () => {
    const form = {
      ...formFrom(null),
      name: "Bad Name",
      max_concurrency: "0",
      timeout_seconds: "601",
      default_params: "[1]",
      options: "{oops",
      base_url: "ftp://x",
    };
    const { body, errors } = createBody(form);
    expect(body).toBeUndefined();
    expect(Object.keys(errors).sort()).toEqual(["base_url", "default_params", "max_concurrency", "name", "options", "timeout_seconds"]);
  });

  it("never puts a key into the form and sends only what changed", () => {
    const form = formFrom(CONN);
    expect(form.api_key).toBe("");
    expect(updateBody(form, CONN)).toEqual({ body: {}, errors: {} });
    // masked header values are not sent back unless the options text was edited
    const edited = { ...form, max_concurrency: "16", models: "gpt-4o gpt-4o-mini", api_key: "sk-new-key-1234" };
    expect(updateBody(edited, CONN).body).toEqual({
      max_concurrency: 16,
      models: ["gpt-4o", "gpt-4o-mini"],
      api_key: "sk-new-key-1234",
    });
    expect(updateBody({ ...form, clear_key: true, base_url: "http://127.0.0.1:11434/v1" }, CONN).body).toEqual({
      api_key: null,
      base_url: "http://127.0.0.1:11434/v1",
    });
    expect(updateBody({ ...form, default_params: "" }, CONN).body).toEqual({ default_params: {} });
  });
});

describe("price form", () => {
  it("builds a price override", () => {
    expect(priceBody({ ...EMPTY_PRICE, model: "gpt-4o", input: "2.5", output: "$10" })).toEqual({
      body: { model: "gpt-4o", input_per_mtok: 2.5, output_per_mtok: 10, currency: "USD" },
    });
    const full = priceBody({ ...EMPTY_PRICE, model: "m", provider: "openai", input: "1", output: "2", cached: "0.5", from: "2026-01-01T00:00" });
    expect(full.body).toMatchObject({ provider: "openai", cached_input_per_mtok: 0.5, effective_from: new Date(2026, 0, 1).toISOString() });
  });

  it("refuses what the server would", () => {
    expect(priceBody(EMPTY_PRICE).error).toMatch(/model/);
    expect(priceBody({ ...EMPTY_PRICE, model: "m", input: "1" }).error).toMatch(/both/);
    expect(priceBody({ ...EMPTY_PRICE, model: "m", input: "-1", output: "2" }).error).toMatch(/0 to 1,000,000/);
  });
});
