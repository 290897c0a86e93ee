import * as path from 'node:path';
import { UserError } from '../errors';
import { validateConfig, withDefaults, type ElectraConfig } from '../model/config';
import { parameterShapes, WORD_EMBEDDINGS } from '../model/names';
import { WordPieceTokenizer } from '../tokenizer';
import { CONFIG_FILE, readCheckpointFolder, VOCAB_FILE, type CheckpointFolder } from './folder';
import { readSafetensors, type NamedTensor } from './safetensors';

/** The Hugging Face ELECTRA classes a model.safetensors can hold, told apart by their head's tensor names. */
export type ElectraArchitecture =
  | 'ElectraForPreTraining' // discriminator_predictions.*
  | 'ElectraForMaskedLM' // generator_predictions.* + generator_lm_head.*
  | 'ElectraForSequenceClassification' // classifier.*
  | 'ElectraModel' // the bare encoder
  | 'ElectraForPreTraining+MaskedLM'; // both heads on one encoder (our All-Tokens MLM ablation)

/** A checkpoint folder, ours or Hugging Face's, read and normalised: `electra.`-prefixed names, a tokenizer. */
export interface ElectraFolder {
  folder: CheckpointFolder;
  config: ElectraConfig;
  architecture: ElectraArchitecture;
  tokenizer: WordPieceTokenizer;
  /** model.safetensors with HF ElectraFor* names (ElectraModel's unprefixed names get `electra.`). */
  tensors: Map<string, NamedTensor>;
}

const ELECTRA_CONFIG_KEYS = Object.keys(withDefaults({})) as (keyof ElectraConfig)[];

export function pickElectraConfig(raw: Record<string, unknown>): ElectraConfig {
  const picked: Partial<Record<keyof ElectraConfig, unknown>> = {};
  for (const key of ELECTRA_CONFIG_KEYS) if (raw[key] !== undefined) picked[key] = raw[key];
  return withDefaults(picked as Partial<ElectraConfig>);
}

export async function readElectraFolder(dir: string): Promise<ElectraFolder> {
  const folder = await readCheckpointFolder(dir);
  const configFile = path.join(dir, CONFIG_FILE);
  const config = pickElectraConfig(folder.config);
  validateConfig(config, configFile);
  const tokenizer = tokenizerOf(folder, config, dir);
  // Shapes are checked against config.json from the header, before any tensor data is read.
  const expected = parameterShapes(config, 'discriminator+generator');
  for (const [name, shape] of [...expected]) expected.set(name.replace(/^electra\./, ''), shape);
  const raw = (await readSafetensors(folder.modelPath, { expectedShapes: expected, requireFinite: true })).tensors;
  const tensors = normaliseNames(raw);
  return { folder, config, architecture: architectureOf(tensors), tokenizer, tensors };
}

function tokenizerOf(folder: CheckpointFolder, config: ElectraConfig, dir: string): WordPieceTokenizer {
  const lines = folder.vocabText.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const source = folder.vocabFromTokenizerJson ? path.join(dir, 'tokenizer.json') : path.join(dir, VOCAB_FILE);
  if (lines.length !== config.vocab_size) {
    throw new UserError(`${source} has ${lines.length} tokens but ${path.join(dir, CONFIG_FILE)} says vocab_size ${config.vocab_size} — the vocabulary belongs to another model; copy the one saved with this checkpoint`);
  }
  const c = folder.config;
  const hints = folder.tokenizerHints;
  const lowercase = typeof c.do_lower_case === 'boolean' ? c.do_lower_case : hints.do_lower_case ?? true;
  // BERT's rule: strip_accents unset (null) follows lowercase.
  const accents = c.strip_accents !== undefined ? c.strip_accents : hints.strip_accents;
  const stripAccents = typeof accents === 'boolean' ? accents : lowercase;
  return WordPieceTokenizer.fromVocab(lines, { lowercase, stripAccents });
}

/**
 * ElectraModel saves `embeddings.*`/`encoder.*` without the `electra.` prefix; tied ElectraForMaskedLM saves may
 * keep `generator_lm_head.weight` and drop the word embeddings it shares (they are the same tensor).
 */
export function normaliseNames(tensors: Map<string, NamedTensor>): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [k, v] of tensors) out.set(/^(embeddings|embeddings_project|encoder)\./.test(k) ? `electra.${k}` : k, v);
  const lmHead = out.get('generator_lm_head.weight');
  if (lmHead && !out.has(WORD_EMBEDDINGS)) out.set(WORD_EMBEDDINGS, lmHead);
  return out;
}

export function architectureOf(tensors: ReadonlyMap<string, NamedTensor>): ElectraArchitecture {
  const has = (prefix: string) => [...tensors.keys()].some((k) => k.startsWith(prefix));
  const disc = has('discriminator_predictions.'), gen = has('generator_predictions.');
  if (disc && gen) return 'ElectraForPreTraining+MaskedLM';
  if (disc) return 'ElectraForPreTraining';
  if (gen) return 'ElectraForMaskedLM';
  if (has('classifier.')) return 'ElectraForSequenceClassification';
  return 'ElectraModel';
}
