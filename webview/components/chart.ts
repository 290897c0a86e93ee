/**
 * Line charts. The only module that knows uPlot: pages hand it series and aligned data.
 * uPlot draws on a canvas, so colours are read from the theme's CSS variables when the chart is
 * built and again when VS Code switches theme (it changes <body>'s class).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { clear, el } from '../shared/dom';

export interface ChartSeries {
  label: string;
  /** A CSS colour or var(--…) resolved against the page's theme. */
  color: string;
  dash?: number[];
}
/** xs, then one array per series (null where a series has no point at that x). */
export type ChartData = [number[], ...(number | null)[][]];

/** VS Code's chart palette, in an order where neighbours differ in hue and lightness. */
export const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK: Record<string, string> = {
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-foreground': '#cccccc',
  '--vscode-editor-background': '#1e1e1e',
};
export function paletteColour(i: number): string {
  return `var(${PALETTE[i % PALETTE.length]})`;
}

function resolve(colour: string): string {
  const m = /^var\((--[\w-]+)\)$/.exec(colour);
  if (!m) return colour;
  const v = getComputedStyle(document.body).getPropertyValue(m[1]).trim();
  return v || FALLBACK[m[1]] || '#888888';
}

/** Same x-alignment for series sampled at different steps (several runs on one chart). */
export function alignSeries(series: { x: number[]; y: (number | undefined)[] }[]): ChartData {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const out: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (y !== undefined && Number.isFinite(y)) out[index.get(x)!] = y;
    });
    return out;
  });
  return [xs, ...ys];
}

export interface LineChart {
  el: HTMLElement;
  set(series: ChartSeries[], data: ChartData): void;
}

export function lineChart(o: { title: string; xLabel: string; yLabel?: string; height?: number; logY?: boolean }): LineChart {
  const box = el('figure', { className: 'chart', attrs: { role: 'img', 'aria-label': o.title } });
  const caption = el('figcaption', { className: 'chart-title', text: o.title });
  const plotBox = el('div', { className: 'chart-plot' });
  const empty = el('div', { className: 'chart-empty', text: 'No data yet.' });
  box.append(caption, plotBox, empty);
  let plot: uPlot | undefined;
  let current: { series: ChartSeries[]; data: ChartData } | undefined;

  const width = () => Math.max(240, Math.floor(plotBox.clientWidth || box.clientWidth || 480));
  const build = () => {
    plot?.destroy();
    plot = undefined;
    clear(plotBox);
    const hasPoints = !!current && current.data[0].length > 0 && current.series.length > 0;
    empty.hidden = hasPoints;
    if (!current || !hasPoints) return;
    const fg = resolve('var(--vscode-foreground)');
    const grid = `color-mix(in srgb, ${fg} 15%, transparent)`;
    const axis = (label?: string): uPlot.Axis => ({ stroke: fg, values: (_u, splits) => splits.map(tickLabel), grid: { stroke: resolveMix(grid, fg), width: 1 }, ticks: { stroke: resolveMix(grid, fg), width: 1 }, label, labelSize: label ? 18 : 0 });
    const opts: uPlot.Options = {
      width: width(),
      height: o.height ?? 220,
      scales: { x: { time: false }, y: o.logY ? { distr: 3 } : {} },
      axes: [axis(o.xLabel), { ...axis(o.yLabel), size: 60 }],
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      // Points keep uPlot's default: drawn only where the data is sparse, so one checkpoint shows as a dot
      // while a run's dense curve stays a line.
      series: [
        { label: o.xLabel },
        ...current.series.map((s) => ({ label: s.label, stroke: resolve(s.color), width: 1.5, spanGaps: true, dash: s.dash })),
      ],
    };
    plot = new uPlot(opts, current.data as uPlot.AlignedData, plotBox);
  };
  new ResizeObserver(() => {
    if (plot && Math.abs(plot.width - width()) > 4) plot.setSize({ width: width(), height: o.height ?? 220 });
  }).observe(box);
  new MutationObserver(build).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return {
    el: box,
    set(series, data) {
      const sameShape = plot && current && current.series.length === series.length && current.series.every((s, i) => s.label === series[i].label && s.color === series[i].color);
      current = { series, data };
      // For tests and assistive tech: how many points and series the canvas shows.
      box.dataset.points = String(data[0].length);
      box.dataset.series = String(series.length);
      // Appending points to the same series keeps the chart (and the user's zoom); new series rebuild it.
      if (sameShape && plot) plot.setData(data as uPlot.AlignedData);
      else build();
    },
  };
}

/** uPlot's default tick labels round a learning rate of 2e-4 to "0"; keep three significant digits. */
export function tickLabel(v: number | null): string {
  // uPlot passes null for the ticks a log scale leaves unlabelled.
  if (v === null || !Number.isFinite(v)) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(1).replace('.0e', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Canvas strokes cannot take color-mix(); let the browser compute it to rgb() through a probe element. */
function resolveMix(mix: string, fallback: string): string {
  const probe = document.createElement('span');
  probe.style.color = mix;
  document.body.append(probe);
  const c = getComputedStyle(probe).color;
  probe.remove();
  return c || fallback;
}
