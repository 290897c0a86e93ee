import * as vscode from 'vscode';
import type { EngineInitOptions } from '../protocol';

/** The extension's settings, typed once (package.json `contributes.configuration` declares them). */
export interface ElectraLabSettings {
  backend: NonNullable<EngineInitOptions['backend']>;
  heatmap: { checkpoint: string; languages: string[]; debounceMs: number; threshold: number };
}

export function readSettings(): ElectraLabSettings {
  const c = vscode.workspace.getConfiguration('electraLab');
  return {
    backend: c.get('backend', 'auto'),
    heatmap: {
      checkpoint: c.get('heatmap.checkpoint', ''),
      languages: c.get('heatmap.languages', ['plaintext', 'markdown']),
      debounceMs: c.get('heatmap.debounceMs', 300),
      threshold: probability(c.get<unknown>('heatmap.threshold'), 0.5),
    },
  };
}

/** settings.json is hand-edited: a threshold out of [0, 1] (or not a number) would be refused by the page's guard. */
function probability(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : fallback;
}

/** The Lab page's slider writes the threshold: for this workspace when one is open, else for the user. */
export function writeHeatmapThreshold(value: number): Thenable<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  return vscode.workspace.getConfiguration('electraLab').update('heatmap.threshold', value, target);
}
