import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../../api/client";
import { json, mockApi } from "../../../test/utils";
import AcceptInvitationPage, { tokenFromHash } from "./AcceptInvitationPage";
import { acceptProblem } from "./acceptErrors";

const ME = {
  actor: {
    type: "user",
    id: 9,
    name: "new@example.com",
    role: "editor",
    instance_admin: false,
    permissions: ["prompt:read", "prompt:write", "self:manage"],
  },
  workspace: { slug: "team", name: "Team" },
};

function renderInvite(path: string) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/invite" element={<AcceptInvitationPage />} />
          <Route path="/" element={<p>Home page</p>} />
          <Route path="/signin" element={<p>Sign-in page</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return client;
}

describe("tokenFromHash", () => {
  it("reads the token of an invitation link", () => {
    expect(tokenFromHash("#token=pyi_abc-DEF_1")).toBe("pyi_abc-DEF_1");
    expect(tokenFromHash("token=pyi_x")).toBe("pyi_x");
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash("#other=1")).toBeNull();
  });
});

describe("acceptProblem", () => {
  it("explains each refusal of the server", () => {
    expect(acceptProblem(new ApiError(401, "wrong_password", "x")).text).toMatch(/current password/);
    expect(acceptProblem(new ApiError(404, "invitation_unusable", "x")).title).toBe(
      "This invitation cannot be used.",
    );
    const short = new ApiError(422, "validation_error", "password: …", [{ loc: ["password"], message: "at least 10" }]);
    expect(acceptProblem(short).text).toMatch(/at least 10 characters/);
    const badToken = new ApiError(422, "validation_error", "token: …", [{ loc: ["token"], message: "too short" }]);
    expect(acceptProblem(badToken).title).toBe("This invitation cannot be used.");
    expect(acceptProblem(new ApiError(429, "too_many_requests", "x", { retry_after: 30 })).text).toMatch(
      /Wait 30 seconds/,
    );
    expect(acceptProblem(new ApiError(409, "already_exists", "you are already a member")).signIn).toBe(true);
  });
});

describe("AcceptInvitationPage", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  it("accepts with the token of the link and lands on the home page signed in", async () => {
    let signedIn = false;
    const { calls } = mockApi({
      "GET /auth/me": () =>
        signedIn ? ME : json(401, { error: { code: "unauthenticated", message: "sign in" } }),
      "POST /auth/invitations/accept": () => {
        signedIn = true;
        return ME;
      },
    });
    localStorage.setItem("promptyard.project", "elsewhere");
    renderInvite("/invite#token=pyi_secret-token");
    expect(screen.getByRole("heading", { name: "Join a workspace" })).toBeInTheDocument();
    expect(screen.queryByLabelText("Invitation token")).not.toBeInTheDocument();
    expect(screen.getByText(/If you already have an account, enter its current password/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Your name (optional)"), "New Person");
    await userEvent.type(screen.getByLabelText("Password"), "a-long-password");
    await userEvent.click(screen.getByRole("button", { name: "Accept the invitation" }));
    expect(await screen.findByText("Home page")).toBeInTheDocument();
    const accept = calls.find((c) => c.path === "/auth/invitations/accept");
    expect(accept?.method).toBe("POST");
    expect(accept?.body).toEqual({ token: "pyi_secret-token", password: "a-long-password", name: "New Person" });
    expect(localStorage.getItem("promptyard.project")).toBe("default");
  });

  it("says so when the account exists and the password is wrong, and focuses the password", async () => {
    mockApi({
      "GET /auth/me": () => json(401, { error: { code: "unauthenticated", message: "sign in" } }),
      "POST /auth/invitations/accept": () =>
        json(401, { error: { code: "wrong_password", message: "an account with this email exists" } }),
    });
    renderInvite("/invite#token=pyi_secret-token");
    await userEvent.type(screen.getByLabelText("Password"), "not-the-password");
    await userEvent.click(screen.getByRole("button", { name: "Accept the invitation" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Wrong password.");
    expect(alert).toHaveTextContent("enter that account's current password");
    expect(screen.getByLabelText("Password")).toHaveFocus();
    expect(screen.getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
  });

  it("asks for the token when the link has none", async () => {
    const { calls } = mockApi({
      "GET /auth/me": () => json(401, { error: { code: "unauthenticated", message: "sign in" } }),
      "POST /auth/invitations/accept": () =>
        json(404, { error: { code: "invitation_unusable", message: "unusable" } }),
    });
    renderInvite("/invite");
    await userEvent.type(screen.getByLabelText("Invitation token"), "  pyi_pasted  ");
    await userEvent.type(screen.getByLabelText("Password"), "a-long-password");
    await userEvent.click(screen.getByRole("button", { name: "Accept the invitation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This invitation cannot be used.");
    expect(calls.find((c) => c.path === "/auth/invitations/accept")?.body).toEqual({
      token: "pyi_pasted",
      password: "a-long-password",
    });
  });
});
