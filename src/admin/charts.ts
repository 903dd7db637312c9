// Charts as SVG text, drawn on the server: no client library, no script, nothing for the page's CSP to allow. Pure:
// data in, markup out. Every mark carries its figure (data-value, and a <title> the browser shows on hover), and
// every label is escaped (keywords are typed by readers).

export interface Series {
  name: string;
  color: string;
  values: number[];
}

const HEIGHT = 240;
const M = { top: 30, right: 24, bottom: 26, left: 44 };
const PLOT_H = HEIGHT - M.top - M.bottom;

/** Width in SVG units: a chart drawn for its box's width keeps its text at about the page's size. */
export type ChartWidth = 600 | 1200;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A round upper bound and its tick step: 0–4 ticks of 1, 2, 2.5 or 5 × a power of ten. */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 4, step: 1 };
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const rounded = Number.isInteger(step) ? step : Math.max(1, Math.ceil(step));
  return { top: rounded * Math.ceil(max / rounded), step: rounded };
}

function frame(id: string, width: number, title: string, summary: string, body: string): string {
  return (
    `<svg class="chart" id="${id}" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeXml(title)}</title><desc id="${id}-desc">${escapeXml(summary)}</desc>${body}</svg>`
  );
}

function yAxis(width: number, top: number, step: number): string {
  let out = "";
  for (let v = 0; v <= top; v += step) {
    const y = M.top + PLOT_H - (v / top) * PLOT_H;
    out += `<line x1="${M.left}" x2="${width - M.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`;
    out += `<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#4b5563">${v}</text>`;
  }
  return out;
}

/** Every `every`-th day's month and day, counted back from the last day (always labelled, inside the frame). */
function xLabels(days: string[], every: number, xOf: (i: number) => number): string {
  let out = "";
  for (let i = days.length - 1; i >= 0; i -= every) {
    const anchor = i === days.length - 1 ? "end" : "middle";
    const x = i === days.length - 1 ? xOf(i) + 8 : xOf(i);
    out += `<text x="${x.toFixed(1)}" y="${HEIGHT - 8}" text-anchor="${anchor}" font-size="11" fill="#4b5563">${days[i]!.slice(5)}</text>`;
  }
  return out;
}

function legend(series: Series[], latest: boolean): string {
  let x = M.left;
  return series
    .map((s) => {
      const label = latest ? `${s.name} ${s.values.at(-1) ?? 0}` : s.name;
      const item = `<g class="legend-item"><rect x="${x}" y="8" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="17" font-size="11" fill="#111827">${escapeXml(label)}</text></g>`;
      x += 24 + label.length * 6.5;
      return item;
    })
    .join("");
}

/** One line per series over the days, with a dot per day; the legend shows the last day's figures. */
export function lineChart(opts: { id: string; title: string; days: string[]; series: Series[]; width?: ChartWidth; labelEvery?: number }): string {
  const { days, series } = opts;
  const width = opts.width ?? 600;
  const plotW = width - M.left - M.right;
  const { top, step } = niceScale(Math.max(0, ...series.flatMap((s) => s.values)));
  const xOf = (i: number) => M.left + (days.length === 1 ? plotW / 2 : (i / (days.length - 1)) * plotW);
  const yOf = (v: number) => M.top + PLOT_H - (v / top) * PLOT_H;
  let body = yAxis(width, top, step) + xLabels(days, opts.labelEvery ?? 14, xOf);
  for (const s of series) {
    const points = s.values.map((v, i) => `${xOf(i).toFixed(1)},${yOf(v).toFixed(1)}`);
    body += `<polyline class="series" data-series="${escapeXml(s.name)}" points="${points.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`;
    body += s.values
      .map((v, i) => `<circle class="mark" data-series="${escapeXml(s.name)}" data-day="${days[i]}" data-value="${v}" cx="${xOf(i).toFixed(1)}" cy="${yOf(v).toFixed(1)}" r="2" fill="${s.color}"><title>${days[i]} · ${escapeXml(s.name)}: ${v}</title></circle>`)
      .join("");
  }
  const summary = `${days[0]} to ${days.at(-1)}; on the last day ${series.map((s) => `${s.name} ${s.values.at(-1) ?? 0}`).join(", ")}`;
  return frame(opts.id, width, opts.title, summary, body + legend(series, true));
}

/** Stacked bars, one per day; days and series with nothing draw nothing. */
export function stackedBarChart(opts: { id: string; title: string; days: string[]; series: Series[]; width?: ChartWidth; labelEvery?: number }): string {
  const { days, series } = opts;
  const width = opts.width ?? 600;
  const totals = days.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const { top, step } = niceScale(Math.max(0, ...totals));
  const slot = (width - M.left - M.right) / days.length;
  const barW = Math.max(1, slot * 0.75);
  const xOf = (i: number) => M.left + slot * i + slot / 2;
  let body = yAxis(width, top, step) + xLabels(days, opts.labelEvery ?? 7, xOf);
  days.forEach((day, i) => {
    let base = M.top + PLOT_H;
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      const h = (v / top) * PLOT_H;
      base -= h;
      body += `<rect class="mark" data-series="${escapeXml(s.name)}" data-day="${day}" data-value="${v}" x="${(xOf(i) - barW / 2).toFixed(1)}" y="${base.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${day} · ${escapeXml(s.name)}: ${v}</title></rect>`;
    }
  });
  const sums = series.map((s) => `${s.name} ${s.values.reduce((a, b) => a + b, 0)}`).join(", ");
  return frame(opts.id, width, opts.title, `${days[0]} to ${days.at(-1)}; in total ${sums}`, body + legend(series, false));
}

/** Horizontal bars for ranked items (topics, keywords), the figure at the end of each bar. */
export function rankedBarChart(opts: { id: string; title: string; items: { label: string; value: number }[]; color: string; width?: ChartWidth }): string {
  const { items } = opts;
  const width = opts.width ?? 600;
  const rowH = 22;
  const height = Math.max(1, items.length) * rowH + 12;
  const labelW = 210;
  const barMax = width - labelW - 60;
  const max = Math.max(1, ...items.map((i) => i.value));
  let body = "";
  items.forEach((item, i) => {
    const y = 6 + i * rowH;
    const w = Math.max(2, (item.value / max) * barMax);
    const label = item.label.length > 30 ? `${item.label.slice(0, 29)}…` : item.label;
    body +=
      `<text x="${labelW - 8}" y="${y + 13}" text-anchor="end" font-size="12" fill="#111827">${escapeXml(label)}</text>` +
      `<rect class="mark" data-label="${escapeXml(item.label)}" data-value="${item.value}" x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${opts.color}"><title>${escapeXml(item.label)}: ${item.value}</title></rect>` +
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 13}" font-size="12" fill="#374151">${item.value}</text>`;
  });
  if (!items.length) body = `<text x="${width / 2}" y="${height / 2 + 4}" text-anchor="middle" font-size="12" fill="#6b7280">none yet</text>`;
  const summary = items.map((i) => `${i.label} ${i.value}`).join(", ") || "none yet";
  return (
    `<svg class="chart ranked" id="${opts.id}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${opts.id}-title ${opts.id}-desc" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${opts.id}-title">${escapeXml(opts.title)}</title><desc id="${opts.id}-desc">${escapeXml(summary)}</desc>${body}</svg>`
  );
}
