import * as vscode from 'vscode';
import { heatmapScores, type HeatmapToken } from '../protocol';
import type { EngineContext } from './context';
import { readSettings } from './config';

/** Ten strengths of one hue: a token's background follows its P(replaced); the lowest tenth stays unpainted. */
const LEVELS = 10;

export interface PaintedHeatmap {
  uri: string;
  version: number;
  tokens: HeatmapToken[];
  /** Ranges painted per strength level (index = level). */
  rangesPerLevel: number[];
}

/**
 * Paints the discriminator's P(replaced) over visible editors in the configured languages: scores come
 * from the engine per document version, debounced while typing, and dropped when the document moved on.
 */
export class HeatmapController implements vscode.Disposable {
  private enabled = false;
  private readonly decorationTypes = Array.from({ length: LEVELS }, (_, level) =>
    vscode.window.createTextEditorDecorationType({
      backgroundColor: level === 0 ? undefined : `rgba(255, 72, 32, ${(0.07 * level).toFixed(2)})`,
      borderRadius: '2px',
    }));
  private readonly painted = new Map<string, PaintedHeatmap>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly onDidPaintEmitter = new vscode.EventEmitter<PaintedHeatmap>();
  readonly onDidPaint = this.onDidPaintEmitter.event;

  constructor(private readonly engine: EngineContext) {
    this.subscriptions.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshVisible()),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('electraLab.heatmap') && this.refreshVisible()),
      engine.onDidRestart(() => this.refreshVisible()),
    );
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (enabled) this.refreshVisible();
    else this.clearAll();
  }

  /** What was last painted for a document (the integration tests compare it with the CLI). */
  lastPainted(uri: vscode.Uri): PaintedHeatmap | undefined {
    return this.painted.get(uri.toString());
  }

  refreshVisible(): void {
    if (!this.enabled) return;
    for (const editor of vscode.window.visibleTextEditors) void this.score(editor.document);
  }

  private schedule(document: vscode.TextDocument): void {
    if (!this.enabled || !this.isVisible(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => void this.score(document), readSettings().heatmap.debounceMs));
  }

  private isVisible(document: vscode.TextDocument): boolean {
    return vscode.window.visibleTextEditors.some((e) => e.document === document);
  }

  private async score(document: vscode.TextDocument): Promise<void> {
    const settings = readSettings().heatmap;
    if (!settings.languages.includes(document.languageId)) return;
    if (!settings.checkpoint) {
      const choice = await vscode.window.showWarningMessage('ELECTRA heatmap: no checkpoint chosen.', 'Choose Checkpoint');
      if (choice) await vscode.commands.executeCommand('electraLab.chooseCheckpoint');
      return;
    }
    const version = document.version;
    let result;
    try {
      result = await this.engine.languageClient.sendRequest(heatmapScores, { uri: document.uri.toString(), version, checkpoint: settings.checkpoint });
    } catch (e) {
      if (document.version !== version) return; // typed on: a newer request is coming
      const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      const choice = await vscode.window.showErrorMessage(`ELECTRA heatmap: ${message}`, 'Choose Checkpoint', 'Open Log');
      if (choice === 'Choose Checkpoint') await vscode.commands.executeCommand('electraLab.chooseCheckpoint');
      if (choice === 'Open Log') this.engine.output.show();
      return;
    }
    if (document.version !== version || !this.enabled) return;
    this.paint(document, result.tokens, version);
  }

  private paint(document: vscode.TextDocument, tokens: HeatmapToken[], version: number): void {
    const perLevel: vscode.DecorationOptions[][] = Array.from({ length: LEVELS }, () => []);
    for (const t of tokens) {
      const level = Math.min(LEVELS - 1, Math.floor(t.p * LEVELS));
      const hover = new vscode.MarkdownString(`**ELECTRA** \`${t.text}\` — P(replaced) **${t.p.toFixed(3)}**, logit ${t.logit.toFixed(3)}\n\n` +
        'Background strength follows P(replaced): none below 0.1, strongest above 0.9.');
      perLevel[level].push({ range: new vscode.Range(document.positionAt(t.start), document.positionAt(t.end)), hoverMessage: hover });
    }
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document === document)) {
      this.decorationTypes.forEach((type, level) => editor.setDecorations(type, level === 0 ? [] : perLevel[level]));
    }
    const painted = { uri: document.uri.toString(), version, tokens, rangesPerLevel: perLevel.map((l, i) => (i === 0 ? 0 : l.length)) };
    this.painted.set(painted.uri, painted);
    this.onDidPaintEmitter.fire(painted);
  }

  private clearAll(): void {
    for (const editor of vscode.window.visibleTextEditors) for (const type of this.decorationTypes) editor.setDecorations(type, []);
    this.painted.clear();
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of [...this.subscriptions, ...this.decorationTypes, this.onDidPaintEmitter]) d.dispose();
  }
}
