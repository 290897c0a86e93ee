import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fg from 'fast-glob';
import {
  type EncodedToken,
  type TokenizerOptions,
  SPECIAL_TOKENS,
  WordPieceTokenizer,
  normalize,
  normalizeString,
  pretokenize,
  trainWordPiece,
} from '../src/engine/tokenizer';

const ROOT = resolve(__dirname, '..');

// ---------------------------------------------------------------- helpers

/** Normalised words of `text`, joined by one space: what decode(encodeIds(text)) gives when nothing is [UNK]. */
function normalizedWords(text: string, options?: Partial<TokenizerOptions>): string {
  return pretokenize(normalizeString(text, options))
    .map((w) => w.text)
    .join(' ');
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Offsets are exact: in order, non-overlapping, never inside a surrogate pair, and for every piece
 * the original slice normalises to the piece without "##". An [UNK] spans a whole word.
 */
function assertExactOffsets(tok: WordPieceTokenizer, input: string, tokens: EncodedToken[] = tok.encode(input)): void {
  let prevStart = 0;
  let prevEnd = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const where = `${JSON.stringify(t)} in ${JSON.stringify(input)}`;
    assert.ok(t.start >= prevStart && t.end > t.start && t.end <= input.length, `bad span ${where}`);
    // Spans overlap only when one source char expands to several normalised chars and a piece
    // boundary falls inside the expansion (e.g. a Hangul syllable NFD-decomposed into jamo): both
    // pieces then carry that char's span, as in HF tokenizers.
    const sharesChar = t.start < prevEnd || (i + 1 < tokens.length && tokens[i + 1].start < t.end);
    assert.ok(!isLow(input.charCodeAt(t.start)), `start splits a surrogate pair: ${where}`);
    assert.ok(!isHigh(input.charCodeAt(t.end - 1)), `end splits a surrogate pair: ${where}`);
    assert.equal(t.text, tok.idToToken(t.id));
    const sliceNorm = normalizeString(input.slice(t.start, t.end), tok.options);
    if (t.id === tok.specialIds.unk) {
      // the whole word: one pre-token, nothing around it
      const words = pretokenize(sliceNorm);
      assert.equal(words.length, 1, `[UNK] should span exactly one word: ${where}`);
      assert.equal(words[0].text, sliceNorm, `[UNK] span has extra chars: ${where}`);
    } else {
      const piece = t.text.startsWith('##') ? t.text.slice(2) : t.text;
      if (sharesChar) assert.ok(sliceNorm.includes(piece), `slice does not contain the piece: ${where}`);
      else assert.equal(sliceNorm, piece, `slice does not normalise to the piece: ${where}`);
    }
    prevStart = t.start;
    prevEnd = t.end;
  }
}

/** decode(encodeIds(x)) equals the normalised words of x (checked only where no [UNK] occurs). */
function assertRoundTrip(tok: WordPieceTokenizer, input: string): void {
  const ids = tok.encodeIds(input);
  assert.deepEqual(ids, tok.encode(input).map((t) => t.id));
  assert.ok(!ids.includes(tok.specialIds.unk), `unexpected [UNK] in ${JSON.stringify(input)}`);
  assert.equal(tok.decode(ids), normalizedWords(input, tok.options));
}

/** A vocab with the specials, every char of the normalised texts (and its ## form) and some whole words. */
function charVocab(texts: string[], words: string[] = [], options?: Partial<TokenizerOptions>): string[] {
  const set = new Set<string>(SPECIAL_TOKENS);
  for (const t of texts) {
    for (const ch of normalizeString(t, options)) {
      if (ch === ' ') continue;
      set.add(ch);
      set.add('##' + ch);
    }
  }
  for (const w of words) set.add(w);
  return [...set];
}

function texts(files: string[]): string[] {
  return files.map((f) => readFileSync(f, 'utf8'));
}

/** Real text: the markdown files under node_modules plus TypeScript's lib .d.ts (doc comments), ~3 MB. */
function realCorpus(): string[] {
  const files = fg
    .sync(['node_modules/**/*.md', 'node_modules/typescript/lib/lib.*.d.ts'], { cwd: ROOT, absolute: true })
    .sort();
  const out: string[] = [];
  let total = 0;
  for (const t of texts(files)) {
    if (total >= 3e6) break;
    out.push(t);
    total += t.length;
  }
  assert.ok(total > 500_000, `only ${total} chars of text under node_modules; run npm install first`);
  return out;
}

