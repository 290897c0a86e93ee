import * as vscode from 'vscode';
import {
  HEATMAP_MAX_DOCUMENT_CHARS, HEATMAP_WHOLE_DOCUMENT_CHARS, heatmapHidden, heatmapScores, tokenPredictions,
  type CharRange, type HeatmapToken, type TokenPredictionsResult,
} from '../protocol';
import type { EngineContext } from './context';
import { readSettings } from './config';
import { mergeRanges, subtractRanges } from './char-ranges';
import { createDecorationTypes, hoverMarkdown, levelOf, LEVELS } from './heatmap-style';
import { UnsyncedTabWatcher } from './heatmap-unsynced';

/** Lines scored beyond the visible ones, so a short scroll finds them painted. */
const MARGIN_LINES = 40;

export interface PaintedHeatmap {
  uri: string;
  version: number;
  /** Every token scored so far for this version, in document order. */
  tokens: HeatmapToken[];
  /** Ranges painted per strength level (index = level). */
  rangesPerLevel: number[];
  /** True once the whole document is scored (small documents); big ones are scored around what is visible. */
  complete: boolean;
  /** True while tokens next to an edit still show their scores from before it (their windows run next). */
  provisional: boolean;
  /** Summed over this version's requests: windows the engine needed, and how many of them it ran through the
   *  model (the rest came from its cache: after an edit, only the windows holding it). */
  windows: number;
  windowsScored: number;
  /** Windows of this version the engine ran after the edit before it was asked (it scores ahead while the editor debounces). */
  windowsScoredAhead: number;
}

/** What is known for one document version with one checkpoint. */
interface DocumentScores {
  version: number;
  checkpoint: string;
  tokens: Map<number, HeatmapToken>;
  sorted: HeatmapToken[];
  covered: CharRange[];
  complete: boolean;
  provisional: boolean;
  windows: number;
  windowsScored: number;
  windowsScoredAhead: number;
  /** Cancelled as soon as the document changes: the engine stops between windows. */
  cancel: vscode.CancellationTokenSource;
  /** Scoring calls for one version run one after another, so none asks twice for the same range. */
  queue: Promise<void>;
}

/**
 * Paints the discriminator's P(replaced) over visible editors in the configured languages. The extension
 * host only paints: the engine scores the visible lines (plus a margin) first, then — for documents up to
 * HEATMAP_WHOLE_DOCUMENT_CHARS — the rest; bigger documents are scored as they scroll into view.
 * Requests are debounced while typing and cancelled when the document changes.
 */
export class HeatmapController implements vscode.Disposable {
  private enabled = false;
  /** Asked once per showing of the heatmap: every edit and visible editor would otherwise stack the same warning. */
  private askedForCheckpoint = false;
  private readonly decorationTypes = createDecorationTypes();
  private readonly scores = new Map<string, DocumentScores>();
  private readonly painted = new Map<string, PaintedHeatmap>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Problems already shown for a document (uri + message): one notification each, not one per keystroke. */
  private readonly notified = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly onDidPaintEmitter = new vscode.EventEmitter<PaintedHeatmap>();
  readonly onDidPaint = this.onDidPaintEmitter.event;
  private readonly onDidNotifyEmitter = new vscode.EventEmitter<{ uri: string; message: string }>();
  /** A problem shown to the user about a document (once per document and message). */
  readonly onDidNotify = this.onDidNotifyEmitter.event;

