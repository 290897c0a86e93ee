import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../errors';
import { discoverCorpus, readTextChunks } from '../data/corpus';
import { corpusExamples } from '../data/examples';
import type { DocumentBoundary } from '../data/corpus';
import type { SourcedExample } from '../data/packing';
import { trainExampleStream } from '../data/split';
import { Rng } from '../data/rng';
import { trainWordPiece, WordPieceTokenizer } from '../tokenizer';
import { ElectraModel } from '../model/electra';
import { runModelSpec } from './model-spec';
import { isDecayed } from '../model/names';
import { listCheckpoints, pruneCheckpoints, checkpointDirName } from '../checkpoint/folder';
import { holdRunLock } from '../checkpoint/run-lock';
import { removeStaleTemps, writeFileAtomic } from '../checkpoint/atomic';
import { readSafetensors } from '../checkpoint/safetensors';
import { loadCheckpoint, NonFiniteWeightsError, saveModelCheckpoint } from '../checkpoint/model-io';
import { padBatch } from './batch';
import { maskBatch, maxPredictionsFor, type MaskingOptions } from './masking';
import { OBJECTIVES } from './objectives';
import { AdamW, learningRateAt } from './optimizer';
import { pretrainingStep, type StepSettings } from './step';
import { PretrainingMetricsAccumulator, type IntervalSnapshot, type PretrainingMetrics } from './metrics';
import { corruptionSample } from './samples';
import { trainingStepFlops } from './flops';
import { planAt } from './training-plan';
import { dataSeedOf, resolveOptions, type PretrainOptions } from './options';
import { currentProvenance, readRunRecord, RUN_FILE, writeRunRecord } from './run-record';

/** One line of metrics.jsonl. */
export interface MetricsRecord extends PretrainingMetrics {
  step: number;
  learning_rate: number;
  grad_norm: number;
  tokens_per_sec: number;
  tokens_seen: number;
  /** Training FLOPs so far (matrix products, forward + backward, both networks; docs/compute.md). */
  flops: number;
  examples_seen: number;
  epoch: number;
  elapsed_s: number;
  /** Seconds spent training so far, summed over the sessions of a resumed run (the time it was stopped is not counted). */
  wall_time_s: number;
}

export type TrainerEvent =
  | { kind: 'info' | 'warning'; message: string }
  | { kind: 'step'; step: number; totalSteps: number; loss: number }
  | { kind: 'metrics'; record: MetricsRecord }
  | { kind: 'checkpoint'; step: number; dir: string }
  | { kind: 'done'; step: number; checkpoint: string; stopped: boolean };

/** A logging interval a checkpoint was written in the middle of (`--save-every` not a multiple of `--log-every`, a Stop). */
interface LogIntervalState {
  accumulator: IntervalSnapshot;
  tokens: number;
  seconds: number;
}

/** The state trainer_state.json holds: enough to continue with the same data order and randomness. */
interface TrainerState {
  step: number;
  examples_seen: number;
  tokens_seen: number;
  flops: number;
  elapsed_s: number;
  /** With seq_length and held_out_fraction: what evaluation needs to rebuild the same held-out split. */
  seed: number;
  seq_length: number;
  held_out_fraction: number;
  /** How the corpus was cut into documents (absent: blank lines, the only way before the option). */
  documents?: DocumentBoundary;
  /** Two-stage training: the discriminator has been initialised from the generator. */
  two_stage_initialised?: boolean;
}

export { RUN_FILE };
export const METRICS_FILE = 'metrics.jsonl';
export const SAMPLES_FILE = 'samples.jsonl';
/** Corruption samples written each time: the first rows of that step's batch. */
const SAMPLES_PER_LOG = 3;

/**
 * Pretrains ELECTRA into a run folder, read top to bottom: options → corpus → tokenizer → model →
 * loop (mask, generator, sample, discriminator, update, log, sample, checkpoint). `signal` stops the
 * run after the current step with a checkpoint.
 */
