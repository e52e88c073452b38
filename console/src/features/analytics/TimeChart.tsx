import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Bucket } from "./api";
import { bucketLabel, chartData } from "./model";

export interface ChartSeries {
  label: string;
  values: (number | null | undefined)[];
}

interface Props {
  title: string;
  buckets: string[];
  bucket: Bucket;
  series: ChartSeries[];
  format: (value: number | null | undefined) => string;
  /** Where a point leads: the generations behind bucket ``index`` of series ``s``. */
  linkFor: (index: number, s: number) => string;
  onPick: (href: string) => void;
}

const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

/** A time series chart (uPlot, canvas) that reads as a table too; a click on a point
 * opens the generations of that bucket. */
export function TimeChart({ title, buckets, bucket, series, format, linkFor, onPick }: Props) {
  const [asTable, setAsTable] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const id = `chart-${title.replace(/\W+/g, "-").toLowerCase()}`;

  useEffect(() => {
    const element = box.current;
    if (asTable || !element) return;
    const data = chartData(buckets, series.map((s) => s.values));
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: 200,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      // from 0, and 0..1 when every value is 0 (no empty axis of 0 %–10,000 %)
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => format(t)), size: 70 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: buckets.length <= 60 },
          value: (_u: uPlot, v: number | null) => format(v),
        })),
      ],
    };
    const chart = new uPlot(options, data as uPlot.AlignedData, element);
    const click = () => {
      const index = chart.cursor.idx;
      if (index === null || index === undefined) return;
      // the series whose point is nearest to the pointer
      const top = chart.cursor.top ?? 0;
      let nearest = 0;
      let best = Infinity;
      series.forEach((s, i) => {
        const value = s.values[index];
        if (value === null || value === undefined) return;
        const distance = Math.abs(chart.valToPos(value, "y") - top);
        if (distance < best) {
          best = distance;
          nearest = i;
        }
      });
      onPick(linkFor(index, nearest));
    };
    chart.over.addEventListener("click", click);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(280, element.clientWidth), height: 200 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.over.removeEventListener("click", click);
      chart.destroy();
    };
  }, [asTable, buckets, series, format, linkFor, onPick]);

  return (
    <figure className="chart panel" aria-labelledby={`${id}-title`}>
      <figcaption>
        <h3 id={`${id}-title`}>{title}</h3>
        <button type="button" className="link" aria-pressed={asTable} onClick={() => setAsTable(!asTable)}>
          {asTable ? "Show chart" : "Show as table"}
        </button>
      </figcaption>
      {asTable ? (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{bucket === "hour" || bucket === "minute" ? "Time" : "Day"}</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {buckets.map((b, index) => (
                <tr key={b}>
                  <th scope="row">{bucketLabel(b, bucket)}</th>
                  {series.map((s, si) => (
                    <td key={s.label}>
                      <Link to={linkFor(index, si)}>{format(s.values[index])}</Link>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <div ref={box} className="chart-canvas" role="img" aria-label={`${title}: chart; use "Show as table" for the values`} />
      )}
    </figure>
  );
}
