/**
 * BERT pre-tokenisation of NORMALISED text (see normalize.ts): split on whitespace (dropped), and
 * make every punctuation char and every CJK ideograph a word of its own.
 *   punctuation = ASCII 33-47, 58-64, 91-96, 123-126 (so $ + < = > ^ ` | ~ count, as in BERT) plus
 *                 every Unicode P* char;
 *   CJK         = the CJK Unified Ideographs blocks and extensions plus the compatibility ideographs,
 *                 the same ranges as HF tokenizers' BertNormalizer (`is_chinese_char`).
 * Offsets are UTF-16 code-unit indices into the string given; a surrogate pair is never split.
 */

export interface PreToken {
  text: string;
  /** UTF-16 index of the word's first code unit in the text that was pre-tokenised. */
  start: number;
  /** Exclusive end. */
  end: number;
}

const KIND_WORD = 1;
const KIND_SPACE = 2;
const KIND_ISOLATED = 3;

const UNICODE_PUNCT = /^\p{P}$/u;
const UNICODE_SPACE = /^\p{White_Space}$/u;

export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export function isBertPunctuation(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  return cp >= 128 && UNICODE_PUNCT.test(String.fromCodePoint(cp));
}

function computeKind(cp: number): number {
  if (cp === 32) return KIND_SPACE;
  if (isBertPunctuation(cp) || isCjkIdeograph(cp)) return KIND_ISOLATED;
  if (UNICODE_SPACE.test(String.fromCodePoint(cp))) return KIND_SPACE;
  return KIND_WORD;
}

/** Lazily filled kind table for the BMP (0 = not computed yet); astral chars are cached in a Map. */
const bmpKinds = new Uint8Array(0x10000);
const astralKinds = new Map<number, number>();

function kindOf(cp: number): number {
  if (cp < 0x10000) {
    let k = bmpKinds[cp];
    if (k === 0) {
      k = computeKind(cp);
      bmpKinds[cp] = k;
    }
    return k;
  }
  let k = astralKinds.get(cp);
  if (k === undefined) {
    k = computeKind(cp);
    astralKinds.set(cp, k);
  }
  return k;
}

/** Calls onWord(start, end) for every word of `text`, in order (no allocation per word). */
export function forEachWord(text: string, onWord: (start: number, end: number) => void): void {
  const n = text.length;
  let wordStart = -1;
  for (let i = 0; i < n; ) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const k = kindOf(cp);
    if (k === KIND_WORD) {
      if (wordStart < 0) wordStart = i;
    } else {
      if (wordStart >= 0) {
        onWord(wordStart, i);
        wordStart = -1;
      }
      if (k === KIND_ISOLATED) onWord(i, i + w);
    }
    i += w;
  }
  if (wordStart >= 0) onWord(wordStart, n);
}

export function pretokenize(text: string): PreToken[] {
  const out: PreToken[] = [];
  forEachWord(text, (start, end) => out.push({ text: text.slice(start, end), start, end }));
  return out;
}
