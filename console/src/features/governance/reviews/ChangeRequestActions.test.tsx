import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChangeRequest, ChangeRequestStatus, Permission } from "../../../api/types";
import { mockApi, renderAt } from "../../../test/utils";
import { ChangeRequestActions } from "./ChangeRequestActions";

function cr(status: ChangeRequestStatus, extra: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    id: 5,
    project: "default",
    prompt: "greeting",
    version: 2,
    label: "production",
    base_version: 1,
    description: "",
    status,
    author: "Ada",
    required_approvals: 1,
    approvals: [],
    sample_variables: {},
    gate_results: [],
    created_at: "2026-11-22T10:00:00Z",
    updated_at: "2026-11-22T10:00:00Z",
    applied_at: null,
    applied_by: null,
    ...extra,
  };
}

// The permissions are the server's answer (GET /auth/me: actor.permissions), not the role's.
const reviewer = {
  name: "Grace",
  role: "reviewer",
  permissions: ["review:apply", "review:approve", "review:comment", "review:open", "review:read"] as Permission[],
};
const editor = {
  name: "Ada",
  role: "editor",
  permissions: ["review:apply", "review:comment", "review:open", "review:read"] as Permission[],
};
const buttons = () => screen.queryAllByRole("button").map((b) => b.textContent);

describe("ChangeRequestActions", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("offers approve, request changes and close on an open request, but not apply", () => {
    renderAt(<ChangeRequestActions cr={cr("open")} actor={reviewer} />);
    expect(buttons()).toEqual(["Comment", "Approve", "Request changes", "Close…"]);
  });

  it("offers apply once approved", () => {
    renderAt(<ChangeRequestActions cr={cr("approved", { approvals: ["Grace"] })} actor={reviewer} />);
    expect(buttons()).toEqual(["Comment", "Request changes", "Apply…", "Close…"]);
  });

  it("offers only comments on an applied or closed request", () => {
    renderAt(<ChangeRequestActions cr={cr("applied")} actor={reviewer} />);
    expect(buttons()).toEqual(["Comment"]);
  });

  it("lets an editor author apply or close but not approve", () => {
    renderAt(<ChangeRequestActions cr={cr("approved", { approvals: ["Grace"] })} actor={editor} />);
    expect(buttons()).toEqual(["Comment", "Apply…", "Close…"]);
  });

  it("shows a viewer that it can only read", () => {
    renderAt(<ChangeRequestActions cr={cr("open")} actor={{ name: "Vic", role: "viewer", permissions: ["review:read"] as Permission[] }} />);
    expect(buttons()).toEqual([]);
    expect(screen.getByText(/can only read/)).toBeInTheDocument();
  });

  it("follows the server's permissions, not the role", () => {
    renderAt(<ChangeRequestActions cr={cr("open")} actor={{ ...reviewer, permissions: ["review:comment", "review:read"] }} />);
    expect(buttons()).toEqual(["Comment"]);
  });

  it("offers nothing when the server sends no permissions", () => {
    renderAt(<ChangeRequestActions cr={cr("open")} actor={{ name: "Grace", role: "admin" }} />);
    expect(buttons()).toEqual([]);
  });

  it("disables Approve for the request's own author, with the reason", () => {
    renderAt(<ChangeRequestActions cr={cr("open", { author: "Grace" })} actor={reviewer} />);
    const approve = screen.getByRole("button", { name: "Approve" });
    expect(approve).toBeDisabled();
    expect(approve).toHaveAccessibleDescription(/you cannot approve it: another reviewer must/);
  });

  it("applies after the confirm step", async () => {
    const { calls } = mockApi({ "POST /change-requests/5/apply": () => cr("applied") });
    renderAt(<ChangeRequestActions cr={cr("approved", { approvals: ["Grace"] })} actor={reviewer} />);
    await userEvent.click(screen.getByRole("button", { name: "Apply…" }));
    await userEvent.click(screen.getByRole("button", { name: "Move production to v2" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Applied: production now points to version 2.");
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /change-requests/5/apply"]);
  });
});