  constructor(private readonly engine: EngineContext) {
    this.subscriptions.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshVisible()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor.document)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        this.scores.get(e.document.uri.toString())?.cancel.cancel();
        this.schedule(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('electraLab.heatmap') && this.refreshVisible()),
      vscode.languages.registerHoverProvider('*', { provideHover: (d, p, t) => this.hover(d, p, t) }),
      new UnsyncedTabWatcher(() => this.enabled, (uri, message) => this.notifyOnce(uri, message, ['Hide Heatmap', 'Open Log'])),
      engine.onDidRestart(() => {
        for (const uri of [...this.scores.keys()]) this.forget(uri);
        this.refreshVisible();
      }),
    );
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.askedForCheckpoint = false;
    if (enabled) this.refreshVisible();
    else this.clearAll();
  }

  /** What was last painted for a document (the integration tests compare it with the CLI). */
  lastPainted(uri: vscode.Uri): PaintedHeatmap | undefined {
    return this.painted.get(uri.toString());
  }

  refreshVisible(): void {
    if (!this.enabled) return;
    const documents = new Set(vscode.window.visibleTextEditors.map((e) => e.document));
    for (const document of documents) void this.score(document, true);
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

  private async askForCheckpoint(): Promise<void> {
    if (this.askedForCheckpoint) return;
    this.askedForCheckpoint = true;
    const choice = await vscode.window.showInformationMessage(
      'ELECTRA heatmap: no checkpoint yet — pretrain one (about a minute with the tiny preset) or choose an existing one.',
      'Start Pretraining', 'Choose Checkpoint');
    // A run that ended meanwhile may have put its checkpoint on the heatmap: the answer is stale then.
    if (!choice || readSettings().heatmap.checkpoint) return;
    await vscode.commands.executeCommand(choice === 'Start Pretraining' ? 'electraLab.startPretraining' : 'electraLab.chooseCheckpoint');
  }

  /** `repaint`: an editor may have just become visible and needs the decorations already known. */
  private async score(document: vscode.TextDocument, repaint = false): Promise<void> {
    const settings = readSettings().heatmap;
    if (!settings.languages.includes(document.languageId)) return;
    if (!settings.checkpoint) {
      void this.askForCheckpoint();
      return;
    }
    const problem = unsupported(document);
    if (problem) {
      this.notifyOnce(document.uri, problem, ['Hide Heatmap', 'Open Log']);
      return;
    }
    const key = document.uri.toString();
    let state = this.scores.get(key);
    if (!state || state.version !== document.version || state.checkpoint !== settings.checkpoint) {
      state?.cancel.cancel();
      state = {
        version: document.version, checkpoint: settings.checkpoint, tokens: new Map(), sorted: [], covered: [], complete: false, provisional: false,
        windows: 0, windowsScored: 0, windowsScoredAhead: 0, cancel: new vscode.CancellationTokenSource(), queue: Promise.resolve(),
      };
      this.scores.set(key, state);
    } else if (repaint && state.sorted.length > 0) {
      this.paint(document, state);
    }
    const current = state;
    current.queue = current.queue.then(() => this.fill(document, current));
    await current.queue;
  }

  /** Asks for what the visible editors show and is not scored yet; then, for a small document, the rest. */
  private async fill(document: vscode.TextDocument, state: DocumentScores): Promise<void> {
    const missing = subtractRanges(this.visibleRanges(document), state.covered);
    try {
      for (const range of missing) if (!(await this.request(document, state, range))) return;
      if (!state.complete && textLength(document) <= HEATMAP_WHOLE_DOCUMENT_CHARS) await this.request(document, state, undefined);
    } catch (e) {
      if (state.cancel.token.isCancellationRequested || document.version !== state.version || !this.enabled) return; // typed on: a newer request is coming
      this.notifyOnce(document.uri, (e instanceof Error ? e.message : String(e)).split('\n')[0], ['Choose Checkpoint', 'Open Log']);
    }
  }

  /**
   * One range from the engine, in up to two answers: after an edit the first runs only the windows of the
   * changed text (the tokens around it keep their last scores), so what was typed is coloured at once; the
   * second runs the windows around it. False when the answer no longer matters (typed on: cancelled).
   */
  private async request(document: vscode.TextDocument, state: DocumentScores, range: CharRange | undefined): Promise<boolean> {
    for (const provisional of [true, false]) {
      if (state.cancel.token.isCancellationRequested) return false;
      const result = await this.engine.languageClient.sendRequest(heatmapScores,
        { uri: document.uri.toString(), version: state.version, checkpoint: state.checkpoint, range, provisional, scoreAhead: true }, state.cancel.token);
      if (this.scores.get(document.uri.toString()) !== state || document.version !== state.version || !this.enabled) return false;
      if (!range) state.tokens.clear();
      for (const t of result.tokens) state.tokens.set(t.start, t);
      state.sorted = [...state.tokens.values()].sort((a, b) => a.start - b.start);
      state.covered = mergeRanges([...state.covered, result.range]);
      state.complete = !range || (state.covered.length === 1 && state.covered[0].start === 0 && state.covered[0].end >= textLength(document));
      state.provisional = result.provisional > 0;
      if (!state.provisional) state.windows += result.windows; // the exact answer needs the same windows again
      state.windowsScored += result.windowsScored;
      state.windowsScoredAhead += result.scoredAhead;
      this.paint(document, state);
      if (!state.provisional) return true;
    }
    return true;
  }

  /** The visible lines of every editor showing the document, widened by MARGIN_LINES, as character ranges. */
  private visibleRanges(document: vscode.TextDocument): CharRange[] {
    const ranges: CharRange[] = [];
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document === document)) {
      for (const visible of editor.visibleRanges) {
        const first = Math.max(0, visible.start.line - MARGIN_LINES);
        const last = Math.min(document.lineCount - 1, visible.end.line + MARGIN_LINES);
        ranges.push({ start: document.offsetAt(new vscode.Position(first, 0)), end: document.offsetAt(document.lineAt(last).rangeIncludingLineBreak.end) });
      }
    }
    return mergeRanges(ranges);
  }

  private paint(document: vscode.TextDocument, state: DocumentScores): void {
    const perLevel: vscode.Range[][] = Array.from({ length: LEVELS }, () => []);
    for (const t of state.sorted) perLevel[levelOf(t.p)].push(new vscode.Range(document.positionAt(t.start), document.positionAt(t.end)));
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document === document)) {
      this.decorationTypes.forEach((type, level) => editor.setDecorations(type, level === 0 ? [] : perLevel[level]));
    }
    const painted: PaintedHeatmap = {
      uri: document.uri.toString(), version: state.version, tokens: state.sorted, rangesPerLevel: perLevel.map((l, i) => (i === 0 ? 0 : l.length)),
      complete: state.complete, provisional: state.provisional, windows: state.windows, windowsScored: state.windowsScored,
      windowsScoredAhead: state.windowsScoredAhead,
    };
    this.painted.set(painted.uri, painted);
    this.onDidPaintEmitter.fire(painted);
  }

  /** P(replaced), logit and the generator's top 5 for the token under the mouse; VS Code cancels it when the mouse moves on. */
  private async hover(document: vscode.TextDocument, position: vscode.Position, cancel: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const state = this.enabled ? this.scores.get(document.uri.toString()) : undefined;
    if (!state || state.version !== document.version) return undefined;
    const token = tokenAt(state.sorted, document.offsetAt(position));
    if (!token) return undefined;
    let predictions: TokenPredictionsResult | undefined;
    let failure: string | undefined;
    try {
      predictions = await this.engine.languageClient.sendRequest(tokenPredictions,
        { uri: document.uri.toString(), version: state.version, checkpoint: state.checkpoint, offset: token.start }, cancel);
    } catch (e) {
      failure = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    }
    if (cancel.isCancellationRequested || document.version !== state.version) return undefined;
    const range = new vscode.Range(document.positionAt(token.start), document.positionAt(token.end));
    return new vscode.Hover(hoverMarkdown(predictions?.token ?? token, predictions, failure), range);
  }

  private notifyOnce(uri: vscode.Uri, message: string, actions: ('Choose Checkpoint' | 'Open Log' | 'Hide Heatmap')[]): void {
    const key = `${uri.toString()}\n${message}`;
    if (this.notified.has(key)) return;
    this.notified.add(key);
    const name = vscode.workspace.asRelativePath(uri);
    this.engine.output.appendLine(`[heatmap] ${name}: ${message}`);
    this.onDidNotifyEmitter.fire({ uri: uri.toString(), message });
    void vscode.window.showErrorMessage(`ELECTRA heatmap (${name}): ${message}`, ...actions).then(async (choice) => {
      if (choice === 'Choose Checkpoint') await vscode.commands.executeCommand('electraLab.chooseCheckpoint');
      if (choice === 'Open Log') this.engine.output.show();
      if (choice === 'Hide Heatmap') this.setEnabled(false);
    });
  }

  private forget(uri: string): void {
    this.scores.get(uri)?.cancel.cancel();
    this.scores.delete(uri);
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    for (const key of [...this.notified]) if (key.startsWith(`${uri}\n`)) this.notified.delete(key);
  }

  private clearAll(): void {
    try {
      void this.engine.languageClient.sendNotification(heatmapHidden).then(undefined, () => undefined);
    } catch {
      // No engine running: nothing to stop scoring ahead.
    }
    for (const editor of vscode.window.visibleTextEditors) for (const type of this.decorationTypes) editor.setDecorations(type, []);
    for (const uri of [...this.scores.keys()]) this.forget(uri);
    this.painted.clear();
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.scores.values()) s.cancel.cancel();
    for (const d of [...this.subscriptions, ...this.decorationTypes, this.onDidPaintEmitter, this.onDidNotifyEmitter]) d.dispose();
  }
}

