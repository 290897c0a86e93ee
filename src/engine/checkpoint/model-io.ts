import * as path from 'node:path';
import { UserError } from '../errors';
import { ElectraModel, type ElectraModelSpec } from '../model/electra';
import { validateConfig, withDefaults, type ElectraConfig, type EmbeddingSharing } from '../model/config';
import { parameterShapes, type HeadKind } from '../model/names';
import { WordPieceTokenizer } from '../tokenizer';
import { GENERATOR_FILE, readCheckpointFolder, saveCheckpoint, VOCAB_FILE, CONFIG_FILE } from './folder';
import { readSafetensors, type NamedTensor } from './safetensors';
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
  objective: string;
}

export interface TokenizerConfig {
  do_lower_case: boolean;
  strip_accents: boolean;
}

export function checkpointConfig(spec: ElectraModelSpec, tokenizer: TokenizerConfig, objective: string): Record<string, unknown> {
  const mainHead = spec.mainHead ?? 'discriminator';
  const extras: Partial<LabConfigExtras> = spec.generator
    ? { generator: spec.generator, embedding_sharing: spec.embeddingSharing, objective, main_head: mainHead }
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

const ELECTRA_CONFIG_KEYS = Object.keys(withDefaults({})) as (keyof ElectraConfig)[];

function pickElectraConfig(raw: Record<string, unknown>): ElectraConfig {
  const picked: Partial<Record<keyof ElectraConfig, unknown>> = {};
  for (const key of ELECTRA_CONFIG_KEYS) if (raw[key] !== undefined) picked[key] = raw[key];
  return withDefaults(picked as Partial<ElectraConfig>);
}

/**
 * Loads one of our checkpoints or a Hugging Face ELECTRA folder (config.json + vocab.txt +
 * model.safetensors). A folder without a generator loads as a discriminator only: enough to score text.
 */
export async function loadCheckpoint(dir: string, options: { needGenerator?: boolean } = {}): Promise<LoadedCheckpoint> {
  const folder = await readCheckpointFolder(dir);
  const configFile = path.join(dir, CONFIG_FILE);
  const disc = pickElectraConfig(folder.config);
  validateConfig(disc, configFile);
  const extras = (folder.config.electra_lab ?? {}) as Partial<LabConfigExtras>;
  let generator: ElectraConfig | undefined;
  if (extras.generator && folder.generatorPath) {
    generator = pickElectraConfig(extras.generator as unknown as Record<string, unknown>);
    validateConfig(generator, `${configFile} (electra_lab.generator)`);
  }
  if (options.needGenerator && !generator) {
    throw new UserError(`${dir} has no generator (${GENERATOR_FILE}) — corruption samples need one; use a checkpoint written by ELECTRA Lab pretraining`);
  }
  const sharing: EmbeddingSharing = generator ? extras.embedding_sharing ?? 'tied' : 'none';
  const architectures = Array.isArray(folder.config.architectures) ? (folder.config.architectures as string[]) : [];
  const mainHead: HeadKind = extras.main_head ?? (architectures.includes('ElectraForMaskedLM') ? 'generator' : 'discriminator');
  const spec: ElectraModelSpec = { discriminator: disc, generator, embeddingSharing: sharing, mainHead };

  const vocabFile = path.join(dir, VOCAB_FILE);
  const lines = folder.vocabText.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== disc.vocab_size) {
    throw new UserError(`${vocabFile} has ${lines.length} tokens but ${configFile} says vocab_size ${disc.vocab_size} — the vocab.txt belongs to another model; copy the one saved with this checkpoint`);
  }
  const tokenizer = WordPieceTokenizer.fromVocab(lines, {
    lowercase: folder.config.do_lower_case !== false,
    stripAccents: folder.config.strip_accents === undefined || folder.config.strip_accents === null ? folder.config.do_lower_case !== false : folder.config.strip_accents === true,
  });

  const modelFile = folder.modelPath;
  const discTensors = (await readSafetensors(modelFile, { expectedShapes: parameterShapes(disc, mainHead) })).tensors;
  const genTensors = generator && folder.generatorPath
    ? (await readSafetensors(folder.generatorPath, { expectedShapes: parameterShapes(generator, 'generator') })).tensors
    : undefined;
  const model = ElectraModel.fromTensors(spec, stripPrefix(discTensors), genTensors && stripPrefix(genTensors), {
    discriminator: modelFile,
    generator: folder.generatorPath ?? path.join(dir, GENERATOR_FILE),
  });
  return { dir, model, tokenizer, objective: objectiveOf(extras.objective, path.join(dir, CONFIG_FILE)), trainerState: folder.trainerState, optimizerPath: folder.optimizerPath };
}

/** Some exports name the discriminator's backbone `electra.` and some (ElectraModel) without a prefix. */
function stripPrefix(tensors: Map<string, NamedTensor>): Map<string, NamedTensor> {
  const hasPrefix = [...tensors.keys()].some((k) => k.startsWith('electra.'));
  if (hasPrefix) return tensors;
  const out = new Map<string, NamedTensor>();
  for (const [k, v] of tensors) out.set(k.startsWith('embeddings') || k.startsWith('encoder') ? `electra.${k}` : k, v);
  return out;
}

export async function saveModelCheckpoint(
  dir: string,
  model: ElectraModel,
  tokenizer: WordPieceTokenizer,
  objective: string,
  resume?: { trainerState: Record<string, unknown>; optimizer: ReadonlyMap<string, NamedTensor> },
): Promise<void> {
  const tensors = model.exportTensors();
  await saveCheckpoint(dir, {
    config: checkpointConfig(model.spec, { do_lower_case: tokenizer.options.lowercase, strip_accents: tokenizer.options.stripAccents }, objective),
    vocabText: tokenizer.toVocabText(),
    model: tensors.discriminator,
    generator: tensors.generator,
    trainerState: resume?.trainerState,
    optimizer: resume?.optimizer,
  });
}
