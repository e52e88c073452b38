import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditVerify } from "../../../api/types";
import { mockApi, renderAt } from "../../../test/utils";
import AuditPage from "./AuditPage";
import { VerifyResult } from "./VerifyResult";

const INTACT: AuditVerify = {
  ok: true,
  checked: 0,
  first_broken_seq: null,
  first_broken_id: null,
  reason: null,
  head_seq: null,
  head_hash: null,
  checkpoint: null,
};

describe("VerifyResult", () => {
  it("says the chain is intact with the number of events checked", () => {
    render(<VerifyResult result={{ ...INTACT, checked: 42 }} />);
    expect(screen.getByRole("status")).toHaveTextContent("Chain OK.");
    expect(screen.getByRole("status")).toHaveTextContent("All 42 events were checked");
  });

  it("names the first broken event and the reason", () => {
    render(
      <VerifyResult result={{ ...INTACT, ok: false, checked: 17, first_broken_seq: 12, first_broken_id: 40, reason: "hash mismatch" }} />,
    );
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Chain broken.");
    expect(alert).toHaveTextContent("#12 (id 40): hash mismatch");
  });
});

describe("AuditPage verify button", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("calls /audit/verify and shows a broken chain", async () => {
    mockApi({
      "GET /auth/me": () => ({
        actor: { type: "user", id: 1, name: "Ada", role: "admin", instance_admin: false, permissions: ["audit:read"] },
        workspace: { slug: "default", name: "Default" },
      }),
      "GET /audit": () => ({ items: [], total: 0 }),
      "GET /audit/verify": () => ({ ok: false, checked: 3, first_broken_seq: 2, first_broken_id: 2, reason: "prev_hash does not match" }),
    });
    renderAt(<AuditPage />, { path: "/p/default/audit", route: "/p/:project/audit" });
    await userEvent.click(await screen.findByRole("button", { name: "Verify chain" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("#2 (id 2): prev_hash does not match");
    expect(screen.getByRole("link", { name: "Export CSV" })).toHaveAttribute("href", "/api/v1/audit/export?format=csv");
  });
});
