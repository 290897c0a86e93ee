import * as vscode from 'vscode';
import { COMMANDS } from './client/commands';
import { EngineContext } from './client/context';
import { HeatmapController } from './client/heatmap';
import { RunsTreeProvider } from './client/runs-tree';
import { createPanels, type Panels } from './client/panels';
import { onDidAsk } from './client/questions';

/** What activate() returns: the parts integration tests look into. */
export interface ElectraLabApi {
  engine: EngineContext;
  heatmap: HeatmapController;
  runs: RunsTreeProvider;
  panels: Panels;
  /** Fired with each quick pick's title as a command asks it (see client/questions.ts). */
  onDidAsk: vscode.Event<string>;
}

export async function activate(context: vscode.ExtensionContext): Promise<ElectraLabApi> {
  const engine = new EngineContext(context);
  const heatmap = new HeatmapController(engine);
  const runs = new RunsTreeProvider(engine);
  context.subscriptions.push(engine, heatmap, runs, vscode.window.registerTreeDataProvider('electraLab.runs', runs));
  const panels = createPanels(context, engine);
  for (const [id, factory] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, factory({ engine, heatmap, panels })));
  }
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
  return { engine, heatmap, runs, panels, onDidAsk };
}

export function deactivate(): void {
  // The subscriptions stop the engine.
}
