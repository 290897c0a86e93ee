import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../src/engine/errors';
import { readSafetensors, type NamedTensor } from '../src/engine/checkpoint/safetensors';
import { removeStaleTemps, writeFileAtomic, writeFolderAtomic } from '../src/engine/checkpoint/atomic';
import {
  listCheckpoints,
  pruneCheckpoints,
  readCheckpointFolder,
  saveCheckpoint,
  type CheckpointFiles,
} from '../src/engine/checkpoint/folder';

const DEAD_PID = 99999999; // above Linux's pid_max (4194304): never a live process

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-test-'));
}

function files(step: number, extra: Partial<CheckpointFiles> = {}): CheckpointFiles {
  return {
    config: { model_type: 'electra', hidden_size: 4, step },
    vocabText: '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n',
    model: new Map<string, NamedTensor>([
      ['electra.embeddings.word_embeddings.weight', { shape: [6, 4], data: Float32Array.from({ length: 24 }, (_, i) => i + step) }],
      ['discriminator_predictions.dense_prediction.bias', { shape: [1], data: new Float32Array([step]) }],
    ]),
    ...extra,
  };
}

async function assertStep(dir: string, step: number): Promise<void> {
  const ck = await readCheckpointFolder(dir);
  assert.equal(ck.config.step, step);
  const model = await readSafetensors(ck.modelPath);
  assert.equal(model.tensors.get('discriminator_predictions.dense_prediction.bias')!.data[0], step);
  assert.equal(model.tensors.get('electra.embeddings.word_embeddings.weight')!.data[23], 23 + step);
}

async function assertUserErrorAsync(fn: () => Promise<unknown>, ...includes: string[]): Promise<string> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, 'expected an error');
  assert.ok(isUserError(caught), `expected a UserError, got ${(caught as Error).name}: ${(caught as Error).message}`);
  const msg = (caught as Error).message;
  assert.ok(!/[\r\n]/.test(msg), `one line: ${JSON.stringify(msg)}`);
  for (const inc of includes) assert.ok(msg.includes(inc), `expected ${JSON.stringify(inc)} in: ${msg}`);
  return msg;
}

/** Names in `dir` that are leftovers of atomic writes. */
function temps(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /\.(tmp|old|del)-/.test(n));
}

test('saveCheckpoint writes the layout; readCheckpointFolder + readSafetensors load it back', async () => {
  const root = tmpDir();
  const dir = path.join(root, 'run', 'checkpoints', 'step-10'); // parents are created
  const gen = new Map<string, NamedTensor>([['generator_lm_head.bias', { shape: [6], data: new Float32Array(6).fill(0.25) }]]);
  const opt = new Map<string, NamedTensor>([['m/w', { shape: [2], data: new Float32Array([1, 2]) }]]);
  await saveCheckpoint(dir, files(10, { generator: gen, optimizer: opt, trainerState: { step: 10, lr: 1e-4 } }));
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    'config.json',
    'generator.safetensors',
    'model.safetensors',
    'optimizer.safetensors',
    'trainer_state.json',
    'vocab.txt',
  ]);
  const configText = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
  assert.equal(configText, `${JSON.stringify({ model_type: 'electra', hidden_size: 4, step: 10 }, null, 2)}\n`);
  const ck = await readCheckpointFolder(dir);
  assert.equal(ck.vocabText, files(10).vocabText);
  assert.deepEqual(ck.trainerState, { step: 10, lr: 1e-4 });
  assert.equal(ck.generatorPath, path.join(dir, 'generator.safetensors'));
  assert.equal(ck.optimizerPath, path.join(dir, 'optimizer.safetensors'));
  const model = await readSafetensors(ck.modelPath);
  assert.deepEqual(model.metadata, { format: 'pt' }); // transformers needs this
  await assertStep(dir, 10);
  const g = await readSafetensors(ck.generatorPath!);
  assert.deepEqual([...g.tensors.get('generator_lm_head.bias')!.data], [0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual(temps(path.dirname(dir)), []);

  // optional parts absent → absent in the result
  const minimal = path.join(root, 'minimal');
  await saveCheckpoint(minimal, files(1));
  const m = await readCheckpointFolder(minimal);
  assert.equal(m.generatorPath, undefined);
  assert.equal(m.optimizerPath, undefined);
  assert.equal(m.trainerState, undefined);
  fs.rmSync(root, { recursive: true });
});

