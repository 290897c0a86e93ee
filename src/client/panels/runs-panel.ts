import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunsFromWebview, RunsToWebview, RunSummary } from '../../protocol';
import { parseRunsFromWebview } from '../../protocol-guards';
import type { EngineContext } from '../context';
import { cachedEvaluationsOf } from '../cached-evaluations';
import { listRunFolders, readMetrics, runsRoot, type RunFolder } from '../run-folders';
import type { PanelKind } from './panel-host';
import { SinglePanel, type PageMessage } from './single-panel';

export const RUNS_PANEL: PanelKind<RunsFromWebview> = { viewType: 'electraLab.runsDashboard', title: 'ELECTRA Runs', page: 'runs', parse: parseRunsFromWebview };

/**
 * The runs dashboard: curves from each selected run's metrics.jsonl, followed as the file grows (runs
 * started from the CLI included, since it reads the folders, not the engine's events).
 */
export class RunsPanel extends SinglePanel<RunsToWebview, RunsFromWebview> {
  /** Selected runs and how far into their metrics.jsonl the page already has. */
  private readonly followed = new Map<string, number>();
  private readonly failed = new Set<string>();
  /** A run the user asked to see, told to the page with the next run list. */
  private pendingSelect: string | undefined;

  constructor(extension: vscode.ExtensionContext, engine: EngineContext) {
    super(extension, engine, RUNS_PANEL);
    this.subscriptions.push(engine.onRunEvent((e) => {
      // A run left by a restarted engine saves a checkpoint and stops: the folder then says 'stopped'.
      if (e.kind === 'failed' && !e.orphaned) this.failed.add(e.runDir);
      if (e.kind === 'metrics') void this.sendNewMetrics(e.runDir);
      if (e.kind === 'done' || e.kind === 'failed' || e.kind === 'checkpoint') void this.sendRuns();
    }));
    const root = runsRoot();
    if (root) {
      // CLI runs (and runs whose engine restarted) change files without telling the engine; a new checkpoint
      // folder can change a run's status; an evaluation cached next to a checkpoint (<run>/checkpoints/<c>/eval/)
      // becomes a marker on the curves.
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '{*/metrics.jsonl,*/run.json,*/checkpoints/*,*/checkpoints/*/eval/*.json}'));
      const changed = (uri: vscode.Uri) => {
        if (path.basename(uri.fsPath) === 'metrics.jsonl') return void this.sendNewMetrics(path.dirname(uri.fsPath));
        if (path.basename(path.dirname(uri.fsPath)) === 'eval') return void this.sendEvaluations(path.dirname(path.dirname(path.dirname(path.dirname(uri.fsPath)))));
        void this.sendRuns();
      };
      this.subscriptions.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed));
    }
  }

  /** Opens (or reveals) the dashboard; `select` is a run folder to chart. */
  show(select?: string): void {
    this.pendingSelect = select;
    if (this.openOrReveal() === 'revealed') void this.sendRuns();
  }

  protected onPageReady(): Promise<void> {
    return this.sendRuns();
  }

  protected override onClosed(): void {
    this.followed.clear();
  }

  protected async onPageMessage(message: PageMessage<RunsFromWebview>): Promise<void> {
    switch (message.type) {
      case 'select': {
        const known = new Set((await listRunFolders()).map((r) => r.dir));
        this.followed.clear();
        for (const dir of message.runDirs.filter((d) => known.has(d))) this.followed.set(dir, 0);
        for (const dir of this.followed.keys()) await this.sendNewMetrics(dir);
        for (const dir of this.followed.keys()) await this.sendEvaluations(dir);
        return;
      }
      case 'openConfig': {
        const run = (await listRunFolders()).find((r) => r.dir === message.runDir);
        if (run) await vscode.window.showTextDocument(vscode.Uri.file(path.join(run.dir, 'run.json')), { viewColumn: vscode.ViewColumn.One });
        return;
      }
    }
  }

  private status(run: RunFolder): RunSummary['status'] {
    if (this.engine.activeRuns().includes(run.dir)) return 'running';
    if (this.failed.has(run.dir)) return 'failed';
    const steps = run.config.steps;
    if (typeof steps === 'number' && run.checkpoints[0]?.step === steps) return 'finished';
    return run.checkpoints.length ? 'stopped' : 'unknown';
  }

  /** The run list; the page answers with the runs it charts (`select`), and gets their metrics then. */
  private async sendRuns(): Promise<void> {
    if (!this.panelHost) return;
    const runs = await listRunFolders();
    const select = this.pendingSelect ? [this.pendingSelect] : undefined;
    this.pendingSelect = undefined;
    this.post({ type: 'runs', runs: runs.map((r) => ({ runDir: r.dir, name: r.name, config: r.config, status: this.status(r) })), select });
  }

  /** Reads of metrics.jsonl, one at a time: the run's event and the file watcher report the same append, and two
   *  reads from the same offset would send its lines twice. */
  private metricsReads: Promise<void> = Promise.resolve();

  private sendNewMetrics(runDir: string): Promise<void> {
    this.metricsReads = this.metricsReads.then(() => this.readAndSendMetrics(runDir), () => this.readAndSendMetrics(runDir));
    return this.metricsReads;
  }

  /** The run's cached evaluations, all of them (a handful per run), when the page charts that run. */
  private async sendEvaluations(runDir: string): Promise<void> {
    if (!this.panelHost || !this.followed.has(runDir)) return;
    this.post({ type: 'evaluations', runDir, evaluations: await cachedEvaluationsOf(runDir) });
  }

  private async readAndSendMetrics(runDir: string): Promise<void> {
    const from = this.followed.get(runDir);
    if (!this.panelHost || from === undefined) return;
    const { records, next } = await readMetrics(runDir, from);
    const reset = from === 0 || next < from;
    this.followed.set(runDir, next);
    if (records.length || reset) this.post({ type: 'metrics', runDir, records, reset });
  }
}
