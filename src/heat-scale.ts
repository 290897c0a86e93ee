/**
 * THE colour scale for P(replaced), shared by the editor's heatmap (src/client/heatmap-style.ts), the Lab
 * panel (webview/shared/heat.ts) and the terminal (src/cli/render.ts), so a token looks the same wherever it
 * is shown. Pure: no vscode, no DOM, no Node, so all three bundles can import it.
 *
 * Ten levels of P (tenths); level 0 stays unpainted. Each painted level has one hue, amber shading into red,
 * laid over the theme's background at an opacity that grows with the level. The text on top keeps the
 * theme's own foreground, so the opacities are capped per theme kind where that text still has WCAG AA
 * contrast (4.5:1) on the strongest level; test/heat-scale.test.ts computes it for every level.
 */

export type Rgb = readonly [number, number, number];
/** High-contrast themes use their light or dark kind's opacities (VS Code decorations have only those two). */
export type HeatThemeKind = 'light' | 'dark';

export const HEAT_LEVELS = 10;

/** The band of a probability: floor(p × 10), clamped, so 0.95 and 1 share the strongest band. */
export function heatLevel(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.max(0, Math.min(HEAT_LEVELS - 1, Math.floor(p * HEAT_LEVELS)));
}

const LOW: Rgb = [255, 176, 0];
const HIGH: Rgb = [222, 32, 0];
/** Opacity of the strongest level: light backgrounds carry dark text, so they take more colour before it fades. */
const MAX_ALPHA: Record<HeatThemeKind, number> = { light: 0.6, dark: 0.62 };

/** The hue of each level (index 0 is unpainted and has none). */
export const HEAT_STOPS: readonly (Rgb | undefined)[] = Array.from({ length: HEAT_LEVELS }, (_, level) => {
  if (level === 0) return undefined;
  const t = (level - 1) / (HEAT_LEVELS - 2);
  return LOW.map((lo, i) => Math.round(lo + (HIGH[i] - lo) * t)) as unknown as Rgb;
});

/** The level's opacity over the background (0 for level 0). */
export function heatAlpha(level: number, kind: HeatThemeKind): number {
  if (level <= 0) return 0;
  return Math.round(MAX_ALPHA[kind] * (0.15 + (0.85 * (level - 1)) / (HEAT_LEVELS - 2)) * 1000) / 1000;
}

/** `#RRGGBBAA`, the form VS Code decorations, its hover Markdown and CSS all accept; undefined for level 0. */
export function heatHex(level: number, kind: HeatThemeKind): string | undefined {
  const stop = HEAT_STOPS[level];
  if (!stop) return undefined;
  return '#' + [...stop, Math.round(heatAlpha(level, kind) * 255)].map((v) => v.toString(16).padStart(2, '0')).join('');
}

// ─── The legend: the same words and swatches in the editor's hover, the Lab panel and the terminal ─────────

/** The levels the legends show, each labelled with the lowest P it covers. */
export const LEGEND_LEVELS = [1, 3, 5, 7, 9] as const;
export const HEAT_LEGEND = {
  title: 'P(replaced)',
  unpainted: 'below 0.1 unpainted',
  label: (level: number) => (level / HEAT_LEVELS).toFixed(1),
  /** After the swatches: the last one runs to 1. */
  end: 'and up',
} as const;
/** The legend as plain words, for screen readers and a terminal without colour. */
export function heatLegendText(): string {
  return `${HEAT_LEGEND.title}: ${HEAT_LEGEND.unpainted}, then amber to red at ${LEGEND_LEVELS.map(HEAT_LEGEND.label).join(', ')} ${HEAT_LEGEND.end}`;
}

// ─── Colour arithmetic, for the terminal's palette and the contrast checks ───────────────────────────────

/** `color` at `alpha` over an opaque `background`. */
export function composite(color: Rgb, alpha: number, background: Rgb): Rgb {
  return color.map((c, i) => Math.round(c * alpha + background[i] * (1 - alpha))) as unknown as Rgb;
}

/** WCAG 2 relative luminance. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG 2 contrast ratio, 1 to 21. */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

export function parseHex(hex: string): Rgb {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

const CUBE = [0, 95, 135, 175, 215, 255];
/** The nearest colour of the xterm 256-colour cube (indices 16–231), which every terminal has. */
export function nearestXterm256(c: Rgb): { index: number; rgb: Rgb } {
  const nearest = (v: number) => CUBE.reduce((best, x, i) => (Math.abs(x - v) < Math.abs(CUBE[best] - v) ? i : best), 0);
  const [r, g, b] = c.map(nearest);
  return { index: 16 + 36 * r + 6 * g + b, rgb: [CUBE[r], CUBE[g], CUBE[b]] };
}

/**
 * The terminal's colours: it cannot blend with its own background, so each level is the light scale laid over
 * white, as the nearest palette colour, under black text (the CLI prints black on these).
 */
export const TERMINAL_TEXT: Rgb = [0, 0, 0];
export const TERMINAL_LEVELS: readonly (number | undefined)[] = HEAT_STOPS.map((stop, level) =>
  stop ? nearestXterm256(composite(stop, heatAlpha(level, 'light'), [255, 255, 255])).index : undefined);
export function xterm256Rgb(index: number): Rgb {
  const i = index - 16;
  return [CUBE[Math.floor(i / 36)], CUBE[Math.floor(i / 6) % 6], CUBE[i % 6]];
}
