/**
 * Held-out split, bounded-memory shuffling and the endless training stream.
 *
 * The split is a pure function of (source, example index within the source): no randomness, no
 * seed, so the held-out set is identical across runs, seeds and resumes. Examples are hashed in
 * blocks of HELD_OUT_BLOCK consecutive examples of one source, so short documents fall entirely
 * on one side, while a single huge document still contributes a held-out share.
 */
import { UserError } from '../errors';
import { Rng, fnv1a32, mix32 } from './rng';

/** Consecutive examples of one source that share a split decision. */
export const HELD_OUT_BLOCK = 16;

/** Deterministic: is example #exampleIndexInSource of `source` in the held-out split? */
export function isHeldOut(source: string, exampleIndexInSource: number, heldOutFraction: number): boolean {
  if (!(heldOutFraction > 0)) return false;
  if (heldOutFraction >= 1) return true;
  const block = Math.floor(exampleIndexInSource / HELD_OUT_BLOCK);
  const h = mix32(fnv1a32(source) ^ mix32((block + 0x9e3779b9) >>> 0));
  return h / 4294967296 < heldOutFraction;
}

/**
 * Keeps one side of the split. Examples of one source must arrive consecutively (packExamples
 * guarantees it), so only the current source is remembered: constant memory.
 */
export async function* splitStream<T extends { source: string }>(
  examples: AsyncIterable<T>,
  part: 'train' | 'heldout',
  heldOutFraction: number,
): AsyncGenerator<T> {
  const wantHeldOut = part === 'heldout';
  let current: string | null = null;
  let indexInSource = 0;
  for await (const ex of examples) {
    if (ex.source !== current) {
      current = ex.source;
      indexInSource = 0;
    }
    if (isHeldOut(ex.source, indexInSource++, heldOutFraction) === wantHeldOut) yield ex;
  }
}

/**
 * Seeded shuffle with a buffer of `size` items (like tf.data's shuffle): the output is a
 * permutation of the input; items move at most ~size positions earlier. size ≤ 1 passes through.
 */
export async function* shuffleBuffer<T>(items: AsyncIterable<T>, size: number, rng: Rng): AsyncGenerator<T> {
  if (!(size > 1)) {
    yield* items;
    return;
  }
  const cap = Math.floor(size);
  const buf: T[] = [];
  for await (const item of items) {
    if (buf.length < cap) {
      buf.push(item);
      continue;
    }
    const j = rng.nextInt(cap);
    const out = buf[j];
    buf[j] = item;
    yield out;
  }
  rng.shuffle(buf);
  for (let i = 0; i < buf.length; i++) {
    const out = buf[i];
    (buf as (T | undefined)[])[i] = undefined; // release as we go
    yield out;
  }
}

export interface TrainStreamOptions {
  seed: number;
  shuffleBufferSize: number;
  heldOutFraction: number;
  /** Global index of the first item to yield (resume): items before it are skipped. Default 0. */
  startAt?: number;
}

/**
 * Endless training stream: epoch after epoch of `makeExamples()` restricted to the train split,
 * each epoch shuffled with its own seeded generator (`seed` → fork(`epoch:N`)).
 * `index` counts items across epochs from 0; with startAt = k the stream yields exactly items
 * k, k+1, ... of the stream started at 0. `makeExamples` must be deterministic (same examples in
 * the same order on every call); whole epochs before `startAt` are then skipped without re-reading
 * once the epoch size is known. Throws UserError if an epoch has no training examples.
 */
export async function* trainExampleStream<T extends { source: string }>(
  makeExamples: () => AsyncIterable<T>,
  opts: TrainStreamOptions,
): AsyncGenerator<T & { epoch: number; index: number }> {
  const startAt = Math.max(0, Math.floor(opts.startAt ?? 0));
  const root = new Rng(opts.seed).fork('train-stream');
  let index = 0;
  let epochSize: number | null = null;

  for (let epoch = 0; ; epoch++) {
    if (epochSize !== null && index + epochSize <= startAt) {
      index += epochSize; // whole epoch before the resume point: skip without reading
      continue;
    }
    let total = 0;
    async function* counted(): AsyncGenerator<T> {
      let current: string | null = null;
      let indexInSource = 0;
      for await (const ex of makeExamples()) {
        total++;
        if (ex.source !== current) {
          current = ex.source;
          indexInSource = 0;
        }
        if (!isHeldOut(ex.source, indexInSource++, opts.heldOutFraction)) yield ex;
      }
    }
    let train = 0;
    for await (const ex of shuffleBuffer(counted(), opts.shuffleBufferSize, root.fork(`epoch:${epoch}`))) {
      train++;
      if (index >= startAt) yield { ...ex, epoch, index };
      index++;
    }
    if (train === 0) {
      if (total === 0) {
        throw new UserError('the corpus produced no pretraining examples — add text files with actual content to the corpus');
      }
      throw new UserError(
        `the corpus is too small to hold out a split: all ${total} pretraining example(s) fell in the held-out part (heldOutFraction ${opts.heldOutFraction}) — add more text, or lower the held-out fraction`,
      );
    }
    if (epochSize === null) epochSize = train;
  }
}
