import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

import { discoverCorpus, readDocuments, readTextChunks, Utf8Validator, type CorpusFile } from '../src/engine/data/corpus';
import { packExamples, type TokenIdEncoder, type PackingDocument, type SourcedExample } from '../src/engine/data/packing';
import { isHeldOut, splitStream, shuffleBuffer, trainExampleStream, HELD_OUT_BLOCK } from '../src/engine/data/split';
import { Rng } from '../src/engine/data/rng';
import { isUserError } from '../src/engine/errors';

// ---------------------------------------------------------------------------------------------
// helpers

const CLS = 2;
const SEP = 3;
const PAD = 0;

/** Stand-in tokenizer: whitespace split, id = hash of the word into 100..999. */
const encoder: TokenIdEncoder = {
  encodeIds(text: string): number[] {
    const out: number[] = [];
    for (const w of text.split(/\s+/)) {
      if (!w) continue;
      let h = 0x811c9dc5;
      for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193) >>> 0;
      out.push(100 + (h % 900));
    }
    return out;
  },
  specialIds: { cls: CLS, sep: SEP, pad: PAD },
};

async function collect<T>(it: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const x of it) {
    out.push(x);
    if (out.length >= limit) break;
  }
  return out;
}

async function* fromArray<T>(xs: readonly T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}

let tmpRoot = '';
function mkdir(...parts: string[]): string {
  const d = path.join(tmpRoot, ...parts);
  fs.mkdirSync(d, { recursive: true });
  return d;
}
function write(file: string, content: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}
function asFiles(...paths: string[]): CorpusFile[] {
  return paths.map((p) => ({ path: p, bytes: fs.statSync(p).size }));
}
async function expectUserError(p: Promise<unknown>, re: RegExp): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(isUserError(e), `expected UserError, got ${(e as Error)?.stack ?? e}`);
    assert.match((e as Error).message, re);
    assert.ok(!(e as Error).message.includes('\n'), 'UserError message must be one line');
    return (e as Error).message;
  }
  assert.fail(`expected a UserError matching ${re}`);
}

const WORDS = 'the quick brown fox jumps over a lazy dog while seven wizards quietly hex jolly zebras'.split(' ');
function sentence(rng: Rng, minWords = 3, maxWords = 30): string {
  const n = rng.nextIntBetween(minWords, maxWords);
  const ws: string[] = [];
  for (let i = 0; i < n; i++) ws.push(WORDS[rng.nextInt(WORDS.length)] + (rng.nextInt(5) === 0 ? String(rng.nextInt(100)) : ''));
  return ws.join(' ');
}
function makeDocs(count: number, linesPerDoc: [number, number], seed = 1, file = 'corpus.txt'): PackingDocument[] {
  const rng = new Rng(seed);
  const docs: PackingDocument[] = [];
  for (let d = 0; d < count; d++) {
    const n = rng.nextIntBetween(linesPerDoc[0], linesPerDoc[1]);
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(sentence(rng));
    docs.push({ file, docIndex: d, lines });
  }
  return docs;
}

before(() => {
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-data-test-'));
});
after(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
describe('rng', () => {
  test('deterministic, forks independent of draws, snapshot/restore, ranges', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    assert.deepEqual(xs, Array.from({ length: 100 }, () => b.nextUint32()));
    assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => new Rng(43).nextUint32()));

    const f1 = new Rng(7).fork('epoch:1').nextUint32();
    const r = new Rng(7);
    for (let i = 0; i < 10; i++) r.nextFloat();
    assert.equal(r.fork('epoch:1').nextUint32(), f1, 'fork depends on seed and label only');
    assert.notEqual(new Rng(7).fork('epoch:2').nextUint32(), f1);

    const s = new Rng('seed-string');
    s.nextFloat();
    const snap = s.snapshot();
    const next = [s.nextUint32(), s.nextUint32()];
    const restored = Rng.restore(JSON.parse(JSON.stringify(snap)));
    assert.deepEqual([restored.nextUint32(), restored.nextUint32()], next);

    const counts = new Array(7).fill(0);
    const u = new Rng(1);
    for (let i = 0; i < 70_000; i++) {
      const f = u.nextFloat();
      assert.ok(f >= 0 && f < 1);
      counts[u.nextInt(7)]++;
      const k = u.nextIntBetween(5, 9);
      assert.ok(k >= 5 && k <= 9 && Number.isInteger(k));
    }
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `nextInt roughly uniform: ${counts}`);
  });
});