/** Checked once per document version: whether its text holds a NUL character. */
const binaryVersions = new WeakMap<vscode.TextDocument, { version: number; binary: boolean }>();

/** Why a document cannot have a heatmap (past the engine's size limit, or binary); undefined when it can. */
function unsupported(document: vscode.TextDocument): string | undefined {
  const length = textLength(document);
  if (length > HEATMAP_MAX_DOCUMENT_CHARS) {
    return `the file has ${length.toLocaleString('en')} characters, more than the heatmap scores (${HEATMAP_MAX_DOCUMENT_CHARS.toLocaleString('en')}); score a part of it with the CLI (electra-lab heatmap)`;
  }
  let known = binaryVersions.get(document);
  if (!known || known.version !== document.version) binaryVersions.set(document, (known = { version: document.version, binary: document.getText().includes('\u0000') }));
  return known.binary ? 'the file looks binary (it holds NUL characters); the heatmap scores text only' : undefined;
}

/** The document's length in UTF-16 units, without joining its text. */
function textLength(document: vscode.TextDocument): number {
  return document.offsetAt(document.lineAt(document.lineCount - 1).range.end);
}

/** The token whose span holds `offset` (binary search over tokens in document order). */
function tokenAt(tokens: readonly HeatmapToken[], offset: number): HeatmapToken | undefined {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].end <= offset) lo = mid + 1;
    else if (tokens[mid].start > offset) hi = mid - 1;
    else return tokens[mid];
  }
  return undefined;
}
