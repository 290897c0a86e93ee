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
    const value: LineTokens = {
      ids: Int32Array.from(encoded, (t) => t.id),
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
 * whose hash is 0 mod 16. Cuts depend on the running chunk size only until the next accepted cut, so
 * after an edit the chunking falls back into step within a chunk or two.
 */
export function layoutText(tokenizer: WordPieceTokenizer, text: string, content: number): DocumentLayout {
  const { min, max } = chunkLimits(content);
  const cache = lineCache(tokenizer);
  const ids: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const chunkStarts: number[] = [];
  let size = 0;
  let afterBlank = false;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    const line = cache.encode(tokenizer, text.slice(lineStart, lineEnd));
    const n = line.ids.length;
    if (n === 0) afterBlank = true;
    else {
      const boundary = afterBlank || hashIds(line.ids, 0, n) % 4 === 0;
      if (size > 0 && ((size >= min && boundary) || size + n > max)) size = 0;
      afterBlank = false;
      for (let k = 0; k < n; k++) {
        const pairCut = n > max && k > 0 && size >= min && hashIds(line.ids, k - 1, k + 1) % 16 === 0;
        if (size >= max || pairCut) size = 0;
        if (size === 0) chunkStarts.push(ids.length);
        ids.push(line.ids[k]);
        starts.push(line.starts[k] + lineStart);
        ends.push(line.ends[k] + lineStart);
        size++;
      }
    }
    if (newline < 0) break;
    lineStart = newline + 1;
  }
  return { ids: Int32Array.from(ids), starts: Int32Array.from(starts), ends: Int32Array.from(ends), chunkStarts: Int32Array.from(chunkStarts) };
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