// ---------------------------------------------------------------------------------------------
describe('discoverCorpus', () => {
  test('folder recursion picks text files, skips dot dirs, node_modules, non-text extensions; sorted', async () => {
    const root = mkdir('disc1');
    write(path.join(root, 'b.txt'), 'bee\n');
    write(path.join(root, 'a.md'), '# a\n');
    write(path.join(root, 'sub', 'c.py'), 'print(1)\n');
    write(path.join(root, 'sub', 'LICENSE'), 'MIT\n');
    write(path.join(root, 'data.json'), '{}');
    write(path.join(root, 'pic.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]));
    write(path.join(root, '.hidden', 'x.txt'), 'hidden\n');
    write(path.join(root, '.git', 'HEAD.txt'), 'ref\n');
    write(path.join(root, 'node_modules', 'pkg', 'README.md'), 'dep\n');
    const { files, warnings } = await discoverCorpus([root]);
    assert.deepEqual(
      files.map((f) => path.relative(root, f.path).split(path.sep).join('/')),
      ['a.md', 'b.txt', 'sub/LICENSE', 'sub/c.py'],
    );
    assert.equal(files[1].bytes, 4);
    assert.deepEqual(warnings, []);
  });

  test('explicit file (any extension), glob relative to cwd, node_modules only when named, dedupe', async () => {
    const root = mkdir('disc2');
    write(path.join(root, 'notes.json'), '{"a": 1}\n');
    write(path.join(root, 'docs', 'one.md'), 'one\n');
    write(path.join(root, 'docs', 'two.md'), 'two\n');
    write(path.join(root, 'docs', 'three.txt'), 'three\n');
    write(path.join(root, 'node_modules', 'lib', 'x.md'), 'x\n');
    const r1 = await discoverCorpus(['notes.json', 'docs/*.md', 'docs/one.md', '**/*.md'], { cwd: root });
    assert.deepEqual(
      r1.files.map((f) => path.relative(root, f.path).split(path.sep).join('/')),
      ['docs/one.md', 'docs/two.md', 'notes.json'],
    );
    const r2 = await discoverCorpus(['node_modules/**/*.md'], { cwd: root });
    assert.deepEqual(r2.files.map((f) => path.basename(f.path)), ['x.md']);
    const r3 = await discoverCorpus(['docs'], { cwd: root, extensions: ['txt'] });
    assert.deepEqual(r3.files.map((f) => path.basename(f.path)), ['three.txt']);
  });

  test('symlinks (even loops) do not repeat a file', { skip: process.platform === 'win32' }, async () => {
    const root = mkdir('disc-link');
    write(path.join(root, 'a', 'x.txt'), 'hi\n');
    fs.symlinkSync('..', path.join(root, 'a', 'up'));
    fs.symlinkSync('x.txt', path.join(root, 'a', 'y.txt'));
    const { files } = await discoverCorpus([root]);
    assert.deepEqual(files.map((f) => path.relative(root, f.path)), [path.join('a', 'x.txt')]);
  });

  test('missing path → one-line UserError naming it', async () => {
    const msg = await expectUserError(discoverCorpus(['no/such/dir'], { cwd: tmpRoot }), /corpus path not found: no\/such\/dir/);
    assert.match(msg, /check the spelling/);
  });

  test('empty folder and glob without matches → UserError "no text files matched"', async () => {
    const root = mkdir('disc-empty');
    await expectUserError(discoverCorpus([root]), /^no text files matched .*disc-empty/);
    await expectUserError(discoverCorpus(['*.nothing'], { cwd: root }), /^no text files matched "\*\.nothing"/);
  });

  test('binary files are dropped with a warning; all-binary is an error', async () => {
    const root = mkdir('disc-bin');
    write(path.join(root, 'good.txt'), 'hello world\n');
    write(path.join(root, 'bad.txt'), Buffer.concat([Buffer.from('abc'), Buffer.from([0, 1, 2]), Buffer.from('def')]));
    const { files, warnings } = await discoverCorpus([root]);
    assert.deepEqual(files.map((f) => path.basename(f.path)), ['good.txt']);
    assert.equal(warnings.length, 1);
    assert.equal(path.basename(warnings[0].file), 'bad.txt');
    assert.match(warnings[0].message, /binary/);
    await expectUserError(discoverCorpus([path.join(root, 'bad.txt')]), /look binary/);
  });

  test('invalid UTF-8 → UserError naming the file, byte offset and the iconv fix', async () => {
    const root = mkdir('disc-latin1');
    const f = write(path.join(root, 'latin1.txt'), Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]));
    const msg = await expectUserError(discoverCorpus([root]), /latin1\.txt is not valid UTF-8 \(first bad byte at offset 3\)/);
    assert.match(msg, /iconv -f latin1 -t utf-8/);
    assert.ok(msg.includes(f));
  });
});

