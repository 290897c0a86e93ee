import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { readSafetensorsHeader } from '../src/engine/checkpoint/safetensors';
import { finetune, type FinetuneEvent } from '../src/engine/finetune/trainer';
import { loadClassifier } from '../src/engine/finetune/save';
import { encodeExamples } from '../src/engine/finetune/encode';
import { evaluateSplit } from '../src/engine/finetune/evaluate';
import { readTaskFile, labelTargets } from '../src/engine/finetune/tasks';
import { binaryF1, matthews, pearson, spearman } from '../src/engine/finetune/metrics';
import { layerRateScale } from '../src/engine/finetune/model';
import { WordPieceTokenizer, SPECIAL_TOKENS } from '../src/engine/tokenizer';
import { CLI, ROOT, tempDir, randomTinyCheckpoint } from './helpers';
import { PRETRAIN_CORPUS, writePackageTopicTask } from './doc-tasks';

const WORDS = ['the', 'a', 'film', 'was', 'good', 'bad', 'great', 'awful', 'plot', 'acting', 'is', 'not', 'very', 'and', 'but', '.'];

function sentimentRows(n: number, seed: number): string[] {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const positive = (i * 7 + seed) % 2 === 0;
    const word = positive ? ['good', 'great'][i % 2] : ['bad', 'awful'][i % 2];
    rows.push(`the ${['film', 'plot', 'acting'][i % 3]} was ${i % 4 === 0 ? 'very ' : ''}${word} .\t${positive ? 1 : 0}`);
  }
  return rows;
}

function write(file: string, lines: string[]): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('metrics: F1, Matthews, Pearson, Spearman (ties share their rank) against hand-computed values', () => {
  assert.equal(binaryF1([1, 1, 0, 0], [1, 0, 1, 0]), 0.5);
  assert.equal(matthews([1, 1, 0, 0], [1, 1, 0, 0]), 1);
  assert.equal(matthews([1, 1, 1, 1], [1, 0, 1, 0]), 0); // a constant answer scores 0, as sklearn
  assert.ok(Math.abs(matthews([1, 0, 1, 0, 1], [1, 0, 0, 0, 1]) - 0.6667) < 1e-4);
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 7]) - 0.9934) < 1e-4);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9487) < 1e-4);
  // google-research/electra's layer-wise rates for 2 layers: head 1, top layer 0.8², embeddings 0.8⁴.
  assert.equal(layerRateScale('classifier.dense.weight', 2, 0.8), 1);
  assert.ok(Math.abs(layerRateScale('electra.encoder.layer.1.output.dense.weight', 2, 0.8) - 0.64) < 1e-12);
  assert.ok(Math.abs(layerRateScale('electra.embeddings.word_embeddings.weight', 2, 0.8) - 0.4096) < 1e-12);
});

