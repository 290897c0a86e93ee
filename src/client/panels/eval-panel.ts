import * as path from 'node:path';
import * as vscode from 'vscode';
import { evaluateCheckpoint, type CheckpointEvaluation, type CheckpointRef, type EvalFromWebview, type EvalToWebview, type FinetuneParams } from '../../protocol';
import type { FinetuneOutcome } from '../finetuning';
import { stopRun } from '../run-progress';
import { parseEvalFromWebview } from '../../protocol-guards';
import type { EngineContext } from '../context';
import { readSettings } from '../config';
import { finetuneDirOf, listRunFolders, runsRoot } from '../run-folders';
import { evaluationsToCsv } from './eval-export';
import { checkCorpus } from '../trust';
import { oneLine, type PanelKind } from './panel-host';
import { SinglePanel, type PageMessage } from './single-panel';

export const EVAL_PANEL: PanelKind<EvalFromWebview> = { viewType: 'electraLab.evaluation', title: 'ELECTRA Evaluation', page: 'eval', parse: parseEvalFromWebview };

type EvaluateRequest = Extract<EvalFromWebview, { type: 'evaluate' }>;

/**
 * The checkpoint evaluation panel: evaluates the chosen checkpoints one after another in the engine
 * (each result cached next to its checkpoint), with progress and cancel, and exports the table.
 */
export class EvalPanel extends SinglePanel<EvalToWebview, EvalFromWebview> {
  private readonly results = new Map<string, CheckpointEvaluation>();
  private running: vscode.CancellationTokenSource | undefined;
  /** The Fine-tune… queue under way: one at a time. */
  private finetuning: { cancelled: boolean; current?: string } | undefined;
  /** Checkpoints outside the runs folder the user chose through a command (the page may evaluate those too). */
  private readonly chosen = new Set<string>();

  constructor(extension: vscode.ExtensionContext, engine: EngineContext) {
    super(extension, engine, EVAL_PANEL);
    this.subscriptions.push(engine.onEvaluateProgress((p) => this.post({ type: 'progress', checkpoint: p.checkpoint, done: p.done, total: p.total })));
  }

  /** Opens the panel; with checkpoints given (from the Runs view or a test), evaluates them right away. */
  show(checkpoints: string[] = [], split: 'heldout' | 'all' = 'heldout'): Promise<void> {
    for (const c of checkpoints) this.chosen.add(path.resolve(c));
    this.openOrReveal();
    return checkpoints.length ? this.evaluate({ type: 'evaluate', checkpoints: checkpoints.map((c) => path.resolve(c)), split }) : Promise.resolve();
  }

  protected async onPageReady(): Promise<void> {
    this.post({ type: 'checkpoints', checkpoints: await this.knownCheckpoints() });
    for (const evaluation of this.results.values()) this.post({ type: 'result', evaluation });
  }

  /** Closing the panel stops the queues: nobody would see their results. */
  protected override onClosed(): void {
    this.running?.cancel();
    void this.stopFinetuning();
  }

