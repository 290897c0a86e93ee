// How a corpus is cut into documents before packing: a file by default (paragraphs of notes and docs fill
// whole examples), or blank lines as google-research/electra's corpus format. Run: node --import tsx --test test/documents.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverCorpus } from '../src/engine/data/corpus';
import { corpusExamples } from '../src/engine/data/examples';
import { trainWordPiece } from '../src/engine/tokenizer';
import { resolveOptions } from '../src/engine/pretrain/options';
import { isUserError } from '../src/engine/errors';
import { tempDir } from './helpers';

/** Markdown-like text: short paragraphs separated by blank lines. */
function paragraphs(count: number): string {
  const words = ['model', 'token', 'replaced', 'original', 'generator', 'discriminator', 'text', 'sample', 'layer', 'heatmap'];
  return Array.from({ length: count }, (_, p) => Array.from({ length: 12 }, (_, w) => words[(p * 7 + w * 3) % words.length]).join(' ') + '.').join('\n\n') + '\n';
}

async function fill(documents: 'file' | 'blank-lines'): Promise<{ examples: number; meanLength: number }> {
  const dir = tempDir('documents');
  fs.writeFileSync(path.join(dir, 'notes.md'), paragraphs(200));
  const corpus = await discoverCorpus([dir]);
  const tokenizer = await trainWordPiece([paragraphs(50)], { vocabSize: 200 });
  let examples = 0;
  let tokens = 0;
  for await (const ex of corpusExamples(corpus.files, tokenizer, { maxSeqLength: 64, seed: 1, documents })()) {
    examples++;
    tokens += ex.length;
  }
  return { examples, meanLength: tokens / examples };
}

test('a file is one document by default: paragraphs fill whole examples instead of one short example each', async () => {
  const whole = await fill('file');
  const paragraphed = await fill('blank-lines');
  assert.ok(whole.meanLength > 55, `mean example length ${whole.meanLength} of 64`);
  assert.ok(paragraphed.meanLength < 20, `one paragraph per example: ${paragraphed.meanLength}`);
  assert.ok(whole.examples * 3 < paragraphed.examples);
});

test('pretraining records how documents were cut, defaults to whole files, and refuses anything else', () => {
  assert.equal(resolveOptions({ corpus: ['x'], out: 'y' }).documents, 'file');
  assert.equal(resolveOptions({ corpus: ['x'], out: 'y', documents: 'blank-lines' }).documents, 'blank-lines');
  assert.throws(() => resolveOptions({ corpus: ['x'], out: 'y', documents: 'lines' as never }), (e: unknown) => isUserError(e) && /--documents lines — use file or blank-lines/.test((e as Error).message));
});
