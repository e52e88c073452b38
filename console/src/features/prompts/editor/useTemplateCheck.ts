// Live checks while editing: instant variable detection in the browser, then the
// server's /templates/validate (errors with line numbers) and /templates/render (preview).
import { useMemo, useState } from "react";
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
  // The server's answer for what is in the editor now says the template does not parse.
  const syntaxError = !empty && !!fresh && validate.data?.valid === false;
  // The last variable list of a template that parsed: kept while a syntax error lasts,
  // so the inputs (and their values) do not vanish under the user's hands.
  const [lastGood, setLastGood] = useState<Variable[] | null>(null);
  const good = fresh && validate.data?.valid ? normalise(validate.data.variables) : null;
  if (good && JSON.stringify(good) !== JSON.stringify(lastGood)) setLastGood(good);
  const variables: Variable[] = good
    ? good
    : syntaxError && lastGood
      ? lastGood
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
  return { variables, errors, validate, render, empty, syntaxError, pending: key !== debouncedKey };
}
