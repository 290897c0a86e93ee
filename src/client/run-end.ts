import * as path from 'node:path';
import * as vscode from 'vscode';
import { evaluateCheckpoint } from '../protocol';
import type { EngineContext } from './context';

/** The actions the end-of-run notification offers, in order. */
export const NEXT_STEPS = ['Use for Heatmap', 'Open Dashboard', 'Evaluate'] as const;

export interface RunSummary {
  /** The notification's text: how the run ended and, when the engine could tell, what it learned. */
  message: string;
  /** The injected-corruption sentence of the final checkpoint's held-out text (absent if it could not be had). */
  learned?: string;
  /** True when this run's checkpoint became the heatmap's because none was chosen. */
  choseForHeatmap: boolean;
  actions: readonly string[];
}

// Enough held-out sequences for a stable found-k-of-n figure, few enough to take seconds after a run.
const QUICK_EXAMPLES = 128;

/**
 * After a pretraining run ends with a checkpoint: puts it on the heatmap when none was chosen, asks the engine
 * what the discriminator learned (injected corruption on held-out text, cached next to the checkpoint), and
 * offers the next steps. Resolves once the notification is shown, not when it is answered.
 */
export async function summariseRun(engine: EngineContext, runDir: string, checkpoint: string, step: number, stopped: boolean): Promise<RunSummary> {
  const settings = vscode.workspace.getConfiguration('electraLab');
  const choseForHeatmap = !settings.get<string>('heatmap.checkpoint');
  if (choseForHeatmap) await vscode.commands.executeCommand('electraLab.useCheckpointForHeatmap', checkpoint);
  const learned = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'ELECTRA: checking what the run learned' },
    () => whatItLearned(engine, checkpoint),
  );
  const ended = `ELECTRA: ${path.basename(runDir)} ${stopped ? 'stopped' : 'finished'} at step ${step}`;
  const message = learned ? `${ended}. ${capitalise(learned)}.` : `${ended} (checkpoint ${path.basename(checkpoint)}).`;
  void vscode.window.showInformationMessage(message, ...NEXT_STEPS).then((choice) => {
    if (choice === 'Use for Heatmap') void vscode.commands.executeCommand('electraLab.useCheckpointForHeatmap', checkpoint);
    if (choice === 'Open Dashboard') void vscode.commands.executeCommand('electraLab.showRunsDashboard', runDir);
    if (choice === 'Evaluate') void vscode.commands.executeCommand('electraLab.evaluateCheckpoint', checkpoint);
  });
  return { message, learned, choseForHeatmap, actions: NEXT_STEPS };
}

/** The injected-corruption sentence on held-out text; on the training text, said so, when a small corpus left
 *  no held-out split (swapped words are new to the model either way, but its own text is easier). */
async function whatItLearned(engine: EngineContext, checkpoint: string): Promise<string | undefined> {
  const evaluate = (split: 'heldout' | 'all') => engine.languageClient.sendRequest(evaluateCheckpoint, { checkpoint, split, maxExamples: QUICK_EXAMPLES });
  try {
    return (await evaluate('heldout')).injectedSummary;
  } catch (e) {
    if (!/no held-out examples/.test(e instanceof Error ? e.message : String(e))) {
      engine.output.appendLine(`could not evaluate ${checkpoint}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
  const all = await evaluate('all').catch(() => undefined);
  return all?.injectedSummary && `the corpus is too small for a held-out split, so on its own text: ${all.injectedSummary}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
