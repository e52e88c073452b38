// The system routes the status page uses (docs/operations.md#health-score): the health
// score (any signed-in user) and the scheduler's jobs (admins: audit:read).
import { request } from "../../../api/client";
import type { components } from "../../../api/schema";

type Schemas = components["schemas"];

export type SystemHealth = Schemas["SystemHealthPublic"];
export type HealthComponent = Schemas["HealthComponent"];
export type ScheduledJob = Schemas["JobPublic"];

export const systemApi = {
  health: () => request<SystemHealth>("/system/health"),
  jobs: () => request<Schemas["JobsPublic"]>("/system/jobs"),
};
