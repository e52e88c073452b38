import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi, renderAt } from "../../../test/utils";
import ProvidersPage from "./ProvidersPage";

const CONN = {
  id: 1,
  name: "openai",
  kind: "openai",
  base_url: null,
  api_key_set: true,
  api_key_hint: "sk-…abcd",
  models: ["gpt-4o"],
  default_params: {},
  options: {},
  timeout_seconds: 60,
  max_concurrency: 8,
  created_by: "admin@example.com",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function api(role: string, permissions: string[]) {
  return mockApi({
    "GET /auth/me": () => ({
      actor: { type: "user", id: 2, name: "bob@example.com", role, instance_admin: false, permissions, project_permissions: null },
      workspace: { slug: "default", name: "Default" },
    }),
    "GET /providers": () => ({ items: [CONN] }),
    "GET /providers/prices": () => ({ items: [] }),
    "GET /providers/openai/models": () => ({ connection: "openai", source: "configured", error: "401 bad key", items: [{ id: "openai/gpt-4o", model: "gpt-4o" }] }),
    "PATCH /providers/openai": (call) => ({ ...CONN, ...(call.body as object) }),
  });
}

const renderPage = () => renderAt(<ProvidersPage />, { path: "/p/default/settings/providers", route: "/p/:project/settings/providers" });

describe("ProvidersPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows a viewer the connections, masked, with changes disabled and why", async () => {
    api("viewer", ["provider:read", "generation:read"]);
    renderPage();
    const item = await screen.findByTestId("connection-openai");
    expect(within(item).getByText("sk-…abcd")).toBeInTheDocument();
    expect(within(item).queryByRole("button", { name: "Edit openai" })).not.toBeInTheDocument();
    expect(within(item).queryByRole("button", { name: "Remove openai" })).not.toBeInTheDocument();
    const add = screen.getByRole("button", { name: "Add connection" });
    expect(add).toBeDisabled();
    expect(add).toHaveAccessibleDescription(/Your role \(viewer\) cannot add, change or remove/);
    expect(screen.queryByRole("form", { name: "Add a price override" })).not.toBeInTheDocument();
    // listing models is for everyone who can read
    await userEvent.click(within(item).getByRole("button", { name: "List models" }));
    expect(await screen.findByText("openai/gpt-4o")).toBeInTheDocument();
    expect(screen.getByText("401 bad key")).toBeInTheDocument();
  });

  it("lets an admin edit a connection, sending only what changed", async () => {
    const { calls } = api("admin", ["provider:read", "provider:manage"]);
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Edit openai" }));
    const dialog = screen.getByRole("dialog", { name: "Edit connection openai" });
    const key = within(dialog).getByLabelText("New API key");
    expect(key).toHaveValue("");
    await userEvent.clear(within(dialog).getByLabelText("Concurrency limit"));
    await userEvent.type(within(dialog).getByLabelText("Concurrency limit"), "16");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save connection" }));
    expect(await screen.findByText("Connection openai was saved.", { selector: ".notice" })).toBeInTheDocument();
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.body).toEqual({ max_concurrency: 16 });
  });
});
