import { UserError } from '../errors';
import { defaultLearningRate, glueDefaults } from './glue';

export { defaultLearningRate };
import { checkOptimizerNumbers, checkTokensPerStep } from '../pretrain/options';

import type { TaskKind } from '../../finetune-defaults';

export type { TaskKind };
export type SelectionMetric = 'accuracy' | 'f1' | 'mcc' | 'pearson' | 'spearman';

/** Everything that defines a fine-tuning run; recorded in the results JSON as `options`. */
export interface FinetuneOptions {
  checkpoint: string;
  train: string;
  dev: string;
  out: string;
  taskName: string;
  /** Column names or 0-based indices (TSV), keys (JSONL); absent = guessed from GLUE's usual headers. */
  textA?: string;
  textB?: string;
  label?: string;
  kind: TaskKind;
  epochs: number;
  learningRate: number;
  /** google-research/electra's layerwise_lr_decay: layer i of n trains at lr · decay^(n + 2 − (i + 1)). */
  layerDecay: number;
  batchSize: number;
  seqLength: number;
  warmupFraction: number;
  weightDecay: number;
  adamEpsilon: number;
  clipNorm: number;
  seed: number;
  /** The dev metric that picks the best epoch. */
  selectBy: SelectionMetric;
  /** Start from a randomly initialised encoder of the checkpoint's shape (the no-pretraining baseline). */
  randomInit: boolean;
  /** `random-init`: after the main run, fine-tune the same way from a random encoder and record its score. */
  baseline: 'none' | 'random-init';
  /** Train on every pair twice, the second time swapped (google-research/electra's double_unordered; MRPC, STS-B). */
  doubleUnordered: boolean;
  /** Regression targets in this range are rescaled to 0–1 for training (STS-B: [0, 5], as the reference). */
  targetRange?: [number, number];
  /** `hf`: Hugging Face's ElectraClassificationHead (dense–GELU–dense; exports to transformers). `dense`:
   *  google-research/electra's one dense layer on [CLS] (not loadable by transformers' class). */
  head: ClassifierHeadKind;
}

export type ClassifierHeadKind = 'hf' | 'dense';

/**
 * Adam's ε: google-research/electra's 1e-6 for Small and up. A 2-layer, 128-wide encoder behind a fresh head
 * (weights ~0.02) gets gradients of ~1e-6 per parameter, and without bias correction √v starts ~30× below
 * |g|, so ε = 1e-6 all but freezes the encoder: measured on test/finetune.test.ts' topic task, dev accuracy
 * stayed at the majority answer (56.2%; 60.1% in one epoch) over 10 epochs at ε 1e-6 and reached 65.3% in 3 at ε 1e-8 (HF's default).
 */
export function defaultAdamEpsilon(hiddenSize: number): number {
  return hiddenSize <= 128 ? 1e-8 : 1e-6;
}

export function defaultSelection(kind: TaskKind, taskName: string): SelectionMetric {
  if (kind === 'regression') return 'spearman';
  // GLUE scores CoLA by MCC: its labels are imbalanced (70% acceptable), so accuracy rewards the majority answer.
  return /cola/i.test(taskName) ? 'mcc' : 'accuracy';
}

export type FinetuneRequest = Partial<FinetuneOptions> & Pick<FinetuneOptions, 'checkpoint' | 'train' | 'dev' | 'out'>;

export function resolveFinetuneOptions(given: FinetuneRequest, hiddenSize: number, taskFromFile: string): FinetuneOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as FinetuneRequest;
  const taskName = defined.taskName ?? taskFromFile;
  // Per GLUE task (by --task-name, else the folder name): epochs, regression, pair doubling, STS-B's range.
  const glue = glueDefaults(taskName);
  const kind = defined.kind ?? glue?.kind ?? 'classification';
  const o: FinetuneOptions = {
    taskName,
    kind,
    epochs: glue?.epochs ?? 3,
    learningRate: defaultLearningRate(hiddenSize),
    layerDecay: 0.8,
    batchSize: 32,
    seqLength: 128,
    warmupFraction: 0.1,
    weightDecay: 0.01,
    adamEpsilon: defaultAdamEpsilon(hiddenSize),
    clipNorm: 1.0,
    seed: 42,
    selectBy: defaultSelection(kind, taskName),
    randomInit: false,
    baseline: 'none',
    doubleUnordered: glue?.doubleUnordered ?? false,
    targetRange: kind === 'regression' ? glue?.targetRange : undefined,
    head: 'hf',
    ...defined,
  };
  validate(o);
  return o;
}

function validate(o: FinetuneOptions): void {
  for (const [flag, v] of [['epochs', o.epochs], ['batch', o.batchSize], ['seq', o.seqLength]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new UserError(`--${flag} must be a positive integer, got ${v}`);
  }
  if (o.seqLength < 8 || o.seqLength > 512) throw new UserError(`--seq ${o.seqLength} must be between 8 and 512`);
  if (o.epochs > 1000) throw new UserError(`--epochs ${o.epochs} is over 1000 — fine-tuning takes 2–10 epochs`);
  checkTokensPerStep(o.batchSize, o.seqLength);
  checkOptimizerNumbers(o);
  if (!(o.warmupFraction >= 0 && o.warmupFraction < 1)) throw new UserError(`warmup fraction ${o.warmupFraction} must be in [0, 1)`);
  if (!(o.learningRate > 0 && o.learningRate < 1)) throw new UserError(`--lr ${o.learningRate} must be in (0, 1)`);
  if (!(o.layerDecay > 0 && o.layerDecay <= 1)) throw new UserError(`--layer-decay ${o.layerDecay} must be in (0, 1] (1 = no decay)`);
  if (o.head !== 'hf' && o.head !== 'dense') throw new UserError(`--head ${String(o.head)} — use hf (Hugging Face's, the default) or dense (google-research/electra's)`);
  if (o.baseline !== 'none' && o.baseline !== 'random-init') throw new UserError(`--baseline ${String(o.baseline)} — use random-init (or leave it out)`);
  if (o.baseline === 'random-init' && o.randomInit) throw new UserError('--baseline random-init with --random-init compares a random encoder with itself — drop one of them');
  if (!Number.isInteger(o.seed)) throw new UserError(`--seed ${o.seed} must be an integer`);
  if (!/^[\w.-]{1,100}$/.test(o.taskName)) throw new UserError(`--task-name "${o.taskName}" must be letters, digits, '.', '_' or '-' (it names <checkpoint>/finetune/<task>.json)`);
  const allowed: SelectionMetric[] = o.kind === 'regression' ? ['pearson', 'spearman'] : ['accuracy', 'f1', 'mcc'];
  if (!allowed.includes(o.selectBy)) throw new UserError(`--select-by ${o.selectBy} does not apply to ${o.kind} — use ${allowed.join(' or ')}`);
}
