import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { readSafetensorsHeader } from '../src/engine/checkpoint/safetensors';
import { finetune, rescaled, withSwappedPairs, type FinetuneEvent } from '../src/engine/finetune/trainer';
import { resolveFinetuneOptions } from '../src/engine/finetune/options';
import { loadClassifier } from '../src/engine/finetune/save';
import { encodeExamples } from '../src/engine/finetune/encode';
import { evaluateSplit } from '../src/engine/finetune/evaluate';
import { labelTargets, readTaskFile, type TaskFile } from '../src/engine/finetune/tasks';
import { tempDir, randomTinyCheckpoint } from './helpers';

const WORDS = ['the', 'film', 'was', 'good', 'bad', 'plot', 'is', 'great', 'awful'];
const paths = { checkpoint: 'c', train: 't', dev: 'd', out: 'o' };

function write(file: string, lines: string[]): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('per-GLUE-task defaults by task name (epochs 10 for RTE and STS-B, 3 elsewhere), each overridable', () => {
  const at = (taskName: string, given = {}) => resolveFinetuneOptions({ ...paths, taskName, ...given }, 256, 'x');
  for (const name of ['CoLA', 'SST-2', 'MRPC', 'QQP', 'MNLI', 'QNLI']) assert.equal(at(name).epochs, 3, name);
  for (const name of ['RTE', 'STS-B', 'stsb']) assert.equal(at(name).epochs, 10, name);
  assert.equal(at('STS-B').kind, 'regression');
  assert.deepEqual(at('STS-B').targetRange, [0, 5]);
  assert.equal(at('STS-B').selectBy, 'spearman');
  assert.equal(at('CoLA').selectBy, 'mcc');
  for (const name of ['MRPC', 'STS-B']) assert.equal(at(name).doubleUnordered, true, name);
  for (const name of ['RTE', 'QQP', 'SST-2', 'my-task']) assert.equal(at(name).doubleUnordered, false, name);
  // Same lr (by width), batch and layer-wise decay for every task, as configure_finetuning.py.
  for (const name of ['RTE', 'MRPC', 'my-task']) {
    const o = at(name);
    assert.deepEqual([o.learningRate, o.batchSize, o.layerDecay, o.warmupFraction], [3e-4, 32, 0.8, 0.1], name);
  }
  const overridden = at('RTE', { epochs: 2, learningRate: 1e-4, batchSize: 16, layerDecay: 0.9, doubleUnordered: true });
  assert.deepEqual([overridden.epochs, overridden.learningRate, overridden.batchSize, overridden.layerDecay, overridden.doubleUnordered], [2, 1e-4, 16, 0.9, true]);
  // An unknown task keeps the general defaults; the folder name picks the task when --task-name is absent.
  assert.equal(at('my-task').epochs, 3);
  assert.equal(resolveFinetuneOptions(paths, 256, 'RTE').epochs, 10);
  assert.equal(at('STS-B', { kind: 'classification' }).targetRange, undefined);
  assert.throws(() => at('RTE', { head: 'mlp' }), /--head mlp — use hf/);
});

test('double_unordered adds every pair swapped; single-sentence tasks are unchanged; STS-B targets 0–5 → 0–1', () => {
  const task: TaskFile = {
    file: 'f', columns: { textA: 'sentence1', textB: 'sentence2', label: 'label' },
    examples: [{ a: 'x one', b: 'y one', label: '1', line: 2 }, { a: 'x two', b: 'y two', label: '0', line: 3 }],
  };
  const doubled = withSwappedPairs(task, true);
  assert.equal(doubled.examples.length, 4);
  assert.deepEqual(doubled.examples.slice(2).map((e) => [e.a, e.b, e.label]), [['y one', 'x one', '1'], ['y two', 'x two', '0']]);
  assert.equal(withSwappedPairs(task, false).examples.length, 2);
  const single: TaskFile = { ...task, examples: [{ a: 'only', label: '1', line: 2 }] };
  assert.equal(withSwappedPairs(single, true).examples.length, 1);
  assert.deepEqual(Array.from(rescaled(Float32Array.from([0, 2.5, 5, 3.8]), [0, 5])), [0, 0.5, 1, Math.fround(3.8 / 5)]);
  assert.deepEqual(Array.from(rescaled(Float32Array.from([7]), undefined)), [7]);
});

