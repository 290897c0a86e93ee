import { HEAT_LEGEND, HEAT_LEVELS, heatHex, heatLegendText, heatLevel, LEGEND_LEVELS } from '../../src/heat-scale';
import { el } from './dom';

/** P(replaced) in the shared scale's ten levels (src/heat-scale.ts); each level's colour is a CSS class (shared/heat.css). */
export const HEAT_BANDS = HEAT_LEVELS;
export const heatBand = heatLevel;
export function heatClass(p: number | undefined): string {
  return p === undefined ? 'heat-none' : `heat-${heatBand(p)}`;
}

/**
 * The scale's colours as CSS variables (--heat-light-N, --heat-dark-N) on <html>, which heat.css picks from by
 * the theme kind on <body>: the stops live in one module, not copied into the stylesheet. Set through the
 * CSSOM, which the panels' CSP allows (no inline <style>).
 */
export function installHeatScale(root: HTMLElement = document.documentElement): void {
  for (let level = 1; level < HEAT_LEVELS; level++) {
    root.style.setProperty(`--heat-light-${level}`, heatHex(level, 'light')!);
    root.style.setProperty(`--heat-dark-${level}`, heatHex(level, 'dark')!);
  }
}

/** The colour key, worded as the editor's hover and the terminal's: labelled swatches, then what "flagged" means. */
export function heatLegend(): HTMLElement {
  const swatches = el('span', { className: 'legend-ramp', attrs: { 'aria-hidden': 'true' } });
  for (const level of LEGEND_LEVELS) swatches.append(el('span', { className: `legend-swatch heat-${level}`, text: HEAT_LEGEND.label(level) }));
  return el('div', { className: 'legend', attrs: { role: 'note', 'aria-label': `Colour key: ${heatLegendText()}; flagged tokens are underlined` } }, [
    el('span', { className: 'legend-label', text: `${HEAT_LEGEND.title}: ${HEAT_LEGEND.unpainted},` }),
    swatches,
    el('span', { className: 'legend-label', text: HEAT_LEGEND.end }),
    el('span', { className: 'legend-flag flagged', text: 'flagged' }),
    el('span', { className: 'legend-label', text: '= above threshold' }),
  ]);
}
