/** One curve of a CDF chart: (value, cumulative fraction) points, ascending. */
export interface CdfSeries {
  label: string;
  points: Array<[number, number]>;
}

const WIDTH = 720;
const PLOT_HEIGHT = 330;
const LEGEND_ROW = 18;
const COLOURS = ['#d6336c', '#1c7ed6', '#37b24d', '#f59f00', '#7048e8', '#495057'];

/**
 * Renders CDF curves as a standalone SVG. The x axis is logarithmic because latency distributions span
 * decades (sub-millisecond medians, tens-of-milliseconds tails) and a linear axis would hide one or the other.
 */
export function renderCdfSvg(title: string, unit: string, series: CdfSeries[]): string {
  const values = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, lo * 10))));
  // One legend row per series under the axis title, so long labels never overlap.
  const PAD = { left: 60, right: 20, top: 36, bottom: 50 + LEGEND_ROW * series.length };
  const HEIGHT = PAD.top + PLOT_HEIGHT + PAD.bottom;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = PLOT_HEIGHT;
  const x = (v: number) => PAD.left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const y = (f: number) => PAD.top + (1 - f) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi * 1.0001) break;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${PAD.top}" x2="${gx}" y2="${PAD.top + plotH}" stroke="#e9ecef"/>`);
      out.push(`<text x="${gx}" y="${PAD.top + plotH + 16}" text-anchor="middle">${formatTick(v)}</text>`);
    }
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 1]) {
    const gy = y(f).toFixed(1);
    out.push(`<line x1="${PAD.left}" y1="${gy}" x2="${PAD.left + plotW}" y2="${gy}" stroke="#e9ecef"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${f}</text>`);
  }
  // p99 line: dashed and labelled at the right edge, where it does not collide with the 1.0 label.
  out.push(
    `<line x1="${PAD.left}" y1="${y(0.99).toFixed(1)}" x2="${PAD.left + plotW}" y2="${y(0.99).toFixed(1)}" stroke="#adb5bd" stroke-dasharray="4 3"/>`,
  );
  out.push(`<text x="${PAD.left + plotW - 4}" y="${(y(0.99) + 10).toFixed(1)}" text-anchor="end" font-size="10" fill="#868e96">p99</text>`);
  out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#868e96"/>`);
  out.push(`<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH + 34}" text-anchor="middle">${escapeXml(unit)} (log scale)</text>`);
  out.push(`<text transform="translate(14 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">fraction of samples ≤ x</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const ly = PAD.top + plotH + 52 + i * LEGEND_ROW;
    const lx = PAD.left;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 20}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 26}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Tick labels: 0.5, 20, 500, then 1k, 20k (full numbers collide on a log axis spanning five decades). */
function formatTick(v: number): string {
  if (v >= 1000) return `${Math.round(v / 1000)}k`;
  return v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1)));
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
