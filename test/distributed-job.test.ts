/**
 * The exported PyTorch job (src/engine/export/job.ts, python/electra_lab_torch) against the engine:
 *  - one recipe: same weights, batch, masking and samples → same losses and gradients (1e-4 relative);
 *  - torchrun --nproc_per_node=2 (gloo) trains an exported tiny job; the ranks stay identical, 2 processes
 *    match 1 at the same global batch, and the checkpoints load in `heatmap` and `eval` and resume in the engine.
 * Needs Debian's python3-torch (native/install-build-deps.sh installs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { ElectraModel, type ElectraModelSpec } from '../src/engine/model/electra';
import { generatorConfig, presetConfig } from '../src/engine/model/config';
import { maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';
import { pretrainingStep } from '../src/engine/pretrain/step';
import { OBJECTIVES } from '../src/engine/pretrain/objectives';
import { padBatch } from '../src/engine/pretrain/batch';
import { Rng } from '../src/engine/data/rng';
import { saveCheckpoint } from '../src/engine/checkpoint/folder';
import { checkpointConfig, loadCheckpoint } from '../src/engine/checkpoint/model-io';
import { readSafetensors } from '../src/engine/checkpoint/safetensors';
import { WordPieceTokenizer, SPECIAL_TOKENS } from '../src/engine/tokenizer/wordpiece';

const PYTHON = '/usr/bin/python3'; // Debian's torch; a pyenv python3 first on PATH has none
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const VOCAB = 120, LENGTH = 32;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'electra-job-'));

function run(cmd: string, args: string[], cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const l2 = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

/**
 * ||a − b|| / ||b||, with ||b|| floored at 1e-3 of the whole gradient's norm: the attention key biases' true
 * gradient is 0 (softmax ignores a shift along the keys), so their float round-off has no scale of its own.
 */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  return l2(Array.from(a, (x, i) => x - b[i])) / Math.max(l2(b), floor);
}

test('the TS engine and the job\'s PyTorch code compute the same losses and gradients (1e-4 relative)', async () => {
  await initBackend('auto');
  const dir = tmp();
  const disc = { ...presetConfig('tiny', VOCAB), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
  const spec: ElectraModelSpec = { discriminator: disc, generator: generatorConfig(disc, 0.25, 1), embeddingSharing: 'tied' };
  const fresh = ElectraModel.initialise(spec, 3);
  const tensors = fresh.exportTensors();
  const tokenizer = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, ...Array.from({ length: VOCAB - 5 }, (_, i) => `w${i}`)]);
  await saveCheckpoint(dir, {
    config: checkpointConfig(spec, { do_lower_case: true, strip_accents: true }, 'electra'),
    vocabText: tokenizer.toVocabText(), model: tensors.discriminator, generator: tensors.generator,
  });
  fresh.dispose();
  const { model } = await loadCheckpoint(dir);
  const rng = new Rng(5);
  // Three rows, the last one padded: the -10000 attention bias and the loss weights are exercised too.
  const batch = padBatch([LENGTH, LENGTH, 20].map((n) => ({
    length: n,
    inputIds: Int32Array.from({ length: n }, (_, i) => (i === 0 ? 2 : i === n - 1 ? 3 : 5 + rng.nextInt(VOCAB - 5))),
    tokenTypeIds: Int32Array.from({ length: n }, (_, i) => (i > n / 2 ? 1 : 0)),
  })), 0, LENGTH);
  const masked = maskBatch(batch, new Rng(11), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, LENGTH), maskId: 4, isSpecial: (id) => id < 5 });
  const named = model.namedVariables();
  const grads = new Map<string, Float32Array>();
  const settings = { objective: OBJECTIVES.electra, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 };
  const out = pretrainingStep(model, batch, masked, settings, 13, {
    variableNames: new Map([...named].map(([n, v]) => [v, n])),
    applyGradients: (g: Map<string, tf.Tensor>) => {
      for (const [name, t] of g) grads.set(name, Float32Array.from(t.dataSync() as Float32Array));
      tf.dispose([...g.values()]);
      return 0;
    },
  });
  model.dispose();
  const dump = path.join(dir, 'dump.json');
  fs.writeFileSync(dump, JSON.stringify({
    batchSize: batch.size, length: batch.length, tokenTypeIds: [...batch.tokenTypeIds], attentionMask: [...batch.attentionMask],
    maskedIds: [...masked.maskedIds], flatPositions: [...masked.flatPositions], labels: [...masked.labels], weights: [...masked.weights],
    samples: [...out.generator!.samples], corruptedIds: [...out.mainInputIds], replaced: [...out.replaced], discriminatorWeight: 50,
  }));
  const gradFile = path.join(dir, 'grads.safetensors');
  const peer = JSON.parse(run(PYTHON, ['-m', 'electra_lab_torch.crosscheck', dir, dump, gradFile], path.join(ROOT, 'python')));
  assert.ok(peer.corrupted_match && peer.replaced_match, 'the corruption rule differs between the engines');
  assert.ok(Math.abs(peer.mlm_loss - out.mlmLoss) / out.mlmLoss < 1e-4, `MLM loss ${out.mlmLoss} vs ${peer.mlm_loss}`);
  assert.ok(Math.abs(peer.rtd_loss - out.mainLoss) / out.mainLoss < 1e-4, `RTD loss ${out.mainLoss} vs ${peer.rtd_loss}`);
  const torchGrads = (await readSafetensors(gradFile)).tensors;
  assert.deepEqual([...torchGrads.keys()].sort(), [...grads.keys()].sort());
  const total = Math.sqrt([...torchGrads.values()].reduce((s, t) => s + l2(t.data) ** 2, 0));
  for (const [name, g] of grads) {
    const err = relativeError(g, torchGrads.get(name)!.data, 1e-3 * total);
    assert.ok(err < 1e-4, `gradient of ${name}: relative error ${err}`);
  }
});

