import type { PromptType, TemplateError } from "../../../api/types";
import type { LineError } from "./CodeEditor";

/** Where a template error belongs: the text editor, or a chat message by index. */
export function splitErrors(errors: TemplateError[], type: PromptType) {
  const text: LineError[] = [];
  const messages: Record<number, LineError[]> = {};
  for (const error of errors) {
    const item = { line: error.line, column: error.column, message: error.message };
    if (type === "text") {
      text.push(item);
      continue;
    }
    const index = Number(/(\d+)/.exec(error.field ?? "")?.[1] ?? "0");
    (messages[index] ??= []).push(item);
  }
  return { text, messages };
}

export function describeError(error: TemplateError, type: PromptType): string {
  const where: string[] = [];
  if (type === "chat") {
    const index = /(\d+)/.exec(error.field ?? "")?.[1];
    if (index !== undefined) where.push(`message ${Number(index) + 1}`);
  }
  if (error.line) where.push(`line ${error.line}`);
  if (error.column) where.push(`column ${error.column}`);
  return where.length ? `${where.join(", ")}: ${error.message}` : error.message;
}

/** A template_syntax_error answer from a save, as a TemplateError. */
export function saveTemplateError(details: unknown): TemplateError | null {
  if (!details || typeof details !== "object") return null;
  const d = details as Partial<TemplateError>;
  if (typeof d.message !== "string") return null;
  return { field: d.field ?? "", line: d.line ?? null, column: d.column ?? null, message: d.message };
}
