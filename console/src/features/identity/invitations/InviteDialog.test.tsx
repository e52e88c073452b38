import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi, renderAt } from "../../../test/utils";
import { InviteDialog, inviteLink } from "./InviteDialog";

const CREATED = {
  id: 3,
  email: "new@example.com",
  role: "reviewer",
  status: "pending",
  created_by: "Administrator",
  created_at: "2026-11-22T10:00:00Z",
  expires_at: "2026-11-29T10:00:00Z",
  accepted_at: null,
  token: "pyi_once-only",
};

describe("inviteLink", () => {
  it("puts the token in the fragment, which never reaches the server", () => {
    expect(inviteLink("pyi_ab-c_d", "https://py.example.com")).toBe("https://py.example.com/invite#token=pyi_ab-c_d");
  });
});

describe("InviteDialog", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("invites an email with a role, then shows its link and token once with copy buttons", async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { calls } = mockApi({ "POST /invitations": () => CREATED });
    const onInvited = vi.fn();
    const onClose = vi.fn();
    renderAt(<InviteDialog onClose={onClose} onInvited={onInvited} />);
    const form = screen.getByRole("dialog", { name: "Invite a member" });
    expect(screen.getByLabelText("Email")).toHaveFocus();
    await user.type(screen.getByLabelText("Email"), "new@example.com");
    await user.selectOptions(screen.getByLabelText("Role"), "reviewer");
    await user.click(screen.getByRole("button", { name: "Create invitation" }));

    const shown = await screen.findByRole("dialog", { name: "Invitation for new@example.com created" });
    expect(form).not.toBeInTheDocument();
    expect(calls.find((c) => c.path === "/invitations")?.body).toEqual({ email: "new@example.com", role: "reviewer" });
    expect(onInvited).toHaveBeenCalledWith(CREATED);
    expect(shown).toHaveTextContent("it is shown only once");
    const link = screen.getByLabelText("Invitation link");
    expect(link).toHaveValue(`${window.location.origin}/invite#token=pyi_once-only`);
    expect(link).toHaveAttribute("readonly");
    expect(screen.getByLabelText("Invitation token")).toHaveValue("pyi_once-only");
    expect(screen.getByRole("button", { name: "Copy link" })).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Copy link" }));
    expect(writeText).toHaveBeenCalledWith(`${window.location.origin}/invite#token=pyi_once-only`);
    await user.click(screen.getByRole("button", { name: "Copy token" }));
    expect(writeText).toHaveBeenLastCalledWith("pyi_once-only");
    await user.click(screen.getByRole("button", { name: "I sent it, close" }));
    expect(onClose).toHaveBeenCalled();
  });

  it("shows the server's refusal", async () => {
    mockApi({
      "POST /invitations": () =>
        new Response(JSON.stringify({ error: { code: "validation_error", message: "email: not an email" } }), {
          status: 422,
          headers: { "Content-Type": "application/json" },
        }),
    });
    renderAt(<InviteDialog onClose={() => undefined} onInvited={() => undefined} />);
    await userEvent.type(screen.getByLabelText("Email"), "x@example.com");
    await userEvent.click(screen.getByRole("button", { name: "Create invitation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not invite. email: not an email");
  });
});
