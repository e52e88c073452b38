// The annotation-queue routes the console uses (docs/annotation.md): queues, items,
// claiming the next item, renewing its lease, skipping, submitting scores, agreement.
import { request } from "../../../api/client";
import type { components } from "../../../api/schema";

type Schemas = components["schemas"];

export type Queue = Schemas["QueuePublic"];
export type QueueCreate = Schemas["QueueCreate"];
export type Rubric = Schemas["Rubric"];
export type Work = Schemas["WorkItemPublic"];
export type Next = Schemas["NextPublic"];
export type Item = Schemas["ItemPublic"];
export type Agreement = Schemas["AgreementPublic"];
export type CriterionAgreement = Schemas["CriterionAgreement"];
export type ItemsAdd = Schemas["ItemsAdd"];

export const annotationApi = {
  list: (project: string) => request<Schemas["QueuesPublic"]>("/annotation-queues", { query: { project } }),
  get: (project: string, id: number) => request<Queue>(`/annotation-queues/${id}`, { query: { project } }),
  create: (project: string, body: QueueCreate) =>
    request<Queue>("/annotation-queues", { method: "POST", body, query: { project } }),
  addItems: (project: string, id: number, body: ItemsAdd) =>
    request<Schemas["ItemsAdded"]>(`/annotation-queues/${id}/items`, { method: "POST", body, query: { project } }),
  items: (project: string, id: number, offset: number) =>
    request<Schemas["ItemsPublic"]>(`/annotation-queues/${id}/items`, { query: { project, offset, limit: 50 } }),
  next: (project: string, id: number) =>
    request<Next>(`/annotation-queues/${id}/next`, { method: "POST", query: { project } }),
  renew: (project: string, id: number, item: number) =>
    request<Work>(`/annotation-queues/${id}/items/${item}/lease`, { method: "POST", query: { project } }),
  skip: (project: string, id: number, item: number) =>
    request<Item>(`/annotation-queues/${id}/items/${item}/skip`, { method: "POST", query: { project } }),
  submit: (project: string, id: number, item: number, body: Schemas["Submission"]) =>
    request<Schemas["SubmissionPublic"]>(`/annotation-queues/${id}/items/${item}/scores`, {
      method: "POST",
      body,
      query: { project },
    }),
  agreement: (project: string, id: number) =>
    request<Agreement>(`/annotation-queues/${id}/agreement`, { query: { project } }),
};

export const annotationKeys = {
  all: (project: string) => ["annotation", project] as const,
  queue: (project: string, id: number) => ["annotation", project, id] as const,
  items: (project: string, id: number, offset: number) => ["annotation", project, id, "items", offset] as const,
  agreement: (project: string, id: number) => ["annotation", project, id, "agreement"] as const,
};

/** "4:05" for 245 seconds (never negative). */
export function countdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The scale's points, lowest first: [1, 2, 3, 4, 5] for 1..5. */
export function scalePoints(min: number, max: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

/** A coefficient for a table: two decimals, or "—" when undefined. */
export function figure(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? "—" : value.toFixed(digits);
}
