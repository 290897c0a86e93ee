import * as vscode from 'vscode';
import { COMMANDS } from './client/commands';
import { EngineContext } from './client/context';
import { HeatmapController } from './client/heatmap';
import { RunsTreeProvider } from './client/runs-tree';
import { createPanels, type Panels } from './client/panels';
import { onDidAsk } from './client/questions';
import { trustRefusal } from './client/trust';
import { putCliOnTerminalPath } from './client/cli-on-path';

/** What activate() returns: the parts integration tests look into. */
export interface ElectraLabApi {
  engine: EngineContext;
  heatmap: HeatmapController;
  runs: RunsTreeProvider;
  panels: Panels;
  /** Fired with each quick pick's title as a command asks it (see client/questions.ts). */
  onDidAsk: vscode.Event<string>;
  /** The folder whose `electra-lab` the integrated terminals find first (undefined if it could not be written). */
  cliBin?: string;
}

export async function activate(context: vscode.ExtensionContext): Promise<ElectraLabApi> {
  const engine = new EngineContext(context);
  const heatmap = new HeatmapController(engine);
  const runs = new RunsTreeProvider(engine);
  context.subscriptions.push(engine, heatmap, runs, vscode.window.registerTreeDataProvider('electraLab.runs', runs));
  const panels = createPanels(context, engine);
  for (const [id, factory] of Object.entries(COMMANDS)) {
    const run = factory({ engine, heatmap, panels });
    // Workspace trust: training commands say why they do nothing in an untrusted workspace (client/trust.ts).
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => {
      const refusal = trustRefusal(id, vscode.workspace.isTrusted);
      if (!refusal) return run(...args);
      void vscode.window.showWarningMessage(refusal, 'Manage Workspace Trust').then((c) => c && vscode.commands.executeCommand('workbench.trust.manage'));
      return undefined;
    }));
  }
  const cliBin = await putCliOnTerminalPath(context).catch((e: unknown) => {
    engine.output.appendLine(`could not put electra-lab on the terminals' PATH: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  });
  try {
    await engine.start();
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    engine.output.error(`engine failed to start: ${message}`);
    void vscode.window.showErrorMessage(`ELECTRA Lab engine failed to start: ${message}`, 'Open Log', 'Choose Backend').then((c) => {
      if (c === 'Open Log') engine.output.show();
      if (c === 'Choose Backend') void vscode.commands.executeCommand('workbench.action.openSettings', 'electraLab.backend');
    });
  }
  return { engine, heatmap, runs, panels, onDidAsk, cliBin };
}

export function deactivate(): void {
  // The subscriptions stop the engine.
}
