/**
 * The baseline for bench/heatmap-server.ts: the heatmap scoring the engine used before content-anchored
 * windows and the window cache (fixed token-index windows half a window apart; every document version
 * scored whole), kept verbatim so the bench measures it in the same run.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ElectraModel } from '../src/engine/model/electra';
import type { EncodedToken, WordPieceTokenizer } from '../src/engine/tokenizer';
import { padBatch } from '../src/engine/pretrain/batch';
import { encoderInputs } from '../src/engine/pretrain/passes';
import { hasDiscriminatorHead } from '../src/engine/pretrain/objectives';
import { UserError } from '../src/engine/errors';

/** One scored token: its piece, its UTF-16 span in the text, the discriminator's raw logit and P(replaced). */
export interface ScoredToken {
  text: string;
  start: number;
  end: number;
  logit: number;
  p: number;
}

export interface HeatmapOptions {
  /** Sequence length of a window including [CLS] and [SEP] (≤ max_position_embeddings). */
  windowLength?: number;
  /** Windows scored per forward pass. */
  batchSize?: number;
}

/**
 * Scores every token of a text with the discriminator. Long texts are cut into overlapping windows
 * (half a window apart); each token keeps the score from the window where it sits farthest from an
 * edge, so every token is judged with context on both sides where the text allows.
 */
export function scoreText(model: ElectraModel, tokenizer: WordPieceTokenizer, text: string, options: HeatmapOptions = {}): ScoredToken[] {
  if (!hasDiscriminatorHead(model.spec.mainHead)) {
    throw new UserError('this checkpoint\'s main model is a masked LM (an MLM ablation objective) with no replaced-token head — choose a checkpoint pretrained with electra, electra-15 or all-tokens-mlm');
  }
  const tokens = tokenizer.encode(text);
  if (tokens.length === 0) return [];
  const windowLength = Math.min(options.windowLength ?? 128, model.spec.discriminator.max_position_embeddings);
  const content = windowLength - 2;
  const stride = Math.max(1, Math.floor(content / 2));
  const starts: number[] = [];
  for (let s = 0; ; s += stride) {
    starts.push(Math.min(s, Math.max(0, tokens.length - content)));
    if (s + content >= tokens.length) break;
  }
  const logits = new Float32Array(tokens.length);
  const margin = new Float32Array(tokens.length).fill(-1);
  const batchSize = options.batchSize ?? 8;
  for (let b = 0; b < starts.length; b += batchSize) {
    const group = starts.slice(b, b + batchSize);
    const windowLogits = scoreWindows(model, tokenizer, tokens, group, content);
    group.forEach((start, row) => {
      const n = Math.min(content, tokens.length - start);
      for (let i = 0; i < n; i++) {
        const distance = Math.min(i, n - 1 - i);
        if (distance > margin[start + i]) {
          margin[start + i] = distance;
          logits[start + i] = windowLogits[row][i + 1];
        }
      }
    });
  }
  return tokens.map((t, i) => ({ text: t.text, start: t.start, end: t.end, logit: logits[i], p: 1 / (1 + Math.exp(-logits[i])) }));
}

function scoreWindows(model: ElectraModel, tokenizer: WordPieceTokenizer, tokens: EncodedToken[], starts: number[], content: number): Float32Array[] {
  const { cls, sep, pad } = tokenizer.specialIds;
  const sequences = starts.map((start) => {
    const ids = [cls, ...tokens.slice(start, start + content).map((t) => t.id), sep];
    return { inputIds: Int32Array.from(ids), tokenTypeIds: new Int32Array(ids.length), length: ids.length };
  });
  const batch = padBatch(sequences, pad);
  const flat = tf.tidy(() => {
    const disc = model.discriminator;
    return disc.discriminatorLogits(disc.encode(encoderInputs(batch, batch.inputIds)));
  });
  const values = flat.dataSync() as Float32Array;
  flat.dispose();
  // All-Tokens MLM's head is a copy gate, P(original): its replaced-token logit is the negation.
  if (model.spec.mainHead === 'discriminator+generator') values.forEach((v, i) => (values[i] = -v));
  return starts.map((_, row) => values.subarray(row * batch.length, (row + 1) * batch.length));
}
