import { screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useMe } from "../features/identity/useMe";
import { json, mockApi, renderAt } from "../test/utils";
import { can, useCan, type Permission } from "./permissions";

/** Answers once GET /auth/me has answered (or failed). */
function Probe({ permission }: { permission: Permission }) {
  const me = useMe();
  const allowed = useCan()(permission);
  if (me.isPending) return <p>checking</p>;
  return <p>{`${permission}: ${allowed ? "yes" : "no"}`}</p>;
}

const me = (actor: Record<string, unknown>) => ({
  actor: { type: "user", id: 1, name: "Ada", instance_admin: false, ...actor },
  workspace: { slug: "default", name: "Default" },
});

describe("can", () => {
  it("answers from the server's list of permissions", () => {
    const actor = { permissions: ["prompt:execute", "prompt:read", "project:export"] as Permission[] };
    expect(can(actor, "prompt:read")).toBe(true);
    expect(can(actor, "prompt:execute")).toBe(true);
    expect(can(actor, "project:export")).toBe(true);
    expect(can(actor, "project:import")).toBe(false);
  });

  it("allows nothing without an actor or without permissions", () => {
    expect(can(null, "prompt:read")).toBe(false);
    expect(can(undefined, "prompt:read")).toBe(false);
    expect(can({}, "prompt:read")).toBe(false);
  });
});

describe("useCan", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("uses actor.permissions of GET /auth/me, whatever the role says", async () => {
    mockApi({ "GET /auth/me": () => me({ role: "viewer", permissions: ["member:manage", "prompt:read"] }) });
    renderAt(
      <>
        <Probe permission="member:manage" />
        <Probe permission="prompt:write" />
      </>,
    );
    expect(await screen.findByText("member:manage: yes")).toBeInTheDocument();
    expect(screen.getByText("prompt:write: no")).toBeInTheDocument();
  });

  it("assumes nothing from the role when the answer has no permissions", async () => {
    mockApi({ "GET /auth/me": () => me({ role: "admin" }) });
    renderAt(<Probe permission="member:manage" />);
    expect(await screen.findByText("member:manage: no")).toBeInTheDocument();
  });

  it("allows nothing while signed out", async () => {
    mockApi({ "GET /auth/me": () => json(401, { error: { code: "unauthenticated", message: "sign in" } }) });
    renderAt(<Probe permission="prompt:read" />);
    expect(await screen.findByText("prompt:read: no")).toBeInTheDocument();
  });
});
