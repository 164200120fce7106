/** One curve of a CDF chart: (value, cumulative fraction) points, ascending. */
export interface CdfSeries {
  label: string;
  points: Array<[number, number]>;
}

const WIDTH = 720;
const HEIGHT = 420;
const PAD = { left: 60, right: 20, top: 36, bottom: 70 };
const COLOURS = ['#d6336c', '#1c7ed6', '#37b24d', '#f59f00', '#7048e8', '#495057'];

/**
 * Renders CDF curves as a standalone SVG. The x axis is logarithmic because latency distributions span
 * decades (sub-millisecond medians, tens-of-milliseconds tails) and a linear axis would hide one or the other.
 */
export function renderCdfSvg(title: string, unit: string, series: CdfSeries[]): string {
  const values = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, lo * 10))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * plotW;
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
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
    const gy = y(f).toFixed(1);
    out.push(`<line x1="${PAD.left}" y1="${gy}" x2="${PAD.left + plotW}" y2="${gy}" stroke="#e9ecef"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${f}</text>`);
  }
  out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#868e96"/>`);
  out.push(`<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH + 34}" text-anchor="middle">${escapeXml(unit)} (log scale)</text>`);
  out.push(`<text transform="translate(14 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">fraction of samples ≤ x</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const ly = HEIGHT - 14;
    const lx = PAD.left + i * 220;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 20}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 26}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function formatTick(v: number): string {
  return v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1)));
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
