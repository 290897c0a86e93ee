import * as path from 'node:path';
import * as vscode from 'vscode';
import { corruptSample, heatmapScores, type LabFromWebview, type LabTab, type LabToWebview, type TextSource } from '../../protocol';
import { parseLabFromWebview } from '../../protocol-guards';
import type { EngineContext } from '../context';
import { readSettings, writeHeatmapThreshold } from '../config';
import { listRunFolders, readSamples } from '../run-folders';
import { checkRunDir } from '../trust';
import { paragraphAt } from '../paragraph';
import { oneLine, type PanelKind } from './panel-host';
import { SinglePanel, type PageMessage } from './single-panel';
import { ThresholdSync } from './threshold-sync';

export const LAB_PANEL: PanelKind<LabFromWebview> = { viewType: 'electraLab.lab', title: 'ELECTRA Lab', page: 'lab', parse: parseLabFromWebview };

/**
 * The Lab panel: corruption samples of a passage (original, masked, generator's sample, discriminator's
 * P(replaced)), the whole file as a heatmap, and the samples a run logged while it trained.
 */
export class LabPanel extends SinglePanel<LabToWebview, LabFromWebview> {
  /** The passage the panel shows: kept so Resample works after focus moved into the panel. */
  private source: { uri: vscode.Uri; start: number; end: number } | undefined;
  private seed = 1;
  private pendingTab: LabTab | undefined;
  /** The page's threshold slider is the setting electraLab.heatmap.threshold, both ways. */
  private readonly threshold = new ThresholdSync(
    { read: () => readSettings().heatmap.threshold, write: writeHeatmapThreshold },
    (threshold) => this.post({ type: 'threshold', threshold }),
  );

