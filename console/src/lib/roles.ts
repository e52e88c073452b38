// The workspace roles, weakest first, for the role pickers (a role offered for a key or
// a project never goes above one's own). What each role may do is the server's answer
// (GET /auth/me: actor.permissions, see permissions.ts), not a table here.
import type { Role } from "../api/types";

export const ROLES: readonly Role[] = ["viewer", "editor", "reviewer", "admin"];

/** 0 for viewer … 3 for admin; -1 for an unknown role. */
export function roleRank(role: string | undefined): number {
  return ROLES.indexOf((role ?? "") as Role);
}
