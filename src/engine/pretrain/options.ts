import { UserError } from '../errors';
import { EMBEDDING_SHARINGS, generatorConfig, PRESET_NAMES, presetConfig, type EmbeddingSharing, type PresetName } from '../model/config';
import type { BackendRequest } from '../backend';
import type { DocumentBoundary } from '../data/corpus';
import { OBJECTIVE_NAMES, OBJECTIVES, type ObjectiveName } from './objectives';
import { MASKING_RULES, type MaskingRule } from './masking';
import { TRAININGS, type Training } from './training-plan';

/** Everything that defines a pretraining run: saved as run.json, so a run can be resumed and compared. */
export interface PretrainOptions {
  corpus: string[];
  out: string;
  preset: PresetName;
  steps: number;
  batchSize: number;
  seqLength: number;
  vocabSize: number;
  objective: ObjectiveName;
  embeddingSharing: EmbeddingSharing;
  /** Generator width and depth as fractions of the discriminator's (0.25 and 1.0 in the paper's small model). */
  genWidth: number;
  genDepth: number;
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  /** Adam's epsilon (1e-6 in google-research/electra). */
  adamEpsilon: number;
  /** Global gradient-norm clip (1.0 in google-research/electra). */
  clipNorm: number;
  maskProb: number;
  /** Which positions are predicted: google-research/electra's rule (with replacement, [UNK] maskable) or the
   *  project's earlier `distinct` rule (see masking.ts). */
  masking: MaskingRule;
  generatorWeight: number;
  discriminatorWeight: number;
  temperature: number;
  seed: number;
  backend: BackendRequest;
  logEvery: number;
  sampleEvery: number;
  saveEvery: number;
  keepCheckpoints: number;
  heldOutFraction: number;
  lowercase: boolean;
  /** Characters of the corpus read to train the WordPiece vocabulary. */
  tokenizerChars: number;
  /**
   * What ends a document when examples are packed: the file (default) or a blank line (google-research/electra's
   * one-sentence-per-line format; runs recorded before this option existed used it).
   */
  documents: DocumentBoundary;
  /** Seeds the packing, the held-out split and the data order; absent = `seed`. A sweep fixes it so runs that differ
   *  in `seed` (init, masking, sampling, dropout) still train and evaluate on the same examples. */
  dataSeed?: number;
  /** An existing vocab.txt to use instead of training one (a sweep's runs share one vocabulary). */
  vocabFile?: string;
  /** ELECTRA's joint training, or one of the paper's alternatives (training-plan.ts); absent = `joint`. */
  training?: Training;
  /** Adversarial training's warm start: steps of ordinary MLM before the policy gradient takes over. */
  adversarialWarmup?: number;
}

export function dataSeedOf(o: Pick<PretrainOptions, 'seed' | 'dataSeed'>): number {
  return o.dataSeed ?? o.seed;
}

/** Per-preset defaults (google-research/electra: lr 5e-4 small, 2e-4 base; vocab 30522; Base's generator is
 *  1/3 as wide — 256, 4 heads — and Base trains on 512-token sequences). */
const PRESET_DEFAULTS: Record<PresetName, Pick<PretrainOptions, 'learningRate' | 'vocabSize'>
  & Partial<Pick<PretrainOptions, 'genWidth' | 'seqLength'>>> = {
  // tiny: measured here, 1e-3 and above keep the discriminator at the all-"original" plateau for 600+ steps at batch 16.
  tiny: { learningRate: 2e-4, vocabSize: 4000 },
  small: { learningRate: 5e-4, vocabSize: 30522 },
  base: { learningRate: 2e-4, vocabSize: 30522, genWidth: 1 / 3, seqLength: 512 },
};