test('saving into an existing folder replaces it as a whole', async () => {
  const root = tmpDir();
  const dir = path.join(root, 'step-5');
  await saveCheckpoint(dir, files(5, { generator: new Map([['g', { shape: [1], data: new Float32Array([1]) }]]) }));
  fs.writeFileSync(path.join(dir, 'stray.txt'), 'from the old folder');
  await saveCheckpoint(dir, files(6));
  await assertStep(dir, 6);
  assert.ok(!fs.existsSync(path.join(dir, 'stray.txt')), 'old folder contents are gone');
  assert.ok(!fs.existsSync(path.join(dir, 'generator.safetensors')), 'files absent from the new save are gone');
  assert.deepEqual(temps(root), []);
  fs.rmSync(root, { recursive: true });
});

test('a save that fails midway leaves the previous checkpoint intact and loadable, and no temp folder', async () => {
  const root = tmpDir();
  const dir = path.join(root, 'step-5');
  await saveCheckpoint(dir, files(5));
  const before = fs.readdirSync(dir).sort();

  // 1) tensor data whose getter throws while the model is being encoded
  const poisoned = new Map<string, NamedTensor>([
    [
      'g',
      {
        shape: [1],
        get data(): Float32Array {
          throw new Error('disk full (simulated)');
        },
      },
    ],
  ]);
  await assert.rejects(saveCheckpoint(dir, files(6, { generator: poisoned })), /simulated/);
  await assertStep(dir, 5);

  // 2) the file list itself blows up after two files were written to the temp folder
  class ExplodingMap extends Map<string, string | Uint8Array> {
    override *[Symbol.iterator](): MapIterator<[string, string | Uint8Array]> {
      let n = 0;
      for (const entry of super[Symbol.iterator]()) {
        if (n++ === 2) throw new Error('crash after two files (simulated)');
        yield entry;
      }
    }
  }
  const three = new ExplodingMap([
    ['config.json', '{"step":7}'],
    ['vocab.txt', 'x\n'],
    ['model.safetensors', new Uint8Array(8)],
  ]);
  await assert.rejects(writeFolderAtomic(dir, three), /simulated/);
  await assertStep(dir, 5);

  // 3) a real I/O error midway: a file name the filesystem refuses (ENAMETOOLONG)
  await assert.rejects(
    writeFolderAtomic(dir, new Map<string, string>([['config.json', '{}'], ['x'.repeat(300), 'too long']])),
    (e: NodeJS.ErrnoException) => e.code === 'ENAMETOOLONG',
  );
  await assertStep(dir, 5);

  // 4) contents of the wrong type, and a name that is not a plain file name
  await assert.rejects(writeFolderAtomic(dir, new Map([['config.json', '{}'], ['model.safetensors', 42 as unknown as string]])), TypeError);
  await assert.rejects(writeFolderAtomic(dir, new Map([['config.json', '{}'], ['../escape', 'x']])), /not a plain file name/);
  assert.ok(!fs.existsSync(path.join(root, 'escape')));
  await assertStep(dir, 5);

  assert.deepEqual(fs.readdirSync(dir).sort(), before);
  assert.deepEqual(temps(root), [], 'failed saves clean up their temp folder');
  fs.rmSync(root, { recursive: true });
});

test('after a hard crash at any point, removeStaleTemps leaves exactly one complete checkpoint', async () => {
  const root = tmpDir();
  const dir = path.join(root, 'step-5');
  const stage = path.join(root, 'stage');

  // crash while writing the temp folder: old folder + partial temp
  await saveCheckpoint(dir, files(5));
  fs.mkdirSync(`${dir}.tmp-${DEAD_PID}-aaaa0001`);
  fs.writeFileSync(`${dir}.tmp-${DEAD_PID}-aaaa0001/config.json`, '{"step":');
  assert.deepEqual((await listCheckpoints(root)).map((c) => c.step), [5]);
  await removeStaleTemps(root);
  assert.deepEqual(fs.readdirSync(root), ['step-5']);
  await assertStep(dir, 5);

  // crash between the two renames: old folder aside, complete new one still as temp, no step-5
  await saveCheckpoint(stage, files(6));
  fs.renameSync(dir, `${dir}.old-${DEAD_PID}-aaaa0002`);
  fs.renameSync(stage, `${dir}.tmp-${DEAD_PID}-aaaa0003`);
  assert.deepEqual(await listCheckpoints(root), []);
  await removeStaleTemps(root);
  assert.deepEqual(fs.readdirSync(root), ['step-5']);
  await assertStep(dir, 5); // the old one is back

  // crash after the swap, before the old folder was removed
  await saveCheckpoint(stage, files(7));
  fs.renameSync(dir, `${dir}.old-${DEAD_PID}-aaaa0004`);
  fs.renameSync(stage, dir);
  await removeStaleTemps(root);
  assert.deepEqual(fs.readdirSync(root), ['step-5']);
  await assertStep(dir, 7);

  // crash while writing a single file atomically, and while pruning
  fs.writeFileSync(path.join(root, `notes.json.tmp-${DEAD_PID}-aaaa0005`), 'partial');
  fs.mkdirSync(path.join(root, `step-1.del-${DEAD_PID}-aaaa0006`));
  await removeStaleTemps(root);
  assert.deepEqual(fs.readdirSync(root), ['step-5']);

  // temps of a live process (our parent) are left alone; our own idle temps are stale
  const live = path.join(root, `step-9.tmp-${process.ppid}-aaaa0007`);
  const ours = path.join(root, `step-9.tmp-${process.pid}-aaaa0008`);
  fs.mkdirSync(live);
  fs.mkdirSync(ours);
  await removeStaleTemps(root);
  assert.ok(fs.existsSync(live));
  assert.ok(!fs.existsSync(ours));
  fs.rmSync(live, { recursive: true });

  await removeStaleTemps(path.join(root, 'does-not-exist')); // fine
  fs.rmSync(root, { recursive: true });
});

