import * as vscode from 'vscode';
import type { HeatmapToken, TokenPredictionsResult } from '../protocol';
import { HEAT_LEGEND, HEAT_LEVELS, heatHex, heatLevel, LEGEND_LEVELS, type HeatThemeKind } from '../heat-scale';

/** The scale's ten levels (src/heat-scale.ts): one decoration type each; the lowest tenth stays unpainted. */
export const LEVELS = HEAT_LEVELS;
export const levelOf = heatLevel;

export function createDecorationTypes(): vscode.TextEditorDecorationType[] {
  // VS Code picks `light` for light and high-contrast-light themes, `dark` for dark and high-contrast ones.
  return Array.from({ length: LEVELS }, (_, level) => vscode.window.createTextEditorDecorationType({
    light: { backgroundColor: heatHex(level, 'light') },
    dark: { backgroundColor: heatHex(level, 'dark') },
    borderRadius: '2px',
  }));
}

function themeKind(): HeatThemeKind {
  const kind = vscode.window.activeColorTheme.kind;
  return kind === vscode.ColorThemeKind.Light || kind === vscode.ColorThemeKind.HighContrastLight ? 'light' : 'dark';
}

/** The swatches the editor paints, in the current theme's colours, worded as the Lab panel's and the terminal's. */
function legend(): string {
  const kind = themeKind();
  const swatches = LEGEND_LEVELS.map((level) => `<span style="background-color:${heatHex(level, kind)};">&nbsp;${HEAT_LEGEND.label(level)}&nbsp;</span>`);
  return `Legend — ${HEAT_LEGEND.title}: ${HEAT_LEGEND.unpainted}, ${swatches.join(' ')} ${HEAT_LEGEND.end}`;
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
