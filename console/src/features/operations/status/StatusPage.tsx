import { useQuery } from "@tanstack/react-query";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { useCan } from "../../../lib/permissions";
import { useTitle } from "../../../lib/title";
import { operationsQueries } from "../queries";
import type { HealthComponent, ScheduledJob } from "./api";
import { componentValue, everyText, jobOutcome, STATUS_WORDS } from "./format";
import "./status.css";

/** The server's health score with its components and advice, and the scheduler's jobs. */
export default function StatusPage() {
  useTitle("System status");
  const can = useCan();
  return (
    <div className="stack">
      <h1>System status</h1>
      <Health />
      {can("audit:read") ? (
        <Jobs />
      ) : (
        <section className="panel stack" aria-labelledby="jobs-heading">
          <h2 id="jobs-heading">Scheduled jobs</h2>
          <p className="notice">Only admins can see the scheduled jobs (backups, integrity checks, retention).</p>
        </section>
      )}
    </div>
  );
}

function Health() {
  const health = useQuery(operationsQueries.health());
  if (health.isPending) return <Loading />;
  if (health.error) return <ErrorMessage error={health.error} title="Could not load the health score." />;
  const data = health.data;
  const attention = data.components.filter((c) => c.status !== "green");
  return (
    <section className="stack" aria-labelledby="health-heading">
      <div className="panel health-summary">
        <h2 id="health-heading">Health score</h2>
        <p className="health-score">
          <span className={`badge health-${data.status}`}>{STATUS_WORDS[data.status]}</span>{" "}
          <strong>{data.score === null ? "unknown" : `${data.score} / 100`}</strong>
        </p>
        <p className="hint">
          Checked {absoluteTime(data.checked_at)}; latency and errors cover the last {data.window_minutes} minutes of
          the server that answered.
          {attention.length === 0 ? " Every component is green." : ` ${attention.length} need attention.`}
        </p>
      </div>
      <ul className="health-list" aria-label="Health components">
        {data.components.map((c) => (
          <Component key={c.name} component={c} />
        ))}
      </ul>
    </section>
  );
}

function Component({ component: c }: { component: HealthComponent }) {
  const value = componentValue(c);
  return (
    <li className={`panel health-item health-item-${c.status}`}>
      <div className="health-item-head">
        <h3>{c.name}</h3>
        <span className={`badge health-${c.status}`}>{STATUS_WORDS[c.status]}</span>
      </div>
      <p>{c.summary}</p>
      {value && <p className="health-value">{value}</p>}
      {c.advice && c.status !== "green" && (
        <p className="health-advice">
          <strong>What to do: </strong>
          {c.advice}
        </p>
      )}
    </li>
  );
}

function Jobs() {
  const jobs = useQuery(operationsQueries.jobs());
  if (jobs.isPending) return <Loading />;
  if (jobs.error) return <ErrorMessage error={jobs.error} title="Could not load the scheduled jobs." />;
  return (
    <section className="panel stack" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Scheduled jobs</h2>
      <p className="hint">
        Periodic work run through the database, by one server process at a time. Jobs turned off in the settings
        are not listed.
      </p>
      {jobs.data.items.length === 0 ? (
        <p className="empty">No scheduled jobs yet.</p>
      ) : (
        // Focusable so that a keyboard can scroll it sideways on a phone.
        <div className="table-wrap" role="region" aria-label="Scheduled jobs table" tabIndex={0}>
          <table className="jobs-table">
            <caption className="sr-only">Scheduled jobs with their last and next run</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Every</th>
                <th scope="col">Last run</th>
                <th scope="col">Outcome</th>
                <th scope="col">Next run</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.items.map((job) => (
                <JobRow key={job.name} job={job} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function JobRow({ job }: { job: ScheduledJob }) {
  const outcome = jobOutcome(job);
  return (
    <tr>
      <th scope="row">{job.name}</th>
      <td>{everyText(job.interval_seconds)}</td>
      <td>
        {job.last_started_at ? (
          <time dateTime={job.last_started_at} title={absoluteTime(job.last_started_at)}>
            {relativeTime(job.last_started_at)}
          </time>
        ) : (
          "never"
        )}
      </td>
      <td className="wrap">
        <span className={`badge ${outcome.tone}`}>{outcome.word}</span>
        {job.last_result && <span className="job-result"> {job.last_result}</span>}
      </td>
      <td>
        <time dateTime={job.next_run_at} title={absoluteTime(job.next_run_at)}>
          {job.running ? "running now" : absoluteTime(job.next_run_at)}
        </time>
      </td>
    </tr>
  );
}