test('removeStaleTemps does not touch a save in progress in this process', async () => {
  const root = tmpDir();
  const dir = path.join(root, 'step-1');
  await saveCheckpoint(dir, files(1));
  const big = new Map<string, NamedTensor>([['w', { shape: [4_000_000], data: new Float32Array(4_000_000) }]]);
  const saving = saveCheckpoint(dir, files(2, { generator: big, optimizer: big }));
  // sweep repeatedly while the save runs
  let sweeps = 0;
  let done = false;
  saving.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    await removeStaleTemps(root);
    sweeps++;
    await new Promise((r) => setImmediate(r));
  }
  await saving;
  assert.ok(sweeps > 0);
  await assertStep(dir, 2);
  assert.deepEqual(temps(root), []);
  fs.rmSync(root, { recursive: true });
});

test('listCheckpoints: complete step-N folders sorted numerically; temps and junk ignored', async () => {
  const root = tmpDir();
  assert.deepEqual(await listCheckpoints(path.join(root, 'missing')), []);
  for (const s of [1000, 20, 300]) await saveCheckpoint(path.join(root, `step-${s}`), files(s));
  fs.mkdirSync(path.join(root, `step-400.tmp-${process.pid}-0badf00d`)); // unfinished save
  fs.mkdirSync(path.join(root, `step-500.old-${DEAD_PID}-0badf00d`));
  fs.mkdirSync(path.join(root, 'step-600')); // empty: not a checkpoint
  fs.writeFileSync(path.join(root, 'step-700'), 'a file');
  fs.mkdirSync(path.join(root, 'step-abc'));
  fs.mkdirSync(path.join(root, 'best'));
  const list = await listCheckpoints(root);
  assert.deepEqual(
    list,
    [20, 300, 1000].map((s) => ({ step: s, dir: path.join(root, `step-${s}`) })),
  );
  fs.rmSync(root, { recursive: true });
});

test('pruneCheckpoints keeps the newest K and nothing else is touched', async () => {
  const root = tmpDir();
  for (const s of [100, 200, 300, 1000, 50]) await saveCheckpoint(path.join(root, `step-${s}`), files(s));
  fs.mkdirSync(path.join(root, 'notes'));
  await pruneCheckpoints(root, 2);
  assert.deepEqual((await listCheckpoints(root)).map((c) => c.step), [300, 1000]);
  assert.deepEqual(fs.readdirSync(root).sort(), ['notes', 'step-1000', 'step-300']);
  await assertStep(path.join(root, 'step-1000'), 1000);
  await pruneCheckpoints(root, 5); // fewer than K: nothing happens
  assert.deepEqual((await listCheckpoints(root)).map((c) => c.step), [300, 1000]);
  await pruneCheckpoints(root, 1);
  assert.deepEqual((await listCheckpoints(root)).map((c) => c.step), [1000]);
  // A fine-tuned checkpoint stays, however old: its finetune/ folder is the user's work.
  for (const s of [1100, 1200]) await saveCheckpoint(path.join(root, `step-${s}`), files(s));
  fs.mkdirSync(path.join(root, 'step-1100', 'finetune'));
  fs.writeFileSync(path.join(root, 'step-1100', 'finetune', 'sst2.json'), '{}');
  await pruneCheckpoints(root, 1);
  assert.deepEqual((await listCheckpoints(root)).map((c) => c.step), [1100, 1200]);
  await assert.rejects(pruneCheckpoints(root, 0), /keep must be/);
  await pruneCheckpoints(path.join(root, 'missing'), 3);
  fs.rmSync(root, { recursive: true });
});