test('fine-tuning writes an ElectraForSequenceClassification folder, the results JSON and progress events; the saved model reproduces its dev metrics', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-run');
  const checkpoint = await randomTinyCheckpoint(root, WORDS);
  const train = write(path.join(root, 'SST-toy', 'train.tsv'), ['sentence\tlabel', ...sentimentRows(48, 0)]);
  const dev = write(path.join(root, 'SST-toy', 'dev.tsv'), ['sentence\tlabel', ...sentimentRows(16, 1)]);
  const events: FinetuneEvent[] = [];
  const out = path.join(root, 'out');
  const result = await finetune({ checkpoint, train, dev, out, epochs: 2, batchSize: 16, seqLength: 16 }, (e) => events.push(e));
  assert.equal(result.task, 'SST-toy');
  assert.equal(result.results, path.join(checkpoint, 'finetune', 'SST-toy.json'));
  const saved = JSON.parse(fs.readFileSync(result.results, 'utf8'));
  assert.equal(saved.task, 'SST-toy');
  assert.equal(saved.kind, 'classification');
  for (const key of ['accuracy', 'f1', 'mcc', 'loss']) assert.equal(typeof saved.metrics[key], 'number', key);
  assert.equal(saved.epochs, 2);
  assert.ok(saved.best_epoch === 1 || saved.best_epoch === 2);
  assert.equal(saved.train_examples, 48);
  assert.equal(saved.dev_examples, 16);
  assert.equal(saved.output, out);
  assert.equal(saved.options.learningRate, 1e-3);
  assert.equal(saved.options.layerDecay, 0.8);

  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['ElectraForSequenceClassification']);
  assert.equal(config.num_labels, 2);
  assert.deepEqual(config.id2label, { 0: '0', 1: '1' });
  assert.deepEqual(config.label2id, { 0: 0, 1: 1 });
  assert.equal(config.problem_type, 'single_label_classification');
  for (const f of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
  const shapes = new Map((await readSafetensorsHeader(path.join(out, 'model.safetensors'))).entries.map((e) => [e.name, e.shape]));
  assert.deepEqual(shapes.get('classifier.dense.weight'), [64, 64]);
  assert.deepEqual(shapes.get('classifier.out_proj.weight'), [2, 64]);
  assert.ok(shapes.has('electra.encoder.layer.1.output.LayerNorm.bias'));
  assert.ok(![...shapes.keys()].some((k) => k.startsWith('discriminator_predictions')));

  const kinds = events.map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === 'step').length, 6);
  assert.equal(kinds.filter((k) => k === 'metrics').length, 2);
  assert.equal(kinds[kinds.length - 1], 'done');
  const metrics = events.filter((e): e is Extract<FinetuneEvent, { kind: 'metrics' }> => e.kind === 'metrics');
  assert.ok(metrics.every((m) => Object.values(m.record).every((v) => typeof v === 'number' && Number.isFinite(v))));

  // The folder loads back and scores the dev split exactly as the run recorded for its best epoch.
  const loaded = await loadClassifier(out);
  const devFile = await readTaskFile(dev, {}, 'dev');
  const { metrics: again } = evaluateSplit(loaded.model, encodeExamples(devFile.examples, loaded.tokenizer, 16).sequences,
    labelTargets(devFile, 'classification', loaded.labels, train), 'classification', 0);
  assert.ok(Math.abs(again.accuracy! - saved.metrics.accuracy) < 1e-9);
  loaded.model.dispose();
});

test('sentence pairs and regression (STS-B-like JSONL): [CLS] a [SEP] b [SEP] with type ids 0/1, one output, Pearson/Spearman', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-sts');
  const checkpoint = await randomTinyCheckpoint(root, WORDS);
  const tok = WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, ...WORDS]);
  const enc = encodeExamples([{ a: 'the film', b: 'was good', label: '1', line: 2 }], tok, 16).sequences[0];
  assert.deepEqual(Array.from(enc.tokenTypeIds), [0, 0, 0, 0, 1, 1, 1]);
  assert.equal(enc.inputIds[0], tok.specialIds.cls);
  assert.equal(enc.inputIds[3], tok.specialIds.sep);
  assert.equal(enc.inputIds[6], tok.specialIds.sep);
  const long = encodeExamples([{ a: 'the film was very good and', b: 'bad', label: '1', line: 2 }], tok, 8).sequences[0];
  assert.equal(long.length, 8); // the longer side lost tokens first: [CLS] 4 of a [SEP] b [SEP]

  const rows = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ sentence1: `the film was ${['good', 'bad'][i % 2]}`, sentence2: `the plot is ${['great', 'awful'][(i >> 1) % 2]}`, score: (i % 2) * 2.5 + ((i >> 1) % 2) * 2.5 }));
  const train = write(path.join(root, 'sts', 'train.jsonl'), rows(32));
  const dev = write(path.join(root, 'sts', 'dev.jsonl'), rows(8));
  const result = await finetune({ checkpoint, train, dev, out: path.join(root, 'out'), kind: 'regression', epochs: 1, batchSize: 16, seqLength: 24, taskName: 'STS-toy' });
  assert.equal(result.kind, 'regression');
  assert.equal(typeof result.metrics.pearson, 'number');
  assert.equal(typeof result.metrics.spearman, 'number');
  assert.equal(result.metrics.accuracy, undefined);
  assert.equal(result.options.selectBy, 'spearman');
  const config = JSON.parse(fs.readFileSync(path.join(root, 'out', 'config.json'), 'utf8'));
  assert.equal(config.num_labels, 1);
  assert.equal(config.problem_type, 'regression');
});