// ---------------------------------------------------------------------------------------------
describe('readDocuments', () => {
  test('blank lines separate documents, file end ends one, CRLF and whitespace-only lines', async () => {
    const root = mkdir('read1');
    const a = write(path.join(root, 'a.txt'), 'one\r\ntwo\r\n\r\n  \t\r\nthree\r\n\n\nfour');
    const b = write(path.join(root, 'b.txt'), '\n\nfive\nsix\n');
    const docs = await collect(readDocuments(asFiles(a, b)));
    assert.deepEqual(
      docs.map((d) => [path.basename(d.file), d.docIndex, d.lines, d.continues]),
      [
        ['a.txt', 0, ['one', 'two'], false],
        ['a.txt', 1, ['three'], false],
        ['a.txt', 2, ['four'], false],
        ['b.txt', 0, ['five', 'six'], false],
      ],
    );
  });

  test('UTF-8 BOM stripped, multi-byte chars split across read chunks, tiny chunks', async () => {
    const root = mkdir('read2');
    const text = '\ufeffnaïve café — 日本語 🙂\n\nπ ≈ 3.14159\n';
    const f = write(path.join(root, 'u.txt'), text);
    const docs = await collect(readDocuments(asFiles(f), { chunkBytes: 3 }));
    assert.deepEqual(docs.map((d) => d.lines), [['naïve café — 日本語 🙂'], ['π ≈ 3.14159']]);
  });

  test('invalid UTF-8 past the first 8 KB is caught while streaming, with its offset', async () => {
    const root = mkdir('read3');
    const head = Buffer.from('ok line\n'.repeat(2000)); // 16 000 bytes
    const f = write(path.join(root, 'late.txt'), Buffer.concat([head, Buffer.from([0x61, 0xff, 0x62, 0x0a])]));
    const { files } = await discoverCorpus([f]); // first 8 KB is fine
    const msg = await expectUserError(collect(readDocuments(files)), /late\.txt is not valid UTF-8 \(first bad byte at offset 16001\)/);
    assert.match(msg, /exclude it/);
    // truncated multi-byte sequence at end of file
    const g = write(path.join(root, 'trunc.txt'), Buffer.concat([Buffer.from('abc '), Buffer.from([0xe6, 0x97])]));
    await expectUserError(collect(readDocuments(asFiles(g))), /trunc\.txt is not valid UTF-8 \(first bad byte at offset 4\)/);
  });

  test('Utf8Validator agrees with TextDecoder(fatal) on random bytes', () => {
    const rng = new Rng(5);
    for (let t = 0; t < 2000; t++) {
      const bytes = new Uint8Array(rng.nextIntBetween(1, 12));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextBool(0.5) ? rng.nextInt(256) : 0x80 + rng.nextInt(0x40);
      let ok = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        ok = false;
      }
      const v = new Utf8Validator();
      const bad = v.push(bytes);
      assert.equal(bad < 0 && v.end() < 0, ok, `bytes ${[...bytes]}`);
    }
  });

  test('long documents come out in parts marked continues; long lines cut at whitespace', async () => {
    const root = mkdir('read4');
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    const f = write(path.join(root, 'long.txt'), lines.join('\n') + '\n\nnext doc\n');
    const docs = await collect(readDocuments(asFiles(f), { maxDocLines: 4 }));
    assert.deepEqual(docs.map((d) => [d.docIndex, d.lines.length, d.continues]), [[0, 4, true], [0, 4, true], [0, 2, false], [1, 1, false]]);
    assert.deepEqual(docs.slice(0, 3).flatMap((d) => d.lines), lines);

    const words = Array.from({ length: 300 }, (_, i) => `w${i}`);
    const g = write(path.join(root, 'oneline.txt'), words.join(' ') + '   \n');
    const warnings: string[] = [];
    const got = await collect(readDocuments(asFiles(g), { maxLineChars: 50, chunkBytes: 7, onWarning: (w) => warnings.push(w.message) }));
    assert.equal(got.length, 1, 'pieces of one line stay in one document');
    const pieces = got[0].lines;
    assert.ok(pieces.length > 10);
    for (const p of pieces) assert.ok(p.length <= 50, `piece too long: ${p.length}`);
    assert.deepEqual(pieces.join(' ').split(/\s+/).filter(Boolean), words, 'cut only at whitespace, nothing lost');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /longer than 50 characters/);
  });

  test('readTextChunks stops after maxChars', async () => {
    const root = mkdir('read5');
    const f = write(path.join(root, 't.txt'), 'aaaa bbbb\ncccc\n\ndddd eeee\n\nffff\n');
    const all = await collect(readTextChunks(asFiles(f), 1e9));
    assert.deepEqual(all, ['aaaa bbbb\ncccc', 'dddd eeee', 'ffff']);
    const some = await collect(readTextChunks(asFiles(f), 18));
    assert.deepEqual(some, ['aaaa bbbb\ncccc', 'ddd']);
  });
});

