import * as path from 'node:path';
import { UserError } from '../engine/errors';
import { initBackend, type BackendReport, type BackendRequest } from '../engine/backend';
import { loadCheckpoint } from '../engine/checkpoint/model-io';
import { readTextFile, type DocumentBoundary } from '../engine/data/corpus';
import { scoreText } from '../engine/inference/heatmap';
import { corruptText } from '../engine/inference/corrupt';
import { injectedSentence } from '../engine/eval/injected-corruption';
import { intervalOf } from '../engine/eval/intervals';
import { evaluatePretraining } from '../engine/eval/pretraining-eval';
import { pretrain, type TrainerEvent } from '../engine/pretrain/trainer';
import { OBJECTIVES } from '../engine/pretrain/objectives';
import type { PretrainOptions } from '../engine/pretrain/options';
import { legend, renderCorruption, renderHeatmap } from './render';
import { progressPrinter } from './progress';

/** Parsed flags as strings/booleans; each command converts what it uses. */
export type Flags = Record<string, string | boolean | string[] | undefined>;

const BACKENDS: BackendRequest[] = ['auto', 'gpu', 'node', 'native', 'wasm', 'cpu'];

export function int(flags: Flags, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new UserError(`--${name} ${String(v)} is not an integer`);
  return n;
}

/** An integer option that counts something (threads, a batch, a length): 1 ≤ n ≤ max. */
export function count(flags: Flags, name: string, max: number): number | undefined {
  const n = int(flags, name);
  if (n !== undefined && (n < 1 || n > max)) throw new UserError(`--${name} ${n} must be between 1 and ${max}`);
  return n;
}

export function num(flags: Flags, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new UserError(`--${name} ${String(v)} is not a number`);
  return n;
}

function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

function required(flags: Flags, name: string, usage: string): string {
  const v = str(flags, name);
  if (!v) throw new UserError(`missing --${name} — usage: ${usage}`);
  return v;
}

export async function startBackend(flags: Flags): Promise<BackendReport> {
  const request = (str(flags, 'backend') ?? 'auto') as BackendRequest;
  if (!BACKENDS.includes(request)) throw new UserError(`unknown --backend "${request}" — use one of ${BACKENDS.join(', ')}`);
  const report = await initBackend(request, { threads: count(flags, 'threads', 256) });
  if (!flags.json) process.stderr.write(`backend: ${report.describe()}\n`);
  return report;
}

/**
 * `--corpus a b "c/**"`: parseArgs keeps only the first value after --corpus, the rest arrive as positionals;
 * every one is a corpus path (the commands that take --corpus have no other positional arguments).
 */
export function corpusPaths(flags: Flags, positionals: readonly string[]): string[] {
  return [...((flags.corpus as string[] | undefined) ?? []), ...positionals];
}

/** The run options given as flags (pretrain and export-job share them); absent flags stay undefined. */
export function runOptionsFromFlags(flags: Flags, corpus: string[]): Partial<PretrainOptions> & Pick<PretrainOptions, 'corpus'> {
  return {
    corpus,
    preset: str(flags, 'preset') as PretrainOptions['preset'] | undefined,
    steps: int(flags, 'steps'), batchSize: int(flags, 'batch'), seqLength: int(flags, 'seq'), vocabSize: int(flags, 'vocab-size'),
    objective: str(flags, 'objective') as PretrainOptions['objective'] | undefined,
    embeddingSharing: str(flags, 'embedding-sharing') as PretrainOptions['embeddingSharing'] | undefined,
    training: str(flags, 'training') as PretrainOptions['training'] | undefined, adversarialWarmup: int(flags, 'adversarial-warmup'),
    genWidth: num(flags, 'gen-width'), genDepth: num(flags, 'gen-depth'), learningRate: num(flags, 'lr'), adamEpsilon: num(flags, 'adam-epsilon'), clipNorm: num(flags, 'clip-norm'),
    warmupSteps: int(flags, 'warmup'), saveEvery: int(flags, 'save-every'), logEvery: int(flags, 'log-every'),
    sampleEvery: int(flags, 'sample-every'), keepCheckpoints: int(flags, 'keep'), seed: int(flags, 'seed'),
    documents: str(flags, 'documents') as PretrainOptions['documents'] | undefined,
    masking: str(flags, 'masking') as PretrainOptions['masking'] | undefined,
    backend: str(flags, 'backend') as BackendRequest | undefined,
  };
}

