// A queue's chart: ready, delayed and dead tasks over time, and with the management API the
// publish and deliver rates on a second axis.
import { useEffect, useRef } from "/assets/preact-hooks.mjs";
import { html } from "/assets/htm-preact.mjs";
import uPlot from "/assets/uplot.mjs";

const COUNTS = [
  ["ready", "#2563eb"],
  ["delayed", "#d97706"],
  ["dead", "#dc2626"],
];
const RATES = [
  ["publishRate", "#059669", "publish/s"],
  ["deliverRate", "#7c3aed", "deliver/s"],
];

/**
 * A time of the x axis (seconds since the epoch) in ISO 8601 UTC, as every other time on the
 * page: `09:35:10Z`, with the date where the day changes (and on the first tick).
 */
export function axisTimes(splits) {
  let day;
  return splits.map((t) => {
    if (t === null || t === undefined) return "";
    const iso = new Date(t * 1000).toISOString();
    const time = `${iso.slice(11, 19)}Z`;
    if (iso.slice(0, 10) === day) return time;
    day = iso.slice(0, 10);
    return `${day}\n${time}`;
  });
}

/** The time of the legend: the whole ISO 8601 UTC time. */
const legendTime = (
  _u,
  t,
) => (t === null || t === undefined ? "–" : new Date(t * 1000).toISOString());

function dataOf(points, rates) {
  const columns = [points.map((p) => p.t), ...COUNTS.map(([key]) => points.map((p) => p[key]))];
  if (rates) columns.push(...RATES.map(([key]) => points.map((p) => p[key])));
  return columns;
}

function optionsOf(width, rates) {
  const series = [
    { label: "time (UTC)", value: legendTime },
    ...COUNTS.map(([label, stroke]) => ({ label, stroke, width: 2, scale: "tasks" })),
  ];
  const axes = [
    { values: (_u, splits) => axisTimes(splits), size: 50, space: 90 },
    { scale: "tasks", label: "tasks" },
  ];
  if (rates) {
    series.push(...RATES.map(([, stroke, label]) => ({ label, stroke, width: 1, scale: "rate" })));
    axes.push({ scale: "rate", side: 1, label: "per second", grid: { show: false } });
  }
  return { width, height: 220, series, axes, scales: { x: { time: true } } };
}

/** The chart of `points` (oldest first); `rates` when the numbers include rates. */
export function Chart({ points, rates }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(320, Math.min(960, box.current.clientWidth || 720));
    plot.current = new uPlot(optionsOf(width, rates), dataOf(points, rates), box.current);
    return () => plot.current.destroy();
  }, [rates]);
  useEffect(() => {
    plot.current?.setData(dataOf(points, rates));
  }, [points]);
  return html`<div class="chart" ref=${box}></div>`;
}