test('torchrun --nproc_per_node=2 trains an exported tiny job like 1 process; the Lab reads and resumes its run', async () => {
  const dir = tmp();
  const corpus = path.join(dir, 'corpus');
  fs.mkdirSync(corpus);
  for (const pkg of ['typescript', 'esbuild', 'uplot', 'tsx']) {
    const readme = path.join(ROOT, 'node_modules', pkg, 'README.md');
    if (fs.existsSync(readme)) fs.copyFileSync(readme, path.join(corpus, `${pkg}.md`));
  }
  const job = path.join(dir, 'job');
  run('node', [CLI, 'export-job', '--corpus', corpus, '--preset', 'tiny', '--steps', '4', '--batch', '4', '--seq', '32',
    '--vocab-size', '300', '--log-every', '1', '--save-every', '2', '--out', job]);
  for (const f of ['train.py', 'README.md', 'job.json', 'vocab.txt', 'electra_lab_torch/job.py', 'init/model.safetensors']) {
    assert.ok(fs.existsSync(path.join(job, f)), `${f} is missing from the job`);
  }
  const one = path.join(dir, 'one'), two = path.join(dir, 'two');
  run(PYTHON, ['train.py', '--out', one, '--dropout', '0'], job);
  // --redirects/--tee: Debian's torch 1.13 torchrun on Python 3.11 fails on the default "0" (see docs/distributed.md).
  run('torchrun', ['--standalone', '--nproc_per_node=2', '--redirects', '2', '--tee', '2', 'train.py', '--out', two,
    '--dropout', '0', '--check-ranks'], job);
  const metrics = (d: string) => fs.readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const [m1, m2] = [metrics(one), metrics(two)];
  assert.equal(m2.length, 4);
  for (let i = 0; i < m1.length; i++) {
    for (const key of ['loss', 'masked_lm_loss', 'disc_loss', 'grad_norm']) {
      assert.ok(Math.abs(m1[i][key] - m2[i][key]) <= 1e-4 * Math.abs(m1[i][key]), `step ${i + 1} ${key}: ${m1[i][key]} vs ${m2[i][key]}`);
    }
  }
  const ckpt = path.join(two, 'checkpoints', 'step-4');
  const heat = JSON.parse(run('node', [CLI, 'heatmap', '--checkpoint', ckpt, path.join(corpus, 'typescript.md'), '--json']));
  assert.ok(heat.tokens.length > 10 && heat.tokens.every((t: { p: number }) => t.p >= 0 && t.p <= 1));
  const ev = JSON.parse(run('node', [CLI, 'eval', '--checkpoint', ckpt, '--corpus', corpus, '--split', 'all', '--json']));
  assert.ok(JSON.stringify(ev).includes('disc_auc'));
  // PyTorch → TS: the engine continues the job's run folder.
  run('node', [CLI, 'pretrain', '--out', two, '--resume', '--steps', '6']);
  assert.ok(fs.existsSync(path.join(two, 'checkpoints', 'step-6', 'model.safetensors')));
  // TS → PyTorch: the job continues the engine's checkpoint (and its optimizer moments).
  run(PYTHON, ['train.py', '--out', two, '--resume', '--steps', '8'], job);
  const state = JSON.parse(fs.readFileSync(path.join(two, 'checkpoints', 'step-8', 'trainer_state.json'), 'utf8'));
  assert.equal(state.step, 8);
  assert.equal(state.engine, 'pytorch');
});
