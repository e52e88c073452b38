// Live checks while editing: instant variable detection in the browser, then the
// server's /templates/validate (errors with line numbers) and /templates/render (preview).
import { useMemo } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { Content, PromptType, TemplateError, Variable } from "../../../api/types";
import { useDebounced } from "../../../lib/hooks";
import { variableValues } from "../../../lib/values";
import { promptQueries } from "../queries";
import { detectContentVariables } from "./variables";

export const CHECK_DELAY_MS = 300;

function normalise(variables: (Variable | string)[] | undefined): Variable[] {
  return (variables ?? []).map((v) => (typeof v === "string" ? { name: v, required: true } : v));
}

function isEmpty(content: Content): boolean {
  return typeof content === "string"
    ? content.trim() === ""
    : content.every((m) => "content" in m && !m.content.trim());
}

export function useTemplateCheck(
  project: string,
  type: PromptType,
  content: Content,
  values: Record<string, string>,
) {
  const key = JSON.stringify([type, content]);
  const debouncedKey = useDebounced(key, CHECK_DELAY_MS);
  const [dType, dContent] = JSON.parse(debouncedKey) as [PromptType, Content];
  const empty = isEmpty(dContent);

  const validate = useQuery({
    ...promptQueries.validate(project, debouncedKey, dType, dContent),
    placeholderData: keepPreviousData,
    enabled: !empty,
  });

  const local = useMemo(() => detectContentVariables(content), [content]);
  const fresh = validate.data && !validate.isPlaceholderData && debouncedKey === key;
  const variables: Variable[] = fresh
    ? normalise(validate.data?.variables)
    : local.map((name) => ({ name, required: true }));

  const sent = variableValues(
    variables.map((v) => v.name),
    values,
  );
  const debouncedVars = useDebounced(JSON.stringify(sent), CHECK_DELAY_MS);
  const syntaxOk = !validate.data || validate.data.valid || validate.isPlaceholderData;
  const render = useQuery({
    ...promptQueries.render(project, debouncedKey, dType, dContent, debouncedVars),
    placeholderData: keepPreviousData,
    enabled: !empty && syntaxOk,
  });

  const errors: TemplateError[] = empty ? [] : (validate.data?.errors ?? []);
  return { variables, errors, validate, render, empty, pending: key !== debouncedKey };
}