export async function pretrainCommand(flags: Flags, signal: AbortSignal, positionals: readonly string[] = []): Promise<void> {
  const usage = 'electra-lab pretrain --corpus <path|glob>... --out <runDir> [--preset tiny|small|base] [--steps N] ...';
  const corpus = corpusPaths(flags, positionals);
  if (corpus.length === 0 && !flags.resume) throw new UserError(`missing --corpus — usage: ${usage}`);
  const out = required(flags, 'out', usage);
  await startBackend(flags);
  const options = { ...runOptionsFromFlags(flags, corpus), out, resume: flags.resume === true };
  // --progress-json: one JSON event per line on stdout, for the engine server that runs this as a child.
  const onEvent = flags['progress-json'] ? (e: TrainerEvent) => process.stdout.write(JSON.stringify(e) + '\n') : progressPrinter();
  await pretrain(options, onEvent, signal);
}

/** What `heatmap` and `corrupt` start from: a backend, the text of the file, and the checkpoint. */
async function checkpointAndText(flags: Flags, positionals: string[], usage: string, needGenerator: boolean) {
  const checkpointDir = required(flags, 'checkpoint', usage);
  const file = positionals[0];
  if (!file) throw new UserError(`missing the text file — usage: ${usage}`);
  const report = await startBackend(flags);
  const text = await readTextFile(file);
  const checkpoint = await loadCheckpoint(checkpointDir, { needGenerator });
  return { checkpointDir, file, report, text, checkpoint };
}

export async function heatmapCommand(flags: Flags, positionals: string[]): Promise<void> {
  const { checkpointDir, file, report, text, checkpoint } = await checkpointAndText(flags, positionals, 'electra-lab heatmap --checkpoint <dir> <file> [--json]', false);
  const tokens = scoreText(checkpoint.model, checkpoint.tokenizer, text, { windowLength: count(flags, 'seq', 512) });
  checkpoint.model.dispose();
  if (flags.json) {
    process.stdout.write(JSON.stringify({ backend: report.backend, checkpoint: path.resolve(checkpointDir), file: path.resolve(file), tokens }) + '\n');
    return;
  }
  process.stdout.write(renderHeatmap(text, tokens) + '\n\n' + legend() + '\n');
}

export async function corruptCommand(flags: Flags, positionals: string[]): Promise<void> {
  const { report, text, checkpoint } = await checkpointAndText(flags, positionals, 'electra-lab corrupt --checkpoint <dir> <file> [--seed S] [--json]', true);
  const result = corruptText(checkpoint.model, checkpoint.tokenizer, text, { seed: int(flags, 'seed') ?? 1, length: count(flags, 'seq', 512), objective: OBJECTIVES[checkpoint.objective] });
  checkpoint.model.dispose();
  if (flags.json) process.stdout.write(JSON.stringify({ backend: report.backend, ...result }) + '\n');
  else process.stdout.write(renderCorruption(result) + '\n');
}

export async function evalCommand(flags: Flags, positionals: readonly string[] = []): Promise<void> {
  const usage = 'electra-lab eval --checkpoint <dir> --corpus <path> [--split heldout|all] [--json]';
  const checkpointDir = required(flags, 'checkpoint', usage);
  const corpus = corpusPaths(flags, positionals);
  if (corpus.length === 0) throw new UserError(`missing --corpus — usage: ${usage}`);
  const split = str(flags, 'split') ?? 'heldout';
  if (split !== 'heldout' && split !== 'all') throw new UserError(`--split ${split} — use heldout or all`);
  const report = await startBackend(flags);
  const checkpoint = await loadCheckpoint(checkpointDir);
  const state = (checkpoint.trainerState ?? {}) as { seed?: number; seq_length?: number; held_out_fraction?: number; documents?: DocumentBoundary };
  const result = await evaluatePretraining(checkpoint, {
    corpus, split, seqLength: count(flags, 'seq', 512) ?? state.seq_length ?? 128, batchSize: count(flags, 'batch', 4096) ?? 8,
    maxExamples: count(flags, 'max-examples', 10_000_000) ?? 512, seed: int(flags, 'seed') ?? 1234,
    heldOutFraction: state.held_out_fraction ?? 0.02, packingSeed: state.seed ?? 42, documents: state.documents ?? 'blank-lines',
  }, (m) => process.stderr.write(`warning: ${m}\n`));
  checkpoint.model.dispose();
  if (flags.json) {
    process.stdout.write(JSON.stringify({ backend: report.backend, ...result }) + '\n');
    return;
  }
  process.stdout.write(`${result.checkpoint} on ${result.examples} ${result.split} examples (${result.tokens} tokens):\n`);
  for (const [k, v] of Object.entries(result.metrics)) {
    if (v === undefined || /_(low|high)$/.test(k)) continue;
    const interval = intervalOf(result.metrics, k);
    process.stdout.write(`  ${k.padEnd(28)} ${v.toFixed(4)}${interval ? `  (95% ${interval[0].toFixed(4)}–${interval[1].toFixed(4)})` : ''}\n`);
  }
  if (result.injected) process.stdout.write(`${injectedSentence(result.injected, split)}\n`);
  if (result.warning) process.stdout.write(`warning: ${result.warning}\n`);
}