  constructor(extension: vscode.ExtensionContext, engine: EngineContext) {
    super(extension, engine, LAB_PANEL);
    this.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('electraLab.heatmap.threshold')) this.threshold.settingChanged();
    }));
  }

  /**
   * Opens (or reveals) the panel on the active editor's selection, or the paragraph at the cursor when nothing
   * is selected. `corruption`: bring the Corruption tab to the front (Corrupt Selection), whichever was open.
   */
  show(editor = vscode.window.activeTextEditor, tab?: LabTab): void {
    this.takeSource(editor);
    if (tab) this.pendingTab = tab;
    if (this.openOrReveal() === 'revealed') void this.refresh();
  }

  private takeSource(editor: vscode.TextEditor | undefined): void {
    if (!editor) return;
    const doc = editor.document;
    const selection = editor.selection;
    if (!selection.isEmpty) {
      this.source = { uri: doc.uri, start: doc.offsetAt(selection.start), end: doc.offsetAt(selection.end) };
      return;
    }
    const paragraph = paragraphAt(doc.getText(), doc.offsetAt(selection.active));
    this.source = { uri: doc.uri, start: paragraph?.start ?? 0, end: paragraph?.end ?? 0 };
  }

  protected onPageReady(): Promise<void> {
    this.threshold.pageReady();
    return this.refresh();
  }

  protected async onPageMessage(message: PageMessage<LabFromWebview>): Promise<void> {
    switch (message.type) {
      case 'resample':
        this.seed = message.seed;
        return this.sendCorruption();
      case 'refreshHeatmap':
        return this.sendHeatmap();
      case 'loadRunSamples':
        return this.sendRunSamples(message.runDir);
      case 'reveal':
        return this.reveal(message.uri, message.start, message.end);
      case 'setThreshold':
        return this.threshold.pageSet(message.threshold).catch((e: unknown) => {
          this.post({ type: 'error', message: `Could not save the threshold to the setting electraLab.heatmap.threshold: ${oneLine(e)}` });
        });
    }
  }

  private async refresh(): Promise<void> {
    // Not show(): with no editor open it would call refresh again, and again.
    if (!this.source) this.takeSource(vscode.window.activeTextEditor);
    if (this.pendingTab) {
      this.post({ type: 'showTab', tab: this.pendingTab });
      this.pendingTab = undefined;
    }
    if (!this.source) {
      this.post({ type: 'error', message: 'Open a text or Markdown file, select a passage, and run "ELECTRA: Corrupt Selection".' });
      return;
    }
    await this.sendCorruption();
    await this.sendHeatmap();
  }

  /** The document and checkpoint a request needs, or a message to the page saying what is missing. */
  private target(): { doc: vscode.TextDocument; checkpoint: string; textSource: TextSource } | undefined {
    const { checkpoint, languages } = readSettings().heatmap;
    if (!checkpoint) {
      this.post({ type: 'error', message: 'No checkpoint chosen — run "ELECTRA: Choose Checkpoint for Heatmap" (or pretrain one first).' });
      return undefined;
    }
    const doc = this.source && vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.source!.uri.toString());
    if (!doc || !this.source) {
      this.post({ type: 'error', message: 'The file the panel showed was closed — open it again and run "ELECTRA: Corrupt Selection".' });
      return undefined;
    }
    if (!languages.includes(doc.languageId)) {
      // The engine only receives documents of these languages (the language client's document selector).
      this.post({ type: 'error', message: `${vscode.workspace.asRelativePath(doc.uri)} is ${doc.languageId}; ELECTRA Lab reads ${languages.join(', ')} — add "${doc.languageId}" to the setting electraLab.heatmap.languages` });
      return undefined;
    }
    const end = Math.min(this.source.end, doc.getText().length);
    const start = Math.min(this.source.start, end);
    return { doc, checkpoint, textSource: { uri: doc.uri.toString(), fileName: vscode.workspace.asRelativePath(doc.uri), version: doc.version, start, end } };
  }

  private async sendCorruption(): Promise<void> {
    const target = this.target();
    if (!target) return;
    const { doc, checkpoint, textSource } = target;
    if (textSource.start === textSource.end) {
      this.post({ type: 'error', message: `Nothing to corrupt at the cursor in ${textSource.fileName} — select a passage or put the cursor in a paragraph, then run "ELECTRA: Corrupt Selection".` });
      return;
    }
    this.post({ type: 'busy', message: `Corrupting ${textSource.fileName} (seed ${this.seed})…` });
    try {
      const result = await this.engine.languageClient.sendRequest(corruptSample, { uri: textSource.uri, version: doc.version, checkpoint, seed: this.seed, start: textSource.start, end: textSource.end });
      this.post({ type: 'corruption', source: textSource, checkpoint, seed: this.seed, result });
    } catch (e) {
      this.post({ type: 'error', message: oneLine(e) });
    }
  }

  private async sendHeatmap(): Promise<void> {
    const target = this.target();
    if (!target) return;
    const { doc, checkpoint } = target;
    const text = doc.getText();
    const source: TextSource = { ...target.textSource, start: 0, end: text.length };
    try {
      const result = await this.engine.languageClient.sendRequest(heatmapScores, { uri: source.uri, version: doc.version, checkpoint });
      this.post({ type: 'heatmap', source, checkpoint, text, tokens: result.tokens });
    } catch (e) {
      this.post({ type: 'error', message: oneLine(e) });
    }
  }

  /** The page is untrusted: it may name only a run the host lists (the workspace's runs folder). */
  private async sendRunSamples(runDir: string | undefined): Promise<void> {
    const runs = (await listRunFolders()).map((r) => r.dir);
    if (runs.length === 0) {
      this.post({ type: 'error', message: 'No runs in this workspace yet — run "ELECTRA: Start Pretraining".' });
      return;
    }
    const checked = runDir === undefined ? { dir: runs[0] } : checkRunDir(runDir, runs);
    if ('refused' in checked) {
      this.post({ type: 'error', message: checked.refused });
      return;
    }
    const dir = checked.dir;
    const samples = await readSamples(dir);
    if (samples.length === 0) this.post({ type: 'error', message: `${path.basename(dir)} has logged no samples yet (samples.jsonl) — they appear every --sample-every steps.` });
    else this.post({ type: 'runSamples', runDir: dir, samples });
  }

  /** Only documents the editor already has open: a page must not be able to open arbitrary files. */
  private async reveal(uri: string, start: number, end: number): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (!doc) return;
    const length = doc.getText().length;
    const range = new vscode.Range(doc.positionAt(Math.min(start, length)), doc.positionAt(Math.min(end, length)));
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: range });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}