  protected async onPageMessage(message: PageMessage<EvalFromWebview>): Promise<void> {
    switch (message.type) {
      case 'evaluate':
        return this.evaluate(message);
      case 'finetune':
        return this.finetune(message.checkpoints, message.split);
      case 'cancel':
        this.running?.cancel();
        return this.stopFinetuning();
      case 'export':
        return this.export(message.format);
      case 'reveal':
        if (this.results.has(message.checkpoint) || (await this.knownCheckpoints()).some((c) => c.dir === message.checkpoint)) {
          await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(message.checkpoint));
        }
        return;
    }
  }

  /** The workspace's runs' checkpoints, plus the heatmap's checkpoint when it lives elsewhere. */
  private async knownCheckpoints(): Promise<CheckpointRef[]> {
    const refs: CheckpointRef[] = (await listRunFolders()).flatMap((run) => run.checkpoints.map((c) => ({ dir: c.dir, run: run.name, step: c.step })));
    const heatmapCheckpoint = readSettings().heatmap.checkpoint;
    for (const dir of [...this.chosen, ...(heatmapCheckpoint ? [path.resolve(heatmapCheckpoint)] : [])]) {
      if (!refs.some((r) => r.dir === dir)) refs.push({ dir, run: '', step: Number(/step-(\d+)$/.exec(dir)?.[1] ?? 0) });
    }
    return refs;
  }

  /**
   * Whether a path the page sent is a checkpoint the panel knows (the page is untrusted: it may only name those);
   * an unknown one gets its row's one-line failure.
   */
  private async knownChecker(): Promise<(checkpoint: string) => boolean> {
    const known = new Set((await this.knownCheckpoints()).map((c) => c.dir));
    return (checkpoint) => {
      if (known.has(path.resolve(checkpoint))) return true;
      this.post({ type: 'failed', checkpoint, message: `${checkpoint} is not a checkpoint of this workspace's runs — choose it with "ELECTRA: Evaluate Checkpoint" first` });
      return false;
    };
  }

  /** One checkpoint at a time: the engine is one process, and a queue keeps progress readable. `idle` at the end
   *  unless a longer queue (fine-tuning) says so itself. */
  private async evaluate(request: EvaluateRequest, announceIdle = true): Promise<void> {
    this.running?.cancel();
    const cancel = new vscode.CancellationTokenSource();
    this.running = cancel;
    const isKnown = await this.knownChecker();
    // The page's corpus field is untrusted text: only paths inside the workspace (and the runs folder) go on.
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const runs = runsRoot();
    const corpus = request.corpus?.map((c) => (path.isAbsolute(c) || !folders[0] ? c : path.join(folders[0], c)));
    const corpusRefused = corpus && checkCorpus(corpus, runs ? [...folders, runs] : folders);
    if (corpusRefused) {
      for (const checkpoint of request.checkpoints) this.post({ type: 'failed', checkpoint, message: corpusRefused.refused });
      if (this.running === cancel) this.running = undefined;
      cancel.dispose();
      if (announceIdle) this.post({ type: 'idle' });
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'ELECTRA evaluation' }, async (progress) => {
      for (const [i, checkpoint] of request.checkpoints.entries()) {
        if (cancel.token.isCancellationRequested) break;
        if (!isKnown(checkpoint)) continue;
        progress.report({ message: `${i + 1}/${request.checkpoints.length} ${path.basename(path.dirname(path.dirname(checkpoint)))}/${path.basename(checkpoint)}` });
        try {
          const evaluation = await this.engine.languageClient.sendRequest(evaluateCheckpoint, { checkpoint, split: request.split, corpus, force: request.force }, cancel.token);
          this.results.set(checkpoint, evaluation);
          this.post({ type: 'result', evaluation });
        } catch (e) {
          this.post({ type: 'failed', checkpoint, message: cancel.token.isCancellationRequested ? 'cancelled' : oneLine(e) });
        }
      }
    });
    if (this.running === cancel) this.running = undefined;
    cancel.dispose();
    if (announceIdle) this.post({ type: 'idle' });
  }

  /**
   * Fine-tunes the checkpoints one after another on one task — asked once, by the Fine-tune Checkpoint command
   * for the first — and evaluates each again, so its row gains the task's metrics: checkpoints compared on a
   * downstream task, as the paper compares them on GLUE. A `task` given (tests) is not asked.
   */
  async finetune(checkpoints: string[], split: 'heldout' | 'all', task?: Omit<FinetuneParams, 'checkpoint'>): Promise<void> {
    if (this.finetuning) {
      void vscode.window.showInformationMessage('ELECTRA: the evaluation panel is already fine-tuning — cancel it first, or wait.');
      return;
    }
    const queue = { cancelled: false, current: undefined as string | undefined };
    this.finetuning = queue;
    try {
      await this.finetuneEach(checkpoints, split, queue, task);
    } finally {
      this.finetuning = undefined;
      this.post({ type: 'idle' });
    }
  }

  /** Cancel: the queue takes no further checkpoint, and the run under way stops (keeping its best epoch). */
  private async stopFinetuning(): Promise<void> {
    const queue = this.finetuning;
    if (!queue) return;
    queue.cancelled = true;
    const prefix = queue.current && finetuneDirOf(queue.current) + path.sep;
    for (const runDir of this.engine.activeRuns().filter((r) => prefix && r.startsWith(prefix))) await stopRun(this.engine, runDir);
  }

  private async finetuneEach(checkpoints: string[], split: 'heldout' | 'all', queue: { cancelled: boolean; current?: string }, task?: Omit<FinetuneParams, 'checkpoint'>): Promise<void> {
    const isKnown = await this.knownChecker();
    for (const checkpoint of checkpoints) {
      if (queue.cancelled) return;
      queue.current = path.resolve(checkpoint);
      if (!isKnown(checkpoint)) continue;
      const given = task ? { ...task, checkpoint, out: undefined } : checkpoint;
      const outcome = await vscode.commands.executeCommand<FinetuneOutcome | undefined>('electraLab.finetuneCheckpoint', given);
      if (!outcome) return; // the questions were dismissed: nothing to run
      if (outcome.failed) {
        this.post({ type: 'failed', checkpoint, message: `fine-tuning: ${outcome.failed}` });
        return; // the same task would fail the same way on the next checkpoint
      }
      task = outcome.params;
      await this.evaluate({ type: 'evaluate', checkpoints: [checkpoint], split }, false);
      if (outcome.stopped) return; // Stop on the run's progress stops the queue too
    }
  }

  private async export(format: 'csv' | 'json'): Promise<void> {
    const rows = [...this.results.values()];
    if (rows.length === 0) {
      void vscode.window.showInformationMessage('ELECTRA: nothing to export yet — evaluate a checkpoint first.');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'ELECTRA: export the evaluation table',
      defaultUri: folder && vscode.Uri.joinPath(folder, `electra-evaluation.${format}`),
      filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
    });
    if (!target) return;
    const text = format === 'csv' ? evaluationsToCsv(rows) : JSON.stringify(rows, null, 2) + '\n';
    try {
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    } catch (e) {
      void vscode.window.showErrorMessage(`ELECTRA: could not write ${target.fsPath}: ${oneLine(e)}`);
      return;
    }
    this.engine.output.appendLine(`evaluation table written to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`ELECTRA: ${rows.length} evaluation row(s) written to ${vscode.workspace.asRelativePath(target)}`, 'Open')
      .then((choice) => choice && vscode.window.showTextDocument(target));
  }

  override dispose(): void {
    this.running?.cancel();
    super.dispose();
  }
}
