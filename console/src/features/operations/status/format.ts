// Words and numbers of the status page, kept pure for the unit tests.
import type { HealthComponent, ScheduledJob } from "./api";

export const STATUS_WORDS: Record<HealthComponent["status"], string> = {
  green: "OK",
  yellow: "Degraded",
  red: "Failing",
  unknown: "Unknown",
};

function number(value: number, unit: string | null | undefined): string {
  switch (unit) {
    case "ms":
      return `${Math.round(value)} ms`;
    case "ratio":
      return `${(value * 100).toFixed(value < 0.01 ? 2 : 1)} %`;
    case "free ratio":
      return `${(value * 100).toFixed(1)} % free`;
    case "hours":
      return `${value.toFixed(1)} h`;
    case "bytes": {
      const units = ["B", "KB", "MB", "GB", "TB"];
      let v = value;
      let i = 0;
      while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i += 1;
      }
      return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
    }
    case "seconds":
    case "s":
      return value >= 3600 ? `${(value / 3600).toFixed(1)} h` : `${Math.round(value)} s`;
    default:
      return unit ? `${value} ${unit}` : String(value);
  }
}

/** "312 ms (target 250 ms)", or "" when the component measured nothing. */
export function componentValue(c: HealthComponent): string {
  if (c.value === null || c.value === undefined) return "";
  const target = c.target === null || c.target === undefined ? "" : ` (target ${number(c.target, c.unit)})`;
  return `${number(c.value, c.unit)}${target}`;
}

/** An interval in words: "every 24 h", "every 30 min", "every 45 s". */
export function everyText(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The last run's outcome as a badge. */
export function jobOutcome(job: ScheduledJob): { word: string; tone: string } {
  if (job.running) return { word: "running", tone: "job-running" };
  if (job.last_outcome === "ok") return { word: "ok", tone: "status-ok" };
  if (job.last_outcome === "failed") return { word: "failed", tone: "job-failed" };
  return { word: "not run yet", tone: "status-off" };
}
