import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; training needs them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { UserError } from '../errors';
import { FINETUNE_DIR } from '../checkpoint/folder';
import { writeFileAtomic } from '../checkpoint/atomic';
import { readElectraFolder, type ElectraFolder } from '../checkpoint/electra-folder';
import { ElectraModel } from '../model/electra';
import { DropoutSeeds } from '../model/layers';
import { isDecayed } from '../model/names';
import { Rng } from '../data/rng';
import { AdamW, learningRateAt } from '../pretrain/optimizer';
import { encodeExamples, type EncodedSplit } from './encode';
import { batchOf, evaluateSplit, taskLoss } from './evaluate';
import type { TaskMetrics } from './metrics';
import { layerRateScale, SequenceClassifier } from './model';
import { resolveFinetuneOptions, type FinetuneOptions, type FinetuneRequest } from './options';
import { CLASSIFIER_ARCHITECTURE, saveClassifier } from './save';
import { finetuneWarnings, majorityBaseline, type MajorityBaseline } from './baselines';
import { labelSet, labelTargets, readTaskFile, taskNameFromFile, type TaskFile } from './tasks';

/** Progress as pretraining reports it (same kinds, so the engine forwards both the same way); every metric is a number. */
export type FinetuneEvent =
  | { kind: 'info' | 'warning'; message: string }
  | { kind: 'step'; step: number; totalSteps: number; loss: number }
  | { kind: 'metrics'; record: Record<string, number> }
  | { kind: 'checkpoint'; step: number; dir: string }
  | { kind: 'done'; step: number; checkpoint: string; stopped: boolean; results: string };

/** `<checkpoint>/finetune/<task>.json`: what the eval panel lists next to the checkpoint. */
export interface FinetuneResults {
  task: string;
  kind: FinetuneOptions['kind'];
  metrics: TaskMetrics;
  best_epoch: number;
  /** The model after the last step (what google-research/electra reports) and its dev metrics. */
  last_epoch: number;
  last_metrics: TaskMetrics;
  /** Which model `output` holds: the best dev epoch's (by options.selectBy). `metrics` are its metrics. */
  saved_model: 'best_dev_epoch';
  epochs: number;
  train_examples: number;
  dev_examples: number;
  output: string;
  labels?: string[];
  stopped: boolean;
  options: FinetuneOptions;
  /** Optimizer steps of the main run (fewer than ~100 gets a warning). */
  optimizer_steps: number;
  /** What the score must beat: the majority answer on dev (classification; always), and with --baseline random-init
   *  the same fine-tuning from a random encoder (its best dev epoch's metrics). */
  baselines: { majority?: MajorityBaseline; random_init?: { metrics: TaskMetrics; best_epoch: number; stopped: boolean } };
  /** Plain lines: too few steps, a score not above the majority answer. */
  warnings: string[];
}

/** More than this share of [UNK] pieces means the checkpoint's vocabulary does not fit the task's text. */
const MAX_UNKNOWN_FRACTION = 0.3;

/**
 * Fine-tunes a checkpoint's encoder with a sequence classification (or regression) head, read top to bottom:
 * options → checkpoint → task files → encoding → model and optimizer → epochs (train, evaluate on dev, keep the
 * best) → results JSON. `signal` stops after the current step: the model so far is evaluated and kept if best.
 */
