// The loss chart of a run: an SVG with the training loss and the validation loss against the step,
// axes with ticks and labels, and a legend. Rewritten atomically in the run folder as training goes.
import { writeFileAtomic } from "@pullback/tensor";
import type { MetricRecord } from "./metrics.ts";

export type Point = [step: number, loss: number];

export interface ChartOptions {
  title?: string;
  width?: number;
  height?: number;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** About `count` round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmtTick(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e4 && Number.isInteger(x)) return `${x / 1000}k`;
  return a >= 1e-2 && a < 1e4 ? String(Number(x.toPrecision(4))) : x.toExponential(1);
}

/** At most `max` points: the mean of equal buckets (keeps the shape of a noisy training curve). */
export function downsample(points: Point[], max: number): Point[] {
  if (points.length <= max) return points;
  const out: Point[] = [];
  const size = points.length / max;
  for (let b = 0; b < max; b++) {
    const chunk = points.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (chunk.length === 0) continue;
    out.push([chunk.reduce((s, p) => s + p[0], 0) / chunk.length, chunk.reduce((s, p) => s + p[1], 0) / chunk.length]);
  }
  return out;
}

export function renderLossChart(train: Point[], valid: Point[], options: ChartOptions = {}): string {
  const W = options.width ?? 800,
    H = options.height ?? 450;
  const m = { left: 64, right: 24, top: 40, bottom: 52 };
  const pw = W - m.left - m.right,
    ph = H - m.top - m.bottom;
  const finite = (p: Point) => Number.isFinite(p[0]) && Number.isFinite(p[1]);
  const tr = downsample(train.filter(finite), Math.max(2, Math.floor(pw)));
  const va = valid.filter(finite);
  const all = [...tr, ...va];
  let x0 = Math.min(...all.map((p) => p[0])),
    x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => p[1])),
    y1 = Math.max(...all.map((p) => p[1]));
  if (all.length === 0) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  y0 = Math.max(0, y0 - pad);
  y1 += pad;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + (1 - (y - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(1);
  const poly = (pts: Point[]) => pts.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(" ");

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title ?? "loss")}</text>`);
  // Grid, ticks and tick labels.
  for (const t of niceTicks(x0, x1, 8)) {
    out.push(`<line x1="${f(sx(t))}" y1="${m.top}" x2="${f(sx(t))}" y2="${m.top + ph}" stroke="#eee"/>`);
    out.push(`<line x1="${f(sx(t))}" y1="${m.top + ph}" x2="${f(sx(t))}" y2="${m.top + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${f(sx(t))}" y="${m.top + ph + 18}" text-anchor="middle">${fmtTick(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1, 6)) {
    out.push(`<line x1="${m.left}" y1="${f(sy(t))}" x2="${m.left + pw}" y2="${f(sy(t))}" stroke="#eee"/>`);
    out.push(`<line x1="${m.left - 5}" y1="${f(sy(t))}" x2="${m.left}" y2="${f(sy(t))}" stroke="black"/>`);
    out.push(`<text x="${m.left - 8}" y="${f(sy(t) + 4)}" text-anchor="end">${fmtTick(t)}</text>`);
  }
  // Axes and their labels.
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="black"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="black"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">step</text>`);
  out.push(`<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">loss</text>`);
  // Curves.
  out.push(`<polyline class="train" fill="none" stroke="#1f77b4" stroke-width="1.5" points="${poly(tr)}"/>`);
  out.push(`<polyline class="valid" fill="none" stroke="#d62728" stroke-width="2" points="${poly(va)}"/>`);
  for (const [x, y] of va) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="3" fill="#d62728"/>`);
  if (all.length === 0) out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" fill="#888">no data yet</text>`);
  // Legend.
  const lx = m.left + pw - 150,
    ly = m.top + 12;
  out.push(`<rect x="${lx - 8}" y="${ly - 12}" width="150" height="44" fill="white" stroke="#ccc"/>`);
  out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="#1f77b4" stroke-width="2"/>`);
  out.push(`<text x="${lx + 30}" y="${ly + 4}">train${tr.length ? ` (last ${fmtTick(train.filter(finite).at(-1)![1])})` : ""}</text>`);
  out.push(`<line x1="${lx}" y1="${ly + 20}" x2="${lx + 24}" y2="${ly + 20}" stroke="#d62728" stroke-width="2"/>`);
  out.push(`<text x="${lx + 30}" y="${ly + 24}">validation${va.length ? ` (last ${fmtTick(va.at(-1)![1])})` : ""}</text>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** Writes the chart of a run's metrics to `path` atomically. */
export function writeLossChart(path: string, records: readonly MetricRecord[], options: ChartOptions = {}): void {
  const train: Point[] = [],
    valid: Point[] = [];
  for (const r of records) {
    if (r.type === "train") train.push([r.step, r.loss]);
    else if (r.type === "eval") valid.push([r.step, r.loss]);
  }
  writeFileAtomic(path, renderLossChart(train, valid, options));
}
