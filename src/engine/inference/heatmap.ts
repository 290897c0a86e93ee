import * as tf from '@tensorflow/tfjs-core';
import type { ElectraModel } from '../model/electra';
import type { WordPieceTokenizer } from '../tokenizer';
import { padBatch } from '../pretrain/batch';
import { encoderInputs } from '../pretrain/passes';
import { hasDiscriminatorHead } from '../pretrain/objectives';
import { UserError } from '../errors';
import { chunkEnd, chunksOverlapping, layoutText, tokenCount, type DocumentLayout } from './layout';
import { LogitsCache } from './logits-cache';

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

/** What a scoring needed: its tokens, the windows they came from, how many of those ran through the model,
 *  and how many were left to run because their chunk's earlier scores stood in (`provisional`). */
export interface ScoreOutcome {
  tokens: ScoredToken[];
  windows: number;
  windowsScored: number;
  provisional: number;
}

export interface ScoreRequest {
  layout: DocumentLayout;
  /** Content tokens per window (window length − 2); the layout must have been cut for it. */
  content: number;
  /** Only tokens overlapping this UTF-16 range (and the windows they need); the whole document when absent. */
  range?: { start: number; end: number };
  cache: LogitsCache;
  /** Names the weights in the cache (checkpoint folder and its file stamp). */
  modelKey: string;
  batchSize?: number;
  /** Each chunk's last exact logits, by the chunk's token ids: filled by every scoring given it. */
  chunks?: LogitsCache;
  /**
   * Run only the windows of chunks never scored before (the ones an edit changed); a chunk whose own
   * tokens are unchanged but whose window's context is not keeps its last exact scores for now. After
   * an edit that is one window instead of the 2–6 that hold it; asking again without this finishes.
   */
  provisional?: boolean;
  /** Told after each forward pass how many windows it ran (they are in `cache` from then on, even if cancelled later). */
  onScored?: (windows: number) => void;
}

/** Thrown between window batches when the caller no longer wants the answer. */
export class ScoringCancelled extends Error {
  constructor() {
    super('scoring cancelled');
  }
}

export function windowContent(model: ElectraModel, options: HeatmapOptions = {}): number {
  return Math.min(options.windowLength ?? 128, model.spec.discriminator.max_position_embeddings) - 2;
}

export function assertDiscriminator(model: ElectraModel): void {
  if (!hasDiscriminatorHead(model.spec.mainHead)) {
    throw new UserError('this checkpoint\'s main model is a masked LM (an MLM ablation objective) with no replaced-token head — choose a checkpoint pretrained with electra, electra-15 or all-tokens-mlm');
  }
}

/**
 * The window that scores a chunk: the chunk centred in `content` tokens of its surroundings (shifted
 * inwards at the document's ends). Every token is scored by its own chunk's window, where it has at
 * least a quarter window of context on each side wherever the text allows (layout.ts bounds chunk
 * sizes); and a window's tokens change only when an edit falls inside it.
 */
export function windowOfChunk(layout: DocumentLayout, chunk: number, content: number): { first: number; length: number } {
  const total = tokenCount(layout);
  const length = Math.min(content, total);
  const start = layout.chunkStarts[chunk];
  const size = chunkEnd(layout, chunk) - start;
  const first = Math.max(0, Math.min(start - Math.floor((length - size) / 2), total - length));
  return { first, length };
}

export function windowIds(layout: DocumentLayout, tokenizer: WordPieceTokenizer, window: { first: number; length: number }): Int32Array {
  const ids = new Int32Array(window.length + 2);
  ids[0] = tokenizer.specialIds.cls;
  ids.set(layout.ids.subarray(window.first, window.first + window.length), 1);
  ids[ids.length - 1] = tokenizer.specialIds.sep;
  return ids;
}

/**
 * The scoring as steps: it yields after each forward pass, so an async caller can give the event loop
 * a turn (cancellations, newer document versions) between batches, and a sync caller just runs it through.
 */
