// Query factories of the identity area (session, projects, members, invitations, keys,
// workspaces): one place for each query's key, fetcher and freshness, used by the
// pages, by the top bar and by prefetch.ts.
import { queryOptions } from "@tanstack/react-query";
import { accounts, auth, projects } from "../../api/endpoints";
import { keys } from "../../api/keys";

export const identityQueries = {
  /** Who is signed in, in which workspace, and what they may do (actor.permissions). */
  me: () => queryOptions({ queryKey: keys.me, queryFn: auth.me, staleTime: 5 * 60_000 }),
  projects: () => queryOptions({ queryKey: keys.projects, queryFn: projects.list, staleTime: 60_000 }),
  workspaces: () => queryOptions({ queryKey: keys.workspaces, queryFn: accounts.workspaces }),
  members: () => queryOptions({ queryKey: keys.members, queryFn: accounts.members }),
  projectMembers: (project: string) =>
    queryOptions({ queryKey: keys.projectMembers(project), queryFn: () => accounts.projectMembers(project) }),
  invitations: () => queryOptions({ queryKey: keys.invitations, queryFn: accounts.invitations }),
  apiKeys: () => queryOptions({ queryKey: keys.apiKeys, queryFn: accounts.keys }),
};
