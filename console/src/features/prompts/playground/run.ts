import { runtime } from "../../../api/endpoints";
import type { Column, ColumnResult } from "./RunColumn";

export async function runColumn(
  project: string,
  name: string,
  column: Column,
  variables: Record<string, unknown>,
): Promise<ColumnResult> {
  const target = column.target.startsWith("label:")
    ? { label: column.target.slice(6) }
    : { version: Number(column.target) };
  try {
    const result = await runtime.execute(project, { prompt: name, ...target, variables, model: column.model });
    return { state: "done", result };
  } catch (error) {
    return { state: "error", error };
  }
}