test('cancelling (AbortSignal) stops after the current step, keeps the model so far and says stopped', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-stop');
  const checkpoint = await randomTinyCheckpoint(root, WORDS);
  const train = write(path.join(root, 't', 'train.tsv'), ['sentence\tlabel', ...sentimentRows(64, 0)]);
  const dev = write(path.join(root, 't', 'dev.tsv'), ['sentence\tlabel', ...sentimentRows(8, 1)]);
  const controller = new AbortController();
  const events: FinetuneEvent[] = [];
  const result = await finetune({ checkpoint, train, dev, out: path.join(root, 'out'), epochs: 3, batchSize: 8 }, (e) => {
    events.push(e);
    if (e.kind === 'step' && e.step === 2) controller.abort();
  }, controller.signal);
  assert.equal(result.stopped, true);
  assert.equal(events.filter((e) => e.kind === 'step').length, 2);
  const done = events[events.length - 1];
  assert.ok(done.kind === 'done' && done.stopped && done.step === 2);
  assert.ok(fs.existsSync(path.join(root, 'out', 'model.safetensors')));
  assert.equal(JSON.parse(fs.readFileSync(result.results, 'utf8')).stopped, true);
});

test('bad input: one-line UserErrors naming the file and the fix, nothing written', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-bad');
  const checkpoint = await randomTinyCheckpoint(root, WORDS);
  const good = write(path.join(root, 'good.tsv'), ['sentence\tlabel', ...sentimentRows(8, 0)]);
  const out = path.join(root, 'out');
  const expectError = async (train: string, dev: string, ...mentions: (string | RegExp)[]) => {
    await assert.rejects(finetune({ checkpoint, train, dev, out, epochs: 1 }), (e: Error) => {
      assert.equal(e.name, 'UserError', e.stack);
      assert.ok(!e.message.includes('\n'), e.message);
      for (const m of mentions) assert.ok(typeof m === 'string' ? e.message.includes(m) : m.test(e.message), `"${e.message}" should mention ${m}`);
      return true;
    });
    assert.ok(!fs.existsSync(out), 'no output folder');
    assert.ok(!fs.existsSync(path.join(checkpoint, 'finetune')), 'no results file');
  };
  const ragged = write(path.join(root, 'ragged.tsv'), ['sentence\tlabel', 'the film was good .\t1', 'the plot\tis bad\t0']);
  await expectError(ragged, good, `${ragged}:3`, '3 tab-separated fields', 'header has 2');
  const unseen = write(path.join(root, 'unseen.tsv'), ['sentence\tlabel', 'the film was good .\t1', 'the film was bad .\tneutral']);
  await expectError(good, unseen, `${unseen}:3`, 'label "neutral" never occurs in', good);
  const empty = write(path.join(root, 'empty.tsv'), ['sentence\tlabel']);
  await expectError(good, empty, empty, 'no examples', '--dev');
  const foreign = write(path.join(root, 'greek.tsv'), ['sentence\tlabel', 'η ταινία ήταν καλή\t1', 'η πλοκή ήταν κακή\t0']);
  await expectError(foreign, good, foreign, '[UNK]', checkpoint, 'vocab.txt');
  const noLabel = write(path.join(root, 'nolabel.tsv'), ['text\tstars', 'the film\t1']);
  await expectError(noLabel, good, noLabel, '--label');
  await expectError(good, path.join(root, 'missing.tsv'), 'missing.tsv', 'no such file');
});

