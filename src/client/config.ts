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
      threshold: c.get('heatmap.threshold', 0.5),
    },
  };
}