export async function finetune(request: FinetuneRequest, onEvent: (e: FinetuneEvent) => void = () => {}, signal?: AbortSignal): Promise<FinetuneResults & { results: string }> {
  const source = await readElectraFolder(request.checkpoint);
  const o = resolveFinetuneOptions(request, source.config.hidden_size, taskNameFromFile(request.train));
  const checkpointDir = path.resolve(o.checkpoint);
  const outDir = path.resolve(o.out);
  await checkOutput(outDir, checkpointDir);
  const resultsFile = path.join(checkpointDir, FINETUNE_DIR, `${o.taskName}.json`);
  onEvent({ kind: 'info', message: `fine-tuning ${checkpointDir} (${source.architecture}) on ${o.taskName}` });

  const train = withSwappedPairs(await readTaskFile(o.train, o, 'train'), o.doubleUnordered);
  const dev = await readTaskFile(o.dev, o, 'dev');
  const labels = o.kind === 'classification' ? labelSet(train) : [];
  checkLabels(labels, o);
  const trainTargets = rescaled(labelTargets(train, o.kind, labels, o.train), o.targetRange);
  const devTargets = rescaled(labelTargets(dev, o.kind, labels, o.train), o.targetRange);

  const tokenizer = source.tokenizer;
  const seqLength = Math.min(o.seqLength, source.config.max_position_embeddings);
  const trainSplit = encodeExamples(train.examples, tokenizer, seqLength);
  const devSplit = encodeExamples(dev.examples, tokenizer, seqLength);
  checkVocabulary(trainSplit, o.train, source.folder.dir, onEvent);
  if (trainSplit.truncated > 0) onEvent({ kind: 'info', message: `${trainSplit.truncated} of ${train.examples.length} training examples were cut to ${seqLength} tokens` });
  onEvent({ kind: 'info', message: `${o.kind}: ${train.examples.length} train / ${dev.examples.length} dev examples${labels.length ? `, labels ${labels.join(', ')}` : ''} (columns ${JSON.stringify(train.columns)})` });

  const numLabels = o.kind === 'regression' ? 1 : labels.length;
  let encoder = source.tensors;
  if (o.randomInit) {
    const fresh = ElectraModel.initialise({ discriminator: source.config, embeddingSharing: 'none' }, o.seed);
    encoder = fresh.exportTensors().discriminator;
    fresh.dispose();
  }
  const splits: Splits = { train: trainSplit, dev: devSplit, trainTargets, devTargets, trainCount: train.examples.length };
  const run = await trainOnce(o, source, encoder, numLabels, splits, { outDir, labels, checkpointDir }, onEvent, signal);
  const { step, best, last, diverged } = run;
  let stopped = run.stopped;
  const majority = o.kind === 'classification' ? majorityBaseline(trainTargets, devTargets, labels) : undefined;
  let randomInit: FinetuneResults['baselines']['random_init'];
  if (o.baseline === 'random-init' && !stopped && !diverged && best) {
    onEvent({ kind: 'info', message: `baseline: the same fine-tuning from a randomly initialised encoder (${o.epochs} epochs)` });
    const fresh = ElectraModel.initialise({ discriminator: source.config, embeddingSharing: 'none' }, o.seed);
    const freshEncoder = fresh.exportTensors().discriminator;
    fresh.dispose();
    const base = await trainOnce(o, source, freshEncoder, numLabels, splits, undefined, (e) => {
      // Its steps are not forwarded: a progress bar would run backwards from the main run's last step.
      if (e.kind === 'metrics') onEvent({ kind: 'info', message: `random-init baseline, epoch ${e.record.epoch}: ${o.selectBy} ${e.record[o.selectBy]?.toFixed(4)}` });
    }, signal);
    if (base.best) randomInit = { metrics: base.best.metrics, best_epoch: base.best.epoch, stopped: base.stopped || base.diverged !== undefined };
  }
  if (diverged && !best) throw new UserError(`${diverged}; no epoch finished, nothing was written`);
  if (diverged) stopped = true;
  const results: FinetuneResults = {
    task: o.taskName, kind: o.kind, metrics: best!.metrics, best_epoch: best!.epoch,
    last_epoch: last!.epoch, last_metrics: last!.metrics, saved_model: 'best_dev_epoch', epochs: o.epochs,
    train_examples: train.examples.length, dev_examples: dev.examples.length, output: outDir,
    labels: o.kind === 'classification' ? labels : undefined, stopped, options: { ...o, checkpoint: checkpointDir, out: outDir },
    optimizer_steps: step, baselines: { ...(majority ? { majority } : {}), ...(randomInit ? { random_init: randomInit } : {}) },
    warnings: best ? finetuneWarnings(step, best.metrics, o.selectBy, majority) : [],
  };
  for (const message of results.warnings) onEvent({ kind: 'warning', message });
  await fs.mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFileAtomic(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  if (diverged) {
    throw new UserError(`${diverged}; the best epoch before it (${best!.epoch}) is kept in ${outDir}, results in ${resultsFile}`);
  }
  onEvent({ kind: 'done', step, checkpoint: outDir, stopped, results: resultsFile });
  return { ...results, results: resultsFile };
}

interface Splits {
  train: EncodedSplit;
  dev: EncodedSplit;
  trainTargets: Float32Array;
  devTargets: Float32Array;
  trainCount: number;
}
interface TrainOutcome {
  step: number;
  best?: { epoch: number; metrics: TaskMetrics };
  last?: { epoch: number; metrics: TaskMetrics };
  stopped: boolean;
  diverged?: string;
}

/** One fine-tuning from `encoder`: epochs of training, dev after each, the best epoch saved to `save.outDir`
 *  (a baseline run passes no `save`: only its metrics are kept). */
async function trainOnce(o: FinetuneOptions, source: ElectraFolder, encoder: ElectraFolder['tensors'], numLabels: number, splits: Splits,
  save: { outDir: string; labels: string[]; checkpointDir: string } | undefined, onEvent: (e: FinetuneEvent) => void, signal?: AbortSignal): Promise<TrainOutcome> {
  const tokenizer = source.tokenizer;
  const model = SequenceClassifier.fromEncoder(source.config, encoder, numLabels, o.seed, source.folder.modelPath, o.head);
  const layers = source.config.num_hidden_layers;
  const optimizer = new AdamW(model.params, {
    weightDecay: o.weightDecay, beta1: 0.9, beta2: 0.999, epsilon: o.adamEpsilon, clipNorm: o.clipNorm,
    decays: isDecayed, rateScale: (name) => layerRateScale(name, layers, o.layerDecay),
  });
  const variables = [...model.params.values()];
  const nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));

  const stepsPerEpoch = Math.ceil(splits.trainCount / o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  const warmup = Math.round(totalSteps * o.warmupFraction);
  const rng = new Rng(o.seed);
  const padId = tokenizer.specialIds.pad;
  const about = (epoch: number, metrics: TaskMetrics) => ({ task: o.taskName, kind: o.kind, epoch, metrics, source: save?.checkpointDir });

  let step = 0;
  let best: { epoch: number; metrics: TaskMetrics } | undefined;
  let last: { epoch: number; metrics: TaskMetrics } | undefined;
  let stopped = false;
  let diverged: string | undefined;
  const outDir = save?.outDir;
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= o.epochs && !stopped; epoch++) {
      const order = rng.fork(`epoch:${epoch}`).shuffle(Array.from({ length: splits.trainCount }, (_, i) => i));
      let lossSum = 0, lossCount = 0;
      for (let start = 0; start < order.length; start += o.batchSize) {
        // A step is synchronous tfjs work: let SIGINT/SIGTERM handlers (and the engine's Stop) run between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) {
          stopped = true;
          break;
        }
        step += 1;
        const indices = order.slice(start, start + o.batchSize);
        const batch = batchOf(splits.train.sequences, indices, padId);
        const targets = Float32Array.from(indices, (i) => splits.trainTargets[i]);
        const seeds = new DropoutSeeds(rng.fork(`step:${step}`).nextUint32() % 2147483647);
        const { value, grads } = tf.variableGrads(() => taskLoss(model.logits(batch, seeds), tf.tensor1d(targets), o.kind), variables);
        const loss = value.dataSync()[0];
        value.dispose();
        if (!Number.isFinite(loss)) {
          tf.dispose(Object.values(grads));
          diverged = `the loss became ${loss} at step ${step} — lower the learning rate (--lr ${o.learningRate / 3})`;
          break;
        }
        const named = new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g]));
        optimizer.apply(named, learningRateAt(step - 1, o.learningRate, warmup, totalSteps));
        lossSum += loss;
        lossCount += 1;
        onEvent({ kind: 'step', step, totalSteps, loss });
      }
      // Diverged weights are not evaluated or saved: the best epoch before them stays the output.
      if (diverged) break;
      // A stop mid-epoch still evaluates: the model so far is kept if it is the best one.
      if (lossCount === 0 && best) break;
      const { metrics } = evaluateSplit(model, splits.dev.sequences, splits.devTargets, o.kind, padId);
      const trainLoss: Record<string, number> = lossCount ? { train_loss: lossSum / lossCount } : {};
      onEvent({ kind: 'metrics', record: { step, epoch, ...definedNumbers(metrics), ...trainLoss, elapsed_s: (performance.now() - started) / 1000 } });
      last = { epoch, metrics };
      const score = metrics[o.selectBy] ?? -Infinity;
      if (!best || score > (best.metrics[o.selectBy] ?? -Infinity)) {
        best = { epoch, metrics };
        if (save && outDir) {
          await saveClassifier(outDir, model, tokenizer, o.kind, save.labels, about(epoch, metrics));
          onEvent({ kind: 'checkpoint', step, dir: outDir });
        }
      }
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return { step, best, last, stopped, diverged };
}

