import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi, renderAt } from "../../../test/utils";
import MembersPage from "./MembersPage";

const MEMBERS = {
  items: [
    { id: 1, email: "admin@example.com", name: "Admin", role: "admin", is_active: true, created_at: "2026-01-01T00:00:00Z", last_login_at: null },
    { id: 2, email: "bob@example.com", name: "Bob", role: "editor", is_active: true, created_at: "2026-01-01T00:00:00Z", last_login_at: null },
  ],
};
const INVITATIONS = {
  items: [
    { id: 5, email: "pending@example.com", role: "viewer", status: "pending", created_by: "Admin", created_at: "2026-01-02T00:00:00Z", expires_at: "2099-01-09T00:00:00Z", accepted_at: null },
    { id: 4, email: "done@example.com", role: "editor", status: "accepted", created_by: "Admin", created_at: "2026-01-01T00:00:00Z", expires_at: "2026-01-08T00:00:00Z", accepted_at: "2026-01-01T01:00:00Z" },
  ],
};

/** What GET /auth/me answers: the controls follow actor.permissions. */
function me(instanceAdmin: boolean, role: string, permissions: string[]) {
  return {
    actor: { type: "user", id: 1, name: "admin@example.com", role, instance_admin: instanceAdmin, permissions },
    workspace: { slug: "default", name: "Default" },
  };
}

const ADMIN = ["key:manage", "member:manage", "member:read", "self:manage"];
const EDITOR = ["member:read", "self:manage"];

function api(instanceAdmin: boolean, role = "admin", permissions = role === "admin" ? ADMIN : EDITOR) {
  const held = instanceAdmin ? [...permissions, "account:manage"].sort() : permissions;
  return mockApi({
    "GET /auth/me": () => me(instanceAdmin, role, held),
    "GET /members": () => MEMBERS,
    "GET /invitations": () => INVITATIONS,
    "DELETE /invitations/5": () => new Response(null, { status: 204 }),
    "GET /projects/default/members": () => ({ items: [] }),
  });
}

const renderPage = () => renderAt(<MembersPage />, { path: "/p/default/settings", route: "/p/:project/settings" });

describe("MembersPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("gives a workspace admin invitations and memberships, not accounts, and says why", async () => {
    api(false);
    renderPage();
    const row = await screen.findByTestId("member-bob@example.com");
    expect(await screen.findByRole("button", { name: "Invite…" })).toBeInTheDocument();
    expect(within(row).getByLabelText("Role of bob@example.com")).toBeInTheDocument();
    expect(within(row).getByRole("button", { name: "Remove bob@example.com" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Create account/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Reset password/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^(Disable|Enable) / })).not.toBeInTheDocument();
    expect(screen.getByText(/Only an instance administrator can create accounts, reset passwords/)).toBeInTheDocument();
  });

  it("gives an instance administrator the account controls too", async () => {
    api(true);
    renderPage();
    const row = await screen.findByTestId("member-bob@example.com");
    expect(await screen.findByRole("button", { name: "Create account…" })).toBeInTheDocument();
    expect(within(row).getByRole("button", { name: "Disable bob@example.com" })).toBeInTheDocument();
    expect(within(row).getByRole("button", { name: "Reset password of bob@example.com" })).toBeInTheDocument();
    expect(screen.queryByText(/Only an instance administrator/)).not.toBeInTheDocument();
  });

  it("lists invitations with their status and revokes a pending one after a confirm", async () => {
    const { calls } = api(false);
    renderPage();
    const pending = await screen.findByTestId("invitation-pending@example.com");
    expect(pending).toHaveTextContent("pending");
    const accepted = screen.getByTestId("invitation-done@example.com");
    expect(accepted).toHaveTextContent("accepted");
    expect(within(accepted).queryByRole("button")).not.toBeInTheDocument();
    await userEvent.click(within(pending).getByRole("button", { name: "Revoke the invitation of pending@example.com" }));
    const confirm = screen.getByRole("alertdialog", { name: "Revoke the invitation of pending@example.com?" });
    await userEvent.click(within(confirm).getByRole("button", { name: "Revoke invitation" }));
    expect(await screen.findByText(/its link no longer works/, { selector: ".notice" })).toBeInTheDocument();
    expect(calls.some((c) => c.method === "DELETE" && c.path === "/invitations/5")).toBe(true);
  });

  it("shows an editor neither invitations nor account controls", async () => {
    const { calls } = api(false, "editor");
    renderPage();
    await screen.findByTestId("member-bob@example.com");
    expect(await screen.findByText(/Only admins can change members/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Invite…" })).not.toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Invitations" })).not.toBeInTheDocument();
    expect(calls.some((c) => c.path === "/invitations")).toBe(false);
  });

  it("offers an admin role no member controls when the server does not grant them", async () => {
    api(false, "admin", ["member:read"]);
    renderPage();
    const row = await screen.findByTestId("member-bob@example.com");
    expect(await screen.findByText(/Only admins can change members/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Invite…" })).not.toBeInTheDocument();
    expect(within(row).queryByLabelText("Role of bob@example.com")).not.toBeInTheDocument();
  });
});
