import * as vscode from 'vscode';
import type { EngineContext } from '../context';
import { EVAL_PANEL, EvalPanel } from './eval-panel';
import { LAB_PANEL, LabPanel } from './lab-panel';
import { RUNS_PANEL, RunsPanel } from './runs-panel';

/** The three webview panels, one instance each. */
export interface Panels {
  lab: LabPanel;
  runs: RunsPanel;
  evaluation: EvalPanel;
}

/** Creates the panels and lets VS Code bring them back after a reload (each page restores its own state). */
export function createPanels(extension: vscode.ExtensionContext, engine: EngineContext): Panels {
  const panels: Panels = { lab: new LabPanel(extension, engine), runs: new RunsPanel(extension, engine), evaluation: new EvalPanel(extension, engine) };
  const restorers: [string, { restore(panel: vscode.WebviewPanel): void }][] = [
    [LAB_PANEL.viewType, panels.lab], [RUNS_PANEL.viewType, panels.runs], [EVAL_PANEL.viewType, panels.evaluation],
  ];
  for (const [viewType, target] of restorers) {
    extension.subscriptions.push(vscode.window.registerWebviewPanelSerializer(viewType, {
      deserializeWebviewPanel: async (panel) => target.restore(panel),
    }));
  }
  extension.subscriptions.push(panels.lab, panels.runs, panels.evaluation);
  return panels;
}
