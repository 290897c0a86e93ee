import { UserError } from '../errors';
import { discoverCorpus } from '../data/corpus';
import { corpusExamples } from '../data/examples';
import type { DocumentBoundary } from '../data/corpus';
import { splitStream } from '../data/split';
import { Rng } from '../data/rng';
import type { SourcedExample } from '../data/packing';
import type { LoadedCheckpoint } from '../checkpoint/model-io';
import { padBatch } from '../pretrain/batch';
import { maskBatch, maxPredictionsFor } from '../pretrain/masking';
import { OBJECTIVES, hasDiscriminatorHead } from '../pretrain/objectives';
import { pretrainingStep } from '../pretrain/step';
import { PretrainingMetricsAccumulator, type PretrainingMetrics } from '../pretrain/metrics';
import { InjectedCorruption, type InjectedCorruptionReport } from './injected-corruption';
import { aucInterval, smallSplitWarning, wilsonInterval, type Interval } from './intervals';

export interface EvalOptions {
  corpus: string[];
  /** `heldout`: the split pretraining never trained on (same hash as the trainer); `all`: every example. */
  split: 'heldout' | 'all';
  seqLength: number;
  batchSize: number;
  maxExamples: number;
  seed: number;
  heldOutFraction: number;
  /** How training cut the corpus into documents (the held-out split depends on it). */
  documents: DocumentBoundary;
  /** The packing seed of the run that made the checkpoint: example boundaries, and so the held-out split, depend on it. */
  packingSeed: number;
  /** Fraction of words swapped for the injected-corruption measure (default 0.1; 0 skips it). */
  injectedFraction?: number;
  /** Called after each batch with the examples done (of at most maxExamples). */
  onProgress?: (done: number) => void;
  /** Checked between batches: an aborted evaluation ends with a UserError and writes nothing. */
  signal?: AbortSignal;
}

export interface EvalReport {
  checkpoint: string;
  split: 'heldout' | 'all';
  examples: number;
  tokens: number;
  /** Metrics, with the injected-corruption figures as injected_auc/_found/_swapped/_chance, and 95% intervals as
   *  disc_accuracy_low/_high (Wilson), disc_auc_low/_high and injected_auc_low/_high (Hanley–McNeil). */
  metrics: PretrainingMetrics & Record<string, number | undefined>;
  /** Words swapped for other vocabulary words, found by the discriminator (absent for an MLM-only checkpoint). */
  injected?: InjectedCorruptionReport;
  /** Set when the split has fewer than ~2,000 tokens: one plain line saying the figures are rough. */
  warning?: string;
}

/**
 * Pretraining metrics of a checkpoint on a corpus, with masking and sampling fixed by the seed so
 * checkpoints are compared on identical corruptions. No dropout, no updates.
 */
export async function evaluatePretraining(checkpoint: LoadedCheckpoint, options: EvalOptions, onWarning?: (m: string) => void): Promise<EvalReport> {
  const { model, tokenizer } = checkpoint;
  // ELECTRA 15% trains its discriminator on masked positions only; it is evaluated, like every
  // discriminator, on all real tokens — the view fine-tuning and heatmaps use.
  const trained = OBJECTIVES[checkpoint.objective];
  const objective = trained.main === 'rtd-masked' ? OBJECTIVES.electra : trained;
  if (objective.usesGenerator && !model.generator) throw new UserError(`${checkpoint.dir} has no generator — pretraining metrics need ELECTRA Lab's generator.safetensors`);
  const corpus = await discoverCorpus(options.corpus);
  for (const w of corpus.warnings) onWarning?.(`${w.file}: ${w.message}`);
  const examples = corpusExamples(corpus.files, tokenizer, { maxSeqLength: options.seqLength, seed: options.packingSeed, documents: options.documents, onWarning: (w) => onWarning?.(`${w.file}: ${w.message}`) })();
  const selected = options.split === 'heldout' ? splitStream(examples, 'heldout', options.heldOutFraction) : examples;

  const rng = new Rng(options.seed);
  const accumulator = new PretrainingMetricsAccumulator();
  let count = 0;
  let tokens = 0;
  let pending: SourcedExample[] = [];
  const fraction = options.injectedFraction ?? 0.1;
  const injected = fraction > 0 && hasDiscriminatorHead(objective.mainHead) ? new InjectedCorruption(model, tokenizer, { fraction, seed: options.seed }) : undefined;
  const runBatch = () => {
    const batch = padBatch(pending, tokenizer.specialIds.pad);
    const masked = maskBatch(batch, rng.fork(`eval:${count}`), {
      maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, options.seqLength),
      maskId: tokenizer.specialIds.mask, isSpecial: (id) => tokenizer.isSpecial(id), unkId: tokenizer.specialIds.unk,
    });
    accumulator.add(pretrainingStep(model, batch, masked, { objective, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 }, options.seed + count));
    injected?.add(batch);
    count += pending.length;
    tokens += batch.attentionMask.reduce((s, v) => s + v, 0);
    pending = [];
  };
  for await (const example of selected) {
    pending.push(example);
    if (pending.length === options.batchSize) {
      runBatch();
      options.onProgress?.(count);
      // Yield so a server sees cancellation and other requests between batches.
      await new Promise((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) throw new UserError(`evaluation of ${checkpoint.dir} cancelled`);
    }
    if (count + pending.length >= options.maxExamples) break;
  }
  if (pending.length > 0) runBatch();
  if (count === 0) {
    throw new UserError(`no ${options.split === 'heldout' ? 'held-out ' : ''}examples in ${options.corpus.join(' ')} — ${options.split === 'heldout' ? 'use --split all, or ' : ''}add more text`);
  }
  const found = injected?.result();
  const metrics: EvalReport['metrics'] = { ...accumulator.result() };
  if (found) Object.assign(metrics, { injected_auc: found.auc, injected_found: found.found, injected_swapped: found.swapped, injected_chance: found.chance });
  addIntervals(metrics, accumulator.discriminatorCount, found);
  const warning = smallSplitWarning(tokens, options.split, metrics);
  return { checkpoint: checkpoint.dir, split: options.split, examples: count, tokens, metrics, injected: found, ...(warning ? { warning } : {}) };
}

/** 95% intervals next to accuracy and AUC, as `<metric>_low` / `<metric>_high` (see intervals.ts for the methods). */
function addIntervals(metrics: Record<string, number | undefined>, n: number, injected: InjectedCorruptionReport | undefined): void {
  const put = (name: string, [low, high]: Interval) => Object.assign(metrics, { [`${name}_low`]: low, [`${name}_high`]: high });
  const accuracy = metrics.disc_accuracy, auc = metrics.disc_auc, replaced = metrics.replaced_fraction;
  if (n > 0 && accuracy !== undefined) put('disc_accuracy', wilsonInterval(Math.round(accuracy * n), n));
  if (n > 0 && auc !== undefined && replaced !== undefined) {
    const positives = Math.round(replaced * n);
    put('disc_auc', aucInterval(auc, positives, n - positives));
  }
  if (injected) put('injected_auc', injected.auc_interval);
}
