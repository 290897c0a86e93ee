/**
 * Runs a sweep: one vocabulary for all runs, then each configuration in turn as an ordinary run folder under the
 * sweep folder, each evaluated the same way when it ends, then summary.json and summary.md. A run whose evaluation
 * file exists is finished and skipped, so a stopped sweep started again continues where it stopped (a run stopped
 * half-way resumes from its checkpoint).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { SweepFinetune, SweepRunResult, SweepSummary } from '../../protocol';
import { finetune } from '../finetune/trainer';
import { UserError, isUserError } from '../errors';
import { writeFileAtomic } from '../checkpoint/atomic';
import { listCheckpoints } from '../checkpoint/folder';
import { loadCheckpoint } from '../checkpoint/model-io';
import { discoverCorpus, readTextChunks } from '../data/corpus';
import { trainWordPiece } from '../tokenizer';
import { evaluatePretraining, type EvalReport } from '../eval/pretraining-eval';
import { pretrain, readMetrics, type TrainerEvent } from '../pretrain/trainer';
import { resolveOptions, type PretrainOptions } from '../pretrain/options';
import { maxPredictionsFor } from '../pretrain/masking';
import { OBJECTIVES } from '../pretrain/objectives';
import { runModelSpec } from '../pretrain/model-spec';
import { trainingStepFlops, type StepMode } from '../pretrain/flops';
import type { PlannedRun, Sweep } from './spec';
import { summarise, summaryMarkdown } from './summary';

export const SWEEP_RESULT_FILE = path.join('eval', 'sweep.json');

export type SweepEvent =
  | { kind: 'info'; message: string }
  | { kind: 'run-start'; name: string; index: number; total: number; steps: number }
  | { kind: 'run-skip'; name: string }
  | { kind: 'trainer'; name: string; event: TrainerEvent }
  | { kind: 'run-done'; result: SweepRunResult };

export async function runSweep(sweep: Sweep, onEvent: (e: SweepEvent) => void = () => {}, signal?: AbortSignal): Promise<{ summary?: SweepSummary; finished: number; stopped: boolean }> {
  await fs.mkdir(sweep.out, { recursive: true });
  await writeFileAtomic(path.join(sweep.out, 'sweep.json'), JSON.stringify({ spec: sweep.specFile, budget: sweep.budget, dataSeed: sweep.dataSeed, eval: sweep.eval, runs: sweep.runs.map((r) => ({ name: r.name, values: r.values })) }, null, 2) + '\n');
  const vocab = await sharedVocabulary(sweep, onEvent);
  const results: SweepRunResult[] = [];
  for (const [index, run] of sweep.runs.entries()) {
    const runDir = path.join(sweep.out, run.name);
    const done = await readResult(runDir);
    if (done) {
      onEvent({ kind: 'run-skip', name: run.name });
      results.push(done);
      continue;
    }
    if (signal?.aborted) return { finished: results.length, stopped: true };
    const options = runOptions(sweep, run, runDir, vocab);
    onEvent({ kind: 'run-start', name: run.name, index, total: sweep.runs.length, steps: options.steps });
    const latest = (await listCheckpoints(path.join(runDir, 'checkpoints'))).pop();
    if (!latest || latest.step < options.steps) {
      const trained = await pretrain({ ...options, resume: latest !== undefined }, (event) => onEvent({ kind: 'trainer', name: run.name, event }), signal);
      if (trained.stopped) return { finished: results.length, stopped: true };
    }
    const result = await evaluateRun(sweep, run, runDir, onEvent, signal);
    // Stopped while fine-tuning: the run is not finished (its next start fine-tunes it again).
    if (!result) return { finished: results.length, stopped: true };
    await fs.mkdir(path.join(runDir, path.dirname(SWEEP_RESULT_FILE)), { recursive: true });
    await writeFileAtomic(path.join(runDir, SWEEP_RESULT_FILE), JSON.stringify(result, null, 2) + '\n');
    onEvent({ kind: 'run-done', result });
    results.push(result);
  }
  const summary = summarise(sweep.specFile, sweep.budget, results);
  await writeFileAtomic(path.join(sweep.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeFileAtomic(path.join(sweep.out, 'summary.md'), summaryMarkdown(summary, sweep.eval.injectedFraction));
  return { summary, finished: results.length, stopped: false };
}

/** One WordPiece vocabulary for every run, trained once and kept as <sweep>/vocab.txt. */
async function sharedVocabulary(sweep: Sweep, onEvent: (e: SweepEvent) => void): Promise<{ file: string; size: number }> {
  const file = path.join(sweep.out, 'vocab.txt');
  const existing = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) return { file, size: existing.split('\n').filter((l) => l !== '').length };
  const o = resolveOptions({ ...sweep.base, corpus: sweep.corpus, out: sweep.out });
  const corpus = await discoverCorpus(sweep.corpus);
  onEvent({ kind: 'info', message: `training one ${o.vocabSize}-token WordPiece vocabulary for all ${sweep.runs.length} runs` });
  const tokenizer = await trainWordPiece(readTextChunks(corpus.files, o.tokenizerChars), { vocabSize: o.vocabSize, lowercase: o.lowercase, stripAccents: o.lowercase });
  await writeFileAtomic(file, tokenizer.toVocabText());
  return { file, size: tokenizer.vocabSize };
}

