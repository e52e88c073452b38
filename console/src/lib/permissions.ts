// What the signed-in actor may do, as the server says: GET /auth/me answers
// actor.permissions, every permission the actor holds ("prompt:read", "member:manage",
// "account:manage" for an instance administrator, …). Used only to hide or disable
// controls; the server stays the authority (its 403 is shown when it happens).
import type { Permission } from "../api/types";
import { useMe } from "../features/identity/useMe";

export type { Permission };

/** Whether `actor` holds `permission`. Nothing is assumed from the role: an answer
 * without `permissions` (or no actor) allows nothing. */
export function can(
  actor: { permissions?: readonly Permission[] | null } | null | undefined,
  permission: Permission,
): boolean {
  return actor?.permissions?.includes(permission) ?? false;
}

/** `can("member:manage")` for the signed-in actor (false while unknown). */
export function useCan(): (permission: Permission) => boolean {
  const actor = useMe().data?.actor;
  return (permission) => can(actor, permission);
}

/** Why the signed-in actor may not do `action` ("create projects"), or null if it may
 * (or while /auth/me has not answered: the server still refuses what is not allowed).
 * For controls shown disabled with their reason, so nobody fills a form only to be refused. */
export function useDenied(): (permission: Permission, action: string) => string | null {
  const actor = useMe().data?.actor;
  return (permission, action) =>
    !actor || can(actor, permission) ? null : `Your role (${actor.role}) cannot ${action}.`;
}
