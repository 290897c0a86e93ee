import * as tf from '@tensorflow/tfjs-core';
import type { ElectraModel } from '../model/electra';
import type { WordPieceTokenizer } from '../tokenizer';
import { padBatch } from '../pretrain/batch';
import { encoderInputs } from '../pretrain/passes';
import { chunkEnd, type DocumentLayout } from './layout';
import { windowIds, windowOfChunk } from './heatmap';

export interface GeneratorGuess {
  token: string;
  p: number;
}

/** Index of the token whose span holds `offset` (or ends at it, for a cursor just after a word); -1 when none. */
export function tokenAt(layout: DocumentLayout, offset: number): number {
  let lo = 0;
  let hi = layout.ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (layout.ends[mid] < offset) lo = mid + 1;
    else if (layout.starts[mid] > offset) hi = mid - 1;
    else return offset === layout.ends[mid] && mid + 1 < layout.ids.length && layout.starts[mid + 1] === offset ? mid + 1 : mid;
  }
  return -1;
}

/** The chunk a token belongs to. */
export function chunkOf(layout: DocumentLayout, token: number): number {
  let lo = 0;
  let hi = layout.chunkStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (layout.chunkStarts[mid] <= token) lo = mid;
    else hi = mid - 1;
  }
  return token < chunkEnd(layout, lo) ? lo : -1;
}

/**
 * The generator's `k` most likely tokens at one position: the token is replaced by [MASK] in the window
 * the heatmap scores it with (same context as its P(replaced)), and the generator predicts it, as in
 * pretraining.
 */
export function generatorTopK(model: ElectraModel, tokenizer: WordPieceTokenizer, layout: DocumentLayout, token: number, content: number, k = 5): GeneratorGuess[] {
  const generator = model.generator;
  if (!generator) throw new Error('generatorTopK needs a checkpoint with a generator');
  const window = windowOfChunk(layout, chunkOf(layout, token), content);
  const ids = windowIds(layout, tokenizer, window);
  ids[1 + token - window.first] = tokenizer.specialIds.mask;
  const batch = padBatch([{ inputIds: ids, tokenTypeIds: new Int32Array(ids.length), length: ids.length }], tokenizer.specialIds.pad);
  const { values, indices } = tf.tidy(() => {
    const hidden = generator.encode(encoderInputs(batch, batch.inputIds));
    const logits = generator.generatorLogits(hidden, tf.tensor1d([1 + token - window.first], 'int32'));
    const top = tf.topk(tf.softmax(logits), k);
    return { values: top.values, indices: top.indices };
  });
  const p = values.dataSync();
  const id = indices.dataSync();
  values.dispose();
  indices.dispose();
  return Array.from(id, (v, i) => ({ token: tokenizer.vocab[v], p: p[i] }));
}
