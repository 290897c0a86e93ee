import * as vscode from 'vscode';
import { runStop, type RunEventParams, type RunStarted } from '../protocol';
import type { EngineContext } from './context';
import { RunPace } from './run-pace';

/** How a run ended: its `done` event (stopped or finished) or `failed` with its one-line reason. */
export type RunEnd = Extract<RunEventParams, { kind: 'done' | 'failed' }>;

/** One line in an error notification; "Open Log" shows the engine's output channel. */
export function showRunError(engine: EngineContext, message: string): void {
  void vscode.window.showErrorMessage(message, 'Open Log').then((choice) => choice && engine.output.show());
}

/** Asks the engine to start a run; a refusal (bad options, a run already in that folder) is one error line. */
export async function requestRun(engine: EngineContext, what: string, start: (client: EngineContext['languageClient']) => Promise<RunStarted>): Promise<string | undefined> {
  try {
    const { runDir } = await start(engine.languageClient);
    engine.trackRun(runDir);
    return runDir;
  } catch (e) {
    showRunError(engine, `ELECTRA: could not start ${what}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    return undefined;
  }
}

/**
 * Follows a run the engine started until it ends: a progress notification with steps/s and the time left, the
 * step and loss in the status bar, the run's messages in the log. `onEvent` sees each of the run's events as
 * well. The notification has no Cancel: VS Code cannot relabel it, and ending a run is a Stop that keeps a
 * checkpoint — *ELECTRA: Stop Run*, the Runs view's Stop on the running run, or the status bar item.
 */
export function followRun(engine: EngineContext, runDir: string, title: string, onEvent: (e: RunEventParams) => void = () => {}): Thenable<RunEnd> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: false },
    (progress) => new Promise<RunEnd>((resolve) => {
      let lastStep = 0;
      const pace = new RunPace();
      const sub = engine.onRunEvent((e) => {
        if (e.runDir !== runDir) return;
        onEvent(e);
        switch (e.kind) {
          case 'step':
            pace.record(e.step, e.totalSteps);
            progress.report({ increment: ((e.step - lastStep) / e.totalSteps) * 100, message: `${pace.describe()} · loss ${e.loss.toFixed(3)} (Stop Run keeps a checkpoint)` });
            engine.showJob(`${pace.describe()} · loss ${e.loss.toFixed(2)}`);
            lastStep = e.step;
            break;
          case 'info':
          case 'warning':
            engine.output.appendLine(`[${e.kind}] ${e.message}`);
            break;
          case 'done':
          case 'failed':
            sub.dispose();
            engine.showJob(undefined);
            resolve(e);
            break;
        }
      });
    }),
  );
}

/** Stop Run: pretraining writes a checkpoint after its current step and ends; fine-tuning keeps its best epoch. */
export async function stopRun(engine: EngineContext, runDir: string | undefined): Promise<void> {
  const target = runDir ?? engine.activeRuns()[0];
  if (!target) {
    void vscode.window.showInformationMessage('ELECTRA: no run is active.');
    return;
  }
  await engine.languageClient.sendRequest(runStop, { runDir: target });
}
