/**
 * Fine-tuning defaults shared by the engine (src/engine/finetune/options.ts) and the editor's fine-tune questions
 * (src/client/finetune-settings.ts), which may not import the engine: pure (node:path only).
 */
import * as path from 'node:path';

export type TaskKind = 'classification' | 'regression';

/** What google-research/electra's finetune/classification/classification_tasks.py and configure_finetuning.py
 *  set per GLUE task. lr, batch 32 and layer-wise decay 0.8 are the same for every task there (lr depends on the
 *  model's size, not the task: see defaultLearningRate), so only these differ. */
export interface GlueTaskDefaults {
  epochs: number;
  kind: TaskKind;
  /** Add every training pair a second time with its two texts swapped (the reference's double_unordered). */
  doubleUnordered: boolean;
  /** Regression targets are rescaled from this range to 0–1 (STS-B's 0–5). */
  targetRange?: [number, number];
}

const GLUE: Record<string, GlueTaskDefaults> = {
  cola: { epochs: 3, kind: 'classification', doubleUnordered: false },
  sst: { epochs: 3, kind: 'classification', doubleUnordered: false },
  mrpc: { epochs: 3, kind: 'classification', doubleUnordered: true },
  sts: { epochs: 10, kind: 'regression', doubleUnordered: true, targetRange: [0, 5] },
  qqp: { epochs: 3, kind: 'classification', doubleUnordered: false },
  mnli: { epochs: 3, kind: 'classification', doubleUnordered: false },
  qnli: { epochs: 3, kind: 'classification', doubleUnordered: false },
  rte: { epochs: 10, kind: 'classification', doubleUnordered: false },
};

/** The GLUE task a --task-name (or folder name) names, case and punctuation aside: SST-2, sst2, STS-B, stsb, … */
export function glueDefaults(taskName: string): GlueTaskDefaults | undefined {
  const key = taskName.toLowerCase().replace(/[^a-z]/g, '');
  const alias: Record<string, string> = { sstb: 'sst', sst: 'sst', stsb: 'sts', sts: 'sts', mnlim: 'mnli', mnlimm: 'mnli' };
  return GLUE[alias[key] ?? key];
}

/**
 * Peak learning rates by encoder width. The paper's Table 7: 3e-4 for ELECTRA-Small (hidden 256), 1e-4 for Base
 * (768), 5e-5 for Large (1024); google-research/electra's configure_finetuning.py default is 1e-4. Narrower
 * models than Small (our `tiny`, hidden 128) get 1e-3: on a lexical sentiment toy task a random-init `tiny`
 * reached 100% dev accuracy in one epoch (25 steps) at 1e-3 and swung between 56% and 96% over three at 1e-4.
 */
export function defaultLearningRate(hiddenSize: number): number {
  if (hiddenSize <= 128) return 1e-3;
  if (hiddenSize <= 256) return 3e-4;
  if (hiddenSize <= 768) return 1e-4;
  return 5e-5;
}

/** A task's name from its training file: GLUE's folder name (SST-2/train.tsv → SST-2), else the file's stem. */
export function taskNameFromFile(file: string): string {
  const stem = path.basename(file).replace(/\.[^.]*$/, '');
  const name = /^(train|dev|test|validation)$/i.test(stem) ? path.basename(path.dirname(path.resolve(file))) : stem;
  return name.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'task';
}