export async function pretrain(
  given: Partial<PretrainOptions> & Pick<PretrainOptions, 'corpus' | 'out'> & { resume?: boolean },
  onEvent: (e: TrainerEvent) => void = () => {},
  signal?: AbortSignal,
): Promise<{ checkpoint: string; step: number; stopped: boolean }> {
  const release = holdRunLock(path.resolve(given.out));
  try {
    return await trainRun(given, onEvent, signal);
  } finally {
    release();
  }
}

async function trainRun(
  given: Partial<PretrainOptions> & Pick<PretrainOptions, 'corpus' | 'out'> & { resume?: boolean },
  onEvent: (e: TrainerEvent) => void,
  signal?: AbortSignal,
): Promise<{ checkpoint: string; step: number; stopped: boolean }> {
  const runDir = path.resolve(given.out);
  const checkpointsDir = path.join(runDir, 'checkpoints');
  const options = given.resume ? await resumeOptions(runDir, given) : await freshOptions(runDir, given);

  // The corpus is checked before anything is written, so a mistyped or binary corpus leaves the folder as it was.
  const corpus = await discoverCorpus(options.corpus);
  for (const w of corpus.warnings) onEvent({ kind: 'warning', message: `${w.file}: ${w.message}` });
  onEvent({ kind: 'info', message: `corpus: ${corpus.files.length} files, ${formatBytes(corpus.files.reduce((s, f) => s + f.bytes, 0))}` });
  const latest = given.resume ? (await listCheckpoints(checkpointsDir)).pop() : undefined;
  if (!given.resume) {
    await fs.mkdir(runDir, { recursive: true });
    await writeRunRecord(runDir, { options, provenance: await currentProvenance(corpus.files) });
  }
  // Lines logged after the step we start from (all of them without a checkpoint) were never kept in a model:
  // a run killed before its first checkpoint replays from step 0 and must not log those steps twice.
  const startStep = latest?.step ?? 0;
  await truncateLog(path.join(runDir, METRICS_FILE), startStep);
  await truncateLog(path.join(runDir, SAMPLES_FILE), startStep);

  // Tokenizer: trained once per run, kept as the run's vocab.txt (a run killed while training it trains it again).
  const vocabPath = path.join(runDir, 'vocab.txt');
  let tokenizer: WordPieceTokenizer;
  if (given.resume && await exists(vocabPath)) {
    tokenizer = WordPieceTokenizer.fromVocabFile(vocabPath, { lowercase: options.lowercase, stripAccents: options.lowercase });
  } else if (options.vocabFile) {
    // A given vocabulary (a sweep trains one for all its runs): the run keeps its own copy, so it stays whole.
    tokenizer = WordPieceTokenizer.fromVocabFile(options.vocabFile, { lowercase: options.lowercase, stripAccents: options.lowercase });
    await writeFileAtomic(vocabPath, tokenizer.toVocabText());
  } else {
    onEvent({ kind: 'info', message: `training a ${options.vocabSize}-token WordPiece vocabulary` });
    tokenizer = await trainWordPiece(readTextChunks(corpus.files, options.tokenizerChars), {
      vocabSize: options.vocabSize, lowercase: options.lowercase, stripAccents: options.lowercase,
    });
    await writeFileAtomic(vocabPath, tokenizer.toVocabText());
    if (tokenizer.vocabSize < options.vocabSize) {
      onEvent({ kind: 'warning', message: `the corpus supports only ${tokenizer.vocabSize} vocabulary entries (asked ${options.vocabSize})` });
    }
  }

  // Model and optimizer: fresh, or from the last complete checkpoint.
  const objective = OBJECTIVES[options.objective];
  const spec = runModelSpec(options, tokenizer.vocabSize);
  let model: ElectraModel;
  let state: TrainerState = { step: 0, examples_seen: 0, tokens_seen: 0, flops: 0, elapsed_s: 0, seed: dataSeedOf(options), seq_length: options.seqLength, held_out_fraction: options.heldOutFraction, documents: options.documents };
  let optimizerState: Map<string, { shape: number[]; data: Float32Array }> | undefined;
  let optimizerFile = '';
  let resumedInterval: Partial<LogIntervalState> | undefined;
  if (latest) {
    const loaded = await loadCheckpoint(latest.dir);
    model = loaded.model;
    const { log_interval: keptInterval, ...kept } = (loaded.trainerState ?? {}) as Partial<TrainerState> & { log_interval?: Partial<LogIntervalState> };
    state = { ...state, ...kept };
    resumedInterval = keptInterval;
    if (loaded.optimizerPath) {
      optimizerFile = loaded.optimizerPath;
      optimizerState = (await readSafetensors(loaded.optimizerPath, { requireFinite: true })).tensors;
    }
    onEvent({ kind: 'info', message: `resuming from ${latest.dir} (step ${state.step})` });
  } else {
    if (given.resume) onEvent({ kind: 'info', message: 'no complete checkpoint yet: starting the run from step 0' });
    model = ElectraModel.initialise(spec, options.seed);
  }
  const named = model.namedVariables();
  const variableNames = new Map([...named].map(([name, v]) => [v, name]));
  const optimizer = new AdamW(named, {
    weightDecay: options.weightDecay, beta1: 0.9, beta2: 0.999, epsilon: options.adamEpsilon, clipNorm: options.clipNorm,
    decays: (name) => isDecayed(name.slice(name.indexOf('/') + 1)),
  });
  if (optimizerState) optimizer.importState(optimizerState, optimizerFile);

  // Data: an endless, shuffled, resumable stream of packed examples from the train split.
  const makeExamples = corpusExamples(corpus.files, tokenizer, {
    maxSeqLength: options.seqLength, seed: dataSeedOf(options), documents: options.documents, onWarning: (w) => onEvent({ kind: 'warning', message: `${w.file}: ${w.message}` }),
  });
  const stream = trainExampleStream<SourcedExample>(makeExamples, {
    seed: dataSeedOf(options), shuffleBufferSize: 2000, heldOutFraction: options.heldOutFraction, startAt: state.examples_seen,
  });

  const masking: MaskingOptions = {
    maskProb: options.maskProb, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(options.maskProb, options.seqLength),
    maskId: tokenizer.specialIds.mask, isSpecial: (id) => tokenizer.isSpecial(id),
    rule: options.masking, unkId: tokenizer.specialIds.unk,
  };
  const settings: StepSettings = {
    objective, generatorWeight: options.generatorWeight,
    discriminatorWeight: options.discriminatorWeight, temperature: options.temperature,
  };
  const rng = new Rng(options.seed);
  const saveCheckpointAt = async (step: number) => {
    const dir = path.join(checkpointsDir, checkpointDirName(step));
    // A checkpoint between two logged steps keeps the interval so far: the next line after a resume is the same.
    const log_interval: LogIntervalState | undefined = interval.isEmpty ? undefined
      : { accumulator: interval.snapshot(), tokens: intervalTokens, seconds: (performance.now() - intervalStart) / 1000 };
    await saveModelCheckpoint(dir, model, tokenizer, options.objective, { trainerState: { ...state, log_interval }, optimizer: optimizer.exportState() });
    await pruneCheckpoints(checkpointsDir, options.keepCheckpoints);
    onEvent({ kind: 'checkpoint', step, dir });
    return dir;
  };

  const restored = PretrainingMetricsAccumulator.restore(resumedInterval?.accumulator);
  let interval = restored ?? new PretrainingMetricsAccumulator();
  let intervalTokens = restored ? Number(resumedInterval?.tokens) || 0 : 0;
  let intervalStart = performance.now() - (restored ? Number(resumedInterval?.seconds) || 0 : 0) * 1000;
  let lastCheckpoint = latest?.dir ?? '';
  let lastCheckpointStep = latest ? state.step : -1;
  let stopped = false;
  let epoch = 0;
  let firstLoss: number | undefined;
  const runStart = performance.now() - state.elapsed_s * 1000;
  try {
    while (state.step < options.steps) {
      if (signal?.aborted) {
        stopped = true;
        break;
      }
      const examples: SourcedExample[] = [];
      while (examples.length < options.batchSize) {
        const next = await stream.next();
        if (next.done) throw new Error('the training stream ended');
        examples.push(next.value);
        epoch = next.value.epoch;
      }
      const step = state.step + 1;
      const plan = planAt(options, step);
      if (plan.phase === 'discriminator' && !state.two_stage_initialised) {
        const copied = model.initialiseDiscriminatorFromGenerator();
        state = { ...state, two_stage_initialised: true };
        // The loss changes meaning (MLM alone → MLM + 50 × RTD): divergence is judged against the new stage's start.
        firstLoss = undefined;
        onEvent({ kind: 'info', message: `two-stage: the discriminator starts from the generator's ${copied} encoder tensors; the generator is frozen from step ${step}` });
      }
      const batch = padBatch(examples, tokenizer.specialIds.pad);
      const masked = maskBatch(batch, rng.fork(`mask:${step}`), masking);
      const stageWarmup = Math.round(options.warmupSteps * plan.stageSteps / options.steps);
      const lr = learningRateAt(state.step - plan.stageStart, options.learningRate, stageWarmup, plan.stageSteps);
      const out = pretrainingStep(model, batch, masked, { ...settings, phase: plan.phase, generatorUpdate: plan.generatorUpdate }, rng.fork(`step:${step}`).nextUint32() % 2147483647, {
        variableNames,
        applyGradients: (grads) => optimizer.apply(grads, lr),
      });
      firstLoss ??= out.loss;
      const why = divergence(out.loss, out.gradNorm, firstLoss);
      if (why) throw divergedError(`${why} at step ${step}`, lastCheckpoint);
      const tokens = batch.attentionMask.reduce((s, v) => s + v, 0);
      state = {
        ...state, step, examples_seen: state.examples_seen + examples.length, tokens_seen: state.tokens_seen + tokens,
        flops: state.flops + trainingStepFlops(objective, spec.discriminator, spec.generator, { batch: batch.size, length: batch.length, slots: masked.slots }, plan),
        elapsed_s: (performance.now() - runStart) / 1000,
      };
      interval.add(out);
      intervalTokens += tokens;
      onEvent({ kind: 'step', step, totalSteps: options.steps, loss: out.loss });

      if (step % options.logEvery === 0 || step === options.steps) {
        const seconds = (performance.now() - intervalStart) / 1000;
        const record: MetricsRecord = {
          step, ...interval.result(), learning_rate: lr, grad_norm: out.gradNorm ?? 0,
          tokens_per_sec: intervalTokens / Math.max(1e-9, seconds), tokens_seen: state.tokens_seen, flops: state.flops,
          examples_seen: state.examples_seen, epoch, elapsed_s: state.elapsed_s, wall_time_s: state.elapsed_s,
        };
        await fs.appendFile(path.join(runDir, METRICS_FILE), JSON.stringify(roundRecord(record)) + '\n');
        onEvent({ kind: 'metrics', record });
        interval = new PretrainingMetricsAccumulator();
        intervalTokens = 0;
        intervalStart = performance.now();
      }
      if (step % options.sampleEvery === 0 || step === 1) {
        const rows = Array.from({ length: Math.min(SAMPLES_PER_LOG, batch.size) }, (_, row) =>
          JSON.stringify({ step, row, tokens: corruptionSample(out, tokenizer, row, batch.length, batch.inputIds) }) + '\n');
        await fs.appendFile(path.join(runDir, SAMPLES_FILE), rows.join(''));
      }
      if (step % options.saveEvery === 0 || step === options.steps) {
        lastCheckpoint = await saveCheckpointAt(step);
        lastCheckpointStep = step;
      }
    }
    if (stopped && lastCheckpointStep !== state.step) lastCheckpoint = await saveCheckpointAt(state.step);
  } catch (e) {
    if (e instanceof NonFiniteWeightsError) throw divergedError(`the weights became NaN or Inf (${e.tensor}) at step ${state.step}`, lastCheckpoint);
    throw e;
  } finally {
    await stream.return(undefined);
    optimizer.dispose();
    model.dispose();
  }
  onEvent({ kind: 'done', step: state.step, checkpoint: lastCheckpoint, stopped });
  return { checkpoint: lastCheckpoint, step: state.step, stopped };
}

