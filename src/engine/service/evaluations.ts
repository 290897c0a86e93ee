import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CheckpointEvaluation, EvaluateParams, FinetuneSummary } from '../../protocol';
import { FINETUNE_DIR } from '../checkpoint/folder';
import { UserError } from '../errors';
import type { DocumentBoundary } from '../data/corpus';
import { writeFileAtomic } from '../checkpoint/atomic';
import { evaluatePretraining } from '../eval/pretraining-eval';
import { injectedSentence } from '../eval/injected-corruption';
import type { CheckpointCache } from './checkpoints';

/** Evaluation results live next to the checkpoint they judge, so they travel (and die) with it. */
export const EVAL_DIR = 'eval';

interface RunFacts {
  run: string;
  corpus?: string[];
  seed?: number;
}

/** The run a checkpoint belongs to (`<run>/checkpoints/step-N`), if any. */
async function runOf(checkpoint: string): Promise<RunFacts> {
  const parent = path.dirname(checkpoint);
  if (path.basename(parent) !== 'checkpoints') return { run: '' };
  const runDir = path.dirname(parent);
  const config = await fs.readFile(path.join(runDir, 'run.json'), 'utf8').then((t) => JSON.parse(t) as { corpus?: unknown; seed?: unknown }, () => undefined);
  return {
    run: path.basename(runDir),
    corpus: Array.isArray(config?.corpus) && config.corpus.every((c) => typeof c === 'string') ? config.corpus : undefined,
    seed: typeof config?.seed === 'number' ? config.seed : undefined,
  };
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  return fs.readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => undefined);
}

/** Fine-tuning results written by `electra-lab finetune` into `<checkpoint>/finetune/*.json`. */
export async function finetuneSummaries(checkpoint: string): Promise<FinetuneSummary[]> {
  const dir = path.join(checkpoint, FINETUNE_DIR);
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const out: FinetuneSummary[] = [];
  for (const name of names) {
    const raw = await readJson(path.join(dir, name));
    if (!raw || typeof raw.metrics !== 'object' || raw.metrics === null) continue;
    const metrics = { ...numbers(raw.metrics), ...baselineColumns(raw) };
    out.push({ task: typeof raw.task === 'string' ? raw.task : name.replace(/\.json$/, ''), metrics });
  }
  return out;
}

function numbers(x: object): Record<string, number> {
  return Object.fromEntries(Object.entries(x).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
}

/** The baselines of the metric that chose the epoch, as `majority_<m>` / `random_init_<m>` columns beside the score. */
function baselineColumns(raw: Record<string, unknown>): Record<string, number> {
  const options = (raw.options ?? {}) as { selectBy?: unknown };
  const name = typeof options.selectBy === 'string' ? options.selectBy : 'accuracy';
  const baselines = (typeof raw.baselines === 'object' && raw.baselines !== null ? raw.baselines : {}) as { majority?: unknown; random_init?: { metrics?: unknown } };
  const out: Record<string, number> = {};
  const majority = typeof baselines.majority === 'object' && baselines.majority !== null ? numbers(baselines.majority) : {};
  const random = typeof baselines.random_init?.metrics === 'object' && baselines.random_init.metrics !== null ? numbers(baselines.random_init.metrics) : {};
  if (majority[name] !== undefined) out[`majority_${name}`] = majority[name];
  if (random[name] !== undefined) out[`random_init_${name}`] = random[name];
  return out;
}

function stepOf(checkpoint: string, trainerState: Record<string, unknown> | undefined): number {
  if (typeof trainerState?.step === 'number') return trainerState.step;
  const m = /step-(\d+)$/.exec(checkpoint);
  return m ? Number(m[1]) : 0;
}

/**
 * Pretraining metrics of checkpoints on held-out text, cached on disk per checkpoint and settings: the
 * panel compares many checkpoints, and each evaluation costs a few hundred forward passes.
 */
export class EvaluationService {
  constructor(private readonly checkpoints: CheckpointCache) {}

  /** `allowCorpus` checks the corpus actually read, also when it comes from the run's run.json, not the request. */
  async evaluate(params: EvaluateParams, onProgress: (done: number, total: number) => void, signal: AbortSignal,
    allowCorpus: (corpus: string[]) => Promise<void> = async () => undefined): Promise<CheckpointEvaluation> {
    const dir = path.resolve(params.checkpoint);
    const facts = await runOf(dir);
    const corpus = params.corpus?.length ? params.corpus : facts.corpus;
    if (!corpus) {
      throw new UserError(`${dir} is not inside a run folder (no run.json names its corpus) — choose a corpus to evaluate it on`);
    }
    await allowCorpus(corpus);
    const split = params.split ?? 'heldout';
    const maxExamples = params.maxExamples ?? 256;
    const weights = await fs.stat(path.join(dir, 'model.safetensors')).catch(() => {
      throw new UserError(`${dir} has no model.safetensors — choose a checkpoint folder (config.json, vocab.txt, model.safetensors)`);
    });
    // The key names everything that changes the numbers, including the weights' identity.
    const key = { corpus, split, maxExamples, weights: `${weights.size}:${weights.mtimeMs}` };
    const cacheFile = path.join(dir, EVAL_DIR, `pretraining-${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16)}.json`);
    const finetune = await finetuneSummaries(dir);
    const cached = params.force ? undefined : await readJson(cacheFile);
    if (cached && typeof cached.metrics === 'object') {
      return { ...(cached as unknown as CheckpointEvaluation), finetune, cached: true };
    }

    const checkpoint = await this.checkpoints.get(dir, true);
    const state = (checkpoint.trainerState ?? {}) as { seed?: number; seq_length?: number; held_out_fraction?: number; documents?: DocumentBoundary };
    const report = await evaluatePretraining(checkpoint, {
      corpus, split, maxExamples, seqLength: state.seq_length ?? 128, batchSize: 8, seed: 1234,
      heldOutFraction: state.held_out_fraction ?? 0.02, packingSeed: state.seed ?? facts.seed ?? 42, documents: state.documents ?? 'blank-lines',
      onProgress: (done) => onProgress(done, maxExamples), signal,
    });
    const evaluation: CheckpointEvaluation = {
      checkpoint: dir, step: stepOf(dir, checkpoint.trainerState), run: facts.run, split, corpus,
      examples: report.examples, tokens: report.tokens,
      metrics: Object.fromEntries(Object.entries(report.metrics).filter((e): e is [string, number] => typeof e[1] === 'number')),
      finetune, cached: false, evaluatedAt: new Date().toISOString(),
      ...(report.injected ? { injectedSummary: injectedSentence(report.injected, split) } : {}),
    };
    await fs.mkdir(path.dirname(cacheFile), { recursive: true });
    await writeFileAtomic(cacheFile, JSON.stringify({ ...evaluation, key }, null, 2) + '\n');
    return evaluation;
  }
}
