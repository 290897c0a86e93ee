import * as vscode from 'vscode';
import { COMMANDS } from './client/commands';
import { EngineContext } from './client/context';
import { HeatmapController } from './client/heatmap';
import { RunsTreeProvider } from './client/runs-tree';

/** What activate() returns: the parts integration tests look into. */
export interface ElectraLabApi {
  engine: EngineContext;
  heatmap: HeatmapController;
  runs: RunsTreeProvider;
}

export async function activate(context: vscode.ExtensionContext): Promise<ElectraLabApi> {
  const engine = new EngineContext(context);
  const heatmap = new HeatmapController(engine);
  const runs = new RunsTreeProvider(engine);
  context.subscriptions.push(engine, heatmap, runs, vscode.window.registerTreeDataProvider('electraLab.runs', runs));
  for (const [id, factory] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, factory({ engine, heatmap })));
  }
  try {
    await engine.start();
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    void vscode.window.showErrorMessage(`ELECTRA Lab engine failed to start: ${message}`, 'Open Log').then((c) => c && engine.output.show());
  }
  return { engine, heatmap, runs };
}

export function deactivate(): void {
  // The subscriptions stop the engine.
}
