import { QueryClient } from "@tanstack/react-query";
import { afterEach, describe, expect, it, vi } from "vitest";
import { identityQueries } from "./features/identity/queries";
import { readFilters } from "./features/prompts/library/filters";
import { promptQueries } from "./features/prompts/queries";
import { prefetchFirstPage } from "./prefetch";
import { mockApi } from "./test/utils";

const at = (url: string) => new URL(url, "http://localhost") as unknown as Location;

describe("prefetchFirstPage", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  it("fills the very queries the library page reads", async () => {
    const { calls } = mockApi({
      "GET /auth/me": () => ({ actor: {}, workspace: {} }),
      "GET /projects": () => ({ items: [] }),
      "GET /prompts": () => ({ items: [], total: 0, limit: 50, offset: 0 }),
      "GET /folders": () => ({ items: [] }),
      "GET /tags": () => ({ items: [] }),
    });
    const client = new QueryClient();
    prefetchFirstPage(client, at("/p/demo?tag=a&q=hi"));
    const filters = readFilters(new URLSearchParams("tag=a&q=hi"));
    await vi.waitFor(() => {
      for (const options of [
        identityQueries.me(),
        identityQueries.projects(),
        promptQueries.list("demo", filters),
        promptQueries.folders("demo"),
        promptQueries.tags("demo"),
      ])
        expect(client.getQueryData(options.queryKey)).toBeDefined();
    });
    const list = calls.find((c) => c.path === "/prompts");
    expect(list?.query.get("project")).toBe("demo");
    expect(list?.query.get("q")).toBe("hi");
  });

  it("starts a prompt's data on a prompt's page, without waiting for the page's code", async () => {
    const { calls } = mockApi({
      "GET /auth/me": () => ({ actor: {}, workspace: {} }),
      "GET /projects": () => ({ items: [] }),
      "GET /prompts/support%2Freply": () => ({ name: "support/reply" }),
    });
    const client = new QueryClient();
    prefetchFirstPage(client, at("/p/demo/prompts/support%2Freply/history"));
    await vi.waitFor(() =>
      expect(client.getQueryData(promptQueries.one("demo", "support/reply").queryKey)).toBeDefined(),
    );
    expect(calls.find((c) => c.path.startsWith("/prompts/"))?.query.get("project")).toBe("demo");
    expect(calls.some((c) => c.path === "/prompts")).toBe(false);
  });

  it("asks only for the session on the sign-in page", async () => {
    const { calls } = mockApi({ "GET /auth/me": () => ({ actor: {}, workspace: {} }) });
    prefetchFirstPage(new QueryClient(), at("/signin"));
    await vi.waitFor(() => expect(calls.map((c) => c.path)).toEqual(["/auth/me"]));
  });
});
