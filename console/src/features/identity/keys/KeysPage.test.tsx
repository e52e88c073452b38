import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi, renderAt } from "../../../test/utils";
import KeysPage from "./KeysPage";

const KEY = {
  id: 3,
  name: "deploy",
  kind: "api",
  prefix: "py_abc",
  public_key: null,
  role: "viewer",
  project: null,
  user_id: 2,
  service_account: false,
  created_by: "bob@example.com",
  created_at: "2026-01-01T00:00:00Z",
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
};

/** GET /auth/me of an editor; what it may do is `permissions`, as the server says. */
function api(permissions: string[]) {
  return mockApi({
    "GET /auth/me": () => ({
      actor: { type: "user", id: 2, name: "bob@example.com", role: "editor", instance_admin: false, permissions },
      workspace: { slug: "default", name: "Default" },
    }),
    "GET /keys": () => ({ items: [KEY] }),
    "GET /projects": () => ({ items: [{ slug: "default", name: "Default", prompt_count: 0, created_at: "2026-01-01T00:00:00Z" }] }),
    "DELETE /keys/3": () => new Response(null, { status: 204 }),
  });
}

const renderPage = () => renderAt(<KeysPage />, { path: "/p/default/settings/keys", route: "/p/:project/settings/keys" });

describe("KeysPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("offers roles up to one's own, and no service account, without key:manage", async () => {
    api(["self:manage"]);
    renderPage();
    expect(await screen.findByText(/Your own keys/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Create API key" }));
    const dialog = screen.getByRole("dialog", { name: "Create an API key" });
    const roles = () => within(within(dialog).getByLabelText("Role")).queryAllByRole("option");
    await vi.waitFor(() => expect(roles().map((o) => o.textContent)).toEqual(["viewer", "editor"]));
    expect(within(dialog).queryByLabelText(/Service account/)).not.toBeInTheDocument();
  });

  it("offers every role and service accounts with key:manage", async () => {
    api(["key:manage", "self:manage"]);
    renderPage();
    expect(await screen.findByText(/Every key of the workspace/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Create API key" }));
    const dialog = screen.getByRole("dialog", { name: "Create an API key" });
    const roles = within(within(dialog).getByLabelText("Role")).getAllByRole("option");
    expect(roles.map((o) => o.textContent)).toEqual(["viewer", "editor", "reviewer", "admin"]);
    expect(within(dialog).getByLabelText(/Service account/)).toBeInTheDocument();
  });

  it("revokes a key after the confirm step", async () => {
    const { calls } = api(["self:manage"]);
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Revoke deploy" }));
    const confirm = screen.getByRole("alertdialog", { name: "Revoke deploy?" });
    await userEvent.click(within(confirm).getByRole("button", { name: "Revoke key" }));
    expect(await screen.findByText("Key deploy was revoked; it no longer works.", { selector: ".notice" })).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE" && c.path === "/keys/3")).toBe(true);
  });
});
