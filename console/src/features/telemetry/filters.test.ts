import { describe, expect, it } from "vitest";
import { EMPTY_FILTERS, hasFilters, localToIso, readFilters, toQuery, writeFilters } from "./filters";

describe("generation filters in the URL", () => {
  it("round-trips every filter through the query string", () => {
    const params = new URLSearchParams(
      "q=refund&prompt=greeting&version=3&model=gpt-4o&provider=openai&user=u1&session=s1&feature=chat&agent=bot&status=error&range=7d&since=2026-01-01T10:00&until=2026-01-02T10:00",
    );
    const filters = readFilters(params);
    expect(filters).toMatchObject({ q: "refund", prompt: "greeting", version: "3", status: "error", range: "7d" });
    expect(readFilters(writeFilters(filters))).toEqual(filters);
    expect(hasFilters(filters)).toBe(true);
  });

  it("leaves defaults out of the URL and drops junk", () => {
    const filters = readFilters(new URLSearchParams("status=weird&range=forever&version=-2&prompt=%20%20"));
    expect(filters).toEqual(EMPTY_FILTERS);
    expect(writeFilters(filters).toString()).toBe("");
    expect(hasFilters(filters)).toBe(false);
    expect(readFilters(new URLSearchParams("version=1.5")).version).toBe("");
  });

  it("turns the filters into the API's query", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    const query = toQuery(readFilters(new URLSearchParams("range=24h&version=2&status=ok&q=hi")), now);
    expect(query).toEqual({
      q: "hi",
      prompt: undefined,
      version: 2,
      model: undefined,
      provider: undefined,
      user: undefined,
      session: undefined,
      feature: undefined,
      agent: undefined,
      status: "ok",
      since: "2026-11-21T12:00:00.000Z",
      until: undefined,
      limit: 50,
    });
  });

  it("lets an explicit From win over the relative range", () => {
    const filters = readFilters(new URLSearchParams("range=1h&since=2026-01-01T00:00&until=2026-01-02T00:00"));
    const query = toQuery(filters, Date.parse("2026-11-22T12:00:00Z"));
    expect(query.since).toBe(localToIso("2026-01-01T00:00"));
    expect(query.until).toBe(new Date(2026, 0, 2, 0, 0).toISOString());
    expect(localToIso("not a date")).toBeUndefined();
    expect(localToIso("")).toBeUndefined();
  });
});
