import { afterEach, describe, expect, it, vi } from "vitest";
import { json, mockApi } from "../test/utils";
import { ApiError, buildUrl, request } from "./client";

describe("api client", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    document.cookie = "promptyard_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
  });

  it("builds URLs with repeated and empty query values", () => {
    expect(buildUrl("/prompts", { project: "default", tag: ["a", "b"], q: "", label: undefined })).toBe(
      "/api/v1/prompts?project=default&tag=a&tag=b",
    );
  });

  it("sends the CSRF cookie as a header on writes only", async () => {
    document.cookie = "promptyard_csrf=abc%20def";
    const { calls } = mockApi({ "GET /x": () => ({}), "POST /x": () => ({}) });
    await request("/x");
    await request("/x", { method: "POST", body: { a: 1 } });
    expect(calls[0]?.headers.get("X-CSRF-Token")).toBeNull();
    expect(calls[1]?.headers.get("X-CSRF-Token")).toBe("abc def");
    expect(calls[1]?.headers.get("Content-Type")).toBe("application/json");
  });

  it("turns the JSON error shape into an ApiError with the server's message", async () => {
    mockApi({
      "GET /prompts/nope": () =>
        json(404, { error: { code: "not_found", message: "prompt 'nope' not found", details: { name: "nope" } } }),
    });
    const error = await request("/prompts/nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: "not_found", message: "prompt 'nope' not found", details: { name: "nope" } });
  });

  it("reports a lost connection as a network error", async () => {
    vi.stubGlobal("fetch", vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))));
    const error = await request("/prompts").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).isNetwork).toBe(true);
    expect((error as ApiError).message).toMatch(/Cannot reach the Promptyard server/);
  });

  it("gives a readable message when the body is not the error shape", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })));
    await expect(request("/prompts")).rejects.toMatchObject({ status: 502, message: "502 Bad Gateway" });
  });
});
