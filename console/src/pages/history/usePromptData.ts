import { useQuery } from "@tanstack/react-query";
import { prompts } from "../../api/endpoints";
import { keys } from "../../api/keys";

export function usePrompt(project: string, name: string) {
  return useQuery({ queryKey: keys.prompt(project, name), queryFn: () => prompts.get(project, name) });
}

export function useVersions(project: string, name: string) {
  return useQuery({
    queryKey: keys.versions(project, name),
    queryFn: () => prompts.versions(project, name),
  });
}