const PARAGRAPHS = [
  'ELECTRA pre-trains a discriminator: it predicts, for every token, whether a generator replaced it. (Clark et al., 2020)',
  'Café naïve Ångström — résumé, coöperate, façade; São Paulo, Zürich & Kraków!',
  '我爱北京天安门。東京は日本の首都です；한국어 텍스트도 있어요.',
  'Punctuation: "quotes", ‘curly’, «guillemets», ¿qué? ¡sí! — en–dash… $100 + 5% = <tag> ^_^ `code` | ~tilde @user #hash',
  'I ❤️ 🤖 tokens 👩‍👩‍👧 line one\r\nline two\ttab\u0000nul\u200bzwsp\u0007bel',
  'Cafe\u0301 nai\u0308ve  İstanbul ΣΊΣΥΦΟΣ straße ﬁnance Ⅻ ① x²',
];

let trainedPromise: Promise<{ tok: WordPieceTokenizer; corpus: string[] }> | undefined;
/** The 2000-token vocab trained on the real corpus (+ the paragraphs, so CJK and accents are in it). */
function trained(): Promise<{ tok: WordPieceTokenizer; corpus: string[] }> {
  trainedPromise ??= (async () => {
    const corpus = [...realCorpus(), ...PARAGRAPHS, ...PARAGRAPHS, ...PARAGRAPHS];
    const tok = await trainWordPiece(corpus, { vocabSize: 2000 });
    return { tok, corpus };
  })();
  return trainedPromise;
}

// ---------------------------------------------------------------- normalisation

test('normalize maps every output code unit back to its source char', () => {
  const input = 'A\u0000É\r\n👩\u200d👧 İ';
  const n = normalize(input);
  assert.equal(n.text, 'ae  👩👧 i');
  assert.equal(n.origStart.length, n.text.length);
  // 'a'<-A, 'e'<-É, ' '<-\r, ' '<-\n, 👩 (2 units) <- [5,7), 👧 <- [8,10), ' ' <- 10, 'i' <- İ at 11
  assert.deepEqual([...n.origStart], [0, 2, 3, 4, 5, 5, 8, 8, 10, 11]);
  assert.deepEqual([...n.origEnd], [1, 3, 4, 5, 7, 7, 10, 10, 11, 12]);
  assert.equal(normalizeString(input), n.text);
  assert.equal(normalizeString('İ', { lowercase: true, stripAccents: false }), 'i\u0307');
  assert.equal(normalizeString('ΣΑΣ'), 'σασ', 'per-char lower-casing, no final-sigma rule (as HF)');
  assert.equal(normalizeString('Café', { lowercase: false, stripAccents: false }), 'Café');
});

test('pretokenize splits whitespace, punctuation and CJK ideographs', () => {
  const words = pretokenize("a,b $x+y=z 我爱 don't «q» ab—cd");
  assert.deepEqual(
    words.map((w) => w.text),
    ['a', ',', 'b', '$', 'x', '+', 'y', '=', 'z', '我', '爱', 'don', "'", 't', '«', 'q', '»', 'ab', '—', 'cd'],
  );
  for (const w of words) assert.equal("a,b $x+y=z 我爱 don't «q» ab—cd".slice(w.start, w.end), w.text);
});

// ---------------------------------------------------------------- encode: offsets + round trips

test('plain English: exact offsets and round trip', async () => {
  const { tok } = await trained();
  const input = "Hello, world! This is ELECTRA's tokenizer (v2.0): pre-training   replaced-token detection.";
  const tokens = tok.encode(input);
  assert.ok(tokens.some((t) => t.text.startsWith('##')), 'expected some ## pieces');
  assertExactOffsets(tok, input, tokens);
  assertRoundTrip(tok, input);
  assert.equal(tok.decode(tok.encodeIds('Hello, world!')), 'hello , world !');
  assert.deepEqual(tok.encodeIds(''), []);
  assert.deepEqual(tok.encode(' \t\r\n '), []);
});