function* scoringSteps(model: ElectraModel, tokenizer: WordPieceTokenizer, request: ScoreRequest): Generator<void, ScoreOutcome, void> {
  assertDiscriminator(model);
  const { layout, content, cache, modelKey, range, chunks: chunkMemory } = request;
  const chunks = range ? chunksOverlapping(layout, range.start, range.end) : Array.from(layout.chunkStarts, (_, c) => c);
  const plans = chunks.map((chunk) => {
    const window = windowOfChunk(layout, chunk, content);
    const ids = windowIds(layout, tokenizer, window);
    const chunkIds = layout.ids.slice(layout.chunkStarts[chunk], chunkEnd(layout, chunk));
    const earlier = request.provisional && !cache.get(modelKey, ids) ? chunkMemory?.get(modelKey, chunkIds) : undefined;
    return { chunk, first: window.first, ids, chunkIds, earlier };
  });
  // Near the document's ends neighbouring chunks can share one window: run it once, unless every chunk
  // that needs it can wait.
  const unique = new Map<string, { ids: Int32Array; wait: boolean }>();
  for (const plan of plans) {
    const key = Array.prototype.join.call(plan.ids, ',');
    const known = unique.get(key);
    unique.set(key, { ids: plan.ids, wait: (known?.wait ?? true) && plan.earlier !== undefined });
  }
  const missing = [...unique.values()].filter((w) => !cache.get(modelKey, w.ids));
  const pending = missing.filter((w) => !w.wait).map((w) => w.ids);
  const batchSize = request.batchSize ?? 8;
  for (let b = 0; b < pending.length; b += batchSize) {
    const group = pending.slice(b, b + batchSize);
    forwardWindows(model, tokenizer, group).forEach((logits, row) => cache.set(modelKey, group[row], logits));
    request.onScored?.(group.length);
    if (b + batchSize < pending.length) yield;
  }
  const tokens: ScoredToken[] = [];
  for (const plan of plans) {
    const start = layout.chunkStarts[plan.chunk];
    let logits = cache.get(modelKey, plan.ids);
    let offset = 1 + start - plan.first;
    if (!logits && plan.earlier) {
      logits = plan.earlier;
      offset = 0;
    }
    if (!logits) {
      // A cache smaller than one request's windows would evict its own entries: score such a window again.
      logits = forwardWindows(model, tokenizer, [plan.ids])[0];
      request.onScored?.(1);
    }
    if (offset !== 0) chunkMemory?.set(modelKey, plan.chunkIds, logits.slice(offset, offset + plan.chunkIds.length));
    for (let t = start; t < chunkEnd(layout, plan.chunk); t++) {
      if (range && !(layout.starts[t] < Math.max(range.end, range.start + 1) && layout.ends[t] > range.start)) continue;
      const logit = logits[t - start + offset];
      tokens.push({ text: tokenizer.vocab[layout.ids[t]], start: layout.starts[t], end: layout.ends[t], logit, p: 1 / (1 + Math.exp(-logit)) });
    }
  }
  return { tokens, windows: unique.size, windowsScored: pending.length, provisional: missing.length - pending.length };
}

/** Scores a request synchronously. */
export function scoreSync(model: ElectraModel, tokenizer: WordPieceTokenizer, request: ScoreRequest): ScoreOutcome {
  const steps = scoringSteps(model, tokenizer, request);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Scores a request, yielding to the event loop between forward passes; throws ScoringCancelled once `cancelled()` says so. */
export async function scoreAsync(model: ElectraModel, tokenizer: WordPieceTokenizer, request: ScoreRequest, cancelled: () => boolean): Promise<ScoreOutcome> {
  const steps = scoringSteps(model, tokenizer, request);
  for (;;) {
    if (cancelled()) throw new ScoringCancelled();
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Scores every token of a text with the discriminator (the CLI's `heatmap`): the same chunks and windows
 * as the engine server, so both give the same numbers for the same text.
 */
export function scoreText(model: ElectraModel, tokenizer: WordPieceTokenizer, text: string, options: HeatmapOptions = {}): ScoredToken[] {
  assertDiscriminator(model);
  const content = windowContent(model, options);
  const layout = layoutText(tokenizer, text, content);
  return scoreSync(model, tokenizer, { layout, content, cache: new LogitsCache(Number.MAX_SAFE_INTEGER), modelKey: '', batchSize: options.batchSize }).tokens;
}

/** Discriminator logits of equal-length windows ([CLS] … [SEP]), one array per window. */
export function forwardWindows(model: ElectraModel, tokenizer: WordPieceTokenizer, windows: Int32Array[]): Float32Array[] {
  const batch = padBatch(windows.map((ids) => ({ inputIds: ids, tokenTypeIds: new Int32Array(ids.length), length: ids.length })), tokenizer.specialIds.pad);
  const flat = tf.tidy(() => {
    const disc = model.discriminator;
    return disc.discriminatorLogits(disc.encode(encoderInputs(batch, batch.inputIds)));
  });
  const values = flat.dataSync() as Float32Array;
  flat.dispose();
  // All-Tokens MLM's head is a copy gate, P(original): its replaced-token logit is the negation.
  if (model.spec.mainHead === 'discriminator+generator') values.forEach((v, i) => (values[i] = -v));
  return windows.map((_, row) => values.slice(row * batch.length, (row + 1) * batch.length));
}
