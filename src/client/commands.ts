import * as vscode from 'vscode';
import type { EngineContext } from './context';
import type { HeatmapController } from './heatmap';
import { givenParams, startFinetuning } from './finetuning';
import { resumePretraining, startPretraining } from './pretraining';
import { stopRun as stopEngineRun } from './run-progress';
import type { PretrainParams } from '../protocol';
import type { Panels } from './panels';
import { listCheckpoints, listRunFolders } from './run-folders';
import { exportRunAsJob } from './export-job';

/** Each command is a small factory over the extension's parts (as rust-analyzer's commands.ts). */
export interface CommandDeps {
  engine: EngineContext;
  heatmap: HeatmapController;
  panels: Panels;
}
type CommandFactory = (deps: CommandDeps) => (...args: unknown[]) => unknown;

const toggleHeatmap: CommandFactory = ({ heatmap }) => () => heatmap.setEnabled(!heatmap.isEnabled);

const chooseCheckpoint: CommandFactory = ({ engine, heatmap }) => async () => {
  // The workspace's own runs first; any folder on disk (e.g. a Hugging Face download) through the dialog.
  const checkpoints = (await listRunFolders()).flatMap((run) => run.checkpoints.map((c) => c.dir));
  const OTHER = 'Another folder…';
  const choice = checkpoints.length ? await vscode.window.showQuickPick([...checkpoints, OTHER], { title: 'ELECTRA: checkpoint for the heatmap' }) : OTHER;
  if (!choice) return;
  if (choice !== OTHER) {
    await vscode.workspace.getConfiguration('electraLab').update('heatmap.checkpoint', choice, vscode.ConfigurationTarget.Workspace);
    heatmap.refreshVisible();
    return;
  }
  const picked = await engine.openDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this checkpoint', title: 'ELECTRA: a checkpoint folder (config.json, vocab.txt, model.safetensors)' });
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
const stopRun: CommandFactory = ({ engine }) => (runDir?: unknown) => stopEngineRun(engine, typeof runDir === 'string' ? runDir : undefined);

/** From the Runs view: a checkpoint node (or a folder path) becomes the heatmap's checkpoint. */
const useCheckpointForHeatmap: CommandFactory = ({ heatmap }) => async (node?: unknown) => {
  const dir = typeof node === 'string' ? node : (node as { dir?: string } | undefined)?.dir;
  if (!dir) return;
  await vscode.workspace.getConfiguration('electraLab').update('heatmap.checkpoint', dir, vscode.ConfigurationTarget.Workspace);
  if (!heatmap.isEnabled) heatmap.setEnabled(true);
  else heatmap.refreshVisible();
};
const stopRunFromTree: CommandFactory = ({ engine }) => (node?: unknown) => stopEngineRun(engine, (node as { dir?: string } | undefined)?.dir);
const resumeRunFromTree: CommandFactory = ({ engine }) => (node?: unknown) => resumePretraining(engine, { out: (node as { dir?: string } | undefined)?.dir });

const openLabPanel: CommandFactory = ({ panels }) => () => panels.lab.show();

const corruptSelection: CommandFactory = ({ panels }) => () => {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('ELECTRA: open a text file and select a passage to corrupt.');
    return;
  }
  panels.lab.show(editor, 'corruption');
};

/** A checkpoint node from the Runs view, a folder path or a list of them (tests), or asked for. */
const evaluateCheckpointCommand: CommandFactory = ({ engine, panels }) => async (arg?: unknown) => {
  const given = typeof arg === 'string' ? [arg] : Array.isArray(arg) ? arg.filter((a): a is string => typeof a === 'string') : (arg as { dir?: string } | undefined)?.dir;
  if (given) return panels.evaluation.show(typeof given === 'string' ? [given] : given);
  const items = await listCheckpoints();
  const OTHER = { label: 'Another folder…', description: 'a checkpoint outside the runs folder (with a corpus chosen in the panel)', dir: '' };
  if (!items.length) {
    // An empty state that says what to do first, rather than a bare folder dialog.
    const choice = await vscode.window.showInformationMessage('ELECTRA: no checkpoints in this workspace yet — pretrain one first, or evaluate a folder you have.',
      'Start Pretraining', 'Choose a Folder…');
    if (choice === 'Start Pretraining') return vscode.commands.executeCommand('electraLab.startPretraining');
    if (!choice) return;
  }
  const picked = items.length ? await vscode.window.showQuickPick([...items, OTHER], { title: 'ELECTRA: evaluate which checkpoints?', canPickMany: true }) : [OTHER];
  if (!picked?.length) return panels.evaluation.show();
  const dirs = picked.filter((p) => p.dir).map((p) => p.dir);
  if (picked.includes(OTHER)) {
    const folder = await engine.openDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Evaluate this checkpoint' });
    if (folder?.[0]) dirs.push(folder[0].fsPath);
  }
  return panels.evaluation.show(dirs);
};

/** A checkpoint node from the Runs view, a checkpoint path, or fine-tuning options (which skip the questions). */
const finetuneCheckpoint: CommandFactory = ({ engine, panels }) => (arg?: unknown) => startFinetuning(engine, panels, givenParams(arg));

const showRunsDashboard: CommandFactory = ({ panels }) => (node?: unknown) => {
  const dir = typeof node === 'string' ? node : (node as { kind?: string; dir?: string; runDir?: string } | undefined)?.runDir ?? (node as { dir?: string } | undefined)?.dir;
  panels.runs.show(dir);
};

export const COMMANDS: Record<string, CommandFactory> = {
  'electraLab.openLabPanel': openLabPanel,
  'electraLab.corruptSelection': corruptSelection,
  'electraLab.evaluateCheckpoint': evaluateCheckpointCommand,
  'electraLab.finetuneCheckpoint': finetuneCheckpoint,
  'electraLab.showRunsDashboard': showRunsDashboard,
  'electraLab.useCheckpointForHeatmap': useCheckpointForHeatmap,
  'electraLab.resumeRunFromTree': resumeRunFromTree,
  'electraLab.stopRunFromTree': stopRunFromTree,
  'electraLab.startPretraining': startPretrainingCommand,
  'electraLab.resumeRun': resumeRun,
  'electraLab.exportRunAsJob': () => (arg?: unknown) => exportRunAsJob(arg),
  'electraLab.stopRun': stopRun,
  'electraLab.toggleHeatmap': toggleHeatmap,
  'electraLab.chooseCheckpoint': chooseCheckpoint,
  'electraLab.showEngineLog': showEngineLog,
  'electraLab.restartEngine': restartEngine,
};
