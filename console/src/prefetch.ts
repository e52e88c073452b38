// Start the first page's requests while React is still starting, instead of one after
// the other (session check, then the page, then its data). The queries are the pages'
// own (features/*/queries.ts), so the page finds them in the cache.
import type { QueryClient } from "@tanstack/react-query";
import { identityQueries } from "./features/identity/queries";
import { LAST_PROJECT_KEY } from "./features/identity/projects/ProjectSwitcher";
import { readFilters } from "./features/prompts/library/filters";
import { promptQueries } from "./features/prompts/queries";
import { loadEditorPage } from "./routes";

export function prefetchFirstPage(client: QueryClient, location: Location): void {
  void client.prefetchQuery(identityQueries.me());
  // The public pages (sign-in, accept an invitation) need no project data.
  if (/^\/(?:signin|invite)\/?$/.test(location.pathname)) return;
  void client.prefetchQuery(identityQueries.projects());
  // A prompt's page: its data and (for the editor) the editor's code, both at once, not
  // the data only once the code has arrived and rendered.
  const prompt = /^\/p\/([^/]+)\/prompts\/([^/]+)(?:\/([a-z]+))?\/?$/.exec(location.pathname);
  if (prompt?.[1] && prompt[2]) {
    void client.prefetchQuery(promptQueries.one(decodeURIComponent(prompt[1]), decodeURIComponent(prompt[2])));
    if (!prompt[3]) void loadEditorPage();
    return;
  }
  const library = /^\/(?:p\/([^/]+)\/?)?$/.exec(location.pathname);
  if (!library) return;
  const project = library[1]
    ? decodeURIComponent(library[1])
    : localStorage.getItem(LAST_PROJECT_KEY) || "default";
  const filters = readFilters(new URLSearchParams(location.search));
  void client.prefetchQuery(promptQueries.list(project, filters));
  void client.prefetchQuery(promptQueries.folders(project));
  void client.prefetchQuery(promptQueries.tags(project));
}