export function resolveOptions(given: Partial<PretrainOptions> & Pick<PretrainOptions, 'corpus' | 'out'>): PretrainOptions {
  const preset = given.preset ?? 'small';
  if (!PRESET_NAMES.includes(preset)) throw new UserError(`unknown preset "${preset}" — use one of ${PRESET_NAMES.join(', ')}`);
  const steps = given.steps ?? 1000;
  const o: PretrainOptions = {
    preset,
    steps,
    batchSize: 8,
    seqLength: 128,
    objective: 'electra',
    embeddingSharing: 'tied',
    genWidth: 0.25,
    genDepth: 1.0,
    warmupSteps: Math.round(steps * 0.1),
    weightDecay: 0.01,
    adamEpsilon: 1e-6,
    clipNorm: 1.0,
    maskProb: 0.15,
    masking: 'electra',
    generatorWeight: 1,
    discriminatorWeight: 50,
    temperature: 1,
    seed: 42,
    backend: 'auto',
    logEvery: 10,
    sampleEvery: 200,
    saveEvery: 500,
    keepCheckpoints: 3,
    heldOutFraction: 0.02,
    lowercase: true,
    tokenizerChars: 20_000_000,
    documents: 'file',
    ...PRESET_DEFAULTS[preset],
    ...stripUndefined(given),
    corpus: given.corpus,
    out: given.out,
  };
  validate(o);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validate(o: PretrainOptions): void {
  const positiveInts: (keyof PretrainOptions)[] = ['steps', 'batchSize', 'seqLength', 'vocabSize', 'logEvery', 'sampleEvery', 'saveEvery', 'keepCheckpoints'];
  for (const key of positiveInts) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new UserError(`--${flagName(key)} must be a positive integer, got ${String(v)}`);
  }
  if (o.seqLength < 8 || o.seqLength > 512) throw new UserError(`--seq ${o.seqLength} must be between 8 and 512 (max_position_embeddings)`);
  checkTokensPerStep(o.batchSize, o.seqLength);
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new UserError(`--warmup ${o.warmupSteps} must be a non-negative integer`);
  checkOptimizerNumbers(o);
  if (!(o.genWidth > 0 && o.genWidth <= 1)) throw new UserError(`--gen-width ${o.genWidth} must be in (0, 1]`);
  if (!(o.genDepth > 0 && o.genDepth <= 1)) throw new UserError(`--gen-depth ${o.genDepth} must be in (0, 1]`);
  if (!(o.temperature > 0 && Number.isFinite(o.temperature))) throw new UserError(`temperature ${o.temperature} must be a positive number`);
  if (!(o.generatorWeight >= 0 && o.discriminatorWeight >= 0)) throw new UserError('generator and discriminator loss weights must be non-negative numbers');
  if (!Number.isInteger(o.tokenizerChars) || o.tokenizerChars <= 0) throw new UserError(`tokenizerChars ${o.tokenizerChars} must be a positive integer`);
  if (o.vocabSize < 100) throw new UserError(`--vocab-size ${o.vocabSize} is too small — use at least 100`);
  if (!OBJECTIVE_NAMES.includes(o.objective)) throw new UserError(`unknown objective "${o.objective}" — use one of ${OBJECTIVE_NAMES.join(', ')}`);
  if (!EMBEDDING_SHARINGS.includes(o.embeddingSharing)) throw new UserError(`unknown --embedding-sharing "${o.embeddingSharing}" — use tied, none, gdes or all`);
  if (o.embeddingSharing === 'all' && OBJECTIVES[o.objective]?.usesGenerator && (o.genWidth !== 1 || o.genDepth !== 1)) {
    throw new UserError(`--embedding-sharing all shares the whole encoder, so the generator must be the discriminator's size — add --gen-width 1 --gen-depth 1 (got ${o.genWidth}, ${o.genDepth})`);
  }
  if (!(o.learningRate > 0 && o.learningRate < 1)) throw new UserError(`--lr ${o.learningRate} must be in (0, 1)`);
  if (!(o.maskProb > 0 && o.maskProb < 1)) throw new UserError(`--mask-prob ${o.maskProb} must be in (0, 1)`);
  if (!(o.heldOutFraction >= 0 && o.heldOutFraction < 0.5)) throw new UserError(`held-out fraction ${o.heldOutFraction} must be in [0, 0.5)`);
  if (!MASKING_RULES.includes(o.masking)) throw new UserError(`--masking ${String(o.masking)} — use ${MASKING_RULES.join(' or ')}`);
  if (!Number.isInteger(o.seed)) throw new UserError(`--seed ${o.seed} must be an integer`);
  if (o.dataSeed !== undefined && !Number.isInteger(o.dataSeed)) throw new UserError(`data seed ${o.dataSeed} must be an integer`);
  if (o.documents !== 'file' && o.documents !== 'blank-lines') throw new UserError(`--documents ${String(o.documents)} — use file or blank-lines`);
  if (o.corpus.length === 0) throw new UserError('no corpus given — pass --corpus <file|folder|glob>');
  checkTraining(o);
  // The generator's shape is refused before the run folder or the vocabulary exists.
  if (OBJECTIVES[o.objective].usesGenerator) generatorConfig(presetConfig(o.preset, o.vocabSize), o.genWidth, o.genDepth);
}

