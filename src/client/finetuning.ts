import * as path from 'node:path';
import * as vscode from 'vscode';
import { finetuneStart, type FinetuneParams } from '../protocol';
import type { EngineContext } from './context';
import type { Panels } from './panels';
import { finetuneHeadline, listCheckpoints, readFinetuneResults } from './run-folders';
import { followRun, requestRun, showRunError } from './run-progress';
import { pick } from './questions';
import { askSettings } from './finetune-settings';
import { readTaskColumns, TaskFileError } from './task-columns';

export interface FinetuneOutcome {
  /** The fine-tuned model's folder (the run's name in runEvent). */
  runDir: string;
  checkpoint: string;
  stopped: boolean;
  /** The results JSON (`<checkpoint>/finetune/<task>.json`) and what it says. */
  results?: string;
  task?: string;
  metrics?: Record<string, number>;
  /** The dev metric that chose the best epoch, and its value. */
  headline?: { name: string; value: number };
  failed?: string;
  /** What ran: the same task for another checkpoint is these with its `checkpoint` (and no `out`). */
  params: FinetuneParams;
}

/** What the command was given: a checkpoint path, a Runs-view checkpoint node `{dir}`, or fine-tuning options. */
export function givenParams(arg: unknown): Partial<FinetuneParams> {
  if (typeof arg === 'string') return { checkpoint: arg };
  if (typeof arg !== 'object' || arg === null) return {};
  const node = arg as { dir?: unknown; checkpoint?: unknown };
  if (node.checkpoint === undefined && typeof node.dir === 'string') return { checkpoint: node.dir };
  return arg as Partial<FinetuneParams>;
}

/** A quick pick of known paths with "Another …" last, which opens the file dialog; the dialog at once when none is known. */
async function pickPath(engine: EngineContext, title: string, known: { label: string; description?: string; target: string }[], other: string, dialog: vscode.OpenDialogOptions): Promise<string | undefined> {
  const OTHER = { label: other, target: '' };
  const picked = known.length ? await pick([...known, OTHER], title) : OTHER;
  if (!picked) return undefined;
  if (picked.target) return picked.target;
  return (await engine.openDialog({ ...dialog, title, canSelectMany: false }))?.[0]?.fsPath;
}

function askCheckpoint(engine: EngineContext): Promise<string | undefined> {
  return listCheckpoints().then((items) => pickPath(engine, 'ELECTRA: fine-tune which checkpoint?', items.map((c) => ({ ...c, target: c.dir })), 'Another folder…',
    { canSelectFolders: true, canSelectFiles: false, openLabel: 'Fine-tune this checkpoint' }));
}

/** A TSV or JSONL file of the workspace; files in `near` (the training file's folder) first, as dev.tsv sits by train.tsv. */
async function askTaskFile(engine: EngineContext, title: string, near?: string, exclude?: string): Promise<string | undefined> {
  const files = (await vscode.workspace.findFiles('**/*.{tsv,jsonl}', '**/{node_modules,.git,.electra}/**', 500)).map((u) => u.fsPath).filter((f) => f !== exclude);
  files.sort((a, b) => Number(path.dirname(b) === near) - Number(path.dirname(a) === near) || a.localeCompare(b));
  return pickPath(engine, title, files.map((f) => ({ label: vscode.workspace.asRelativePath(f), target: f })), 'Another file…',
    { canSelectFiles: true, canSelectFolders: false, openLabel: 'Use this file', filters: { 'Task files (TSV, JSONL)': ['tsv', 'jsonl', 'json'] } });
}

const KINDS = [
  { label: 'Classification', description: 'labels are classes (0/1, positive/negative, …)', regression: false },
  { label: 'Regression', description: 'labels are scores (e.g. STS-B\'s 0–5), trained with mean squared error', regression: true },
];

/** The text column(s) and the label column, picked from the training file's header row (TSV) or first object's keys (JSONL). */
async function askColumns(file: string): Promise<Pick<FinetuneParams, 'textA' | 'textB' | 'label'> | undefined> {
  const columns = await readTaskColumns(file);
  const items = columns.names.map((name, i) => ({ label: name, description: columns.samples[i].slice(0, 80), name }));
  const where = path.basename(file);
  const textA = (await pick(items, `ELECTRA: the text column of ${where}`))?.name;
  if (textA === undefined) return undefined;
  let rest = items.filter((i) => i.name !== textA);
  let textB: string | undefined;
  if (rest.length > 1) {
    const NONE = { label: 'None', description: 'one text per example', name: '' };
    const picked = await pick([NONE, ...rest], `ELECTRA: a second text column of ${where} (sentence pairs, as MRPC or RTE)`);
    if (!picked) return undefined;
    textB = picked.name || undefined;
    rest = rest.filter((i) => i.name !== textB);
  }
  const label = rest.length === 1 ? rest[0].name : (await pick(rest, `ELECTRA: the label column of ${where}`))?.name;
  return label === undefined ? undefined : { textA, textB, label };
}