// ---------------------------------------------------------------------------------------------
describe('packExamples', () => {
  function checkShape(ex: SourcedExample, maxLen: number): 1 | 2 {
    assert.equal(ex.length, ex.inputIds.length);
    assert.equal(ex.length, ex.tokenTypeIds.length);
    assert.ok(ex.length <= maxLen, `length ${ex.length} > ${maxLen}`);
    assert.equal(ex.inputIds[0], CLS);
    assert.equal(ex.inputIds[ex.length - 1], SEP);
    const seps: number[] = [];
    ex.inputIds.forEach((t, i) => t === SEP && seps.push(i));
    assert.ok(seps.length === 1 || seps.length === 2, `seps at ${seps}`);
    const firstSep = seps[0];
    assert.ok(firstSep >= 1);
    for (let i = 0; i < ex.length; i++) {
      assert.equal(ex.tokenTypeIds[i], i <= firstSep ? 0 : 1, `type at ${i}`);
      if (i !== 0) assert.notEqual(ex.inputIds[i], CLS);
    }
    if (seps.length === 2) assert.ok(seps[1] - firstSep >= 2, 'segment B is non-empty');
    return seps.length as 1 | 2;
  }
  function content(ex: SourcedExample): number[] {
    return [...ex.inputIds].filter((t) => t !== CLS && t !== SEP);
  }

  test('shape, types, lengths, ~10% single-segment, no tokens lost, deterministic', async () => {
    const maxLen = 64;
    const docs = makeDocs(60, [5, 150], 3);
    const examples = await collect(packExamples(fromArray(docs), encoder, { maxSeqLength: maxLen, seed: 11 }));
    assert.ok(examples.length > 1000, `${examples.length} examples`);

    let single = 0;
    let singleInside = 0;
    let inside = 0;
    for (let i = 0; i < examples.length; i++) {
      const ex = examples[i];
      const segs = checkShape(ex, maxLen);
      if (segs === 1) single++;
      // Examples not at the end of their document were built from a full buffer.
      const atDocEnd = i + 1 === examples.length || examples[i + 1].source !== ex.source;
      if (!atDocEnd) {
        inside++;
        if (segs === 1) singleInside++;
      }
    }
    const frac = singleInside / inside;
    assert.ok(frac > 0.07 && frac < 0.13, `single-segment fraction ${frac.toFixed(3)} (${singleInside}/${inside})`);
    assert.ok(single / examples.length < 0.2);

    // no tokens lost, in order, per document; examples of a document are consecutive
    for (const doc of docs) {
      const src = `${doc.file}#${doc.docIndex}`;
      const mine = examples.filter((e) => e.source === src);
      assert.deepEqual(mine.flatMap(content), doc.lines.flatMap((l) => encoder.encodeIds(l)), `tokens of ${src}`);
    }
    const sourcesInOrder = examples.map((e) => e.source).filter((s, i, a) => i === 0 || a[i - 1] !== s);
    assert.deepEqual(sourcesInOrder, docs.map((d) => `${d.file}#${d.docIndex}`));

    // most examples are full-length; ~5% get a random shorter target
    const full = examples.filter((e) => e.length === maxLen).length;
    assert.ok(full / examples.length > 0.75, `full-length fraction ${full / examples.length}`);

    const again = await collect(packExamples(fromArray(docs), encoder, { maxSeqLength: maxLen, seed: 11 }));
    assert.deepEqual(again, examples);
    const other = await collect(packExamples(fromArray(docs), encoder, { maxSeqLength: maxLen, seed: 12 }));
    assert.notDeepEqual(other.map((e) => e.length), examples.map((e) => e.length));
  });

  test('lines longer than the max are split across examples (still two segments), parts are one document', async () => {
    const longLine = Array.from({ length: 1000 }, (_, i) => `tok${i}`).join(' ');
    const docs: PackingDocument[] = [
      { file: 'f', docIndex: 0, lines: ['short start', longLine], continues: true },
      { file: 'f', docIndex: 0, lines: ['tail line here'], continues: false },
      { file: 'f', docIndex: 1, lines: ['x'] },
    ];
    const ex = await collect(packExamples(fromArray(docs), encoder, { maxSeqLength: 32, seed: 1, shortSeqProb: 0 }));
    const pairs = ex.filter((e) => checkShape(e, 32) === 2).length;
    assert.ok(pairs / ex.length > 0.75, 'long lines still give two-segment examples');
    const doc0 = ex.filter((e) => e.source === 'f#0');
    assert.deepEqual(doc0.flatMap(content), [...docs[0].lines, ...docs[1].lines].flatMap((l) => encoder.encodeIds(l)));
    assert.equal(doc0.slice(0, -1).every((e) => e.length === 32), true, 'all but the last are full');
    assert.deepEqual(ex.filter((e) => e.source === 'f#1').map((e) => [...e.inputIds]), [[CLS, encoder.encodeIds('x')[0], SEP]]);
  });

  test('maxSeqLength below 5 is rejected; tiny max still valid', async () => {
    await assert.rejects(collect(packExamples(fromArray(makeDocs(1, [3, 3])), encoder, { maxSeqLength: 4, seed: 0 })), RangeError);
    const ex = await collect(packExamples(fromArray(makeDocs(20, [2, 20], 9)), encoder, { maxSeqLength: 5, seed: 0 }));
    for (const e of ex) checkShape(e, 5);
  });
});