test('readCheckpointFolder: one-line UserErrors naming the file and the fix', async () => {
  const root = tmpDir();
  const dir = path.join(root, 'ckpt');

  await assertUserErrorAsync(() => readCheckpointFolder(dir), dir, 'not found');
  fs.writeFileSync(path.join(root, 'model.safetensors'), 'x');
  await assertUserErrorAsync(() => readCheckpointFolder(path.join(root, 'model.safetensors')), 'model.safetensors', 'not a checkpoint folder');

  fs.mkdirSync(dir);
  await assertUserErrorAsync(() => readCheckpointFolder(dir), dir, 'no config.json');

  // a run's checkpoints folder: point at a step folder
  const runCkpts = path.join(root, 'run-checkpoints');
  await saveCheckpoint(path.join(runCkpts, 'step-3'), files(3));
  await saveCheckpoint(path.join(runCkpts, 'step-12'), files(12));
  await assertUserErrorAsync(() => readCheckpointFolder(runCkpts), runCkpts, 'no config.json', path.join(runCkpts, 'step-12'));

  fs.writeFileSync(path.join(dir, 'config.json'), '{"hidden_size": 4,\n');
  await assertUserErrorAsync(() => readCheckpointFolder(dir), path.join(dir, 'config.json'), 'not valid JSON');
  fs.writeFileSync(path.join(dir, 'config.json'), '[1, 2]');
  await assertUserErrorAsync(() => readCheckpointFolder(dir), 'config.json', 'JSON object');
  fs.writeFileSync(path.join(dir, 'config.json'), '\ufeff{"model_type": "electra"}'); // BOM is tolerated

  await assertUserErrorAsync(() => readCheckpointFolder(dir), path.join(dir, 'model.safetensors'), 'not found');
  fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'pickle');
  const abs = path.resolve(dir);
  await assertUserErrorAsync(
    () => readCheckpointFolder(dir),
    'model.safetensors',
    'pytorch_model.bin',
    `sd = torch.load('${abs}/pytorch_model.bin', map_location='cpu'); save_file({k: v.contiguous().clone() for k, v in sd.items()}, '${abs}/model.safetensors', metadata={'format': 'pt'})`,
  );
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), '{}');
  await assertUserErrorAsync(() => readCheckpointFolder(dir), 'model.safetensors', 'sharded');
  fs.rmSync(path.join(dir, 'model.safetensors.index.json'));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d]));

  await assertUserErrorAsync(() => readCheckpointFolder(dir), path.join(dir, 'vocab.txt'), 'nor tokenizer.json');
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{}');
  await assertUserErrorAsync(() => readCheckpointFolder(dir), 'tokenizer.json', 'model.vocab', 'vocab.txt');
  fs.writeFileSync(path.join(dir, 'vocab.txt'), '[PAD]\n');

  fs.writeFileSync(path.join(dir, 'trainer_state.json'), 'nope');
  await assertUserErrorAsync(() => readCheckpointFolder(dir), 'trainer_state.json', 'not valid JSON');
  fs.rmSync(path.join(dir, 'trainer_state.json'));

  const ck = await readCheckpointFolder(dir); // a Hugging Face-style folder (extra files are fine)
  assert.deepEqual(ck.config, { model_type: 'electra' });
  assert.equal(ck.vocabText, '[PAD]\n');
  fs.rmSync(root, { recursive: true });
});

test('writeFileAtomic writes, replaces, and cleans up its temp on failure', async () => {
  const root = tmpDir();
  const file = path.join(root, 'state.json');
  await writeFileAtomic(file, 'one');
  await writeFileAtomic(file, new Uint8Array([0x74, 0x77, 0x6f]));
  assert.equal(fs.readFileSync(file, 'utf8'), 'two');
  assert.deepEqual(fs.readdirSync(root), ['state.json']);

  // a directory where the file should be: the rename fails, the temp is removed
  const blocked = path.join(root, 'blocked.json');
  fs.mkdirSync(blocked);
  fs.writeFileSync(path.join(blocked, 'inside'), 'x');
  await assert.rejects(writeFileAtomic(blocked, 'data'));
  assert.deepEqual(fs.readdirSync(root).sort(), ['blocked.json', 'state.json']);

  await assert.rejects(writeFileAtomic(path.join(root, 'no-such-dir', 'f.json'), 'x'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  fs.rmSync(root, { recursive: true });
});
