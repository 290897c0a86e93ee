import * as vscode from 'vscode';
import type { EngineContext } from './context';
import type { HeatmapController } from './heatmap';
import { startPretraining } from './pretraining';
import type { PretrainParams } from '../protocol';

/** Each command is a small factory over the extension's parts (as rust-analyzer's commands.ts). */
export interface CommandDeps {
  engine: EngineContext;
  heatmap: HeatmapController;
}
type CommandFactory = (deps: CommandDeps) => (...args: unknown[]) => unknown;

const toggleHeatmap: CommandFactory = ({ heatmap }) => () => heatmap.setEnabled(!heatmap.isEnabled);

const chooseCheckpoint: CommandFactory = ({ heatmap }) => async () => {
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

export const COMMANDS: Record<string, CommandFactory> = {
  'electraLab.startPretraining': startPretrainingCommand,
  'electraLab.toggleHeatmap': toggleHeatmap,
  'electraLab.chooseCheckpoint': chooseCheckpoint,
  'electraLab.showEngineLog': showEngineLog,
  'electraLab.restartEngine': restartEngine,
};
