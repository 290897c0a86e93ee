/**
 * The one P(replaced) scale (src/heat-scale.ts): its levels, its contrast in the built-in themes, and that the
 * editor, the Lab panel and the terminal all take their colours and legend words from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  HEAT_LEGEND, HEAT_LEVELS, HEAT_STOPS, LEGEND_LEVELS, TERMINAL_LEVELS, TERMINAL_TEXT, composite, contrastRatio, heatAlpha, heatHex, heatLevel,
  parseHex, xterm256Rgb, type HeatThemeKind, type Rgb,
} from '../src/heat-scale';
import { heatEscape } from '../src/cli/render';
import { ROOT } from './helpers';

test('levels are tenths of P, clamped; level 0 is unpainted and the rest grow in opacity from amber to red', () => {
  assert.deepEqual([0, 0.05, 0.1, 0.55, 0.9, 0.99, 1, -1, 2, Number.NaN].map(heatLevel), [0, 0, 1, 5, 9, 9, 9, 0, 9, 0]);
  assert.equal(HEAT_STOPS.length, HEAT_LEVELS);
  assert.equal(HEAT_STOPS[0], undefined);
  assert.equal(heatHex(0, 'dark'), undefined);
  for (const kind of ['light', 'dark'] as const) {
    for (let l = 2; l < HEAT_LEVELS; l++) assert.ok(heatAlpha(l, kind) > heatAlpha(l - 1, kind), `${kind} level ${l} stronger than ${l - 1}`);
  }
  // Green falls level by level (amber → red) while red stays high.
  for (let l = 2; l < HEAT_LEVELS; l++) assert.ok(HEAT_STOPS[l]![1] < HEAT_STOPS[l - 1]![1]);
  assert.match(heatHex(9, 'light')!, /^#[0-9a-f]{8}$/);
});

/** Editor foreground on editor background of VS Code's built-in themes (test/webview/themes.ts, and HC light). */
const THEMES: { name: string; kind: HeatThemeKind; fg: string; bg: string }[] = [
  { name: 'Light+', kind: 'light', fg: '#000000', bg: '#ffffff' },
  { name: 'Dark+', kind: 'dark', fg: '#d4d4d4', bg: '#1e1e1e' },
  { name: 'Dark High Contrast', kind: 'dark', fg: '#ffffff', bg: '#000000' },
  { name: 'Light High Contrast', kind: 'light', fg: '#292929', bg: '#ffffff' },
];

test('text keeps WCAG AA contrast (4.5:1) on every level in light, dark and both high-contrast themes', () => {
  for (const t of THEMES) {
    for (let l = 1; l < HEAT_LEVELS; l++) {
      const under = composite(HEAT_STOPS[l]!, heatAlpha(l, t.kind), parseHex(t.bg));
      const ratio = contrastRatio(parseHex(t.fg), under);
      assert.ok(ratio >= 4.5, `${t.name} level ${l}: ${ratio.toFixed(2)}:1`);
    }
    // And the strongest level is visibly there: not lost in the background.
    const top = composite(HEAT_STOPS[9]!, heatAlpha(9, t.kind), parseHex(t.bg));
    assert.ok(contrastRatio(top, parseHex(t.bg)) > 1.5, `${t.name}: level 9 stands out from the background`);
  }
});

test('the terminal paints each level with the scale colour over white, black text readable on all', () => {
  assert.equal(TERMINAL_LEVELS[0], undefined);
  assert.equal(heatEscape(0.05), undefined, 'the lowest tenth unpainted, as in the editor');
  for (let l = 1; l < HEAT_LEVELS; l++) {
    const index = TERMINAL_LEVELS[l]!;
    assert.ok(index >= 16 && index <= 231, `level ${l} is in the 256-colour cube`);
    assert.equal(heatEscape((l + 0.5) / HEAT_LEVELS), `\x1b[48;5;${index}m\x1b[30m`, `render.ts paints level ${l} with the scale's colour`);
    // The palette colour is the nearest to the light scale over white: within one cube step of each channel.
    const want: Rgb = composite(HEAT_STOPS[l]!, heatAlpha(l, 'light'), [255, 255, 255]);
    xterm256Rgb(index).forEach((c, i) => assert.ok(Math.abs(c - want[i]) <= 48, `level ${l} channel ${i}: ${c} vs ${want[i]}`));
    assert.ok(contrastRatio(TERMINAL_TEXT, xterm256Rgb(index)) >= 4.5);
  }
  // The ramp gets warmer: the strongest level is redder (less green) than the weakest.
  assert.ok(xterm256Rgb(TERMINAL_LEVELS[9]!)[1] < xterm256Rgb(TERMINAL_LEVELS[1]!)[1]);
});

test('the editor, the Lab panel and the terminal take colours and legend words from the one module', () => {
  const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');
  const consumers = ['src/client/heatmap-style.ts', 'webview/shared/heat.ts', 'src/cli/render.ts'];
  for (const f of consumers) {
    const src = read(f);
    assert.match(src, /from '(\.\.\/)+(src\/)?heat-scale'/, `${f} imports src/heat-scale.ts`);
    assert.match(src, /HEAT_LEGEND\.title/, `${f} words its legend from the module`);
    assert.match(src, /HEAT_LEGEND\.unpainted/, `${f} says what is unpainted, as the others`);
    assert.match(src, /LEGEND_LEVELS/, `${f} shows the same legend swatches`);
    // No colours of their own: no hex literals, rgb arrays or 256-colour ramps.
    assert.doesNotMatch(src, /#[0-9a-f]{6}\b|\[\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\]|\b(229|228|221|214|208|202|196|160)\b,/i, `${f} has a colour of its own`);
  }
  // The stylesheet only maps the module's variables by theme kind.
  const css = read('webview/shared/heat.css');
  for (let l = 1; l < HEAT_LEVELS; l++) assert.match(css, new RegExp(`\\.heat-${l} \\{ background: var\\(--heat-${l}\\)`));
  assert.doesNotMatch(css.replace(/\/\*[\s\S]*?\*\//g, ''), /\.heat-\d[^}]*(#[0-9a-f]{3,8}|rgb|color-mix)/i);
  assert.deepEqual(LEGEND_LEVELS.map(HEAT_LEGEND.label), ['0.1', '0.3', '0.5', '0.7', '0.9']);
});
