import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChangeRequest, Impact, PromptSummary } from "../../../api/types";
import { LifecycleBadge } from "../../../components/LifecycleBadge";
import { LifecycleControl } from "../../../components/LifecycleControl";
import { json, mockApi, renderAt } from "../../../test/utils";
import { PromptTable } from "../../prompts/library/PromptTable";
import ImpactPage from "./ImpactPage";

const cr = {
  id: 7,
  project: "default",
  prompt: "tone",
  version: 2,
  label: "production",
  base_version: 1,
  description: "",
  status: "open",
  author: "Ada",
  required_approvals: 1,
  approvals: [],
  sample_variables: {},
  gate_results: [],
  created_at: "2026-11-22T10:00:00Z",
  updated_at: "2026-11-22T10:00:00Z",
  applied_at: null,
  applied_by: null,
} satisfies ChangeRequest;

const impact: Impact = {
  prompt: "tone",
  version: null,
  lifecycle: "published",
  labels: [
    { name: "latest", version: 2 },
    { name: "production", version: 1 },
  ],
  dependents: [{ prompt: "reply", version: 3, reference: "prompt:tone@latest", resolves_to: 2 }],
  change_requests: [cr],
};

const route = "/p/:project/prompts/:name/impact";

describe("ImpactPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists labels, dependents and open change requests with links", async () => {
    const { calls } = mockApi({
      "GET /prompts/tone/impact": () => impact,
      "GET /prompts/tone/versions": () => ({ items: [], total: 0 }),
    });
    renderAt(<ImpactPage />, { path: "/p/default/prompts/tone/impact", route });
    const labels = await screen.findByTestId("impact-labels");
    expect(labels).toHaveTextContent("latest → v2");
    expect(labels).toHaveTextContent("production → v1");
    const dependents = screen.getByTestId("impact-dependents");
    expect(within(dependents).getByRole("link", { name: "reply" })).toHaveAttribute(
      "href",
      "/p/default/prompts/reply",
    );
    expect(dependents).toHaveTextContent("v3 includes prompt:tone@latest, which resolves to v2");
    const requests = screen.getByTestId("impact-requests");
    expect(within(requests).getByRole("link", { name: "#7: production → v2" })).toHaveAttribute(
      "href",
      "/p/default/reviews/7",
    );
    expect(requests).toHaveTextContent("open");
    const call = calls.find((c) => c.path === "/prompts/tone/impact");
    expect(call?.query.get("project")).toBe("default");
    expect(call?.query.has("version")).toBe(false);
  });

  it("explains what would appear when nothing depends on the prompt", async () => {
    const { calls } = mockApi({
      "GET /prompts/tone/impact": () => ({ ...impact, version: 1, labels: [], dependents: [], change_requests: [] }),
      "GET /prompts/tone/versions": () => ({ items: [], total: 0 }),
    });
    renderAt(<ImpactPage />, { path: "/p/default/prompts/tone/impact?version=1", route });
    expect(await screen.findByText(/No label points at v1/)).toBeInTheDocument();
    expect(screen.getByText(/No other prompt includes or extends tone/)).toBeInTheDocument();
    expect(screen.getByText(/No change request for tone is open/)).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/prompts/tone/impact")?.query.get("version")).toBe("1");
  });
});

const summary = (name: string, lifecycle: PromptSummary["lifecycle"]): PromptSummary => ({
  id: 1,
  project: "default",
  name,
  folder: "",
  type: "text",
  description: "",
  tags: [],
  metadata: {},
  latest_version: 1,
  labels: { latest: 1 },
  created_at: "2026-11-22T10:00:00Z",
  created_by: "Ada",
  updated_at: "2026-11-22T10:00:00Z",
  updated_by: "Ada",
  deleted_at: null,
  lifecycle,
});

describe("lifecycle badge", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("reads the state in words", () => {
    renderAt(<LifecycleBadge state="in_review" prefix />);
    expect(screen.getByTestId("lifecycle-badge")).toHaveTextContent("Lifecycle: in review");
  });

  it("marks deprecated and archived prompts in the library, and only those", () => {
    renderAt(
      <PromptTable
        project="default"
        items={[summary("tone", "deprecated"), summary("old", "archived"), summary("reply", "published")]}
        sort="name"
        onSort={() => undefined}
        selected={new Set()}
        onToggle={() => undefined}
        onToggleAll={() => undefined}
      />,
    );
    const rows = screen.getAllByTestId("prompt-row");
    expect(within(rows[0] as HTMLElement).getByTestId("lifecycle-badge")).toHaveTextContent("deprecated");
    expect(within(rows[1] as HTMLElement).getByTestId("lifecycle-badge")).toHaveTextContent("archived");
    expect(within(rows[2] as HTMLElement).queryByTestId("lifecycle-badge")).toBeNull();
  });

  it("asks before deprecating, then sets the state", async () => {
    const { calls } = mockApi({
      "POST /prompts/tone/lifecycle": () => ({ name: "tone", lifecycle: "deprecated", previous: "draft" }),
    });
    renderAt(<LifecycleControl project="default" name="tone" current="draft" />);
    await userEvent.selectOptions(screen.getByLabelText("Set lifecycle of tone"), "deprecated");
    await userEvent.click(screen.getByRole("button", { name: "Set" }));
    const dialog = screen.getByRole("alertdialog", { name: "Deprecate tone?" });
    expect(dialog).toHaveTextContent("still served");
    expect(calls).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole("button", { name: "Deprecate" }));
    expect(await screen.findByRole("status")).toHaveTextContent("tone is now deprecated.");
    expect(calls[0]?.body).toEqual({ state: "deprecated" });
    expect(calls[0]?.query.get("project")).toBe("default");
  });

  it("shows the server's refusal readably", async () => {
    mockApi({
      "POST /prompts/tone/lifecycle": () =>
        json(403, { error: { code: "forbidden", message: "your role cannot do prompt:write" } }),
    });
    renderAt(<LifecycleControl project="default" name="tone" current="deprecated" />);
    await userEvent.selectOptions(screen.getByLabelText("Set lifecycle of tone"), "published");
    await userEvent.click(screen.getByRole("button", { name: "Set" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("your role cannot do prompt:write");
  });
});
