import * as path from 'node:path';
import * as vscode from 'vscode';
import { pretrainStart, type PretrainParams } from '../protocol';
import type { EngineContext } from './context';
import { listRunFolders, readMetrics, type RunFolder } from './run-folders';
import { summariseRun, type RunSummary } from './run-end';
import { followRun, requestRun, showRunError } from './run-progress';

export interface RunOutcome {
  runDir: string;
  checkpoint?: string;
  stopped: boolean;
  failed?: string;
  /** What the end-of-run notification said (absent for a failed run). */
  summary?: RunSummary;
}

const PRESETS = [
  { label: 'tiny', description: 'a few MB; minutes on a laptop CPU — for trying things out' },
  { label: 'small', description: 'ELECTRA-Small (14M parameters), the paper\'s small model' },
  { label: 'base', description: 'ELECTRA-Base (110M parameters): wants a GPU backend' },
] as const;

/** Asks for what the caller did not give: a corpus glob (with its file count and size), a preset, a step count. */
async function askParams(given: Partial<PretrainParams>): Promise<PretrainParams | undefined> {
  if (given.resume && given.out) return { corpus: [], ...given } as PretrainParams; // a resumed run keeps its recorded options
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('ELECTRA: open a folder first — pretraining reads its text files and writes runs into it.');
    return undefined;
  }
  let corpus = given.corpus;
  if (!corpus) {
    const glob = await vscode.window.showInputBox({ title: 'ELECTRA: corpus (a glob in the workspace)', value: '**/*.{md,txt}' });
    if (!glob) return undefined;
    const files = await vscode.workspace.findFiles(glob, '**/{node_modules,.git,.electra}/**');
    if (files.length === 0) {
      const again = await vscode.window.showErrorMessage(`ELECTRA: no files match "${glob}" in ${folder.name} (node_modules, .git and .electra are left out) — try another glob, e.g. **/*.md`, 'Choose Another Glob');
      return again ? askParams(given) : undefined;
    }
    let bytes = 0;
    for (const f of files) bytes += (await vscode.workspace.fs.stat(f)).size;
    const ok = await vscode.window.showQuickPick([`Train on ${files.length} files (${(bytes / 1e6).toFixed(1)} MB)`, 'Cancel'], { title: 'ELECTRA: corpus' });
    if (!ok || ok === 'Cancel') return undefined;
    corpus = [path.join(folder.uri.fsPath, glob)];
  }
  const defaults = vscode.workspace.getConfiguration('electraLab.pretraining');
  const preferred = defaults.get<string>('preset', 'tiny');
  const presets = [...PRESETS].sort((a, b) => Number(b.label === preferred) - Number(a.label === preferred));
  const preset = given.preset ?? (await vscode.window.showQuickPick(presets, { title: 'ELECTRA: model size' }))?.label;
  if (!preset) return undefined;
  let steps = given.steps;
  if (!steps && !given.resume) {
    const answer = await vscode.window.showInputBox({ title: 'ELECTRA: training steps', value: String(defaults.get<number>('steps', 1000)), validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'a positive whole number') });
    if (!answer) return undefined;
    steps = Number(answer);
  }
  const runsDir = vscode.workspace.getConfiguration('electraLab').get('runsDirectory', '.electra/runs');
  const out = given.out ?? path.join(folder.uri.fsPath, runsDir, `${preset}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  // 0 = the preset's own default: the trainer knows it, the editor need not.
  const batch = given.batch ?? (defaults.get<number>('batchSize', 0) || undefined);
  const seq = given.seq ?? (defaults.get<number>('sequenceLength', 0) || undefined);
  return { ...given, corpus, preset, steps, batch, seq, out };
}

/** Start Pretraining: the run trains in the engine's child process; progress with cancel (= Stop, which checkpoints). */
export async function startPretraining(engine: EngineContext, given: Partial<PretrainParams> = {}): Promise<RunOutcome | undefined> {
  const params = await askParams(given);
  if (!params) return undefined;
  const runDir = await requestRun(engine, 'pretraining', (client) => client.sendRequest(pretrainStart, params));
  if (!runDir) return undefined;
  engine.output.appendLine(`pretraining into ${runDir}`);
  const end = await followRun(engine, runDir, params.resume ? `ELECTRA: resuming ${path.basename(params.out)}` : `ELECTRA pretraining (${params.preset})`);
  if (end.kind === 'failed') {
    showRunError(engine, `ELECTRA pretraining ${end.orphaned ? 'stopped' : 'failed'}: ${end.message}`);
    return { runDir, stopped: false, failed: end.message };
  }
  const summary = await summariseRun(engine, runDir, end.checkpoint, end.step, end.stopped);
  return { runDir, checkpoint: end.checkpoint, stopped: end.stopped, summary };
}

/** "tiny-2026-… · step 40 of 40 · loss 3.21": what a user recognises a run by, not its absolute path. */
async function runPick(run: RunFolder): Promise<vscode.QuickPickItem & { run: RunFolder }> {
  const last = run.checkpoints[0]?.step ?? 0;
  const logged = (await readMetrics(run.dir)).records.filter((m) => m.step <= last).pop();
  const loss = logged?.loss !== undefined ? ` · loss ${logged.loss.toFixed(3)}` : '';
  return { label: run.name, description: `step ${last} of ${String(run.config.steps ?? '?')}${loss}`, detail: String(run.config.preset ?? ''), run };
}

/** The run's new total: its recorded steps while it has not reached them, else asked (a finished run continues). */
async function askTotalSteps(run: RunFolder): Promise<number | undefined> {
  const last = run.checkpoints[0]?.step ?? 0;
  const recorded = Number(run.config.steps) || last;
  const answer = await vscode.window.showInputBox({
    title: `ELECTRA: resume ${run.name} — total steps`,
    prompt: `trained ${last} of ${recorded} steps; the learning-rate schedule stretches to the new total`,
    value: String(last < recorded ? recorded : recorded + Math.max(last, 100)),
    validateInput: (v) => (/^\d+$/.test(v) && Number(v) > last ? undefined : `a whole number above ${last} (the last checkpoint's step)`),
  });
  return answer ? Number(answer) : undefined;
}

/** Resume Run: continue a run from its last checkpoint (same data order) to a total the user may raise. */
export async function resumePretraining(engine: EngineContext, given: { out?: string; steps?: number } = {}): Promise<RunOutcome | undefined> {
  const runs = await listRunFolders();
  let run = given.out ? runs.find((r) => path.resolve(r.dir) === path.resolve(given.out!)) : undefined;
  if (!given.out) {
    if (runs.length === 0) {
      const start = await vscode.window.showInformationMessage('ELECTRA: no runs to resume in this workspace yet.', 'Start Pretraining');
      if (start) void vscode.commands.executeCommand('electraLab.startPretraining');
      return undefined;
    }
    run = (await vscode.window.showQuickPick(await Promise.all(runs.map(runPick)), { title: 'ELECTRA: resume which run?' }))?.run;
    if (!run) return undefined;
  }
  const out = run?.dir ?? given.out!;
  const steps = given.steps ?? (run ? await askTotalSteps(run) : undefined);
  if (run && steps === undefined) return undefined;
  return startPretraining(engine, { corpus: [], steps, out, resume: true });
}
