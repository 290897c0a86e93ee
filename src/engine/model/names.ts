import type { ElectraConfig } from './config';

/**
 * Hugging Face state-dict key names and shapes. Linear weights are [out, in] as in PyTorch, so a
 * checkpoint is written and read without transposing anything.
 */
export type HeadKind =
  | 'discriminator' // ElectraForPreTraining: one replaced/original logit per token
  | 'generator' // ElectraForMaskedLM: vocabulary logits (also the main model of the MLM ablations)
  | 'discriminator+generator'; // both heads on one encoder: All-Tokens MLM's copy gate + MLM

export const WORD_EMBEDDINGS = 'electra.embeddings.word_embeddings.weight';
export const POSITION_EMBEDDINGS = 'electra.embeddings.position_embeddings.weight';
export const TOKEN_TYPE_EMBEDDINGS = 'electra.embeddings.token_type_embeddings.weight';
/** The embedding tables that `tied` shares and `gdes` shares through a stop-gradient plus a delta. */
export const SHARED_EMBEDDINGS = [WORD_EMBEDDINGS, POSITION_EMBEDDINGS, TOKEN_TYPE_EMBEDDINGS] as const;
/** The embedding LayerNorm: google-research/electra's `tied` shares the whole electra/embeddings scope, it too. */
export const EMBEDDING_LAYER_NORM = ['electra.embeddings.LayerNorm.weight', 'electra.embeddings.LayerNorm.bias'] as const;

export function layerPrefix(i: number): string {
  return `electra.encoder.layer.${i}`;
}

/** Every tensor of an `ElectraForPreTraining` (discriminator) or `ElectraForMaskedLM` (generator), with its shape. */
export function parameterShapes(c: ElectraConfig, head: HeadKind): Map<string, number[]> {
  const E = c.embedding_size, H = c.hidden_size, I = c.intermediate_size;
  const shapes = new Map<string, number[]>();
  const linear = (name: string, out: number, inp: number) => {
    shapes.set(`${name}.weight`, [out, inp]);
    shapes.set(`${name}.bias`, [out]);
  };
  const layerNorm = (name: string, dim: number) => {
    shapes.set(`${name}.weight`, [dim]);
    shapes.set(`${name}.bias`, [dim]);
  };
  shapes.set(WORD_EMBEDDINGS, [c.vocab_size, E]);
  shapes.set(POSITION_EMBEDDINGS, [c.max_position_embeddings, E]);
  shapes.set(TOKEN_TYPE_EMBEDDINGS, [c.type_vocab_size, E]);
  layerNorm('electra.embeddings.LayerNorm', E);
  if (E !== H) linear('electra.embeddings_project', H, E);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = layerPrefix(i);
    linear(`${p}.attention.self.query`, H, H);
    linear(`${p}.attention.self.key`, H, H);
    linear(`${p}.attention.self.value`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    layerNorm(`${p}.attention.output.LayerNorm`, H);
    linear(`${p}.intermediate.dense`, I, H);
    linear(`${p}.output.dense`, H, I);
    layerNorm(`${p}.output.LayerNorm`, H);
  }
  if (head !== 'generator') {
    linear('discriminator_predictions.dense', H, H);
    linear('discriminator_predictions.dense_prediction', 1, H);
  }
  if (head !== 'discriminator') {
    linear('generator_predictions.dense', E, H);
    layerNorm('generator_predictions.LayerNorm', E);
    // generator_lm_head.weight is tied to the word embeddings (HF ties it too); only its bias is its own.
    shapes.set('generator_lm_head.bias', [c.vocab_size]);
  }
  return shapes;
}

/** LayerNorm weights and all biases are excluded from weight decay, as in google-research/electra. */
export function isDecayed(name: string): boolean {
  return !(name.endsWith('.bias') || name.includes('LayerNorm'));
}
