import { el } from './dom';

/** P(replaced) is shown in ten bands; each band's colour is a CSS class (shared/heat.css), per theme. */
export const HEAT_BANDS = 10;

export function heatBand(p: number): number {
  return Math.max(0, Math.min(HEAT_BANDS - 1, Math.floor(p * HEAT_BANDS)));
}
export function heatClass(p: number | undefined): string {
  return p === undefined ? 'heat-none' : `heat-${heatBand(p)}`;
}

/** The colour key: one swatch per band, plus what the outline on flagged tokens means. */
export function heatLegend(): HTMLElement {
  const swatches = el('span', { className: 'legend-ramp', attrs: { 'aria-hidden': 'true' } });
  for (let b = 0; b < HEAT_BANDS; b++) swatches.append(el('span', { className: `legend-swatch heat-${b}`, attrs: { title: `${(b / HEAT_BANDS).toFixed(1)}–${((b + 1) / HEAT_BANDS).toFixed(1)}` } }));
  return el('div', { className: 'legend', attrs: { role: 'note', 'aria-label': 'Colour key: background from none at P(replaced) 0 to strong at 1; flagged tokens are underlined' } }, [
    el('span', { className: 'legend-label', text: 'P(replaced) 0' }),
    swatches,
    el('span', { className: 'legend-label', text: '1' }),
    el('span', { className: 'legend-flag flagged', text: 'flagged' }),
    el('span', { className: 'legend-label', text: '= above threshold' }),
  ]);
}