// ---------------------------------------------------------------------------------------------
describe('held-out split and streams', () => {
  type Ex = { source: string; id: number };
  function makeExamples(docs: number, perDoc: (d: number) => number): Ex[] {
    const out: Ex[] = [];
    let id = 0;
    for (let d = 0; d < docs; d++) for (let i = 0; i < perDoc(d); i++) out.push({ source: `c.txt#${d}`, id: id++ });
    return out;
  }

  test('isHeldOut is deterministic and close to the target fraction; splits are disjoint and cover all', async () => {
    const all = makeExamples(4000, (d) => 1 + (d % 5));
    const train = await collect(splitStream(fromArray(all), 'train', 0.1));
    const held = await collect(splitStream(fromArray(all), 'heldout', 0.1));
    assert.equal(train.length + held.length, all.length);
    const trainIds = new Set(train.map((e) => e.id));
    assert.ok(held.every((e) => !trainIds.has(e.id)), 'disjoint');
    const docFrac = new Set(held.map((e) => e.source)).size / 4000;
    assert.ok(Math.abs(docFrac - 0.1) < 0.02, `held-out document fraction ${docFrac}`);
    // whole documents (≤ 16 examples) go to one side
    const heldSources = new Set(held.map((e) => e.source));
    assert.ok(train.every((e) => !heldSources.has(e.source)));
    // same split every time
    assert.deepEqual((await collect(splitStream(fromArray(all), 'heldout', 0.1))).map((e) => e.id), held.map((e) => e.id));
    assert.equal(isHeldOut('x#0', 5, 0), false);
    assert.equal(isHeldOut('x#0', 5, 1), true);
  });

  test('a single huge document still gets a held-out share, in blocks', async () => {
    const all = makeExamples(1, () => 16 * 2000);
    const held = await collect(splitStream(fromArray(all), 'heldout', 0.05));
    const frac = held.length / all.length;
    assert.ok(Math.abs(frac - 0.05) < 0.015, `held-out fraction ${frac}`);
    assert.equal(held.length % HELD_OUT_BLOCK, 0);
  });

  test('shuffleBuffer is a seeded permutation with bounded displacement', async () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const a = await collect(shuffleBuffer(fromArray(xs), 64, new Rng(3)));
    const b = await collect(shuffleBuffer(fromArray(xs), 64, new Rng(3)));
    const c = await collect(shuffleBuffer(fromArray(xs), 64, new Rng(4)));
    assert.deepEqual([...a].sort((p, q) => p - q), xs);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.notDeepEqual(a, xs);
    a.forEach((x, pos) => assert.ok(x <= pos + 64, 'an item cannot come out before it was read'));
    assert.deepEqual(await collect(shuffleBuffer(fromArray(xs), 1, new Rng(3))), xs);
    assert.deepEqual(await collect(shuffleBuffer(fromArray([]), 8, new Rng(3))), []);
  });

  test('trainExampleStream: endless, per-epoch shuffles, train split only, startAt resumes exactly', async () => {
    const all = makeExamples(300, (d) => 1 + (d % 3));
    let reads = 0;
    const make = (): AsyncIterable<Ex> => {
      reads++;
      return fromArray(all);
    };
    const opts = { seed: 5, shuffleBufferSize: 50, heldOutFraction: 0.1 };
    const trainIds = new Set((await collect(splitStream(fromArray(all), 'train', 0.1))).map((e) => e.id));
    const n = trainIds.size;

    const stream = await collect(trainExampleStream(make, { ...opts, startAt: 0 }), 3 * n + 7);
    assert.deepEqual(stream.map((e) => e.index), Array.from({ length: 3 * n + 7 }, (_, i) => i));
    for (let ep = 0; ep < 3; ep++) {
      const epoch = stream.slice(ep * n, (ep + 1) * n);
      assert.ok(epoch.every((e) => e.epoch === ep));
      assert.deepEqual(new Set(epoch.map((e) => e.id)), trainIds, `epoch ${ep} is the train split`);
    }
    assert.notDeepEqual(stream.slice(0, n).map((e) => e.id), stream.slice(n, 2 * n).map((e) => e.id), 'epochs shuffled differently');

    for (const k of [0, 1, 17, n - 1, n, n + 5, 2 * n + 3]) {
      const resumed = await collect(trainExampleStream(make, { ...opts, startAt: k }), 3 * n + 7 - k);
      assert.deepEqual(resumed, stream.slice(k), `startAt ${k}`);
    }
    // whole epochs before startAt are skipped without re-reading once the epoch size is known
    reads = 0;
    await collect(trainExampleStream(make, { ...opts, startAt: 10 * n + 1 }), 1);
    assert.equal(reads, 2);
  });

  test('trainExampleStream: no training examples → UserError with the count', async () => {
    const tiny = [{ source: 'a#0' }, { source: 'a#0' }];
    await expectUserError(
      collect(trainExampleStream(() => fromArray(tiny), { seed: 1, shuffleBufferSize: 4, heldOutFraction: 1 }), 1),
      /too small to hold out a split: all 2 pretraining example\(s\)/,
    );
    await expectUserError(
      collect(trainExampleStream(() => fromArray([] as { source: string }[]), { seed: 1, shuffleBufferSize: 4, heldOutFraction: 0.1 }), 1),
      /no pretraining examples/,
    );
  });

  test('end to end: files → documents → examples → split', async () => {
    const root = mkdir('e2e');
    const rng = new Rng(8);
    for (let f = 0; f < 5; f++) {
      const docs: string[] = [];
      for (let d = 0; d < 30; d++) docs.push(Array.from({ length: 8 }, () => sentence(rng)).join('\n'));
      write(path.join(root, `f${f}.txt`), docs.join('\n\n') + '\n');
    }
    const { files } = await discoverCorpus([root]);
    const make = () => packExamples(readDocuments(files), encoder, { maxSeqLength: 48, seed: 2 });
    const all = await collect(make());
    const held = await collect(splitStream(make(), 'heldout', 0.1));
    const train = await collect(splitStream(make(), 'train', 0.1));
    assert.equal(held.length + train.length, all.length);
    assert.ok(held.length > 0 && train.length > held.length);
    const first = await collect(trainExampleStream(make, { seed: 1, shuffleBufferSize: 32, heldOutFraction: 0.1 }), train.length);
    assert.equal(first.length, train.length);
  });
});

