import type { TaskKind } from './options';

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
