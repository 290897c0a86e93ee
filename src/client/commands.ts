import * as vscode from 'vscode';
import type { EngineContext } from './context';
import type { HeatmapController } from './heatmap';
import { findRuns, resumePretraining, startPretraining, stopPretraining } from './pretraining';
import type { PretrainParams } from '../protocol';

/** Each command is a small factory over the extension's parts (as rust-analyzer's commands.ts). */
export interface CommandDeps {
  engine: EngineContext;
  heatmap: HeatmapController;
}
type CommandFactory = (deps: CommandDeps) => (...args: unknown[]) => unknown;

const toggleHeatmap: CommandFactory = ({ heatmap }) => () => heatmap.setEnabled(!heatmap.isEnabled);

const chooseCheckpoint: CommandFactory = ({ heatmap }) => async () => {
  // The workspace's own runs first; any folder on disk (e.g. a Hugging Face download) through the dialog.
  const runs = await findRuns();
  const checkpoints = (await Promise.all(runs.map(async (run) => {
    const dirs = await vscode.workspace.fs.readDirectory(vscode.Uri.file(`${run}/checkpoints`)).then((d) => d, () => []);
    return dirs.filter(([name]) => /^step-\d+$/.test(name)).map(([name]) => `${run}/checkpoints/${name}`);
  }))).flat();
  const OTHER = 'Another folder…';
  const choice = checkpoints.length ? await vscode.window.showQuickPick([...checkpoints, OTHER], { title: 'ELECTRA: checkpoint for the heatmap' }) : OTHER;
  if (!choice) return;
  if (choice !== OTHER) {
    await vscode.workspace.getConfiguration('electraLab').update('heatmap.checkpoint', choice, vscode.ConfigurationTarget.Workspace);
    heatmap.refreshVisible();
    return;
  }
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this checkpoint', title: 'ELECTRA: a checkpoint folder (config.json, vocab.txt, model.safetensors)' });
  if (!picked?.[0]) return;
  await vscode.workspace.getConfiguration('electraLab').update('heatmap.checkpoint', picked[0].fsPath, vscode.ConfigurationTarget.Workspace);
  heatmap.refreshVisible();
};

const showEngineLog: CommandFactory = ({ engine }) => () => engine.output.show();

const restartEngine: CommandFactory = ({ engine }) => async () => {
  await engine.restart();
  void vscode.window.showInformationMessage(`ELECTRA Lab engine restarted: ${engine.engine?.backend ?? ''}`);
};

/** Arguments skip the questions (used by tests and by other commands). */
const startPretrainingCommand: CommandFactory = ({ engine }) => (args?: unknown) => startPretraining(engine, (args ?? {}) as Partial<PretrainParams>);

const resumeRun: CommandFactory = ({ engine }) => (args?: unknown) => resumePretraining(engine, (args ?? {}) as { out?: string; steps?: number });
const stopRun: CommandFactory = ({ engine }) => (runDir?: unknown) => stopPretraining(engine, typeof runDir === 'string' ? runDir : undefined);

/** From the Runs view: a checkpoint node (or a folder path) becomes the heatmap's checkpoint. */
const useCheckpointForHeatmap: CommandFactory = ({ heatmap }) => async (node?: unknown) => {
  const dir = typeof node === 'string' ? node : (node as { dir?: string } | undefined)?.dir;
  if (!dir) return;
  await vscode.workspace.getConfiguration('electraLab').update('heatmap.checkpoint', dir, vscode.ConfigurationTarget.Workspace);
  if (!heatmap.isEnabled) heatmap.setEnabled(true);
  else heatmap.refreshVisible();
};
const resumeRunFromTree: CommandFactory = ({ engine }) => (node?: unknown) => resumePretraining(engine, { out: (node as { dir?: string } | undefined)?.dir });

export const COMMANDS: Record<string, CommandFactory> = {
  'electraLab.useCheckpointForHeatmap': useCheckpointForHeatmap,
  'electraLab.resumeRunFromTree': resumeRunFromTree,
  'electraLab.startPretraining': startPretrainingCommand,
  'electraLab.resumeRun': resumeRun,
  'electraLab.stopRun': stopRun,
  'electraLab.toggleHeatmap': toggleHeatmap,
  'electraLab.chooseCheckpoint': chooseCheckpoint,
  'electraLab.showEngineLog': showEngineLog,
  'electraLab.restartEngine': restartEngine,
};