test('STS-B end to end: pairs doubled in training, targets rescaled, last-step and best-epoch metrics both reported', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-recipe');
  const checkpoint = await randomTinyCheckpoint(root, WORDS);
  const rows = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({
    sentence1: `the film was ${['good', 'bad'][i % 2]}`, sentence2: `the plot is ${['great', 'awful'][(i >> 1) % 2]}`,
    score: (i % 2) * 2.5 + ((i >> 1) % 2) * 2.5,
  }));
  const train = write(path.join(root, 'STS-B', 'train.jsonl'), rows(32));
  const dev = write(path.join(root, 'STS-B', 'dev.jsonl'), rows(8));
  const events: FinetuneEvent[] = [];
  const result = await finetune({ checkpoint, train, dev, out: path.join(root, 'out'), epochs: 2, batchSize: 16, seqLength: 24 }, (e) => events.push(e));
  assert.equal(result.task, 'STS-B');
  assert.equal(result.kind, 'regression');
  assert.equal(result.train_examples, 64, '32 pairs + 32 swapped');
  assert.equal(events.filter((e) => e.kind === 'step').length, 2 * 4, '64 examples at batch 16, 2 epochs');
  assert.equal(result.last_epoch, 2);
  assert.equal(result.saved_model, 'best_dev_epoch');
  assert.ok([1, 2].includes(result.best_epoch));
  const perEpoch = events.filter((e): e is Extract<FinetuneEvent, { kind: 'metrics' }> => e.kind === 'metrics');
  assert.equal(result.last_metrics.spearman, perEpoch[1].record.spearman);
  assert.equal(result.metrics.spearman, perEpoch[result.best_epoch - 1].record.spearman);
  // Targets were 0–1: the saved model's dev loss on rescaled targets is what the run recorded.
  const loaded = await loadClassifier(path.join(root, 'out'));
  const devFile = await readTaskFile(dev, {}, 'dev');
  const targets = rescaled(labelTargets(devFile, 'regression', [], train), [0, 5]);
  assert.ok(Math.max(...targets) === 1);
  const { metrics } = evaluateSplit(loaded.model, encodeExamples(devFile.examples, loaded.tokenizer, 24).sequences, targets, 'regression', 0);
  assert.ok(Math.abs(metrics.loss - result.metrics.loss) < 1e-6, `${metrics.loss} vs ${result.metrics.loss}`);
  loaded.model.dispose();
});

test('--head dense: google-research/electra\'s one dense layer; hf (default) keeps classifier.dense for transformers', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-head');
  const checkpoint = await randomTinyCheckpoint(root, WORDS);
  const rows = (n: number, s: number) => Array.from({ length: n }, (_, i) => `the film was ${(i + s) % 2 ? 'good' : 'bad'}\t${(i + s) % 2}`);
  const train = write(path.join(root, 'toy', 'train.tsv'), ['sentence\tlabel', ...rows(32, 0)]);
  const dev = write(path.join(root, 'toy', 'dev.tsv'), ['sentence\tlabel', ...rows(8, 1)]);
  for (const head of ['dense', 'hf'] as const) {
    const out = path.join(root, `out-${head}`);
    const result = await finetune({ checkpoint, train, dev, out, epochs: 1, batchSize: 16, seqLength: 16, head, taskName: `toy-${head}` });
    const header = await readSafetensorsHeader(path.join(out, 'model.safetensors'));
    const names = header.entries.map((e) => e.name);
    assert.equal(names.includes('classifier.dense.weight'), head === 'hf', `${head}: classifier.dense`);
    assert.ok(names.includes('classifier.out_proj.weight'));
    const loaded = await loadClassifier(out);
    assert.equal(loaded.model.head, head);
    const devFile = await readTaskFile(dev, {}, 'dev');
    const { metrics } = evaluateSplit(loaded.model, encodeExamples(devFile.examples, loaded.tokenizer, 16).sequences,
      labelTargets(devFile, 'classification', loaded.labels, train), 'classification', 0);
    assert.ok(Math.abs(metrics.loss - result.metrics.loss) < 1e-6);
    loaded.model.dispose();
  }
});
