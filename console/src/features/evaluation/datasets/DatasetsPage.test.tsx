import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { json, mockApi, renderAt } from "../../../test/utils";
import DatasetPage from "./DatasetPage";
import DatasetsPage from "./DatasetsPage";

const SUMMARY = {
  id: 1,
  name: "qa",
  description: "questions",
  latest_version: 2,
  case_count: 2,
  created_at: "2026-01-01T00:00:00Z",
  created_by: "admin@example.com",
  updated_at: "2026-01-02T00:00:00Z",
  updated_by: "admin@example.com",
};
const CASES = [
  { id: "q1", input: { question: "2+2?" }, expected: "4", metadata: {}, since_version: 1, source_generation_id: null },
  { id: "q2", input: { question: "3+3?" }, expected: null, metadata: {}, since_version: 2, source_generation_id: null },
];

function me(role: string, permissions: string[]) {
  return () => ({
    actor: { type: "user", id: 2, name: "bob@example.com", role, instance_admin: false, permissions, project_permissions: null },
    workspace: { slug: "default", name: "Default" },
  });
}

function api(role: string, permissions: string[], extra: Record<string, (call: { body: unknown; query: URLSearchParams }) => unknown> = {}) {
  return mockApi({
    "GET /auth/me": me(role, permissions),
    "GET /datasets": () => ({ items: [SUMMARY] }),
    "GET /datasets/qa": (call) =>
      call.query.get("version") === "1"
        ? { ...SUMMARY, version: 1, version_case_count: 1, cases: [CASES[0]], offset: 0, limit: 1000 }
        : { ...SUMMARY, version: 2, version_case_count: 2, cases: CASES, offset: 0, limit: 1000 },
    "GET /datasets/qa/versions": () => ({
      items: [
        { version: 2, message: "added 1", case_count: 2, created_at: "2026-01-02T00:00:00Z", created_by: "admin@example.com" },
        { version: 1, message: "created", case_count: 1, created_at: "2026-01-01T00:00:00Z", created_by: "admin@example.com" },
      ],
    }),
    ...extra,
  });
}

const WRITER = ["dataset:read", "dataset:write", "evaluation:read"];

describe("DatasetsPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists datasets and imports a file, sending its bytes with the format", async () => {
    const { calls } = api("editor", WRITER, {
      "POST /datasets/fresh/import": () => ({ dataset: "fresh", version: 1, added: 2, replaced: 0, case_count: 2 }),
    });
    renderAt(<DatasetsPage />, { path: "/p/default/datasets", route: "/p/:project/datasets" });
    const row = await screen.findByTestId("dataset-qa");
    expect(within(row).getByText("v2")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Dataset name"), "fresh");
    const file = new File(["question,expected\n2+2?,4\n"], "qa.csv", { type: "text/csv" });
    await userEvent.upload(screen.getByLabelText("File"), file);
    await userEvent.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByText(/Imported 2 cases into fresh \(version 1/)).toBeInTheDocument();
    const sent = calls.find((c) => c.method === "POST")!;
    expect(sent.query.get("format")).toBe("csv");
    expect(sent.query.get("mode")).toBe("append");
    expect(sent.headers.get("Content-Type")).toBe("text/csv");
  });

  it("shows the row and column of a refused import", async () => {
    api("editor", WRITER, {
      "POST /datasets/qa/import": () =>
        json(400, {
          error: { code: "invalid_import", message: "CSV row 2, column 'metadata': not valid JSON", details: { row: 2, column: "metadata" } },
        }),
    });
    renderAt(<DatasetsPage />, { path: "/p/default/datasets", route: "/p/:project/datasets" });
    await userEvent.type(await screen.findByLabelText("Dataset name"), "qa");
    await userEvent.upload(screen.getByLabelText("File"), new File(["x"], "bad.csv"));
    await userEvent.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByText(/row 2, column 'metadata'/)).toBeInTheDocument();
  });

  it("tells a viewer why there is no import form", async () => {
    api("viewer", ["dataset:read"]);
    renderAt(<DatasetsPage />, { path: "/p/default/datasets", route: "/p/:project/datasets" });
    expect(await screen.findByText(/cannot create, import or edit datasets/)).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Import a dataset file" })).not.toBeInTheDocument();
  });
});

describe("DatasetPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("edits a case as a new version, refusing input that is not a JSON object", async () => {
    const { calls } = api("editor", WRITER, {
      "PATCH /datasets/qa/cases/q1": (call) => ({
        ...SUMMARY,
        latest_version: 3,
        version: 3,
        version_case_count: 2,
        cases: [{ ...CASES[0], ...(call.body as object) }, CASES[1]],
        offset: 0,
        limit: 1000,
      }),
    });
    renderAt(<DatasetPage />, { path: "/p/default/datasets/qa", route: "/p/:project/datasets/:name" });
    const row = await screen.findByTestId("case-q1");
    await userEvent.click(within(row).getByRole("button", { name: "Edit q1" }));
    const input = screen.getByLabelText("Input (a JSON object of variables)");
    await userEvent.clear(input);
    await userEvent.type(input, "[[1]");
    await userEvent.click(screen.getByRole("button", { name: "Save as a new version" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/JSON object/);
    await userEvent.clear(input);
    await userEvent.type(input, '{{"question": "two plus two?"}');
    const expected = screen.getByLabelText("Expected output (optional)");
    await userEvent.clear(expected);
    await userEvent.type(expected, "four");
    await userEvent.click(screen.getByRole("button", { name: "Save as a new version" }));
    expect(await screen.findAllByText("Case q1 saved: version 3.")).not.toHaveLength(0);
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.body).toMatchObject({ input: { question: "two plus two?" }, expected: "four", clear_expected: false });
  });

  it("shows an older version read-only", async () => {
    api("editor", WRITER);
    renderAt(<DatasetPage />, { path: "/p/default/datasets/qa?version=1", route: "/p/:project/datasets/:name" });
    expect(await screen.findByText(/Version 1 is read-only/)).toBeInTheDocument();
    expect(screen.queryByTestId("case-q2")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit q1" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Export CSV" })).toHaveAttribute(
      "href",
      "/api/v1/datasets/qa/export?project=default&format=csv&version=1",
    );
  });
});