test('CLI: finetune with a bad file exits 1 with one line; --progress-json prints one event per line', () => {
  const root = tempDir('ft-cli');
  const build = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
    const { ElectraModel } = require('./src/engine/model/electra');
    const { saveModelCheckpoint } = require('./src/engine/checkpoint/model-io');
    const { WordPieceTokenizer, SPECIAL_TOKENS } = require('./src/engine/tokenizer');
    const { tinySpec } = require('./test/helpers');
    const { initBackend } = require('./src/engine/backend');
    (async () => { await initBackend('cpu'); const v = [...SPECIAL_TOKENS, ...${JSON.stringify(WORDS)}]; while (v.length < 300) v.push('w' + v.length);
      const m = ElectraModel.initialise(tinySpec(300), 3); await saveModelCheckpoint(${JSON.stringify(path.join(root, 'ckpt'))}, m, WordPieceTokenizer.fromVocab(v), 'electra'); })();`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const train = write(path.join(root, 'task', 'train.tsv'), ['sentence\tlabel', ...sentimentRows(16, 0)]);
  const ragged = write(path.join(root, 'task', 'dev.tsv'), ['sentence\tlabel', 'the film\tis\tgood']);
  const args = ['finetune', '--checkpoint', path.join(root, 'ckpt'), '--train', train, '--out', path.join(root, 'out'), '--backend', 'wasm', '--epochs', '1', '--batch', '8'];
  const bad = spawnSync(process.execPath, [CLI, ...args, '--dev', ragged], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.doesNotMatch(bad.stderr, /^\s+at /m);
  const last = bad.stderr.trim().split('\n').pop()!;
  assert.match(last, /^electra-lab: .*dev\.tsv:2: row has 3 tab-separated fields/);

  const dev = write(path.join(root, 'task', 'dev2.tsv'), ['sentence\tlabel', ...sentimentRows(8, 1)]);
  const ok = spawnSync(process.execPath, [CLI, ...args, '--dev', dev, '--task-name', 'toy', '--progress-json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const events = ok.stdout.trim().split('\n').map((l) => JSON.parse(l) as FinetuneEvent);
  // 2 optimizer steps: the few-steps warning comes after the last epoch, before done.
  assert.deepEqual([...new Set(events.map((e) => e.kind))], ['info', 'step', 'metrics', 'checkpoint', 'warning', 'done']);
  const done = events[events.length - 1];
  assert.ok(done.kind === 'done' && done.results === path.join(root, 'ckpt', 'finetune', 'toy.json'));
});

/**
 * Fine-tuning on real text, in miniature: `tiny` pretrained for 200 steps on half of the installed packages' Markdown
 * docs, then fine-tuned to tell which package group a sentence of the other half's docs comes from, beats the
 * majority answer on held-out sentences. The same fine-tuning from a random initialisation is printed beside it as
 * the baseline, not asserted below it: at a fair learning rate (3e-4) random init does as well on this lexical task
 * (measured 0.80 vs 0.76–0.79), and at 1e-3 both sometimes collapse to the majority answer, seed by seed.
 */
test('fine-tuning a pretrained tiny ELECTRA on a real-text task beats the majority answer, with the random-init baseline beside it', () => {
  const root = tempDir('ft-learn');
  const started = Date.now();
  const pre = spawnSync(process.execPath, [CLI, 'pretrain', '--corpus', ...PRETRAIN_CORPUS, '--out', path.join(root, 'run'), '--preset', 'tiny',
    '--steps', '200', '--batch', '16', '--seq', '64', '--log-every', '50', '--save-every', '200', '--seed', '42',
    // Paragraph examples, as the demo and the learning test: they learn faster in a 200-step tiny budget.
    '--documents', 'blank-lines'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(pre.status, 0, pre.stderr);
  const task = writePackageTopicTask(path.join(root, 'topic'));
  const run = (extra: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'finetune', '--checkpoint', path.join(root, 'run', 'checkpoints', 'step-200'), '--train', task.train,
      '--dev', task.dev, '--out', path.join(root, `out${extra.length}`), '--task-name', `topic${extra.length}`, '--batch', '16', '--seq', '64',
      '--epochs', '3', '--seed', '42', '--json',
      // 3e-4, the reference's rate for Small: at 1e-3 this 200-step encoder stays at the majority answer for some seeds.
      '--lr', '3e-4', ...extra], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { metrics: { accuracy: number; mcc: number }; dev_examples: number };
  };
  const pretrained = run([]);
  const random = run(['--random-init']);
  console.log(`topic task (${pretrained.dev_examples} dev sentences, majority ${task.majority.toFixed(3)}): pretrained accuracy ${pretrained.metrics.accuracy.toFixed(3)} mcc ${pretrained.metrics.mcc.toFixed(3)}, random init ${random.metrics.accuracy.toFixed(3)} mcc ${random.metrics.mcc.toFixed(3)}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.ok(pretrained.metrics.accuracy >= task.majority + 0.05, `pretrained ${pretrained.metrics.accuracy} vs majority ${task.majority}`);
});
