/**
 * Injected corruption: a measure of what the discriminator learned that does not depend on its own generator.
 * Held-out text gets a seeded fraction of its words swapped for other words of the vocabulary; the
 * discriminator then ranks every token by its replaced logit. Reported as AUC and as "found k of the n swapped
 * words among its n most suspicious tokens", against what a random ranking finds (n²/N of N tokens).
 *
 * A word here is a token that is a whole word on its own (no ## piece before or after it) with a letter in it:
 * swapping pieces or punctuation would make corruptions a tokenizer artefact could give away.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ElectraModel } from '../model/electra';
import type { WordPieceTokenizer } from '../tokenizer';
import { CONTINUATION_PREFIX } from '../tokenizer/wordpiece';
import { Rng } from '../data/rng';
import type { Batch } from '../pretrain/batch';
import { encoderInputs } from '../pretrain/passes';
import { rocAuc } from './binary-metrics';
import { aucInterval, withInterval, type Interval } from './intervals';

export interface InjectedCorruptionReport {
  /** Fraction of each sequence's words swapped. */
  fraction: number;
  /** Tokens the discriminator ranked (real, non-special) and how many of them were swapped words. */
  tokens: number;
  swapped: number;
  auc: number;
  /** 95% interval of `auc` (Hanley–McNeil, intervals.ts). */
  auc_interval: Interval;
  /** Swapped words among the `swapped` highest-scored tokens, and what a random ranking finds on average. */
  found: number;
  chance: number;
}

const WORD = /^\p{L}[\p{L}\p{M}'-]*$/u;

export class InjectedCorruption {
  private readonly scores: number[] = [];
  private readonly labels: number[] = [];
  private readonly words: number[];
  private rows = 0;

  constructor(
    private readonly model: ElectraModel,
    private readonly tokenizer: WordPieceTokenizer,
    private readonly options: { fraction?: number; seed: number },
  ) {
    this.words = [];
    tokenizer.vocab.forEach((piece, id) => {
      if (!tokenizer.isSpecial(id) && WORD.test(piece)) this.words.push(id);
    });
  }

  get fraction(): number {
    return this.options.fraction ?? 0.1;
  }

  /** Swaps words in every row of `batch`, runs the discriminator on the result and keeps its scores. */
  add(batch: Batch): void {
    if (this.words.length < 2) return;
    const ids = batch.inputIds.slice();
    const swapped = new Uint8Array(ids.length);
    for (let row = 0; row < batch.size; row++) {
      const rng = new Rng(this.options.seed).fork(`injected:${this.rows++}`);
      const eligible = this.wordPositions(batch, row);
      const count = Math.round(this.fraction * eligible.length);
      for (const i of rng.shuffle(eligible).slice(0, count)) {
        let replacement = ids[i];
        while (replacement === ids[i]) replacement = this.words[rng.nextInt(this.words.length)];
        ids[i] = replacement;
        swapped[i] = 1;
      }
    }
    const logits = tf.tidy(() => {
      const disc = this.model.discriminator;
      return disc.discriminatorLogits(disc.encode(encoderInputs(batch, ids)));
    });
    const values = logits.dataSync();
    logits.dispose();
    // All-Tokens MLM's head is a copy gate, P(original): its replaced-token score is the negation.
    const sign = this.model.spec.mainHead === 'discriminator+generator' ? -1 : 1;
    for (let i = 0; i < ids.length; i++) {
      if (batch.attentionMask[i] === 0 || this.tokenizer.isSpecial(batch.inputIds[i])) continue;
      this.scores.push(sign * values[i]);
      this.labels.push(swapped[i]);
    }
  }

  result(): InjectedCorruptionReport | undefined {
    const swapped = this.labels.reduce((s, v) => s + v, 0);
    const tokens = this.labels.length;
    if (swapped === 0 || swapped === tokens) return undefined;
    const order = this.scores.map((_, i) => i).sort((a, b) => this.scores[b] - this.scores[a]);
    const found = order.slice(0, swapped).reduce((s, i) => s + this.labels[i], 0);
    const auc = rocAuc(this.scores, this.labels);
    return { fraction: this.fraction, tokens, swapped, auc, auc_interval: aucInterval(auc, swapped, tokens - swapped), found, chance: (swapped * swapped) / tokens };
  }

  private wordPositions(batch: Batch, row: number): number[] {
    const out: number[] = [];
    const start = row * batch.length;
    const piece = (i: number) => this.tokenizer.idToToken(batch.inputIds[i]);
    for (let j = 0; j < batch.length; j++) {
      const i = start + j;
      if (batch.attentionMask[i] === 0 || this.tokenizer.isSpecial(batch.inputIds[i])) continue;
      const next = j + 1 < batch.length && batch.attentionMask[i + 1] !== 0 ? piece(i + 1) : '';
      if (WORD.test(piece(i)) && !next.startsWith(CONTINUATION_PREFIX)) out.push(i);
    }
    return out;
  }
}

/** The one plain sentence users see (CLI, demo, panels). */
export function injectedSentence(r: InjectedCorruptionReport, split: 'heldout' | 'all' = 'heldout'): string {
  const percent = Math.round(r.fraction * 100);
  return `with ${percent}% of ${split === 'heldout' ? 'held-out words' : 'the words of the training text'} swapped for random vocabulary words, the discriminator found ${r.found} of ` +
    `${r.swapped} among its ${r.swapped} most suspicious tokens (chance would find ~${Math.round(r.chance)}); AUC ${withInterval(r.auc, r.auc_interval)} (0.5 = chance)`;
}
