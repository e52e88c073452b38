// Start the first page's requests while React is still starting, instead of one after
// the other (session check, then the page, then its data).
import type { QueryClient } from "@tanstack/react-query";
import { auth, projects, prompts } from "./api/endpoints";
import { keys } from "./api/keys";
import { LAST_PROJECT_KEY } from "./components/ProjectSwitcher";
import { readFilters, toListQuery } from "./pages/library/filters";

export function prefetchFirstPage(client: QueryClient, location: Location): void {
  void client.prefetchQuery({ queryKey: keys.me, queryFn: auth.me });
  // The public pages (sign-in, accept an invitation) need no project data.
  if (/^\/(?:signin|invite)\/?$/.test(location.pathname)) return;
  void client.prefetchQuery({ queryKey: keys.projects, queryFn: projects.list });
  const library = /^\/(?:p\/([^/]+)\/?)?$/.exec(location.pathname);
  if (!library) return;
  const project = library[1]
    ? decodeURIComponent(library[1])
    : localStorage.getItem(LAST_PROJECT_KEY) || "default";
  const filters = readFilters(new URLSearchParams(location.search));
  void client.prefetchQuery({
    queryKey: keys.promptListQuery(project, filters),
    queryFn: () => prompts.list(project, toListQuery(filters)),
  });
  void client.prefetchQuery({ queryKey: keys.folders(project), queryFn: () => prompts.folders(project) });
  void client.prefetchQuery({ queryKey: keys.tags(project), queryFn: () => prompts.tags(project) });
}