test('accents: stripAccents on and off, precomposed and NFD input', () => {
  const precomposed = 'Café naïve Ångström';
  const nfd = precomposed.normalize('NFD');
  assert.notEqual(nfd, precomposed);

  const on = WordPieceTokenizer.fromVocab(charVocab([precomposed], ['cafe', 'naive', 'ang', '##strom']));
  for (const input of [precomposed, nfd]) {
    const toks = on.encode(input);
    assert.deepEqual(toks.map((t) => t.text), ['cafe', 'naive', 'ang', '##strom']);
    assertExactOffsets(on, input, toks);
    assertRoundTrip(on, input);
    assert.equal(on.decode(on.encodeIds(input)), 'cafe naive angstrom');
  }
  // precomposed: 'é' is one code unit, so the words end where they end in the input
  assert.deepEqual(on.encode(precomposed).map((t) => [t.start, t.end]), [[0, 4], [5, 10], [11, 14], [14, 19]]);
  // NFD: the dropped combining marks are not part of any piece
  assert.deepEqual(on.encode(nfd).map((t) => [t.start, t.end]), [[0, 4], [6, 12], [13, 17], [17, 23]]);

  const offOpts = { stripAccents: false };
  const off = WordPieceTokenizer.fromVocab(charVocab([precomposed, nfd], ['café', 'naïve'], offOpts), offOpts);
  assert.equal(off.options.lowercase, true);
  assert.deepEqual(off.encode(precomposed).slice(0, 2).map((t) => t.text), ['café', 'naïve']);
  for (const input of [precomposed, nfd]) {
    assertExactOffsets(off, input);
    assertRoundTrip(off, input);
  }
  assert.equal(off.decode(off.encodeIds(precomposed)), 'café naïve ångström');
  // without stripping, NFD input keeps its combining marks (as HF's BertNormalizer: no NFD unless stripping)
  assert.equal(off.decode(off.encodeIds(nfd)), nfd.toLowerCase());
});

test('CJK: one token per ideograph', () => {
  const input = '我爱北京天安门';
  const tok = WordPieceTokenizer.fromVocab(charVocab([input], ['北京']));
  const toks = tok.encode(input);
  assert.deepEqual(toks.map((t) => t.text), [...input]);
  assert.deepEqual(toks.map((t) => [t.start, t.end]), [...input].map((_, i) => [i, i + 1]));
  assertExactOffsets(tok, input, toks);
  assert.equal(tok.decode(tok.encodeIds(input)), '我 爱 北 京 天 安 门');
  // mixed with Latin, no spaces: still split around each ideograph
  assert.deepEqual(tok.encode('a我b').map((t) => t.text), ['[UNK]', '我', '[UNK]']);

  // Hangul is not CJK-ideograph split; with accent stripping its syllables NFD-decompose into jamo
  // (as in HF), so pieces inside one syllable share that syllable's span.
  const ko = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, '\u1112', '##\u1161', '##\u11ab', '##\u1100', '##\u116e\u11a8', '한', '##국']);
  assert.deepEqual(ko.encode('한국').map((t) => [t.text, t.start, t.end]), [
    ['\u1112', 0, 1],
    ['##\u1161', 0, 1],
    ['##\u11ab', 0, 1],
    ['##\u1100', 1, 2],
    ['##\u116e\u11a8', 1, 2],
  ]);
  assertExactOffsets(ko, '한국');
  const koKeep = WordPieceTokenizer.fromVocab(ko.vocab, { stripAccents: false });
  assert.deepEqual(koKeep.encode('한국').map((t) => [t.text, t.start, t.end]), [
    ['한', 0, 1],
    ['##국', 1, 2],
  ]);
});

test('emoji: surrogate pairs are never split, ZWJ and VS16 are dropped like HF', () => {
  const input = 'I ❤️ 🤖 tokens 👩‍👩‍👧';
  const vocab = [...SPECIAL_TOKENS, 'i', 'tokens', '🤖', '👩', '##👩', '##👧'];
  const tok = WordPieceTokenizer.fromVocab(vocab);
  const toks = tok.encode(input);
  assert.deepEqual(
    toks.map((t) => [t.text, t.start, t.end]),
    [
      ['i', 0, 1],
      ['[UNK]', 2, 3], // ❤ (U+FE0F is a Mn mark, stripped)
      ['🤖', 5, 7],
      ['tokens', 8, 14],
      ['👩', 15, 17], // U+200D ZWJ is Cf: dropped by cleanup, the family is one word
      ['##👩', 18, 20],
      ['##👧', 21, 23],
    ],
  );
  assertExactOffsets(tok, input, toks);
  assert.equal(tok.decode(tok.encodeIds(input)), 'i [UNK] 🤖 tokens 👩👩👧');

  const keep = WordPieceTokenizer.fromVocab(vocab, { stripAccents: false });
  const k = keep.encode(input);
  assert.deepEqual([k[1].text, k[1].start, k[1].end], ['[UNK]', 2, 4], 'VS16 kept in the word without accent stripping');
  assertExactOffsets(keep, input, k);
  // an emoji whose code units would be split by a unit-based cut: every piece must still be whole
  const many = '🤖🤖🤖 a🤖b';
  const t2 = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, '🤖', '##🤖', 'a', '##b']);
  assert.deepEqual(t2.encode(many).map((t) => [t.text, t.start, t.end]), [
    ['🤖', 0, 2],
    ['##🤖', 2, 4],
    ['##🤖', 4, 6],
    ['a', 7, 8],
    ['##🤖', 8, 10],
    ['##b', 10, 11],
  ]);
});

