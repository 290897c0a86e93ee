import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatorConfig, presetConfig, type ElectraConfig } from '../src/engine/model/config';
import type { ElectraModelSpec } from '../src/engine/model/electra';
import { padBatch, type Batch } from '../src/engine/pretrain/batch';
import { Rng } from '../src/engine/data/rng';
import { ElectraModel } from '../src/engine/model/electra';
import { saveModelCheckpoint } from '../src/engine/checkpoint/model-io';
import { SPECIAL_TOKENS, WordPieceTokenizer } from '../src/engine/tokenizer';

export const ROOT = path.resolve(__dirname, '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `electra-lab-${label}-`));
}

/** A tiny model small enough for unit tests on any backend. */
export function tinySpec(vocabSize = 300, sharing: ElectraModelSpec['embeddingSharing'] = 'tied'): ElectraModelSpec {
  const disc: ElectraConfig = { ...presetConfig('tiny', vocabSize), hidden_size: 64, intermediate_size: 128, embedding_size: 32, num_attention_heads: 2, max_position_embeddings: 64 };
  return { discriminator: disc, generator: generatorConfig(disc, 0.5, 1), embeddingSharing: sharing };
}

/** A padded batch of random token ids shaped like pretraining input ([CLS] … [SEP] … [SEP]). */
export function randomBatch(seed: number, size: number, length: number, vocabSize: number): Batch {
  const rng = new Rng(seed);
  const sequences = Array.from({ length: size }, (_, b) => {
    const n = b === 0 ? length : Math.max(6, length - rng.nextInt(length / 2));
    const ids = new Int32Array(n);
    const types = new Int32Array(n);
    ids[0] = 2;
    const split = Math.floor(n / 2);
    for (let i = 1; i < n; i++) {
      ids[i] = i === split || i === n - 1 ? 3 : 5 + rng.nextInt(vocabSize - 5);
      types[i] = i > split ? 1 : 0;
    }
    return { inputIds: ids, tokenTypeIds: types, length: n };
  });
  return padBatch(sequences, 0, length);
}

/** The repo's real-text corpus for end-to-end tests: the Markdown docs of the installed packages. */
export const REAL_CORPUS = path.join(ROOT, 'node_modules', '**', '*.md');

/**
 * A `tiny` checkpoint pretrained for `steps` by the CLI (dist/cli.js, so after `npm run build`) on three of the
 * installed packages' READMEs; returns its folder and the corpus folder.
 */
export function cliCheckpoint(label: string, steps: number): { checkpoint: string; corpus: string } {
  const corpus = tempDir(`${label}-corpus`);
  for (const p of ['typescript', 'esbuild', 'fast-glob']) fs.copyFileSync(path.join(ROOT, 'node_modules', p, 'README.md'), path.join(corpus, `${p}.md`));
  const run = path.join(tempDir(`${label}-run`), 'run');
  const trained = spawnSync(process.execPath, [CLI, 'pretrain', '--corpus', corpus, '--out', run, '--preset', 'tiny', '--steps', String(steps),
    '--batch', '4', '--seq', '32', '--vocab-size', '600', '--save-every', String(steps)], { encoding: 'utf8' });
  if (trained.status !== 0) throw new Error(`pretraining the test checkpoint failed: ${trained.stderr}`);
  return { checkpoint: path.join(run, 'checkpoints', `step-${steps}`), corpus };
}

/** A `tiny` checkpoint with random weights (seed 3) in `<root>/ckpt`, whose vocabulary holds `words` whole (padded to
 *  300): fine-tuning tests need a checkpoint in seconds, not a pretraining run. */
export async function randomTinyCheckpoint(root: string, words: readonly string[]): Promise<string> {
  const vocab = [...SPECIAL_TOKENS, ...words];
  while (vocab.length < 300) vocab.push(`w${vocab.length}`);
  const model = ElectraModel.initialise(tinySpec(300), 3);
  const dir = path.join(root, 'ckpt');
  await saveModelCheckpoint(dir, model, WordPieceTokenizer.fromVocab(vocab), 'electra');
  model.dispose();
  return dir;
}

/** A safetensors file holding only `header` and `dataBytes` of sparse data after it: a hostile file of any declared
 *  size that costs no disk. */
export function writeSafetensorsHeader(file: string, header: string, dataBytes = 0): void {
  const json = Buffer.from(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, len, 0, 8, 0);
  fs.writeSync(fd, json, 0, json.length, 8);
  fs.ftruncateSync(fd, 8 + json.length + dataBytes);
  fs.closeSync(fd);
}

/** A safetensors header of at least `bytes` listing empty tensors t0, t1, …: big without any data. */
export function emptyTensorsHeader(bytes: number): string {
  const entries: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    entries.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    size += entries[i].length + 1;
  }
  return `{${entries.join(',')}}`;
}