/** The run's options; under a FLOP budget, the steps its configuration affords at full-length batches (the most a
 *  step can cost, so no run spends more than the budget). */
export function runOptions(sweep: Sweep, run: PlannedRun, runDir: string, vocab: { file: string; size: number }): PretrainOptions {
  const fixed = { ...run.given, corpus: sweep.corpus, out: runDir, dataSeed: sweep.dataSeed, vocabFile: vocab.file };
  if ('steps' in sweep.budget) return resolveOptions({ ...fixed, steps: sweep.budget.steps });
  const probe = resolveOptions({ ...fixed, steps: 2 });
  const spec = runModelSpec(probe, vocab.size);
  const shape = { batch: probe.batchSize, length: probe.seqLength, slots: maxPredictionsFor(probe.maskProb, probe.seqLength) };
  const cost = (mode: StepMode) => trainingStepFlops(OBJECTIVES[probe.objective], spec.discriminator, spec.generator, shape, mode);
  // Two-stage: half the steps in each stage; adversarial: priced as policy-gradient steps (its warm start costs less).
  const perStep = probe.training === 'two-stage' ? (cost({ phase: 'generator' }) + cost({ phase: 'discriminator' })) / 2
    : cost({ generatorUpdate: probe.training === 'adversarial' ? 'adversarial' : 'mlm' });
  const steps = Math.floor(sweep.budget.flops / perStep);
  if (steps < 1) throw new UserError(`${sweep.specFile}: run ${run.name} needs ${perStep.toExponential(2)} FLOPs per step, more than the budget of ${sweep.budget.flops.toExponential(2)} — raise "budget.flops"`);
  return resolveOptions({ ...fixed, steps });
}

/**
 * Fine-tunes the run's final checkpoint on the spec's task into <run>/finetuned; returns the dev metric after the
 * last epoch (what google-research/electra reports — the best epoch would be chosen on dev) as
 * `finetune_<metric>`.
 */
async function finetuneRun(task: SweepFinetune, checkpoint: string, runDir: string, onEvent: (e: SweepEvent) => void, signal?: AbortSignal): Promise<Record<string, number>> {
  const { regression, ...rest } = task;
  const results = await finetune({ ...rest, checkpoint, out: path.join(runDir, 'finetuned'), kind: regression ? 'regression' : undefined },
    (e) => { if (e.kind === 'info' || e.kind === 'warning') onEvent({ kind: 'info', message: `${path.basename(runDir)}: ${e.message}` }); }, signal);
  const metric = results.options.selectBy;
  const value = results.last_metrics[metric];
  return value === undefined ? {} : { [`finetune_${metric}`]: value };
}

async function readResult(runDir: string): Promise<SweepRunResult | undefined> {
  const text = await fs.readFile(path.join(runDir, SWEEP_RESULT_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as SweepRunResult;
  } catch {
    return undefined; // damaged: evaluate again (the training is kept)
  }
}

/** The same evaluation for every run: held-out text, fixed masking/sampling seed, the same injected swaps. */
async function evaluateRun(sweep: Sweep, run: PlannedRun, runDir: string, onEvent: (e: SweepEvent) => void, signal?: AbortSignal): Promise<SweepRunResult | undefined> {
  const latest = (await listCheckpoints(path.join(runDir, 'checkpoints'))).pop();
  if (!latest) throw new UserError(`${runDir} has no checkpoint to evaluate — delete the folder and run the sweep again`);
  const checkpoint = await loadCheckpoint(latest.dir);
  const options = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as PretrainOptions;
  const evalOptions = {
    corpus: sweep.corpus, seqLength: options.seqLength, batchSize: sweep.eval.batchSize, maxExamples: sweep.eval.maxExamples,
    seed: 1234, heldOutFraction: options.heldOutFraction, packingSeed: sweep.dataSeed, documents: options.documents,
    injectedFraction: sweep.eval.injectedFraction,
  };
  let report: EvalReport;
  try {
    try {
      report = await evaluatePretraining(checkpoint, { ...evalOptions, split: 'heldout' });
    } catch (e) {
      // A corpus too small for a held-out example: every run falls back alike, and the summary says so.
      if (!(isUserError(e) && e.message.startsWith('no held-out examples'))) throw e;
      report = await evaluatePretraining(checkpoint, { ...evalOptions, split: 'all' });
    }
  } finally {
    checkpoint.model.dispose();
  }
  const last = (await readMetrics(runDir)).pop();
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(report.metrics)) if (typeof v === 'number') metrics[k] = v;
  if (report.injected) metrics.injected_found_rate = report.injected.found / report.injected.swapped;
  if (sweep.finetune) Object.assign(metrics, await finetuneRun(sweep.finetune, latest.dir, runDir, onEvent, signal));
  if (signal?.aborted) return undefined;
  return {
    name: run.name, runDir, values: run.values, steps: latest.step, flops: last?.flops ?? 0, wall_time_s: last?.wall_time_s ?? 0,
    split: report.split, examples: report.examples, metrics,
  };
}