test('CRLF and tabs separate words; offsets index the raw string', () => {
  const input = 'line one\r\nline two\ttab';
  const tok = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, 'line', 'one', 'two', 'tab']);
  assert.deepEqual(
    tok.encode(input).map((t) => [t.text, t.start, t.end]),
    [
      ['line', 0, 4],
      ['one', 5, 8],
      ['line', 10, 14],
      ['two', 15, 18],
      ['tab', 19, 22],
    ],
  );
  assertExactOffsets(tok, input);
  assertRoundTrip(tok, input);
});

test('control chars, U+FFFD and NUL are dropped; U+0085/VT/FF do not split words', () => {
  const input = 'a\u0000b\u0007c \u200bd\ufffde \u0085f g\u000bh\u000ci\u00a0j\u3000k';
  const tok = WordPieceTokenizer.fromVocab(charVocab(['abcdefghijk'], ['abc', 'de', 'f', 'ghi']));
  assert.deepEqual(
    tok.encode(input).map((t) => [t.text, t.start, t.end]),
    [
      ['abc', 0, 5],
      ['de', 7, 10],
      ['f', 12, 13],
      ['ghi', 14, 19],
      ['j', 20, 21],
      ['k', 22, 23],
    ],
  );
  assertExactOffsets(tok, input);
  assertRoundTrip(tok, input);
  // a lone surrogate is dropped too
  assert.deepEqual(tok.encode('a\ud800b').map((t) => [t.text, t.start, t.end]), [
    ['a', 0, 1],
    ['##b', 2, 3],
  ]);
});

test('a word over 100 chars becomes one [UNK] spanning it; exactly 100 is split normally', () => {
  const tok = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, 'hi', 'there', 'a', '##a', 'aaaa', '##aaaa']);
  const long = 'a'.repeat(101);
  const input = `hi ${long} there`;
  assert.deepEqual(
    tok.encode(input).map((t) => [t.text, t.start, t.end]),
    [
      ['hi', 0, 2],
      ['[UNK]', 3, 3 + long.length],
      ['there', 4 + long.length, 9 + long.length],
    ],
  );
  assertExactOffsets(tok, input);
  const hundred = tok.encode('a'.repeat(100));
  assert.equal(hundred.length, 25);
  assert.ok(hundred.every((t) => t.id !== tok.specialIds.unk));
  // 100 code points counted as chars, not UTF-16 units (HF counts chars)
  const emojiTok = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, '🤖', '##🤖']);
  assert.equal(emojiTok.encode('🤖'.repeat(100)).length, 100);
  assert.deepEqual(emojiTok.encode('🤖'.repeat(101)).map((t) => [t.text, t.start, t.end]), [['[UNK]', 0, 202]]);
});

test('unknown: a word that cannot be covered is one [UNK] for the whole word', () => {
  const tok = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, 'un', '##able', 'x']);
  assert.deepEqual(tok.encode('unable unxable').map((t) => [t.text, t.start, t.end]), [
    ['un', 0, 2],
    ['##able', 2, 6],
    ['[UNK]', 7, 14],
  ]);
});

test('decode joins pieces, glues ##, skips [PAD]', () => {
  const tok = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, 'play', '##ing', '##ed', '.', 'we']);
  const id = (t: string): number => tok.tokenToId(t)!;
  assert.equal(
    tok.decode([id('[CLS]'), id('we'), id('play'), id('##ing'), id('.'), id('[SEP]'), id('[PAD]'), id('[PAD]')]),
    '[CLS] we playing . [SEP]',
  );
  assert.equal(tok.decode([]), '');
  assert.throws(() => tok.decode([999]), RangeError);
});

