import * as vscode from 'vscode';
import { runStop, type RunEventParams, type RunStarted } from '../protocol';
import type { EngineContext } from './context';

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
 * Follows a run the engine started until it ends: a progress notification whose cancel is Stop, the step and
 * loss in the status bar, the run's messages in the log. `onEvent` sees each of the run's events as well.
 */
export function followRun(engine: EngineContext, runDir: string, title: string, onEvent: (e: RunEventParams) => void = () => {}): Thenable<RunEnd> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => new Promise<RunEnd>((resolve) => {
      let lastStep = 0;
      token.onCancellationRequested(() => {
        engine.languageClient.sendRequest(runStop, { runDir }).catch((e: unknown) => engine.output.appendLine(`could not stop ${runDir}: ${e instanceof Error ? e.message : String(e)}`));
      });
      const sub = engine.onRunEvent((e) => {
        if (e.runDir !== runDir) return;
        onEvent(e);
        switch (e.kind) {
          case 'step':
            progress.report({ increment: ((e.step - lastStep) / e.totalSteps) * 100, message: `step ${e.step}/${e.totalSteps}, loss ${e.loss.toFixed(3)}` });
            engine.showJob(`step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(2)}`);
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
