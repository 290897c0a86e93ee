/**
 * BERT BasicTokenizer text cleanup, done the way HF `tokenizers`' BertNormalizer does it:
 *   1. clean: drop NUL, U+FFFD and every "other" char (Unicode category C*: Cc, Cf, Cs, Co, Cn) except
 *      \t \n \r; map every White_Space char to ' '
 *   2. strip accents (optional): NFD, then drop non-spacing marks (Mn)
 *   3. lower-case (optional): per code point, without context (so a lone 'Σ' -> 'σ', like Rust's
 *      char::to_lowercase; String#toLowerCase on a whole string would apply the final-sigma rule)
 * CJK ideographs are split into their own words by pretokenize.ts, not padded with spaces here.
 *
 * Every step works on one code point at a time, so the whole normalisation is a function of each
 * input code point alone (cached). The one difference from a whole-string NFD is canonical
 * reordering of runs of several combining marks, which only changes the order of marks we either
 * drop (Mn) or keep verbatim; it never changes the words or their offsets.
 */

export interface TokenizerOptions {
  lowercase: boolean;
  stripAccents: boolean;
}

export const DEFAULT_TOKENIZER_OPTIONS: Readonly<TokenizerOptions> = Object.freeze({
  lowercase: true,
  stripAccents: true,
});

export function resolveOptions(options?: Partial<TokenizerOptions>): TokenizerOptions {
  return {
    lowercase: options?.lowercase ?? DEFAULT_TOKENIZER_OPTIONS.lowercase,
    stripAccents: options?.stripAccents ?? DEFAULT_TOKENIZER_OPTIONS.stripAccents,
  };
}

/** Normalised text plus, for every UTF-16 code unit of it, the source char's span in the original input. */
export interface NormalizedText {
  text: string;
  /** origStart[i]: UTF-16 index in the ORIGINAL string where the char that produced text[i] starts. */
  origStart: Int32Array;
  /** origEnd[i]: exclusive end of that source char (start + 1, or + 2 for a surrogate pair). */
  origEnd: Int32Array;
}

const OTHER = /^\p{C}$/u;
const WHITE_SPACE = /^\p{White_Space}$/u;
const NONSPACING_MARK = /\p{Mn}/gu;

function lowerPerCodePoint(s: string): string {
  let out = '';
  for (const c of s) out += c.toLowerCase();
  return out;
}

export class BertNormalizer {
  readonly options: TokenizerOptions;
  private readonly ascii: string[] = new Array(128);
  private readonly cache = new Map<number, string>();

  constructor(options?: Partial<TokenizerOptions>) {
    this.options = resolveOptions(options);
    for (let c = 0; c < 128; c++) this.ascii[c] = this.computeChar(c);
  }

  /** What one input code point becomes: '' (dropped), ' ' (whitespace) or one or more chars. */
  mapCodePoint(cp: number): string {
    if (cp < 128) return this.ascii[cp];
    let r = this.cache.get(cp);
    if (r === undefined) {
      r = this.computeChar(cp);
      this.cache.set(cp, r);
    }
    return r;
  }

  private computeChar(cp: number): string {
    if (cp === 0 || cp === 0xfffd) return '';
    if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return ' ';
    // Lone surrogates come through codePointAt as 0xD800-0xDFFF: category Cs, dropped here.
    let s = String.fromCodePoint(cp);
    if (OTHER.test(s)) return '';
    if (WHITE_SPACE.test(s)) return ' ';
    if (this.options.stripAccents) s = s.normalize('NFD').replace(NONSPACING_MARK, '');
    if (this.options.lowercase) s = lowerPerCodePoint(s);
    return s;
  }

  /** Normalised string only (no offset map): the fast path used by training. */
  normalizeString(input: string): string {
    let out = '';
    const n = input.length;
    for (let i = 0; i < n; ) {
      const c = input.charCodeAt(i);
      if (c < 128) {
        out += this.ascii[c];
        i++;
        continue;
      }
      const cp = input.codePointAt(i)!;
      out += this.mapCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
    }
    return out;
  }

  /** Normalised string with a map from every output code unit back to the original input. */
  normalize(input: string): NormalizedText {
    const n = input.length;
    let cap = n + 16;
    let origStart = new Int32Array(cap);
    let origEnd = new Int32Array(cap);
    const parts: string[] = [];
    let len = 0;
    for (let i = 0; i < n; ) {
      const c = input.charCodeAt(i);
      let rep: string;
      let w = 1;
      if (c < 128) {
        rep = this.ascii[c];
      } else {
        const cp = input.codePointAt(i)!;
        if (cp > 0xffff) w = 2;
        rep = this.mapCodePoint(cp);
      }
      const rl = rep.length;
      if (rl > 0) {
        if (len + rl > cap) {
          cap = Math.max(cap * 2, len + rl);
          const s2 = new Int32Array(cap);
          s2.set(origStart.subarray(0, len));
          origStart = s2;
          const e2 = new Int32Array(cap);
          e2.set(origEnd.subarray(0, len));
          origEnd = e2;
        }
        for (let k = 0; k < rl; k++) {
          origStart[len] = i;
          origEnd[len] = i + w;
          len++;
        }
        parts.push(rep);
      }
      i += w;
    }
    return { text: parts.join(''), origStart: origStart.subarray(0, len), origEnd: origEnd.subarray(0, len) };
  }
}

const normalizers = new Map<string, BertNormalizer>();

/** Shared normaliser for a set of options (its per-code-point cache is reused). */
export function getNormalizer(options?: Partial<TokenizerOptions>): BertNormalizer {
  const o = resolveOptions(options);
  const key = `${o.lowercase ? 1 : 0}${o.stripAccents ? 1 : 0}`;
  let n = normalizers.get(key);
  if (!n) {
    n = new BertNormalizer(o);
    normalizers.set(key, n);
  }
  return n;
}

export function normalize(input: string, options?: Partial<TokenizerOptions>): NormalizedText {
  return getNormalizer(options).normalize(input);
}

export function normalizeString(input: string, options?: Partial<TokenizerOptions>): string {
  return getNormalizer(options).normalizeString(input);
}

/**
 * The chars that still separate words after normalisation: White_Space minus the ones that are
 * also control chars (U+000B, U+000C, U+0085 are Cc, so cleanup drops them instead of making a
 * space). Splitting raw text on these gives the same words as normalising first.
 */
export const RAW_WORD_SEPARATORS = /[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/;
