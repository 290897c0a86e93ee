import { UserError } from '../errors';

/** The fields of Hugging Face's `ElectraConfig` we read and write (config.json), with HF's names. */
export interface ElectraConfig {
  vocab_size: number;
  embedding_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: 'gelu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  position_embedding_type: 'absolute';
}

export type PresetName = 'tiny' | 'small' | 'base';
/** How the generator and discriminator share weights (model/electra.ts): `all` shares the whole encoder, which
 *  needs a generator the discriminator's size (the paper's "tie all weights" experiment). */
export type EmbeddingSharing = 'tied' | 'none' | 'gdes' | 'all';
export const EMBEDDING_SHARINGS: EmbeddingSharing[] = ['tied', 'none', 'gdes', 'all'];

/** Discriminator shapes of each preset; `vocab_size` is set from the tokenizer. */
const PRESETS: Record<PresetName, Pick<ElectraConfig,
  'embedding_size' | 'hidden_size' | 'num_hidden_layers' | 'num_attention_heads' | 'intermediate_size' | 'max_position_embeddings'>> = {
  // Small enough to pretrain in seconds on one CPU core: the preset tests and the README demo use.
  tiny: { embedding_size: 64, hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512, max_position_embeddings: 512 },
  // The paper's ELECTRA-Small (14M parameters with a 30522 vocabulary).
  small: { embedding_size: 128, hidden_size: 256, num_hidden_layers: 12, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 512 },
  base: { embedding_size: 768, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512 },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function presetConfig(preset: PresetName, vocabSize: number): ElectraConfig {
  const shape = PRESETS[preset];
  if (!shape) throw new UserError(`unknown preset "${preset}" — use one of ${PRESET_NAMES.join(', ')}`);
  return withDefaults({ ...shape, vocab_size: vocabSize });
}

/** HF ElectraConfig defaults for every field not given. */
export function withDefaults(partial: Partial<ElectraConfig>): ElectraConfig {
  return {
    vocab_size: 30522,
    embedding_size: 128,
    hidden_size: 256,
    num_hidden_layers: 12,
    num_attention_heads: 4,
    intermediate_size: 1024,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    ...partial,
  };
}

/**
 * The generator as google-research/electra's get_generator_config sizes it: width and depth are fractions of
 * the discriminator's (rounded), heads = max(1, hidden // 64), FFN 4× wide. It keeps the discriminator's
 * embedding size so embeddings can be shared. A width whose head count does not divide it is refused here,
 * before any tensor exists (the reference would fail in its first reshape).
 */
export function generatorConfig(disc: ElectraConfig, widthFraction: number, depthFraction: number): ElectraConfig {
  if (!(widthFraction > 0 && widthFraction <= 1)) throw new UserError(`--gen-width ${widthFraction} must be in (0, 1]`);
  if (!(depthFraction > 0 && depthFraction <= 1)) throw new UserError(`--gen-depth ${depthFraction} must be in (0, 1]`);
  const hidden = Math.max(1, Math.round(disc.hidden_size * widthFraction));
  const heads = Math.max(1, Math.floor(hidden / 64));
  if (hidden % heads !== 0) {
    const valid = (h: number) => h > 0 && h % Math.max(1, Math.floor(h / 64)) === 0;
    let below = hidden - 1, above = hidden + 1;
    while (!valid(below)) below -= 1;
    while (!valid(above)) above += 1;
    const fraction = (h: number) => Number((h / disc.hidden_size).toFixed(4));
    throw new UserError(`--gen-width ${widthFraction} makes the generator ${hidden} wide with ${heads} heads (hidden // 64), `
      + `which do not divide it — use --gen-width ${fraction(below)} (${below} wide)`
      + (above <= disc.hidden_size ? ` or ${fraction(above)} (${above} wide)` : ''));
  }
  return {
    ...disc,
    hidden_size: hidden,
    num_attention_heads: heads,
    intermediate_size: 4 * hidden,
    num_hidden_layers: Math.max(1, Math.round(disc.num_hidden_layers * depthFraction)),
  };
}

/**
 * Bounds on config.json sizes, checked before anything is allocated (a hand-edited num_hidden_layers: 1e6 would
 * otherwise take gigabytes and minutes before failing). Each is several times the largest ELECTRA (large: 24
 * layers, hidden 1024, 335M parameters).
 */
const CONFIG_LIMITS = {
  vocab_size: 1_000_000, embedding_size: 8192, hidden_size: 8192, num_hidden_layers: 128, num_attention_heads: 256,
  intermediate_size: 32768, max_position_embeddings: 16384, type_vocab_size: 1024,
} as const;
/** Weights, gradients and two Adam moments must fit the wasm backend's 4 GB heap. */
const MAX_PARAMETERS = 1e9;

/** Rejects a config.json whose numbers cannot describe a model (hand-edited or foreign files). */
export function validateConfig(config: ElectraConfig, file: string): void {
  const positive: (keyof ElectraConfig)[] = ['vocab_size', 'embedding_size', 'hidden_size', 'num_hidden_layers',
    'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'];
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new UserError(`${file}: "${key}" must be a positive integer, found ${JSON.stringify(value)} — fix or regenerate config.json`);
    }
  }
  for (const key of positive) {
    const limit = CONFIG_LIMITS[key as keyof typeof CONFIG_LIMITS];
    if (limit !== undefined && (config[key] as number) > limit) {
      throw new UserError(`${file}: "${key}" ${config[key]} is over the limit of ${limit} — this is not a model the engine can hold; fix or regenerate config.json`);
    }
  }
  const params = parameterCount(config, 'generator');
  if (params > MAX_PARAMETERS) {
    throw new UserError(`${file}: describes ${(params / 1e9).toFixed(1)} billion parameters, over the ${MAX_PARAMETERS / 1e9} billion the engine can hold (a 4 GB heap) — fix or regenerate config.json`);
  }
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new UserError(`${file}: hidden_size ${config.hidden_size} is not a multiple of num_attention_heads ${config.num_attention_heads}`);
  }
  if (config.hidden_act !== 'gelu') {
    throw new UserError(`${file}: hidden_act "${config.hidden_act}" is not supported — ELECTRA Lab implements "gelu" (erf)`);
  }
  if (config.position_embedding_type !== 'absolute') {
    throw new UserError(`${file}: position_embedding_type "${config.position_embedding_type}" is not supported — only "absolute"`);
  }
}

/** Parameters in a model of this config (for logs and FLOP counts). */
export function parameterCount(c: ElectraConfig, head: 'discriminator' | 'generator'): number {
  const E = c.embedding_size, H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const embeddings = (V + c.max_position_embeddings + c.type_vocab_size) * E + 2 * E + (E !== H ? E * H + H : 0);
  const layer = 4 * (H * H + H) + 2 * (H * I) + I + H + 4 * H;
  const headParams = head === 'discriminator' ? H * H + H + H + 1 : H * E + E + 2 * E + V;
  return embeddings + c.num_hidden_layers * layer + headParams;
}
