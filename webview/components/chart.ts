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
  /** line: a curve; faint: its raw points, pale, under a smoothed curve; marker: large dots (held-out evaluations). */
  kind?: 'line' | 'faint' | 'marker';
  /** false: left out of the legend (the faint points of a curve that has its own entry). */
  legend?: boolean;
  /** The legend entry's tooltip (the raw metric id behind the words). */
  tip?: string;
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
  /** `xLabel`: the x axis's name, when it changed (a rebuild). */
  set(series: ChartSeries[], data: ChartData, xLabel?: string): void;
}

/**
 * `titleTip`: the caption's tooltip (the raw ids behind its words). `syncKey`: charts with the same key share one
 * cursor (uPlot's cursor.sync): hovering a step on one shows that step's values on all of them.
 */
export function lineChart(o: { title: string; titleTip?: string; xLabel: string; yLabel?: string; height?: number; logY?: boolean; syncKey?: string }): LineChart {
  const box = el('figure', { className: 'chart', attrs: { role: 'img', 'aria-label': o.title } });
  const caption = el('figcaption', { className: 'chart-title', text: o.title, attrs: o.titleTip ? { title: o.titleTip } : {} });
  let xLabel = o.xLabel;
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
      axes: [axis(xLabel), { ...axis(o.yLabel), size: 60 }],
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false }, ...(o.syncKey ? { sync: { key: o.syncKey } } : {}) },
      series: [{ label: xLabel }, ...current.series.map((s) => seriesOptions(s, fg))],
    };
    plot = new uPlot(opts, current.data as uPlot.AlignedData, plotBox);
    // uPlot's legend has a row per series, in order after the x row: tooltips, and the faint points left out.
    const rows = plot.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
    current.series.forEach((s, i) => {
      const row = rows[i + 1];
      if (!row) return;
      if (s.tip) row.title = s.tip;
      if (s.legend === false) row.style.display = 'none';
    });
  };
  new ResizeObserver(() => {
    if (plot && Math.abs(plot.width - width()) > 4) plot.setSize({ width: width(), height: o.height ?? 220 });
  }).observe(box);
  new MutationObserver(build).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return {
    el: box,
    set(series, data, nextXLabel) {
      const sameAxis = nextXLabel === undefined || nextXLabel === xLabel;
      if (nextXLabel !== undefined) xLabel = nextXLabel;
      const sameShape = sameAxis && plot && current && current.series.length === series.length && current.series.every((s, i) => s.label === series[i].label && s.color === series[i].color && s.kind === series[i].kind);
      current = { series, data };
      // For tests and assistive tech: how many points and series the canvas shows.
      box.dataset.points = String(data[0].length);
      box.dataset.series = String(series.length);
      box.dataset.xRange = data[0].length ? `${data[0][0]} ${data[0][data[0].length - 1]}` : '';
      // Appending points to the same series keeps the chart (and the user's zoom); new series rebuild it.
      if (sameShape && plot) plot.setData(data as uPlot.AlignedData);
      else build();
    },
  };
}

/**
 * A curve is a line (uPlot draws its points only where they are sparse, so one checkpoint shows as a dot); faint
 * points are the logged values under a smoothed curve; markers are the held-out evaluations, large and outlined.
 */
function seriesOptions(s: ChartSeries, fg: string): uPlot.Series {
  const stroke = resolve(s.color);
  const noLine = () => null;
  const common = { label: s.label, value: legendValue };
  if (s.kind === 'faint') {
    const pale = resolveMix(`color-mix(in srgb, ${stroke} 35%, transparent)`, stroke);
    return { ...common, stroke: pale, width: 1, paths: noLine, points: { show: true, size: 4, stroke: pale, fill: pale } };
  }
  if (s.kind === 'marker') return { ...common, stroke, width: 2, paths: noLine, points: { show: true, size: 9, stroke: fg, fill: stroke, width: 1.5 } };
  return { ...common, stroke, width: 1.5, spanGaps: true, dash: s.dash };
}

/** uPlot's legend keeps three decimals, which shows a learning rate of 2e-4 as 0: four significant digits instead. */
function legendValue(_u: uPlot, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '--';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
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
