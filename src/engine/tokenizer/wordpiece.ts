/**
 * BERT WordPiece: normalise (normalize.ts), pre-tokenise (pretokenize.ts), then split every word
 * greedily, longest match first, continuation pieces prefixed with "##". A word of more than 100
 * code points, or one that cannot be fully covered by the vocab, becomes a single [UNK] spanning
 * the whole word (BERT / HF tokenizers behaviour).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors';
import { type BertNormalizer, type TokenizerOptions, getNormalizer, resolveOptions } from './normalize';
import { forEachWord } from './pretokenize';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export const CONTINUATION_PREFIX = '##';
export const MAX_INPUT_CHARS_PER_WORD = 100;

export interface EncodedToken {
  id: number;
  /** The vocab piece, e.g. "##ing" (or "[UNK]"). */
  text: string;
  /** UTF-16 code-unit offset into the ORIGINAL input. */
  start: number;
  /** Exclusive end; for a "##" piece the span covers only its own chars. */
  end: number;
}

export interface SpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

/** Per-word cache cap (entries); the cache is cleared when it is reached. */
const WORD_CACHE_LIMIT = 100_000;

export class WordPieceTokenizer {
  readonly vocab: readonly string[];
  readonly vocabSize: number;
  readonly options: TokenizerOptions;
  readonly specialIds: SpecialIds;

  private readonly ids: Map<string, number>;
  private readonly specialSet: ReadonlySet<number>;
  private readonly normalizer: BertNormalizer;
  /** Longest piece in code units (without "##"): no substring longer than this can match. */
  private readonly maxPieceLength: number;
  /** word -> [id, start, end, id, start, end, ...] with start/end relative to the word. */
  private readonly wordCache = new Map<string, Int32Array>();

  private constructor(vocab: readonly string[], ids: Map<string, number>, specialIds: SpecialIds, options: TokenizerOptions) {
    this.vocab = Object.freeze(vocab.slice());
    this.vocabSize = this.vocab.length;
    this.ids = ids;
    this.specialIds = Object.freeze({ ...specialIds });
    this.specialSet = new Set(Object.values(specialIds));
    this.options = Object.freeze({ ...options });
    this.normalizer = getNormalizer(options);
    let maxLen = 1;
    for (const t of this.vocab) {
      const l = t.startsWith(CONTINUATION_PREFIX) ? t.length - CONTINUATION_PREFIX.length : t.length;
      if (l > maxLen) maxLen = l;
    }
    this.maxPieceLength = maxLen;
  }

  /** Builds a tokenizer from tokens in id order. Throws UserError if a special token is missing. */
  static fromVocab(vocab: readonly string[], options?: Partial<TokenizerOptions>): WordPieceTokenizer {
    return WordPieceTokenizer.build(vocab, options, 'Tokenizer vocab');
  }

