/**
 * WordPiece vocab training, the way HF tokenizers' WordPieceTrainer does it (it is its BPE trainer
 * with a "##" continuation prefix):
 *   1. stream the texts, count whitespace-separated chunks (a Map chunk -> count; memory is bounded
 *      by the number of distinct chunks, pruned when it grows past MAX_DISTINCT_CHUNKS);
 *   2. normalise + pre-tokenise every distinct chunk once -> a Map word -> count;
 *   3. vocab = the 5 specials (ids 0..4), then the alphabet: every char occurring >= minFrequency
 *      times, plus its "##" form (only for chars that can continue a word: punctuation and CJK
 *      ideographs are always words of their own, so "##." could never be used), most frequent
 *      chars first if they do not all fit;
 *   4. BPE-style merges over the distinct words until vocabSize: the pair scored highest is the
 *      one with the highest FREQUENCY (sum of word counts), as in HF's trainer (not the
 *      freq/(freq_a*freq_b) likelihood score of the WordPiece paper); ties go to the pair whose
 *      left piece, then right piece, sorts first (UTF-16 order), so training is deterministic.
 *      Merging "ab" + "##c" gives "abc", "##a" + "##b" gives "##ab". Pair counts are kept in an
 *      incremental index (pair -> count, pair -> words containing it) with a lazy max-heap, so a
 *      merge only touches the words that contain the pair.
 * Training stops early (fewer than vocabSize tokens) when no pair occurs minFrequency times.
 */
import { UserError } from '../errors';
import { type TokenizerOptions, getNormalizer, RAW_WORD_SEPARATORS } from './normalize';
import { forEachWord, isBertPunctuation, isCjkIdeograph } from './pretokenize';
import { CONTINUATION_PREFIX, MAX_INPUT_CHARS_PER_WORD, SPECIAL_TOKENS, WordPieceTokenizer } from './wordpiece';

export interface TrainOptions extends Partial<TokenizerOptions> {
  /** Target vocab size, specials included. */
  vocabSize: number;
  /** Minimum count of a char (to enter the alphabet) and of a pair (to be merged). Default 2. */
  minFrequency?: number;
  /** Stop reading input after this many UTF-16 chars. Default 50e6. */
  maxChars?: number;
}

/** When the distinct-chunk map grows past this, chunks seen only once (then twice, ...) are dropped. */
export const MAX_DISTINCT_CHUNKS = 2_000_000;
const MAX_VOCAB_SIZE = 1 << 22;
const PAIR_KEY = 1 << 22; // pair key = left * PAIR_KEY + right (< 2^44, exact in a double)

/**
 * Trains a vocab from `texts`, consumed piece by piece (each piece should hold whole words: a
 * line, a paragraph, a document). Never holds more of the corpus than one piece at a time.
 */
export async function trainWordPiece(
  texts: AsyncIterable<string> | Iterable<string>,
  options: TrainOptions,
): Promise<WordPieceTokenizer> {
  const { vocabSize } = options;
  const minFrequency = options.minFrequency ?? 2;
  const maxChars = options.maxChars ?? 50e6;
  if (!Number.isInteger(vocabSize) || vocabSize <= SPECIAL_TOKENS.length || vocabSize > MAX_VOCAB_SIZE) {
    throw new UserError(
      `Tokenizer vocabSize ${vocabSize} is invalid; use an integer between ${SPECIAL_TOKENS.length + 1} and ${MAX_VOCAB_SIZE} (e.g. 8000 or 30522)`,
    );
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw new UserError(`Tokenizer minFrequency ${minFrequency} is invalid; use an integer >= 1 (default 2)`);
  }
  if (!(maxChars > 0)) throw new UserError(`Tokenizer maxChars ${maxChars} is invalid; use a positive number (default 50e6)`);

  const chunkCounts = await countChunks(texts, maxChars);
  const wordCounts = countWords(chunkCounts, options);
  chunkCounts.clear();
  if (wordCounts.size === 0) {
    throw new UserError('Tokenizer training found no text (the corpus is empty or only whitespace); point it at files that contain text');
  }
  const vocab = buildVocab(wordCounts, vocabSize, minFrequency);
  return WordPieceTokenizer.fromVocab(vocab, options);
}

