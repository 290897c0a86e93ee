import * as vscode from 'vscode';
import type { HeatmapToken, TokenPredictionsResult } from '../protocol';

/** Ten strengths of one hue: a token's background follows its P(replaced); the lowest tenth stays unpainted. */
export const LEVELS = 10;

/** One hue per theme kind: a warm red that reads on dark backgrounds, a deeper one on light ones. */
const HUE = { dark: [255, 96, 64], light: [214, 40, 0] } as const;

export function levelOf(p: number): number {
  return Math.max(0, Math.min(LEVELS - 1, Math.floor(p * LEVELS)));
}

/** #RRGGBBAA: the only colour form VS Code's hover Markdown accepts in a style attribute. */
function hex(kind: 'dark' | 'light', level: number): string {
  const alpha = Math.round(0.07 * level * 255);
  return '#' + [...HUE[kind], alpha].map((v) => v.toString(16).padStart(2, '0')).join('');
}

export function createDecorationTypes(): vscode.TextEditorDecorationType[] {
  return Array.from({ length: LEVELS }, (_, level) => vscode.window.createTextEditorDecorationType({
    light: { backgroundColor: level === 0 ? undefined : hex('light', level) },
    dark: { backgroundColor: level === 0 ? undefined : hex('dark', level) },
    borderRadius: '2px',
  }));
}

function themeKind(): 'dark' | 'light' {
  const kind = vscode.window.activeColorTheme.kind;
  return kind === vscode.ColorThemeKind.Light || kind === vscode.ColorThemeKind.HighContrastLight ? 'light' : 'dark';
}

/** The swatches the editor paints, in the current theme's colours. */
function legend(): string {
  const kind = themeKind();
  const swatches = [1, 3, 5, 7, 9].map((level) => `<span style="background-color:${hex(kind, level)};">&nbsp;${(level / LEVELS).toFixed(1)}&nbsp;</span>`);
  return `Legend — P(replaced): below 0.1 unpainted, ${swatches.join(' ')} and up`;
}

function code(text: string): string {
  // A backtick would end the code span, a bar the table cell.
  return '`' + text.replace(/`/g, 'ˋ').replace(/\|/g, '\\|') + '`';
}

/** The hover of one heatmap token: its numbers, the generator's top 5 (or why there are none), the legend. */
export function hoverMarkdown(token: HeatmapToken, predictions: TokenPredictionsResult | undefined, failure?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportHtml = true;
  md.appendMarkdown(`**ELECTRA** ${code(token.text)} — P(replaced) **${token.p.toFixed(3)}**, logit ${token.logit.toFixed(3)}\n\n`);
  if (predictions?.top) {
    md.appendMarkdown('| generator\'s top 5 here (token masked) | P |\n| --- | ---: |\n');
    for (const t of predictions.top) md.appendMarkdown(`| ${code(t.token)} | ${t.p.toFixed(3)} |\n`);
    md.appendMarkdown('\n');
  } else {
    md.appendMarkdown(`_No generator predictions: ${predictions?.reason ?? failure ?? 'unavailable'}._\n\n`);
  }
  md.appendMarkdown(legend());
  return md;
}
