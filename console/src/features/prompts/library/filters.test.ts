import { describe, expect, it } from "vitest";
import { hasFilters, readFilters, toListQuery, writeFilters } from "./filters";

describe("library filters in the URL", () => {
  it("round-trips through the query string", () => {
    const params = new URLSearchParams("q=refund&tag=email&tag=billing&folder=support&label=production&author=ada&updated=7d&sort=name&page=3");
    const filters = readFilters(params);
    expect(filters).toMatchObject({ q: "refund", tags: ["email", "billing"], folder: "support", updated: "7d", sort: "name", page: 3 });
    expect(readFilters(writeFilters(filters))).toEqual(filters);
    expect(hasFilters(filters)).toBe(true);
  });

  it("leaves defaults out of the URL and ignores junk", () => {
    const filters = readFilters(new URLSearchParams("updated=forever&page=-2"));
    expect(filters.updated).toBe("");
    expect(filters.page).toBe(1);
    expect(writeFilters(filters).toString()).toBe("");
    expect(hasFilters(filters)).toBe(false);
  });

  it("turns filters into the API's list query", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    const query = toListQuery(readFilters(new URLSearchParams("updated=1d&page=2&tag=a")), now);
    expect(query).toMatchObject({
      tag: ["a"],
      updated_after: "2026-11-21T12:00:00.000Z",
      sort: "-updated_at",
      limit: 50,
      offset: 50,
    });
    expect(query.q).toBeUndefined();
  });
});