/**
 * A new run's options. A folder that already holds a run with a checkpoint is refused (--resume continues it); one
 * whose start failed before any checkpoint (bad corpus, killed while training the tokenizer) is started over.
 */
async function freshOptions(runDir: string, given: Partial<PretrainOptions> & Pick<PretrainOptions, 'corpus' | 'out'>): Promise<PretrainOptions> {
  const options = resolveOptions({ ...given, corpus: given.corpus.map((c) => path.resolve(c)), out: runDir });
  const runFile = path.join(runDir, RUN_FILE);
  if (await exists(runFile) && (await listCheckpoints(path.join(runDir, 'checkpoints'))).length > 0) {
    throw new UserError(`${runFile} already exists with checkpoints — pass --resume to continue that run, or choose another --out`);
  }
  return options;
}

/** A resumed run keeps its recorded options; only the step budget may be raised. */
async function resumeOptions(runDir: string, given: Partial<PretrainOptions>): Promise<PretrainOptions> {
  const { options: recorded, provenance } = await readRunRecord(runDir, '--resume needs the folder of an earlier pretraining run');
  await removeStaleTemps(path.join(runDir, 'checkpoints')).catch(() => undefined);
  // Runs recorded before `documents` existed were packed with blank lines ending documents, and those before
  // `masking` masked distinct positions: keep their data order and masking.
  const options = resolveOptions({
    ...recorded, documents: recorded.documents ?? 'blank-lines', masking: recorded.masking ?? 'distinct',
    steps: given.steps ?? recorded.steps,
  });
  if (options.steps !== recorded.steps) await writeRunRecord(runDir, { options, provenance });
  return options;
}

