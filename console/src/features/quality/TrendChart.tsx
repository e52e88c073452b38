// The quality score of each version of a prompt: a small line chart (an image with its
// description) and the same figures as a table.
import type { Trend } from "./api";
import { countsText, trendPoints } from "./findings";

const W = 320;
const H = 100;

export function TrendChart({ trend }: { trend: Trend }) {
  const scores = trend.items.map((i) => i.score);
  if (scores.length === 0) return <p className="hint">No versions yet.</p>;
  const first = trend.items[0];
  const last = trend.items[trend.items.length - 1];
  const label =
    first && last
      ? `Quality score of ${trend.prompt} by version: ${first.score} at version ${first.version}, ${last.score} at version ${last.version}`
      : "";
  const points = trendPoints(scores, W, H);
  return (
    <div className="trend-chart">
      <svg viewBox={`-6 -6 ${W + 12} ${H + 12}`} role="img" aria-label={label}>
        <polyline points={points} />
        {points.split(" ").map((pt, i) => {
          const [x, y] = pt.split(",");
          return <circle key={i} cx={x} cy={y} r={3} />;
        })}
      </svg>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Score by version table">
        <table className="table">
          <caption className="sr-only">Score by version</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Branch</th>
              <th scope="col">Score</th>
              <th scope="col">Findings</th>
            </tr>
          </thead>
          <tbody>
            {[...trend.items].reverse().map((item) => (
              <tr key={item.version}>
                <td>v{item.version}</td>
                <td>{item.branch}</td>
                <td>{item.score}</td>
                <td>{countsText(item.counts)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