/** google-research/electra's double_unordered: every training pair also appears with its texts swapped. */
export function withSwappedPairs(task: TaskFile, double: boolean): TaskFile {
  if (!double || task.examples.every((e) => e.b === undefined)) return task;
  const swapped = task.examples.filter((e) => e.b !== undefined).map((e) => ({ ...e, a: e.b!, b: e.a }));
  return { ...task, examples: [...task.examples, ...swapped] };
}

/** Regression targets from `range` to 0–1 (STS-B's 0–5, as the reference); Pearson and Spearman are unchanged. */
export function rescaled(targets: Float32Array, range: [number, number] | undefined): Float32Array {
  if (!range) return targets;
  const [lo, hi] = range;
  return targets.map((t) => (t - lo) / (hi - lo));
}

/** Refuses to overwrite anything but an earlier fine-tuning output, and the source checkpoint itself. */
async function checkOutput(outDir: string, checkpointDir: string): Promise<void> {
  if (outDir === checkpointDir) throw new UserError(`--out ${outDir} is the checkpoint itself — write the fine-tuned model to another folder`);
  const entries = await fs.readdir(outDir).catch(() => undefined);
  if (!entries || entries.length === 0) return;
  const config = await fs.readFile(path.join(outDir, 'config.json'), 'utf8').catch(() => '');
  if (!config.includes(`"${CLASSIFIER_ARCHITECTURE}"`)) {
    throw new UserError(`--out ${outDir} exists and is not an earlier fine-tuning output — choose an empty or new folder`);
  }
}