async function countChunks(texts: AsyncIterable<string> | Iterable<string>, maxChars: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let remaining = maxChars;
  for await (const piece of texts) {
    if (typeof piece !== 'string') throw new TypeError('trainWordPiece: texts must yield strings');
    let t = piece;
    if (t.length > remaining) {
      let cut = Math.max(0, Math.floor(remaining));
      const c = t.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--; // do not split a surrogate pair
      t = t.slice(0, cut);
    }
    remaining -= t.length;
    for (const chunk of t.split(RAW_WORD_SEPARATORS)) {
      if (chunk.length > 0) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
    }
    if (counts.size > MAX_DISTINCT_CHUNKS) prune(counts);
    if (remaining <= 0 || t.length < piece.length) break;
  }
  return counts;
}

/** Drops the rarest chunks until the map is at most 90% of the cap. */
function prune(counts: Map<string, number>): void {
  for (let threshold = 1; counts.size > MAX_DISTINCT_CHUNKS * 0.9; threshold++) {
    for (const [k, c] of counts) if (c <= threshold) counts.delete(k);
  }
}

function countWords(chunkCounts: Map<string, number>, options: Partial<TokenizerOptions>): Map<string, number> {
  const normalizer = getNormalizer(options);
  const words = new Map<string, number>();
  for (const [chunk, count] of chunkCounts) {
    const n = normalizer.normalizeString(chunk);
    forEachWord(n, (s, e) => {
      const w = n.slice(s, e);
      words.set(w, (words.get(w) ?? 0) + count);
    });
  }
  return words;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function canContinueWord(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return !isBertPunctuation(cp) && !isCjkIdeograph(cp);
}

/** The vocab (specials, alphabet, merges) for the counted words. */
export function buildVocab(wordCounts: Map<string, number>, vocabSize: number, minFrequency: number): string[] {
  // --- alphabet
  const charFreq = new Map<string, number>();
  for (const [w, c] of wordCounts) {
    for (const ch of w) charFreq.set(ch, (charFreq.get(ch) ?? 0) + c);
  }
  const candidates = [...charFreq].filter(([, f]) => f >= minFrequency);
  candidates.sort((x, y) => y[1] - x[1] || cmpStr(x[0], y[0]));
  let budget = vocabSize - SPECIAL_TOKENS.length;
  const singles: string[] = [];
  const continuations: string[] = [];
  for (const [ch] of candidates) {
    const cont = canContinueWord(ch);
    const cost = cont ? 2 : 1;
    if (cost > budget) continue;
    budget -= cost;
    singles.push(ch);
    if (cont) continuations.push(CONTINUATION_PREFIX + ch);
  }
  singles.sort(cmpStr);
  continuations.sort(cmpStr);

  const tokens: string[] = [...SPECIAL_TOKENS, ...singles, ...continuations];
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => ids.set(t, i));
  if (tokens.length >= vocabSize) return tokens;

  // --- words as symbol-id sequences (words with a char outside the alphabet can only be [UNK])
  const words: Int32Array[] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    const chars = Array.from(w);
    if (chars.length < 2 || chars.length > MAX_INPUT_CHARS_PER_WORD) continue;
    const sym = new Int32Array(chars.length);
    let ok = true;
    for (let i = 0; i < chars.length && ok; i++) {
      const id = ids.get(i === 0 ? chars[i] : CONTINUATION_PREFIX + chars[i]);
      if (id === undefined) ok = false;
      else sym[i] = id;
    }
    if (!ok) continue;
    words.push(sym);
    counts.push(c);
  }

  // --- pair index
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  for (let w = 0; w < words.length; w++) {
    const sym = words[w];
    const c = counts[w];
    for (let i = 0; i + 1 < sym.length; i++) {
      const key = sym[i] * PAIR_KEY + sym[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
      let list = where.get(key);
      if (!list) where.set(key, (list = []));
      if (list[list.length - 1] !== w) list.push(w);
    }
  }

  const heap = new PairHeap(tokens);
  for (const [key, c] of pairCount) heap.push(c, key);

  // --- merges
  const visited = new Int32Array(words.length);
  let step = 0;
  while (tokens.length < vocabSize && heap.size > 0) {
    const top = heap.pop();
    const cur = pairCount.get(top.key) ?? 0;
    if (cur !== top.count) {
      if (cur > 0 && cur < top.count) heap.push(cur, top.key);
      continue;
    }
    if (cur < minFrequency) break;
    step++;
    const a = Math.floor(top.key / PAIR_KEY);
    const b = top.key - a * PAIR_KEY;
    const right = tokens[b];
    const merged = tokens[a] + (right.startsWith(CONTINUATION_PREFIX) ? right.slice(CONTINUATION_PREFIX.length) : right);
    let m = ids.get(merged);
    if (m === undefined) {
      m = tokens.length;
      tokens.push(merged);
      ids.set(merged, m);
    }
    const changed = new Set<number>();
    const addPair = (x: number, y: number, delta: number): number => {
      const key = x * PAIR_KEY + y;
      const v = (pairCount.get(key) ?? 0) + delta;
      if (v === 0) pairCount.delete(key);
      else pairCount.set(key, v);
      return key;
    };
    for (const w of where.get(top.key) ?? []) {
      if (visited[w] === step) continue;
      visited[w] = step;
      const sym = words[w];
      const len = sym.length;
      let hits = 0;
      // non-overlapping, left to right (for a === b, "x x x" merges once)
      for (let i = 0; i + 1 < len; i++) {
        if (sym[i] === a && sym[i + 1] === b) {
          hits++;
          i++;
        }
      }
      if (hits === 0) continue; // stale entry: an earlier merge already consumed it
      const c = counts[w];
      const ns = new Int32Array(len - hits);
      let j = 0;
      for (let i = 0; i < len; ) {
        if (i + 1 < len && sym[i] === a && sym[i + 1] === b) {
          ns[j++] = m;
          i += 2;
        } else {
          ns[j++] = sym[i++];
        }
      }
      for (let i = 0; i + 1 < len; i++) addPair(sym[i], sym[i + 1], -c);
      for (let i = 0; i + 1 < ns.length; i++) {
        const key = addPair(ns[i], ns[i + 1], c);
        if (ns[i] === m || ns[i + 1] === m) {
          changed.add(key);
          let list = where.get(key);
          if (!list) where.set(key, (list = []));
          if (list[list.length - 1] !== w) list.push(w);
        }
      }
      words[w] = ns;
    }
    where.delete(top.key);
    pairCount.delete(top.key);
    for (const key of changed) {
      const c = pairCount.get(key);
      if (c !== undefined && c > 0) heap.push(c, key);
    }
  }
  return tokens;
}

/** Max-heap of (count, pair): higher count first, then left piece, then right piece in string order. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  constructor(private readonly tokens: readonly string[]) {}

  get size(): number {
    return this.counts.length;
  }

  /** true if entry i should be popped before entry j */
  private before(i: number, j: number): boolean {
    const ci = this.counts[i];
    const cj = this.counts[j];
    if (ci !== cj) return ci > cj;
    const ki = this.keys[i];
    const kj = this.keys[j];
    const ai = Math.floor(ki / PAIR_KEY);
    const aj = Math.floor(kj / PAIR_KEY);
    if (ai !== aj) return this.tokens[ai] < this.tokens[aj];
    return this.tokens[ki - ai * PAIR_KEY] < this.tokens[kj - aj * PAIR_KEY];
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i];
    this.counts[i] = this.counts[j];
    this.counts[j] = c;
    const k = this.keys[i];
    this.keys[i] = this.keys[j];
    this.keys[j] = k;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0], key: this.keys[0] };
    const last = this.counts.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    const n = this.counts.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}
