import * as path from 'node:path';
import { UserError } from '../errors';
import { ElectraModel, type ElectraModelSpec } from '../model/electra';
import { validateConfig, type ElectraConfig, type EmbeddingSharing } from '../model/config';
import { parameterShapes, type HeadKind } from '../model/names';
import type { WordPieceTokenizer } from '../tokenizer';
import { GENERATOR_FILE, saveCheckpoint, CONFIG_FILE } from './folder';
import { readSafetensors, type NamedTensor } from './safetensors';
import { normaliseNames, pickElectraConfig, readElectraFolder, type ElectraArchitecture } from './electra-folder';
import { OBJECTIVE_NAMES, type ObjectiveName } from '../pretrain/objectives';

function objectiveOf(value: string | undefined, file: string): ObjectiveName {
  if (value === undefined) return 'electra';
  if (!(OBJECTIVE_NAMES as string[]).includes(value)) throw new UserError(`${file}: unknown electra_lab.objective "${value}" — expected one of ${OBJECTIVE_NAMES.join(', ')}`);
  return value as ObjectiveName;
}

/**
 * A checkpoint's config.json: Hugging Face's ElectraConfig for the discriminator (so
 * `ElectraForPreTraining.from_pretrained` reads it as is) plus our own fields under `electra_lab`,
 * which Hugging Face ignores.
 */
export interface LabConfigExtras {
  generator: ElectraConfig;
  main_head: HeadKind;
  embedding_sharing: EmbeddingSharing;
  /** Present (true) when `tied` shares the embedding LayerNorm too; absent in checkpoints from before it did. */
  tied_layer_norm?: boolean;
  /** Present (true) when generator.safetensors holds Adversarial ELECTRA's learned baseline. */
  adversarial_baseline?: boolean;
  objective: string;
}

export interface TokenizerConfig {
  do_lower_case: boolean;
  strip_accents: boolean;
}

export function checkpointConfig(spec: ElectraModelSpec, tokenizer: TokenizerConfig, objective: string): Record<string, unknown> {
  const mainHead = spec.mainHead ?? 'discriminator';
  const extras: Partial<LabConfigExtras> = spec.generator
    ? { generator: spec.generator, embedding_sharing: spec.embeddingSharing, objective, main_head: mainHead,
      ...(spec.embeddingSharing === 'tied' && spec.tiedLayerNorm !== false ? { tied_layer_norm: true } : {}),
      ...(spec.adversarialBaseline ? { adversarial_baseline: true } : {}) }
    : { objective, main_head: mainHead };
  return {
    architectures: [mainHead === 'generator' ? 'ElectraForMaskedLM' : 'ElectraForPreTraining'],
    model_type: 'electra',
    ...spec.discriminator,
    do_lower_case: tokenizer.do_lower_case,
    strip_accents: tokenizer.strip_accents,
    electra_lab: extras,
  };
}

export interface LoadedCheckpoint {
  dir: string;
  model: ElectraModel;
  tokenizer: WordPieceTokenizer;
  objective: ObjectiveName;
  trainerState?: Record<string, unknown>;
  optimizerPath?: string;
}

const HEAD_OF: Partial<Record<ElectraArchitecture, HeadKind>> = {
  ElectraForPreTraining: 'discriminator',
  ElectraForMaskedLM: 'generator',
  'ElectraForPreTraining+MaskedLM': 'discriminator+generator',
};

/**
 * Loads one of our checkpoints or a Hugging Face ELECTRA folder (config.json + vocab.txt or tokenizer.json +
 * model.safetensors). A folder without a generator loads as its main network only: an ElectraForPreTraining
 * discriminator scores text; an ElectraForMaskedLM (e.g. google/electra-small-generator) loads with the
 * generator head as its main head, as the MLM ablations do.
 */
export async function loadCheckpoint(dir: string, options: { needGenerator?: boolean } = {}): Promise<LoadedCheckpoint> {
  const read = await readElectraFolder(dir);
  const { folder, config: disc, tokenizer } = read;
  const configFile = path.join(dir, CONFIG_FILE);
  const extras = (folder.config.electra_lab ?? {}) as Partial<LabConfigExtras>;
  const mainHead = extras.main_head ?? HEAD_OF[read.architecture];
  if (!mainHead) {
    throw new UserError(`${folder.modelPath} holds an ${read.architecture} (no pretraining head), so it cannot score or corrupt text — fine-tune it (electra-lab finetune) or pass an ElectraForPreTraining folder`);
  }
  let generator: ElectraConfig | undefined;
  if (extras.generator && folder.generatorPath) {
    generator = pickElectraConfig(extras.generator as unknown as Record<string, unknown>);
    validateConfig(generator, `${configFile} (electra_lab.generator)`);
  }
  if (options.needGenerator && !generator) {
    throw new UserError(`${dir} has no generator (${GENERATOR_FILE}) — corruption samples need one; use a checkpoint written by ELECTRA Lab pretraining, or pair an HF discriminator with its generator: electra-lab import-hf <disc> --generator <gen> --out <dir>`);
  }
  const sharing: EmbeddingSharing = generator ? extras.embedding_sharing ?? 'tied' : 'none';
  const spec: ElectraModelSpec = {
    discriminator: disc, generator, embeddingSharing: sharing, mainHead, tiedLayerNorm: extras.tied_layer_norm === true,
    adversarialBaseline: generator !== undefined && extras.adversarial_baseline === true,
  };
  const genTensors = generator && folder.generatorPath
    ? normaliseNames((await readSafetensors(folder.generatorPath, { expectedShapes: parameterShapes(generator, 'generator'), requireFinite: true })).tensors)
    : undefined;
  const model = ElectraModel.fromTensors(spec, read.tensors, genTensors, {
    discriminator: folder.modelPath,
    generator: folder.generatorPath ?? path.join(dir, GENERATOR_FILE),
  });
  // An HF ElectraForMaskedLM is a BERT-style MLM: that is the objective its head was trained for.
  const objective = objectiveOf(extras.objective ?? (mainHead === 'generator' && !generator ? 'mlm' : undefined), configFile);
  return { dir, model, tokenizer, objective, trainerState: folder.trainerState, optimizerPath: folder.optimizerPath };
}

function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) return false;
  return true;
}

/** Weights that became NaN or ±Inf: the checkpoint is not written. */
export class NonFiniteWeightsError extends UserError {
  constructor(readonly dir: string, readonly tensor: string) {
    super(`${dir} was not written: ${tensor} holds NaN or Inf — training diverged; lower the learning rate (--lr)`);
  }
}

export async function saveModelCheckpoint(
  dir: string,
  model: ElectraModel,
  tokenizer: WordPieceTokenizer,
  objective: string,
  resume?: { trainerState: Record<string, unknown>; optimizer: ReadonlyMap<string, NamedTensor> },
): Promise<void> {
  const tensors = model.exportTensors();
  // A checkpoint is what a user goes back to: one holding NaN/Inf (a diverged step) must never be written.
  for (const [part, map] of [['model', tensors.discriminator], ['generator', tensors.generator]] as const) {
    for (const [name, t] of map ?? []) {
      if (!allFinite(t.data)) throw new NonFiniteWeightsError(dir, `${part}: ${name}`);
    }
  }
  await saveCheckpoint(dir, {
    config: checkpointConfig(model.spec, { do_lower_case: tokenizer.options.lowercase, strip_accents: tokenizer.options.stripAccents }, objective),
    vocabText: tokenizer.toVocabText(),
    model: tensors.discriminator,
    generator: tensors.generator,
    trainerState: resume?.trainerState,
    optimizer: resume?.optimizer,
  });
}