/**
 * Asks for what the caller did not give. A caller that names the checkpoint and both files is asked nothing (the
 * engine recognises GLUE's column names); files picked here are asked their task kind and columns.
 */
async function askParams(engine: EngineContext, given: Partial<FinetuneParams>): Promise<FinetuneParams | undefined> {
  const checkpoint = given.checkpoint ?? (await askCheckpoint(engine));
  if (!checkpoint) return undefined;
  if (given.train && given.dev) return { ...given, checkpoint, train: given.train, dev: given.dev };
  const train = given.train ?? (await askTaskFile(engine, 'ELECTRA: the training file (TSV with a header row, or JSONL)'));
  if (!train) return undefined;
  const dev = given.dev ?? (await askTaskFile(engine, 'ELECTRA: the dev file (evaluated after every epoch)', path.dirname(train), train));
  if (!dev) return undefined;
  if (given.train) return { ...given, checkpoint, train, dev };
  const kind = await pick(KINDS, 'ELECTRA: what do the labels hold?');
  if (!kind) return undefined;
  try {
    const columns = await askColumns(train);
    const settings = columns && (await askSettings(checkpoint, train));
    return settings && { ...given, checkpoint, train, dev, regression: kind.regression, ...columns, ...settings };
  } catch (e) {
    if (!(e instanceof TaskFileError)) throw e;
    void vscode.window.showErrorMessage(`ELECTRA: ${e.message}`);
    return undefined;
  }
}

/** One epoch's dev metrics as a log line: "epoch 2 (step 50): accuracy 0.8125 · f1 0.8000 · …". */
function epochLine(record: Record<string, number>): string {
  const { epoch, step, elapsed_s: _elapsed, ...metrics } = record;
  return `epoch ${epoch} (step ${step}): ${Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' · ')}`;
}

/**
 * Fine-tune Checkpoint: `electra-lab finetune` in the engine's child process, with progress and cancel (= Stop:
 * the best epoch so far is kept); ends with the dev metric that chose the best epoch and the evaluation panel a click away.
 */
export async function startFinetuning(engine: EngineContext, panels: Panels, given: Partial<FinetuneParams> = {}): Promise<FinetuneOutcome | undefined> {
  const params = await askParams(engine, given);
  if (!params) return undefined;
  const runDir = await requestRun(engine, 'fine-tuning', (client) => client.sendRequest(finetuneStart, params));
  if (!runDir) return undefined;
  const checkpoint = params.checkpoint;
  engine.output.appendLine(`fine-tuning ${checkpoint} on ${params.train} into ${runDir}`);
  const end = await followRun(engine, runDir, `ELECTRA fine-tuning (${path.basename(runDir)})`, (e) => {
    if (e.kind === 'metrics') engine.output.appendLine(epochLine(e.record));
  });
  if (end.kind === 'failed') {
    showRunError(engine, `ELECTRA fine-tuning ${end.orphaned ? 'stopped' : 'failed'}: ${end.message}`);
    return { runDir, checkpoint, stopped: false, failed: end.message, params };
  }
  const results = end.results ? await readFinetuneResults(end.results) : undefined;
  const headline = results && finetuneHeadline(results);
  const said = results && headline ? `${results.task}: ${headline.name} ${headline.value.toFixed(3)} on dev (best epoch ${results.bestEpoch ?? '?'} of ${results.epochs ?? '?'})` : `the results are in ${end.results ?? runDir}`;
  const SHOW = 'Show in Evaluation Panel';
  // A score that is not above the majority answer, or from too few steps, is said as a warning, not a success.
  const warned = results?.warnings.length ? `. ${results.warnings.join('. ')}` : '';
  const show = warned ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(`ELECTRA fine-tuning ${end.stopped ? 'stopped, best epoch kept' : 'finished'} — ${said}${warned}`, SHOW).then((choice) => {
    if (choice === SHOW) void panels.evaluation.show([checkpoint]);
  });
  return { runDir, checkpoint, stopped: end.stopped, results: end.results, task: results?.task, metrics: results?.metrics, headline, params };
}
