import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineContext } from './context';

/** A run folder, or one of its checkpoints, as the Runs view shows them. */
export type RunsNode =
  | { kind: 'run'; dir: string; label: string; description: string }
  | { kind: 'checkpoint'; dir: string; runDir: string; step: number; description: string };

/** The last logged value of each metric at or before `step` (metrics.jsonl lines). */
async function metricsAt(runDir: string): Promise<{ step: number; loss?: number; disc_auc?: number }[]> {
  const text = await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l) as { step: number; loss?: number; disc_auc?: number }];
    } catch {
      return [];
    }
  });
}

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
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return [];
    if (!node) {
      const runsDir = path.join(folder.uri.fsPath, vscode.workspace.getConfiguration('electraLab').get('runsDirectory', '.electra/runs'));
      const entries = await fs.readdir(runsDir, { withFileTypes: true }).catch(() => []);
      const runs: RunsNode[] = [];
      for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => b.name.localeCompare(a.name))) {
        const dir = path.join(runsDir, e.name);
        const run = await fs.readFile(path.join(dir, 'run.json'), 'utf8').then((t) => JSON.parse(t) as { preset?: string; steps?: number; objective?: string }, () => undefined);
        if (!run) continue;
        runs.push({ kind: 'run', dir, label: e.name, description: `${run.preset ?? ''} · ${run.objective ?? 'electra'} · ${run.steps ?? '?'} steps` });
      }
      return runs;
    }
    if (node.kind === 'checkpoint') return [];
    const metrics = await metricsAt(node.dir);
    const dirs = await fs.readdir(path.join(node.dir, 'checkpoints')).catch(() => []);
    return dirs.filter((d) => /^step-\d+$/.test(d)).map((d) => Number(d.slice(5))).sort((a, b) => b - a).map((step) => {
      const logged = metrics.filter((m) => m.step <= step).pop();
      const parts = [logged?.loss !== undefined ? `loss ${logged.loss.toFixed(3)}` : '', logged?.disc_auc !== undefined ? `disc AUC ${logged.disc_auc.toFixed(3)}` : ''].filter(Boolean);
      return { kind: 'checkpoint', dir: path.join(node.dir, 'checkpoints', `step-${step}`), runDir: node.dir, step, description: parts.join(' · ') };
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
