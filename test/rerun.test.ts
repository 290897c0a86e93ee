import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { pretrain, type TrainerEvent } from '../src/engine/pretrain/trainer';
import { corpusCheck, rerun } from '../src/engine/pretrain/rerun';
import { readRunRecord } from '../src/engine/pretrain/run-record';
import { ROOT, tempDir } from './helpers';

function corpusDir(): string {
  const dir = tempDir('rerun-corpus');
  for (const p of ['typescript', 'esbuild', 'fast-glob']) fs.copyFileSync(path.join(ROOT, 'node_modules', p, 'README.md'), path.join(dir, `${p}.md`));
  return dir;
}

const TINY = { preset: 'tiny' as const, steps: 20, batchSize: 4, seqLength: 32, vocabSize: 600, logEvery: 1, saveEvery: 20, sampleEvery: 100, seed: 7, backend: 'wasm' as const };

function lossCollector(): { losses: number[]; onEvent: (e: TrainerEvent) => void } {
  const losses: number[] = [];
  return { losses, onEvent: (e) => { if (e.kind === 'step') losses.push(e.loss); } };
}

test('run.json records the options, backend, versions and corpus hashes; a rerun gives identical first 20 losses', async () => {
  await initBackend('wasm');
  const corpus = corpusDir();
  const original = path.join(tempDir('rerun-a'), 'run');
  const a = lossCollector();
  await pretrain({ ...TINY, corpus: [corpus], out: original }, a.onEvent);
  assert.equal(a.losses.length, 20);

  const record = await readRunRecord(original, 'test');
  assert.equal(record.options.seed, 7);
  assert.equal(record.options.steps, 20);
  const p = record.provenance!;
  assert.equal(p.backend.tier, 'wasm');
  assert.equal(p.backend.tfjs, 'wasm');
  assert.match(p.versions['electra-lab'], /^\d+\.\d+\.\d+/);
  assert.match(p.versions.tfjs, /^4\./);
  assert.equal(p.corpus.files.length, 3);
  const ts = p.corpus.files.find((f) => f.path.endsWith('typescript.md'))!;
  const bytes = fs.readFileSync(ts.path);
  assert.equal(ts.bytes, bytes.length);
  assert.equal(ts.sha256, createHash('sha256').update(bytes).digest('hex'));

  const again = path.join(path.dirname(original), 'again');
  const b = lossCollector();
  const result = await rerun(original, { out: again }, b.onEvent);
  assert.deepEqual(b.losses.slice(0, 20), a.losses.slice(0, 20), 'same seed, same backend: the same losses, exactly');
  assert.match(result.corpus, /^corpus unchanged: 3 files/);
  assert.match(result.losses, /identical to the original at all 20 logged steps/);

  // Not vacuous: another seed trains differently.
  const c = lossCollector();
  await pretrain({ ...TINY, seed: 8, corpus: [corpus], out: path.join(path.dirname(original), 'other-seed') }, c.onEvent);
  assert.notDeepEqual(c.losses, a.losses);

  // The corpus check notices an edited file and names it.
  fs.appendFileSync(path.join(corpus, 'esbuild.md'), '\nOne more line.\n');
  const check = await corpusCheck(record);
  assert.equal(check.changed, true);
  assert.match(check.line, /^corpus changed since the run: 1 modified \(esbuild\.md\)$/);
});

test('rerun of a folder without run.json is one line naming the file and what is needed', async () => {
  const empty = tempDir('rerun-empty');
  await assert.rejects(rerun(empty, {}, () => {}), (e: Error) => {
    assert.equal(e.message, `${path.join(empty, 'run.json')} does not exist — rerun needs the folder of a pretraining run`);
    return true;
  });
});
