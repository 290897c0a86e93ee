import type { ScoredToken } from '../engine/inference/heatmap';
import type { CorruptionResult } from '../engine/inference/corrupt';
import { HEAT_LEGEND, HEAT_LEVELS, heatLegendText, heatLevel, LEGEND_LEVELS, TERMINAL_LEVELS } from '../heat-scale';

/** Terminal colours, switched off when stdout is not a terminal or NO_COLOR is set. */
export const useColour = process.stdout.isTTY === true && !process.env.NO_COLOR;

/** Background by the shared scale's level (src/heat-scale.ts: the light scale over white, as the nearest of the
 *  256 colours every terminal has), under black text. */
export function heatEscape(p: number): string | undefined {
  const colour = TERMINAL_LEVELS[heatLevel(p)];
  return colour === undefined ? undefined : `\x1b[48;5;${colour}m\x1b[30m`;
}
function paint(text: string, p: number): string {
  const escape = heatEscape(p);
  return useColour && escape ? `${escape}${text}\x1b[0m` : text;
}

/** The text as written, each token's characters on a background by its P(replaced). */
export function renderHeatmap(text: string, tokens: readonly ScoredToken[]): string {
  let out = '';
  let cursor = 0;
  for (const t of tokens) {
    if (t.start < cursor) continue;
    out += text.slice(cursor, t.start) + paint(text.slice(t.start, t.end), t.p);
    cursor = t.end;
  }
  out += text.slice(cursor);
  if (!useColour) {
    // Without colour, list the tokens the discriminator finds most suspicious instead.
    const top = [...tokens].sort((a, b) => b.p - a.p).slice(0, 10).map((t) => `${text.slice(t.start, t.end)} ${t.p.toFixed(2)}`);
    out += `\n\nhighest P(replaced): ${top.join(', ')}`;
  }
  return out;
}

/** The same words and swatches as the editor's hover and the Lab panel. */
export function legend(): string {
  if (!useColour) return `${heatLegendText()} (run in a terminal, or unset NO_COLOR, to see the colours)`;
  const cells = LEGEND_LEVELS.map((level) => paint(` ${HEAT_LEGEND.label(level)} `, (level + 0.5) / HEAT_LEVELS)).join('');
  return `${HEAT_LEGEND.title}: ${HEAT_LEGEND.unpainted}, ${cells} ${HEAT_LEGEND.end}`;
}

export function renderCorruption(result: CorruptionResult): string {
  const rows = result.tokens.map((t) => {
    const mark = t.replaced ? 'REPLACED' : t.selected ? 'kept' : '';
    const sample = t.selected ? `${t.sampled}${t.sampleProb !== undefined ? ` (${t.sampleProb.toFixed(2)})` : ''}` : '';
    return [t.original, t.selected ? t.input : '', sample, mark, t.p === undefined ? '' : paint(t.p.toFixed(3), t.p)];
  });
  const header = ['original', 'masked', 'generator sample', 'label', 'D: P(replaced)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]))));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(widths[i] - visibleLength(c))).join('  ');
  const c = result.counts;
  return [
    line(header),
    ...rows.map(line),
    '',
    `at P > 0.5: ${c.truePositives} replaced caught, ${c.falseNegatives} replaced missed, ${c.falsePositives} originals flagged, ${c.trueNegatives} originals passed` +
      (result.truncated ? ' (text truncated to the first window)' : ''),
  ].join('\n');
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** A corruption sample as one line of text: what the discriminator read, replacements as [original→sample], coloured by P(replaced). */
export function renderCorruptionInline(result: CorruptionResult): string {
  let out = '';
  for (const t of result.tokens) {
    const continues = t.original.startsWith('##');
    const strip = (piece: string) => (continues ? piece.replace(/^##/, '') : piece);
    const word = t.replaced ? `[${strip(t.original)}→${t.sampled}]` : strip(t.sampled);
    const glued = continues || !out ? word : ` ${word}`;
    out += t.p === undefined ? glued : paint(glued, t.p);
  }
  const c = result.counts;
  const meanP = (replaced: boolean) => {
    const ps = result.tokens.filter((t) => t.replaced === replaced && t.p !== undefined).map((t) => t.p!);
    return ps.length ? (ps.reduce((a, p) => a + p, 0) / ps.length).toFixed(2) : '–';
  };
  return `${out}\n\n${c.truePositives + c.falseNegatives} replaced tokens; at P > 0.5 the discriminator caught ${c.truePositives} and flagged ${c.falsePositives} originals; ` +
    `mean P(replaced) ${meanP(true)} on replaced tokens vs ${meanP(false)} on originals`;
}
