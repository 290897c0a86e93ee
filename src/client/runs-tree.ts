import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EngineContext } from './context';
import { RunPace } from './run-pace';
import { checkpointsOf, finetunedTasks, finetuneHeadline, finetuneResultsOf, listRunFolders, readMetrics } from './run-folders';

/** A run folder, one of its checkpoints, or a task a checkpoint was fine-tuned on, as the Runs view shows them. */
export type RunsNode =
  | { kind: 'run'; dir: string; label: string; description: string; running: boolean }
  | { kind: 'checkpoint'; dir: string; runDir: string; step: number; description: string; finetuned: number }
  | { kind: 'finetune'; file: string; checkpoint: string; task: string; description: string; tooltip: string };

/**
 * Runs → checkpoints → the tasks each was fine-tuned on (with the dev metric that chose the best epoch), read
 * from the runs directory on disk (so runs started from the CLI show up too), refreshed when a run reports
 * progress or a file in it changes.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Runs the engine reports as training, by folder: shown from their first event with step, rate and ETA. */
  private readonly running = new Map<string, RunPace>();
  private refreshTimer?: NodeJS.Timeout;

  constructor(private readonly engine: EngineContext) {
    const runsDir = vscode.workspace.getConfiguration('electraLab').get('runsDirectory', '.electra/runs');
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${runsDir}/**/{run.json,config.json,metrics.jsonl,finetune/*.json}`);
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      engine.onRunEvent((e) => {
        const dir = path.resolve(e.runDir);
        if (e.kind === 'done' || e.kind === 'failed') {
          this.running.delete(dir);
          return this.refresh();
        }
        const known = this.running.has(dir);
        const pace = this.running.get(dir) ?? new RunPace();
        this.running.set(dir, pace);
        if (e.kind === 'step') pace.record(e.step, e.totalSteps);
        if (!known || e.kind === 'checkpoint') this.refresh();
        else if (e.kind === 'step') this.refreshSoon();
      }),
    );
  }

  /** Step events come many per second: the view follows them at most once a second. */
  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 1000);
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) {
      const onDisk = await listRunFolders();
      const runs: RunsNode[] = onDisk.map((run) => {
        const pace = this.running.get(path.resolve(run.dir));
        const last = run.checkpoints[0]?.step ?? 0;
        const kind = `${String(run.config.preset ?? '')} · ${String(run.config.objective ?? 'electra')}`;
        return {
          kind: 'run', dir: run.dir, label: run.name, running: pace !== undefined,
          description: pace ? `running · ${pace.describe()}` : `${kind} · step ${last} of ${String(run.config.steps ?? '?')}`,
        };
      });
      // A run that has not written run.json yet (it checks the corpus and trains its vocabulary first).
      const listed = new Set(onDisk.map((r) => path.resolve(r.dir)));
      for (const [dir, pace] of this.running) {
        if (!listed.has(dir) && this.engine.activeRuns().some((r) => path.resolve(r) === dir) && !dir.includes(`${path.sep}finetune${path.sep}`)) {
          runs.unshift({ kind: 'run', dir, label: path.basename(dir), running: true, description: `running · ${pace.step === undefined ? 'preparing the corpus and vocabulary' : pace.describe()}` });
        }
      }
      return runs;
    }
    if (node.kind === 'finetune') return [];
    if (node.kind === 'checkpoint') {
      return (await finetuneResultsOf(node.dir)).map((results) => {
        const headline = finetuneHeadline(results);
        const epoch = results.bestEpoch !== undefined ? ` (best epoch ${results.bestEpoch}${results.epochs !== undefined ? ` of ${results.epochs}` : ''})` : '';
        return {
          kind: 'finetune', file: results.file, checkpoint: node.dir, task: results.task,
          description: headline ? `${headline.name} ${headline.value.toFixed(3)}${epoch}` : '',
          tooltip: Object.entries(results.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('\n'),
        };
      });
    }
    const { records } = await readMetrics(node.dir);
    return Promise.all((await checkpointsOf(node.dir)).map(async ({ dir, step }) => {
      const logged = records.filter((m) => m.step <= step).pop();
      const parts = [logged?.loss !== undefined ? `loss ${logged.loss.toFixed(3)}` : '', logged?.disc_auc !== undefined ? `disc AUC ${logged.disc_auc.toFixed(3)}` : ''].filter(Boolean);
      return { kind: 'checkpoint', dir, runDir: node.dir, step, description: parts.join(' · '), finetuned: await finetunedTasks(dir) };
    }));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = node.description;
      item.contextValue = node.running ? 'electraRunRunning' : 'electraRun';
      item.tooltip = node.running ? `${node.dir}\nrunning: Stop keeps a checkpoint` : node.dir;
      item.iconPath = new vscode.ThemeIcon(node.running ? 'sync~spin' : 'beaker');
      return item;
    }
    if (node.kind === 'finetune') {
      const item = new vscode.TreeItem(node.task, vscode.TreeItemCollapsibleState.None);
      item.description = node.description;
      item.contextValue = 'electraFinetune';
      item.tooltip = `${node.task} on dev\n${node.tooltip}\n${node.file}`;
      item.iconPath = new vscode.ThemeIcon('checklist');
      item.command = { command: 'vscode.open', title: 'Open Results', arguments: [vscode.Uri.file(node.file)] };
      return item;
    }
    const item = new vscode.TreeItem(`step ${node.step}`, node.finetuned > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.description = node.description;
    item.contextValue = 'electraCheckpoint';
    item.tooltip = node.dir;
    item.iconPath = new vscode.ThemeIcon('save');
    item.command = { command: 'electraLab.useCheckpointForHeatmap', title: 'Use for Heatmap', arguments: [node] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of [...this.subscriptions, this.changed]) d.dispose();
  }
}