// ---------------------------------------------------------------------------------------------
describe('bounded memory', () => {
  test('a 100 MB single-line file streams in bounded memory', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const root = mkdir('big');
    const file = path.join(root, 'one-line.txt');
    const rng = new Rng(99);
    const parts: string[] = [];
    let len = 0;
    while (len < 1024 * 1024) {
      const w = WORDS[rng.nextInt(WORDS.length)];
      parts.push(w);
      len += w.length + 1;
    }
    const block = Buffer.from(parts.join(' ') + ' ');
    const fd = fs.openSync(file, 'w');
    let written = 0;
    while (written < 100 * 1024 * 1024) written += fs.writeSync(fd, block);
    fs.closeSync(fd);
    parts.length = 0;

    gc();
    const baseRss = process.memoryUsage().rss;
    let peakRss = baseRss;
    let peakHeap = 0;
    let chars = 0;
    let lines = 0;
    const t0 = performance.now();
    let n = 0;
    for await (const doc of readDocuments(asFiles(file))) {
      for (const l of doc.lines) chars += l.length;
      lines += doc.lines.length;
      if (++n % 4 === 0) {
        const m = process.memoryUsage();
        if (m.rss > peakRss) peakRss = m.rss;
        if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const growthMb = (peakRss - baseRss) / 1024 / 1024;
    console.log(
      `100 MB single line: ${(written / 1e6).toFixed(1)} MB read in ${seconds.toFixed(2)} s ` +
        `(${(written / 1e6 / seconds).toFixed(0)} MB/s), ${lines} pieces, peak RSS growth ${growthMb.toFixed(1)} MB, ` +
        `peak heapUsed ${(peakHeap / 1024 / 1024).toFixed(1)} MB`,
    );
    assert.ok(chars > 0.99 * written, 'all text read');
    assert.ok(growthMb < 150, `RSS grew by ${growthMb.toFixed(1)} MB`);
    fs.rmSync(file);
  });
});
