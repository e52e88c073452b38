import { Link } from "react-router";
import type { CostPoint, Series } from "./api";
import { formatCost, formatCount, groupLabel } from "./model";

interface Props {
  title: string;
  series: Series<CostPoint>[];
  dropped: number;
  linkFor: (group: Record<string, string>) => string;
  limit?: number;
}

/** Groups ranked by cost: calls, tokens, cost, cost per 1,000 calls. */
export function Breakdown({ title, series, dropped, linkFor, limit = 10 }: Props) {
  const ranked = [...series].sort((a, b) => b.total.cost - a.total.cost).slice(0, limit);
  const total = series.reduce((sum, s) => sum + s.total.cost, 0);
  return (
    <section className="panel breakdown" aria-label={title}>
      <h3>{title}</h3>
      {ranked.length === 0 ? (
        <p className="hint">No calls in this range.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Calls</th>
                <th scope="col">Tokens</th>
                <th scope="col">Cost</th>
                <th scope="col">Per 1,000 calls</th>
              </tr>
            </thead>
            <tbody>
              {ranked.map((s) => (
                <tr key={groupLabel(s.group)}>
                  <th scope="row">
                    <Link to={linkFor(s.group)}>{groupLabel(s.group)}</Link>
                    <span className="bar" style={{ width: `${total ? (100 * s.total.cost) / total : 0}%` }} aria-hidden="true" />
                  </th>
                  <td>{formatCount(s.total.calls)}</td>
                  <td>{formatCount(s.total.total_tokens)}</td>
                  <td>{formatCost(s.total.cost)}</td>
                  <td>{formatCost(s.total.cost_per_1k_calls)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dropped > 0 && <p className="hint">{dropped} smaller groups left out.</p>}
    </section>
  );
}
