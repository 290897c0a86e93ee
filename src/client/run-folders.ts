import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FinetuneSummary, MetricRecord, RunSample } from '../protocol';

/** A run folder on disk, as the trainer (from the editor or the CLI) left it. */
export interface RunFolder {
  dir: string;
  name: string;
  /** run.json: the options that made the run. */
  config: Record<string, unknown>;
  /** Newest first. */
  checkpoints: { dir: string; step: number }[];
}

/** The workspace's runs directory (setting electraLab.runsDirectory, relative to the first folder). */
export function runsRoot(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  return path.resolve(folder.uri.fsPath, vscode.workspace.getConfiguration('electraLab').get('runsDirectory', '.electra/runs'));
}

async function readJsonObject(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function checkpointsOf(runDir: string): Promise<{ dir: string; step: number }[]> {
  const names = await fs.readdir(path.join(runDir, 'checkpoints')).catch(() => [] as string[]);
  return names.filter((n) => /^step-\d+$/.test(n)).map((n) => ({ dir: path.join(runDir, 'checkpoints', n), step: Number(n.slice(5)) })).sort((a, b) => b.step - a.step);
}

/** Every run (a folder with a run.json) under the runs directory, newest name first. */
export async function listRunFolders(): Promise<RunFolder[]> {
  const root = runsRoot();
  if (!root) return [];
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  const runs: RunFolder[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => b.name.localeCompare(a.name))) {
    const dir = path.join(root, e.name);
    const recorded = await readJsonObject(path.join(dir, 'run.json'));
    if (!recorded) continue;
    // The options only: provenance lists every corpus file (thousands for a big corpus), more than a webview
    // message's config may hold.
    const { provenance: _provenance, ...config } = recorded;
    runs.push({ dir, name: e.name, config, checkpoints: await checkpointsOf(dir) });
  }
  return runs;
}

/**
 * Every checkpoint of the workspace's runs, as quick-pick items ("run · step N", "loss 3.210", newest run
 * first); the most recently written one has `picked`, so a multi-select pick starts with it checked.
 */
export async function listCheckpoints(): Promise<{ label: string; description: string; detail: string; dir: string; picked: boolean }[]> {
  const items = [];
  for (const run of await listRunFolders()) {
    const { records } = await readMetrics(run.dir);
    for (const c of run.checkpoints) {
      const logged = records.filter((m) => m.step <= c.step).pop();
      const written = (await fs.stat(c.dir).catch(() => undefined))?.mtimeMs ?? 0;
      items.push({ label: `${run.name} · step ${c.step}`, description: logged?.loss !== undefined ? `loss ${logged.loss.toFixed(3)}` : '',
        detail: vscode.workspace.asRelativePath(c.dir), dir: c.dir, picked: false, written });
    }
  }
  const newest = items.reduce((best, item) => (best && best.written >= item.written ? best : item), undefined as (typeof items)[number] | undefined);
  if (newest) newest.picked = true;
  return items.map(({ written: _written, ...item }) => item);
}

/** Parsed lines that `accept` turns into a T (undefined = skip the line). */
function jsonLines<T>(text: string, accept: (value: unknown) => T | undefined): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value = accept(JSON.parse(line));
      if (value !== undefined) out.push(value);
    } catch {
      // A line being written while we read, or a damaged one: the rest of the log is still useful.
    }
  }
  return out;
}

/** A metrics line with its numbers; a NaN the trainer logged (JSON null) is left out, not the whole line. */
function asMetricRecord(value: unknown): MetricRecord | undefined {
  if (typeof value !== 'object' || value === null || typeof (value as { step?: unknown }).step !== 'number') return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))) as MetricRecord;
}

/**
 * metrics.jsonl from byte `from` on: complete lines only, so a dashboard can follow a file that is
 * being appended to by reading just the new part each time it changes.
 */
export async function readMetrics(runDir: string, from = 0): Promise<{ records: MetricRecord[]; next: number }> {
  const bytes = await fs.readFile(path.join(runDir, 'metrics.jsonl')).catch(() => Buffer.alloc(0));
  if (bytes.length < from) return readMetrics(runDir, 0); // the file was rewritten (a resumed run truncates it)
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end <= from) return { records: [], next: from };
  return { records: jsonLines(bytes.subarray(from, end).toString('utf8'), asMetricRecord), next: end };
}

function asRunSample(value: unknown): RunSample | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Record<string, unknown>;
  return typeof s.step === 'number' && typeof s.row === 'number' && Array.isArray(s.tokens) ? (value as RunSample) : undefined;
}

/** samples.jsonl: the corruption samples a run logged as it trained (at most `limit`, the newest). */
export async function readSamples(runDir: string, limit = 200): Promise<RunSample[]> {
  const text = await fs.readFile(path.join(runDir, 'samples.jsonl'), 'utf8').catch(() => '');
  return jsonLines(text, asRunSample).slice(-limit);
}

/** A fine-tuning results JSON (`<checkpoint>/finetune/<task>.json`), as much of it as the editor reports. */
export interface FinetuneResultsFile extends FinetuneSummary {
  bestEpoch?: number;
  epochs?: number;
  /** The dev metric that chose the best epoch. */
  selectBy?: string;
  /** Too few steps, a score not above the majority answer (the engine's finetune/baselines.ts). */
  warnings: string[];
}

/** The dev metric that chose the best epoch (the first one reported if the file does not say). */
export function finetuneHeadline(results: FinetuneResultsFile): { name: string; value: number } | undefined {
  const name = results.selectBy !== undefined && results.selectBy in results.metrics ? results.selectBy : Object.keys(results.metrics)[0];
  return name === undefined ? undefined : { name, value: results.metrics[name] };
}

/** Where the engine puts a checkpoint's fine-tuning results (`<task>.json`) and models (src/engine/checkpoint/folder.ts). */
export function finetuneDirOf(checkpoint: string): string {
  return path.join(checkpoint, 'finetune');
}

/** A checkpoint's fine-tuning results files, in task-name order. */
async function finetuneResultFiles(checkpoint: string): Promise<string[]> {
  const dir = finetuneDirOf(checkpoint);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.json')).sort().map((n) => path.join(dir, n));
}

/** How many tasks a checkpoint was fine-tuned on, without reading their results. */
export async function finetunedTasks(checkpoint: string): Promise<number> {
  return (await finetuneResultFiles(checkpoint)).length;
}

/** The fine-tuning results next to a checkpoint, in task-name order. */
export async function finetuneResultsOf(checkpoint: string): Promise<(FinetuneResultsFile & { file: string })[]> {
  const found = await Promise.all((await finetuneResultFiles(checkpoint)).map(async (file) => {
    const results = await readFinetuneResults(file);
    return results && { ...results, file };
  }));
  return found.filter((r) => r !== undefined);
}

export async function readFinetuneResults(file: string): Promise<FinetuneResultsFile | undefined> {
  const raw = await readJsonObject(file);
  if (!raw || typeof raw.metrics !== 'object' || raw.metrics === null) return undefined;
  const metrics = Object.fromEntries(Object.entries(raw.metrics).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
  const options = (raw.options ?? {}) as Record<string, unknown>;
  const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return {
    task: typeof raw.task === 'string' ? raw.task : path.basename(file, '.json'), metrics,
    bestEpoch: number(raw.best_epoch), epochs: number(raw.epochs), selectBy: typeof options.selectBy === 'string' ? options.selectBy : undefined,
    warnings: Array.isArray(raw.warnings) ? raw.warnings.filter((w): w is string => typeof w === 'string').slice(0, 5) : [],
  };
}