// ---------------------------------------------------------------- vocab loading

test('google-style vocab: specials looked up by name ([UNK]=100)', () => {
  const vocab = ['[PAD]'];
  for (let i = 1; i < 100; i++) vocab.push(`[unused${i - 1}]`);
  vocab.push('[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', '##s', '.');
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  try {
    const path = join(dir, 'vocab.txt');
    writeFileSync(path, vocab.join('\r\n') + '\r\n'); // CRLF file
    const tok = WordPieceTokenizer.fromVocabFile(path);
    assert.equal(tok.vocabSize, vocab.length);
    assert.deepEqual(tok.specialIds, { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
    assert.ok(tok.isSpecial(100) && tok.isSpecial(103) && tok.isSpecial(0));
    assert.ok(!tok.isSpecial(1) && !tok.isSpecial(104));
    assert.deepEqual(tok.encodeIds('The cats. Dog'), [104, 105, 106, 107, 100]);
    assert.equal(tok.idToToken(100), '[UNK]');
    assert.equal(tok.tokenToId('cat'), 105);
    assert.equal(tok.tokenToId('dog'), undefined);
    assert.equal(tok.toVocabText(), vocab.join('\n') + '\n');
    // toVocabText -> file -> fromVocabFile round trip
    writeFileSync(path, tok.toVocabText());
    assert.deepEqual(WordPieceTokenizer.fromVocabFile(path).vocab, tok.vocab);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing special tokens or file -> UserError naming the problem', () => {
  assert.throws(
    () => WordPieceTokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a']),
    (e: Error) => e.name === 'UserError' && e.message.includes('[MASK]') && !e.message.includes('\n'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  try {
    const path = join(dir, 'vocab.txt');
    writeFileSync(path, '[PAD]\n[UNK]\nhello\n');
    assert.throws(
      () => WordPieceTokenizer.fromVocabFile(path),
      (e: Error) => e.name === 'UserError' && e.message.includes(path) && e.message.includes('[CLS] [SEP] [MASK]'),
    );
    const missing = join(dir, 'nope.txt');
    assert.throws(
      () => WordPieceTokenizer.fromVocabFile(missing),
      (e: Error) => e.name === 'UserError' && e.message.includes(missing) && /not found/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- training

test('train on real text: exact size, specials first, deterministic, < 2% [UNK]', async () => {
  const { tok, corpus } = await trained();
  assert.equal(tok.vocabSize, 2000);
  assert.deepEqual(tok.vocab.slice(0, 5), [...SPECIAL_TOKENS]);
  assert.deepEqual(tok.specialIds, { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
  assert.equal(new Set(tok.vocab).size, 2000, 'no duplicate tokens');
  assert.ok(tok.vocab.some((t) => t.startsWith('##') && t.length > 3), 'merged continuation pieces');

  const again = await trainWordPiece(corpus, { vocabSize: 2000 });
  assert.deepEqual(again.vocab, tok.vocab, 'training is deterministic');

  let unk = 0;
  let total = 0;
  for (const text of corpus) {
    const ids = tok.encodeIds(text);
    total += ids.length;
    for (const id of ids) if (id === tok.specialIds.unk) unk++;
  }
  assert.ok(total > 100_000);
  assert.ok(unk / total < 0.02, `[UNK] rate ${((100 * unk) / total).toFixed(2)}%`);
  for (const p of PARAGRAPHS) assertExactOffsets(tok, p);
});

test('training streams: async pieces give the same vocab as whole texts; maxChars stops reading', async () => {
  const corpus = realCorpus().slice(0, 20);
  const whole = await trainWordPiece(corpus, { vocabSize: 600 });
  async function* lines(): AsyncGenerator<string> {
    for (const t of corpus) for (const l of t.split('\n')) yield l;
  }
  const streamed = await trainWordPiece(lines(), { vocabSize: 600 });
  assert.deepEqual(streamed.vocab, whole.vocab);

  let pulled = 0;
  function* counted(): Generator<string> {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield 'lorem ipsum dolor sit amet consectetur adipiscing elit '.repeat(20); // 1100 chars
    }
  }
  const small = await trainWordPiece(counted(), { vocabSize: 200, maxChars: 5000 });
  assert.ok(pulled <= 5, `pulled ${pulled} pieces`);
  assert.ok(small.vocabSize <= 200 && small.vocabSize > 5);
  assert.ok(small.tokenToId('lorem') !== undefined);
});

test('training: minFrequency, tiny vocab and bad options', async () => {
  const t = await trainWordPiece(['aaa bbb aaa bbb ccc x'], { vocabSize: 100 });
  assert.equal(t.tokenToId('x'), undefined, 'x occurs once < minFrequency 2');
  assert.ok(t.tokenToId('aaa') !== undefined && t.tokenToId('bbb') !== undefined);
  assert.equal(t.tokenToId('ccc'), undefined, 'ccc occurs once: no merge for it');
  const one = await trainWordPiece(['aaa bbb aaa bbb ccc x'], { vocabSize: 100, minFrequency: 1 });
  assert.ok(one.tokenToId('x') !== undefined && one.tokenToId('ccc') !== undefined);
  // alphabet larger than the budget: the most frequent chars are kept, size is exact
  const tiny = await trainWordPiece(['abcdefghij '.repeat(3) + 'aaaa bbbb'], { vocabSize: 9 });
  assert.equal(tiny.vocabSize, 9);
  assert.deepEqual(tiny.vocab.slice(5), ['a', 'b', '##a', '##b']);

  await assert.rejects(trainWordPiece(['a b'], { vocabSize: 3 }), (e: Error) => e.name === 'UserError');
  await assert.rejects(trainWordPiece([' \n\t'], { vocabSize: 100 }), (e: Error) => e.name === 'UserError');
  await assert.rejects(trainWordPiece(['a b'], { vocabSize: 100, minFrequency: 0 }), (e: Error) => e.name === 'UserError');
});

// ---------------------------------------------------------------- oracle: HF tokenizers (Rust)

/**
 * FINDING: the Node binding's Encoding.getOffsets() are in Unicode CODE POINTS of the original
 * string (not UTF-16 units, not UTF-8 bytes): for "🤖 a" it gives [[0,1],[2,3]] where UTF-16 is
 * [[0,2],[3,4]]. So we map code point offsets to UTF-16 before comparing.
 */
test('oracle: same ids and offsets as HF tokenizers 0.23 (BertNormalizer + BertPreTokenizer + WordPiece)', async () => {
  let hf: typeof import('tokenizers');
  try {
    hf = await import('tokenizers');
    if (typeof hf.WordPiece?.fromFile !== 'function') throw new Error('WordPiece.fromFile missing');
  } catch (e) {
    assert.fail(
      `HF tokenizers binding did not load (${(e as Error).message}); run \`npm install\` (devDependency tokenizers@0.23.2 ships prebuilt binaries for linux-x64/arm64, darwin, win32)`,
    );
  }
  const { tok, corpus } = await trained();
  const dir = mkdtempSync(join(tmpdir(), 'tok-'));
  try {
    const vocabPath = join(dir, 'vocab.txt');
    writeFileSync(vocabPath, tok.toVocabText());
    const model = await hf.WordPiece.fromFile(vocabPath, { unkToken: '[UNK]' });
    const theirs = new hf.Tokenizer(model);
    theirs.setNormalizer(hf.bertNormalizer({ lowercase: true, stripAccents: true, cleanText: true, handleChineseChars: true }));
    theirs.setPreTokenizer(hf.bertPreTokenizer());

    // the offset-unit finding, checked: code points
    const probe = await theirs.encode('🤖 a');
    assert.deepEqual(probe.getOffsets(), [[0, 1], [2, 3]]);

    const lines = [...PARAGRAPHS, ...corpus.join('\n').split('\n').filter((l) => l.trim().length > 0).slice(0, 4000)];
    const encs = await theirs.encodeBatch(lines);
    let checked = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const cpToUnit: number[] = [];
      let u = 0;
      for (const ch of line) {
        cpToUnit.push(u);
        u += ch.length;
      }
      cpToUnit.push(u);
      const e = encs[i];
      const expected = e.getIds().map((id, k) => {
        const [s, end] = e.getOffsets()[k];
        return [id, cpToUnit[s], cpToUnit[end]];
      });
      const ours = tok.encode(line).map((t) => [t.id, t.start, t.end]);
      assert.deepEqual(ours, expected, `differs from HF on ${JSON.stringify(line)}`);
      checked += ours.length;
    }
    assert.ok(checked > 20_000, `compared ${checked} tokens`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