/**
 * A loss this many times the run's first one is divergence, not noise: ELECTRA's losses fall from the start (a
 * spike during warm-up stays within 2×), while a learning rate of 0.99 ran the loss up to 7e7.
 */
const EXPLODING_LOSS_FACTOR = 20;

function divergence(loss: number, gradNorm: number | undefined, firstLoss: number): string | undefined {
  if (!Number.isFinite(loss)) return `the loss became ${loss}`;
  if (gradNorm !== undefined && !Number.isFinite(gradNorm)) return `the gradient norm became ${gradNorm}`;
  if (loss > EXPLODING_LOSS_FACTOR * Math.max(firstLoss, 1e-3)) return `the loss exploded to ${loss.toPrecision(3)} (${firstLoss.toPrecision(3)} at the start)`;
  return undefined;
}

/** The run stops; the user is pointed to the newest checkpoint, which was written only if its weights were finite. */
function divergedError(what: string, lastCheckpoint: string): UserError {
  const keep = lastCheckpoint ? `the last good checkpoint is ${lastCheckpoint}` : 'no checkpoint was written';
  return new UserError(`training diverged: ${what} — ${keep}; start again with a lower --lr (or a smaller --clip-norm)`);
}

/** Drops log lines written after the checkpoint a run resumes from, so the logs match the model. */
async function truncateLog(file: string, lastStep: number): Promise<void> {
  if (!(await exists(file))) return;
  const lines = (await fs.readFile(file, 'utf8')).split('\n').filter((line) => {
    if (!line.trim()) return false;
    try {
      return (JSON.parse(line) as { step: number }).step <= lastStep;
    } catch {
      return false;
    }
  });
  await writeFileAtomic(file, lines.map((l) => l + '\n').join(''));
}

function roundRecord(record: MetricsRecord): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Number.isInteger(v) ? v : Number((v as number).toPrecision(6))]));
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** Reads metrics.jsonl (for eval reports and tests). */
export async function readMetrics(runDir: string): Promise<MetricsRecord[]> {
  const text = await fs.readFile(path.join(runDir, METRICS_FILE), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as MetricsRecord);
}

