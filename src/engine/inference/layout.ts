import type { WordPieceTokenizer } from '../tokenizer';

/**
 * A document as the heatmap scores it: its tokens (typed arrays, 12 bytes a token, so a multi-megabyte
 * file stays small) cut into chunks whose boundaries depend on nearby content only. An edit therefore
 * changes the chunks around it and leaves the others — and the windows built on them — as they were.
 */
export interface DocumentLayout {
  ids: Int32Array;
  /** UTF-16 span of each token in the document. */
  starts: Int32Array;
  ends: Int32Array;
  /** Token index where each chunk starts; chunk c is [chunkStarts[c], chunkStarts[c + 1] ?? ids.length). */
  chunkStarts: Int32Array;
}

export function tokenCount(layout: DocumentLayout): number {
  return layout.ids.length;
}

export function chunkEnd(layout: DocumentLayout, chunk: number): number {
  return chunk + 1 < layout.chunkStarts.length ? layout.chunkStarts[chunk + 1] : layout.ids.length;
}

/** Chunk sizes as fractions of a window's content: every chunk leaves ≥ 1/4 of a window as context on each side. */
export function chunkLimits(content: number): { min: number; max: number } {
  return { min: Math.max(1, Math.floor((content * 3) / 8)), max: Math.max(1, Math.floor(content / 2)) };
}

interface LineTokens {
  ids: Int32Array;
  /** hashIds over the line's tokens: whether a chunk may start here. */
  hash: number;
  /** Offsets relative to the line's start. */
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * Tokens of recently seen lines per tokenizer: a new document version re-tokenizes only the lines that
 * changed. BERT pre-tokenization splits at whitespace, so a line's tokens never depend on its neighbours
 * (test/heatmap-windows.test.ts checks this against encoding the whole text).
 */
class LineTokenCache {
  private readonly lines = new Map<string, LineTokens>();
  constructor(private readonly capacity: number) {}

  encode(tokenizer: WordPieceTokenizer, line: string): LineTokens {
    const hit = this.lines.get(line);
    if (hit) {
      this.lines.delete(line);
      this.lines.set(line, hit);
      return hit;
    }
    const encoded = tokenizer.encode(line);
    const lineIds = Int32Array.from(encoded, (t) => t.id);
    const value: LineTokens = {
      ids: lineIds,
      hash: hashIds(lineIds, 0, lineIds.length),
      starts: Int32Array.from(encoded, (t) => t.start),
      ends: Int32Array.from(encoded, (t) => t.end),
    };
    // Very long lines (minified files) are rarely repeated verbatim: not worth their memory.
    if (line.length <= 4096) {
      this.lines.set(line, value);
      if (this.lines.size > this.capacity) this.lines.delete(this.lines.keys().next().value!);
    }
    return value;
  }
}

const lineCaches = new WeakMap<WordPieceTokenizer, LineTokenCache>();

function lineCache(tokenizer: WordPieceTokenizer): LineTokenCache {
  let cache = lineCaches.get(tokenizer);
  if (!cache) lineCaches.set(tokenizer, (cache = new LineTokenCache(200_000)));
  return cache;
}

/** 32-bit FNV-1a over token ids: the content-defined part of a chunk boundary. */
function hashIds(ids: Int32Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= ids[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Tokenizes `text` line by line and cuts chunks of `min`–`max` tokens. A chunk ends before a line that
 * follows a blank line (a paragraph) or whose own tokens hash to 0 mod 4, once the chunk has `min`
 * tokens; it ends anyway before `max` is passed. A line longer than `max` is cut inside at token pairs
 * whose hash is 0 mod 4. Cuts depend on the running chunk size only until the next accepted cut, so
 * after an edit the chunking falls back into step within a chunk or two.
 */
export function layoutText(tokenizer: WordPieceTokenizer, text: string, content: number): DocumentLayout {
  const { min, max } = chunkLimits(content);
  const cache = lineCache(tokenizer);
  // First the lines (mostly cache hits after the first version), then one pass into preallocated arrays.
  const lines: { tokens: LineTokens; start: number }[] = [];
  let total = 0;
  for (let lineStart = 0; ;) {
    const newline = text.indexOf('\n', lineStart);
    const tokens = cache.encode(tokenizer, text.slice(lineStart, newline < 0 ? text.length : newline));
    lines.push({ tokens, start: lineStart });
    total += tokens.ids.length;
    if (newline < 0) break;
    lineStart = newline + 1;
  }
  const ids = new Int32Array(total);
  const starts = new Int32Array(total);
  const ends = new Int32Array(total);
  const chunkStarts: number[] = [];
  let size = 0;
  let afterBlank = false;
  let at = 0;
  for (const { tokens: line, start: lineStart } of lines) {
    const n = line.ids.length;
    if (n === 0) {
      afterBlank = true;
      continue;
    }
    const boundary = afterBlank || line.hash % 4 === 0;
    if (size > 0 && ((size >= min && boundary) || size + n > max)) size = 0;
    afterBlank = false;
    if (size === 0 && n <= max) chunkStarts.push(at);
    if (n > max) {
      for (let k = 0; k < n; k++) {
        const pairCut = k > 0 && size >= min && hashIds(line.ids, k - 1, k + 1) % 4 === 0;
        if (size >= max || pairCut) size = 0;
        if (size === 0) chunkStarts.push(at + k);
        size++;
      }
    } else {
      size += n;
    }
    ids.set(line.ids, at);
    for (let k = 0; k < n; k++) {
      starts[at + k] = line.starts[k] + lineStart;
      ends[at + k] = line.ends[k] + lineStart;
    }
    at += n;
  }
  return { ids, starts, ends, chunkStarts: Int32Array.from(chunkStarts) };
}

/** Chunks holding a token that overlaps [start, end) (an empty range still finds the token at `start`). */
export function chunksOverlapping(layout: DocumentLayout, start: number, end: number): number[] {
  const chunks: number[] = [];
  for (let c = 0; c < layout.chunkStarts.length; c++) {
    const first = layout.chunkStarts[c];
    const last = chunkEnd(layout, c) - 1;
    if (layout.starts[first] < Math.max(end, start + 1) && layout.ends[last] > start) chunks.push(c);
  }
  return chunks;
}
