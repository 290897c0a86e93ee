import * as vscode from 'vscode';
import type { EngineContext } from './context';
import { checkpointsOf, listRunFolders, readMetrics } from './run-folders';

/** A run folder, or one of its checkpoints, as the Runs view shows them. */
export type RunsNode =
  | { kind: 'run'; dir: string; label: string; description: string }
  | { kind: 'checkpoint'; dir: string; runDir: string; step: number; description: string };

/**
 * Runs → checkpoints, read from the runs directory on disk (so runs started from the CLI show up too),
 * refreshed when a run reports progress or a file in it changes.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(engine: EngineContext) {
    const runsDir = vscode.workspace.getConfiguration('electraLab').get('runsDirectory', '.electra/runs');
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${runsDir}/**/{run.json,config.json,metrics.jsonl}`);
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      engine.onRunEvent((e) => (e.kind === 'checkpoint' || e.kind === 'done' || e.kind === 'failed') && this.refresh()),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) {
      return (await listRunFolders()).map((run) => ({
        kind: 'run', dir: run.dir, label: run.name,
        description: `${String(run.config.preset ?? '')} · ${String(run.config.objective ?? 'electra')} · ${String(run.config.steps ?? '?')} steps`,
      }));
    }
    if (node.kind === 'checkpoint') return [];
    const { records } = await readMetrics(node.dir);
    return (await checkpointsOf(node.dir)).map(({ dir, step }) => {
      const logged = records.filter((m) => m.step <= step).pop();
      const parts = [logged?.loss !== undefined ? `loss ${logged.loss.toFixed(3)}` : '', logged?.disc_auc !== undefined ? `disc AUC ${logged.disc_auc.toFixed(3)}` : ''].filter(Boolean);
      return { kind: 'checkpoint', dir, runDir: node.dir, step, description: parts.join(' · ') };
    });
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = node.description;
      item.contextValue = 'electraRun';
      item.tooltip = node.dir;
      item.iconPath = new vscode.ThemeIcon('beaker');
      return item;
    }
    const item = new vscode.TreeItem(`step ${node.step}`, vscode.TreeItemCollapsibleState.None);
    item.description = node.description;
    item.contextValue = 'electraCheckpoint';
    item.tooltip = node.dir;
    item.iconPath = new vscode.ThemeIcon('save');
    item.command = { command: 'electraLab.useCheckpointForHeatmap', title: 'Use for Heatmap', arguments: [node] };
    return item;
  }

  dispose(): void {
    for (const d of [...this.subscriptions, this.changed]) d.dispose();
  }
}