  /** Loads an HF/Google BERT vocab.txt: one token per line, id = line index. */
  static fromVocabFile(path: string, options?: Partial<TokenizerOptions>): WordPieceTokenizer {
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new UserError(`${path}: vocab file not found; pass the path of a BERT vocab.txt (one token per line) or train a tokenizer first`);
      }
      throw new UserError(`${path}: cannot read vocab file (${code ?? (e as Error).message}); pass the path of a readable BERT vocab.txt`);
    }
    return WordPieceTokenizer.build(parseVocabText(content), options, `${path}: vocab file`);
  }

  private static build(vocab: readonly string[], options: Partial<TokenizerOptions> | undefined, what: string): WordPieceTokenizer {
    const ids = new Map<string, number>();
    for (let i = 0; i < vocab.length; i++) {
      const t = vocab[i];
      if (typeof t !== 'string') throw new UserError(`${what} has a non-string entry at id ${i}; every token must be a string`);
      if (/[\n\r]/.test(t)) throw new UserError(`${what} has a token with a line break at id ${i}; tokens must be single-line`);
      ids.set(t, i); // a duplicated token maps to its last id, as in HF tokenizers and Google's BERT
    }
    const missing = SPECIAL_TOKENS.filter((s) => !ids.has(s));
    if (missing.length > 0) {
      throw new UserError(
        `${what} is missing the special token${missing.length > 1 ? 's' : ''} ${missing.join(' ')}; add ${missing.length > 1 ? 'them' : 'it'} (one token per line) or retrain the tokenizer`,
      );
    }
    const specialIds: SpecialIds = {
      pad: ids.get('[PAD]')!,
      unk: ids.get('[UNK]')!,
      cls: ids.get('[CLS]')!,
      sep: ids.get('[SEP]')!,
      mask: ids.get('[MASK]')!,
    };
    return new WordPieceTokenizer(vocab, ids, specialIds, resolveOptions(options));
  }

  isSpecial(id: number): boolean {
    return this.specialSet.has(id);
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`token id ${id} is outside the vocab (size ${this.vocabSize})`);
    }
    return this.vocab[id];
  }

  /** Pieces of one normalised word: [id, start, end, ...] relative to the word. */
  private wordPieces(word: string): Int32Array {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const result = this.splitWord(word);
    if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
    this.wordCache.set(word, result);
    return result;
  }

  private splitWord(word: string): Int32Array {
    const unk = Int32Array.of(this.specialIds.unk, 0, word.length);
    // Code point boundaries (so a piece never splits a surrogate pair); HF counts chars, not units.
    const bounds: number[] = [];
    for (let i = 0; i < word.length; ) {
      bounds.push(i);
      i += word.codePointAt(i)! > 0xffff ? 2 : 1;
    }
    const nChars = bounds.length;
    if (nChars > MAX_INPUT_CHARS_PER_WORD) return unk;
    bounds.push(word.length);
    const out: number[] = [];
    let start = 0;
    while (start < nChars) {
      let end = nChars;
      while (end > start && bounds[end] - bounds[start] > this.maxPieceLength) end--;
      let found = -1;
      while (end > start) {
        const sub = word.slice(bounds[start], bounds[end]);
        const id = this.ids.get(start > 0 ? CONTINUATION_PREFIX + sub : sub);
        if (id !== undefined) {
          found = id;
          break;
        }
        end--;
      }
      if (found < 0) return unk;
      out.push(found, bounds[start], bounds[end]);
      start = end;
    }
    return Int32Array.from(out);
  }

  /** Tokens with offsets into `text` (no [CLS]/[SEP] added). */
  encode(text: string): EncodedToken[] {
    const norm = this.normalizer.normalize(text);
    const { origStart, origEnd } = norm;
    const ntext = norm.text;
    const out: EncodedToken[] = [];
    forEachWord(ntext, (ws, we) => {
      const p = this.wordPieces(ntext.slice(ws, we));
      for (let k = 0; k < p.length; k += 3) {
        const id = p[k];
        out.push({ id, text: this.vocab[id], start: origStart[ws + p[k + 1]], end: origEnd[ws + p[k + 2] - 1] });
      }
    });
    return out;
  }

  encodeIds(text: string): number[] {
    const ntext = this.normalizer.normalizeString(text);
    const out: number[] = [];
    forEachWord(ntext, (ws, we) => {
      const p = this.wordPieces(ntext.slice(ws, we));
      for (let k = 0; k < p.length; k += 3) out.push(p[k]);
    });
    return out;
  }

  /** Pieces joined by spaces, "##" pieces glued to the previous one, [PAD] skipped. */
  decode(ids: readonly number[]): string {
    let out = '';
    for (const id of ids) {
      if (id === this.specialIds.pad) continue;
      const t = this.idToToken(id);
      if (t.length > CONTINUATION_PREFIX.length && t.startsWith(CONTINUATION_PREFIX)) {
        out += t.slice(CONTINUATION_PREFIX.length);
      } else {
        out += out.length > 0 ? ' ' + t : t;
      }
    }
    return out;
  }

  /** vocab.txt content: one token per line, "\n"-terminated. */
  toVocabText(): string {
    return this.vocab.length === 0 ? '' : this.vocab.join('\n') + '\n';
  }
}

/** Splits vocab.txt content into tokens: one per line, trailing whitespace (incl. \r) trimmed. */
export function parseVocabText(content: string): string[] {
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  const lines = content.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.trimEnd());
}