function checkLabels(labels: string[], o: FinetuneOptions): void {
  if (o.kind !== 'classification') return;
  if (labels.length < 2) throw new UserError(`${o.train}: every example has the label "${labels[0]}" — a classifier needs at least two labels (or pass --regression for a score)`);
  if (labels.length > 20 && labels.every((l) => Number.isFinite(Number(l))) && labels.some((l) => !Number.isInteger(Number(l)))) {
    throw new UserError(`${o.train}: ${labels.length} distinct numeric labels such as ${labels[1]} look like scores — pass --regression (STS-B style)`);
  }
}

function checkVocabulary(split: EncodedSplit, file: string, checkpointDir: string, onEvent: (e: FinetuneEvent) => void): void {
  const pct = (split.unknownFraction * 100).toFixed(0);
  if (split.unknownFraction > MAX_UNKNOWN_FRACTION) {
    throw new UserError(`${file}: ${pct}% of its word pieces are [UNK] in ${checkpointDir}'s vocabulary — the checkpoint was trained on other text (language or tokenizer); fine-tune a checkpoint whose vocab.txt covers this task`);
  }
  if (split.unknownFraction > 0.05) onEvent({ kind: 'warning', message: `${file}: ${pct}% of its word pieces are [UNK] in the checkpoint's vocabulary` });
}

function definedNumbers(metrics: TaskMetrics): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
}