/** The training alternatives' own requirements (the paper's: two-stage copies the generator into the discriminator). */
function checkTraining(o: PretrainOptions): void {
  const training = o.training ?? 'joint';
  if (!TRAININGS.includes(training)) throw new UserError(`--training ${String(training)} — use ${TRAININGS.join(', ')}`);
  if (training === 'joint') return;
  if (o.objective !== 'electra' && o.objective !== 'electra-15') throw new UserError(`--training ${training} trains ELECTRA's generator and discriminator — use --objective electra or electra-15 (got ${o.objective})`);
  if (training === 'two-stage') {
    if (o.genWidth !== 1 || o.genDepth !== 1) throw new UserError(`--training two-stage initialises the discriminator from the generator, so they must be the same size — add --gen-width 1 --gen-depth 1`);
    if (o.embeddingSharing !== 'none') throw new UserError(`--training two-stage freezes the generator while the discriminator trains, so they cannot share weights — add --embedding-sharing none (got ${o.embeddingSharing})`);
    if (o.steps < 2) throw new UserError('--training two-stage needs at least 2 steps (half for each stage)');
  }
  const warmup = o.adversarialWarmup ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) throw new UserError(`--adversarial-warmup ${warmup} must be a non-negative integer`);
}

/**
 * Tokens one step may hold. Activations grow with batch × sequence (and the attention scores with the sequence's
 * square): ELECTRA-Small's paper setting is 128 × 128 = 16,384; 4× that still fits the wasm backend's 4 GB heap for
 * the presets, while `--batch 100000` would spend minutes gathering examples and gigabytes before its first step.
 */
export const MAX_TOKENS_PER_STEP = 65_536;

export function checkTokensPerStep(batch: number, seq: number): void {
  if (batch * seq > MAX_TOKENS_PER_STEP) {
    throw new UserError(`--batch ${batch} × --seq ${seq} = ${batch * seq} tokens per step is over the ${MAX_TOKENS_PER_STEP} that fit in memory — lower --batch or --seq (ELECTRA-Small trains at 128 × 128)`);
  }
}

/** Adam's ε, the gradient clip, weight decay: values outside these ranges give NaN or silently no training. */
export function checkOptimizerNumbers(o: { adamEpsilon: number; clipNorm: number; weightDecay: number }): void {
  if (!(o.adamEpsilon > 0 && o.adamEpsilon < 1)) throw new UserError(`--adam-epsilon ${o.adamEpsilon} must be in (0, 1) — 0 divides by zero and writes NaN weights; google uses 1e-6`);
  if (!(o.clipNorm > 0 && Number.isFinite(o.clipNorm))) throw new UserError(`--clip-norm ${o.clipNorm} must be a positive number (1.0 in google-research/electra)`);
  if (!(o.weightDecay >= 0 && o.weightDecay < 1)) throw new UserError(`weight decay ${o.weightDecay} must be in [0, 1)`);
}

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
