// Which role may do what: a copy of domain/actor.py PERMISSIONS, used only to hide or
// disable controls. The server stays the authority (its 403 is shown when it happens).
import { useMe } from "../auth/useMe";

export const ROLES = ["viewer", "editor", "reviewer", "admin"] as const;

const AT_LEAST: Record<string, number> = {
  "prompt:write": 1,
  "prompt:label": 1,
  "review:read": 0,
  "review:open": 1,
  "review:comment": 1,
  "review:approve": 2,
  "review:apply": 1,
  "policy:manage": 3,
  "webhook:manage": 3,
  "self:manage": 0,
  "member:read": 0,
  "member:manage": 3,
  "key:manage": 3,
  "audit:read": 3,
  "project:write": 3,
};

/** Held by instance administrators only, never through a workspace role (actor.py
 * INSTANCE_PERMISSIONS): create accounts, set passwords, disable or enable accounts. */
const INSTANCE_PERMISSIONS: ReadonlySet<string> = new Set(["account:manage"]);

export type Permission = keyof typeof AT_LEAST;

export function roleRank(role: string | undefined): number {
  return ROLES.indexOf((role ?? "") as (typeof ROLES)[number]);
}

/** What a workspace role allows (never an instance permission: see useCan). */
export function roleCan(role: string | undefined, permission: Permission): boolean {
  const needed = AT_LEAST[permission];
  return needed !== undefined && roleRank(role) >= needed;
}

/** `can("member:manage")` for the signed-in actor (false while unknown). */
export function useCan(): (permission: Permission) => boolean {
  const me = useMe();
  const role = me.data?.actor.role;
  const instanceAdmin = me.data?.actor.instance_admin === true;
  return (permission) => (INSTANCE_PERMISSIONS.has(permission) ? instanceAdmin : roleCan(role, permission));
}
