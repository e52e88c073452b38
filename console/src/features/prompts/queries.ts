// Query factories of the prompts area (library, editor, history, playground): one
// place for each query's key, fetcher and freshness, used by the pages, by other
// areas that show a prompt's data, and by prefetch.ts.
import { queryOptions } from "@tanstack/react-query";
import { prompts, runtime, templates } from "../../api/endpoints";
import { keys } from "../../api/keys";
import type { Content, PromptType } from "../../api/types";
import { toListQuery, type LibraryFilters } from "./library/filters";

export const promptQueries = {
  /** One page of the library, as the filters in the address say. */
  list: (project: string, filters: LibraryFilters) =>
    queryOptions({
      queryKey: keys.promptListQuery(project, filters),
      queryFn: () => prompts.list(project, toListQuery(filters)),
    }),
  folders: (project: string) =>
    queryOptions({ queryKey: keys.folders(project), queryFn: () => prompts.folders(project) }),
  tags: (project: string) => queryOptions({ queryKey: keys.tags(project), queryFn: () => prompts.tags(project) }),
  /** The prompt with its latest version. */
  one: (project: string, name: string) =>
    queryOptions({ queryKey: keys.prompt(project, name), queryFn: () => prompts.get(project, name) }),
  versions: (project: string, name: string) =>
    queryOptions({ queryKey: keys.versions(project, name), queryFn: () => prompts.versions(project, name) }),
  diff: (project: string, name: string, from: number, to: number) =>
    queryOptions({
      queryKey: keys.diff(project, name, from, to),
      queryFn: () => prompts.diff(project, name, from, to),
    }),
  labels: (project: string, name: string) =>
    queryOptions({ queryKey: keys.labels(project, name), queryFn: () => prompts.labels(project, name) }),
  labelEvents: (project: string, name: string) =>
    queryOptions({
      queryKey: keys.labelEvents(project, name),
      queryFn: () => prompts.labelEvents(project, name),
    }),
  /** The server's check of a template being edited (`draft` identifies type and content):
   * errors with line and column, and the variables it uses. */
  validate: (project: string, draft: string, type: PromptType, content: Content) =>
    queryOptions({
      queryKey: keys.validate(project, draft),
      queryFn: ({ signal }) => templates.validate(project, type, content, signal),
      retry: false,
      staleTime: Infinity,
    }),
  /** The template being edited rendered with `variables` (a JSON object, as text). */
  render: (project: string, draft: string, type: PromptType, content: Content, variables: string) =>
    queryOptions({
      queryKey: keys.render(project, draft, variables),
      queryFn: ({ signal }) =>
        templates.render(project, type, content, JSON.parse(variables) as Record<string, unknown>, signal),
      retry: false,
      staleTime: Infinity,
    }),
  /** The models the playground and the editor's configuration offer. */
  models: () => queryOptions({ queryKey: keys.models, queryFn: runtime.models, staleTime: 300_000 }),
};
