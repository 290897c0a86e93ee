// Fine-tuning's baselines and warnings (src/engine/finetune/baselines.ts, trainer.ts, cli/finetune.ts).
// Run: node --import tsx --test test/finetune-baselines.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { finetune, type FinetuneEvent } from '../src/engine/finetune/trainer';
import { finetuneWarnings, majorityBaseline } from '../src/engine/finetune/baselines';
import { finetuneSummaries } from '../src/engine/service/evaluations';
import { CLI, ROOT, tempDir, randomTinyCheckpoint } from './helpers';

const WORDS = ['the', 'film', 'was', 'good', 'bad', '.'];

/** Every example has the same text, so no model can do better than one constant answer: the majority one at best. */
function unlearnable(root: string, name: string, labels: string): string {
  const file = path.join(root, 'task', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, ['sentence\tlabel', ...[...labels].map((l) => `the film was good .\t${l}`)].join('\n') + '\n');
  return file;
}

test('the majority baseline answers the most frequent training label and is scored on dev (crafted sets)', () => {
  // Train: a a b a c → "a"; dev: a b b c → 1 of 4 right.
  const three = majorityBaseline([0, 0, 1, 0, 2], [0, 1, 1, 2], ['a', 'b', 'c']);
  assert.deepEqual(three, { label: 'a', accuracy: 0.25 });
  // Binary, train 0 1 1 → "1"; dev 1 0 0 1 1: accuracy 3/5, F1 of label 1 = 2·3 / (2·3 + 2 + 0) = 0.75, MCC 0 (constant).
  assert.deepEqual(majorityBaseline([0, 1, 1], [1, 0, 0, 1, 1], ['neg', 'pos']), { label: 'pos', accuracy: 0.6, f1: 0.75, mcc: 0 });
  // A tie goes to the first label.
  assert.equal(majorityBaseline([1, 0], [0], ['x', 'y']).label, 'x');
});

test('warnings: fewer than ~100 steps, and a score not above the majority answer (on the selection metric)', () => {
  const majority = { label: '1', accuracy: 0.6, f1: 0.75, mcc: 0 };
  const both = finetuneWarnings(12, { accuracy: 0.6, f1: 0.75, mcc: 0, loss: 0.7 }, 'accuracy', majority);
  assert.equal(both.length, 2);
  assert.match(both[0], /^only 12 optimizer steps ran \(fewer than ~100\)/);
  assert.match(both[1], /^dev accuracy 0\.6000 is not above always answering "1" \(0\.6000\)/);
  assert.deepEqual(finetuneWarnings(400, { accuracy: 0.7, mcc: 0.3, loss: 0.5 }, 'accuracy', majority), []);
  // CoLA-style: selected by MCC, where the constant answer scores 0.
  assert.match(finetuneWarnings(400, { accuracy: 0.7, mcc: 0, loss: 0.5 }, 'mcc', majority)[0], /^dev mcc 0\.0000 is not above/);
  assert.deepEqual(finetuneWarnings(400, { pearson: 0.1, spearman: 0.1, loss: 1 }, 'spearman', undefined), [], 'regression: no majority answer');
});

test('a fine-tuning that ends at the majority answer warns, records both baselines and its step count', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-baselines');
  const checkpoint = await randomTinyCheckpoint(root, WORDS);
  const train = unlearnable(root, 'train.tsv', '1101101101011011');
  const dev = unlearnable(root, 'dev.tsv', '11011010');
  const events: FinetuneEvent[] = [];
  const result = await finetune({ checkpoint, train, dev, out: path.join(root, 'out'), taskName: 'same-text', epochs: 2, batchSize: 8,
    seqLength: 16, baseline: 'random-init' }, (e) => events.push(e));
  assert.equal(result.optimizer_steps, 4);
  assert.deepEqual(result.baselines.majority, { label: '1', accuracy: 5 / 8, f1: 2 * 5 / (2 * 5 + 3), mcc: 0 });
  assert.ok(result.metrics.accuracy! <= 5 / 8, `a constant answer scores at most the majority's: ${result.metrics.accuracy}`);
  assert.ok(result.baselines.random_init, 'the random-init run is recorded');
  assert.equal(typeof result.baselines.random_init.metrics.accuracy, 'number');
  assert.equal(result.baselines.random_init.stopped, false);
  const warnings = events.flatMap((e) => (e.kind === 'warning' ? [e.message] : []));
  assert.equal(warnings.length, 2, warnings.join('\n'));
  assert.match(warnings[0], /^only 4 optimizer steps ran/);
  assert.match(warnings[1], /is not above always answering "1" \(0\.6250\)/);
  const saved = JSON.parse(fs.readFileSync(result.results, 'utf8'));
  assert.deepEqual(saved.warnings, warnings);
  assert.deepEqual(saved.baselines, result.baselines);
  // The evaluation panel's fine-tuning columns carry both baselines of the selection metric beside the score.
  const [summary] = await finetuneSummaries(checkpoint);
  assert.equal(summary.metrics.majority_accuracy, 5 / 8);
  assert.equal(summary.metrics.random_init_accuracy, result.baselines.random_init.metrics.accuracy);
  // The baseline run saves no model of its own: the output folder holds the main run's best epoch.
  assert.equal(events.filter((e) => e.kind === 'checkpoint').length >= 1, true);
  assert.deepEqual(fs.readdirSync(root).sort(), ['ckpt', 'out', 'task']);
});

test('CLI: the score is printed next to the majority baseline, and the warning lines go to stderr', async () => {
  await initBackend('wasm');
  const root = tempDir('ft-baselines-cli');
  await randomTinyCheckpoint(root, WORDS);
  const train = unlearnable(root, 'train.tsv', '0010010010');
  const dev = unlearnable(root, 'dev.tsv', '00100');
  const r = spawnSync(process.execPath, [CLI, 'finetune', '--checkpoint', path.join(root, 'ckpt'), '--train', train, '--dev', dev,
    '--out', path.join(root, 'out'), '--epochs', '1', '--batch', '4', '--seq', '16', '--backend', 'wasm'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^baseline, always answering "0" — accuracy 0\.8000, f1 0\.0000, mcc 0\.0000$/m);
  assert.match(r.stderr, /^warning: only 3 optimizer steps ran/m);
  assert.match(r.stderr, /^warning: dev accuracy 0\.\d{4} is not above always answering "0" \(0\.8000\)/m);
  const bad = spawnSync(process.execPath, [CLI, 'finetune', '--checkpoint', path.join(root, 'ckpt'), '--train', train, '--dev', dev,
    '--out', path.join(root, 'out2'), '--baseline', 'majority', '--backend', 'wasm'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim().split('\n').pop(), 'electra-lab: --baseline majority — use random-init (or leave it out)');
});
