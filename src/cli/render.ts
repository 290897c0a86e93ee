import type { ScoredToken } from '../engine/inference/heatmap';
import type { CorruptionResult } from '../engine/inference/corrupt';

/** Terminal colours, switched off when stdout is not a terminal or NO_COLOR is set. */
export const useColour = process.stdout.isTTY === true && !process.env.NO_COLOR;

/** Background from none (P≈0) through yellow to red (P≈1), in the 256-colour palette every terminal has. */
const RAMP = [-1, 229, 228, 221, 214, 208, 202, 196, 160];

function paint(text: string, p: number): string {
  const level = Math.min(RAMP.length - 1, Math.floor(p * RAMP.length));
  const colour = RAMP[level];
  if (!useColour || colour < 0) return text;
  return `\x1b[48;5;${colour}m\x1b[30m${text}\x1b[0m`;
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

export function legend(): string {
  if (!useColour) return 'P(replaced) per token: run in a terminal (or unset NO_COLOR) to see it as colour';
  const cells = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95].map((p) => paint(` ${p.toFixed(2)} `, p)).join('');
  return `P(replaced): ${cells}`;
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
