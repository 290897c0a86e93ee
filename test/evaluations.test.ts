import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { CheckpointCache } from '../src/engine/service/checkpoints';
import { EVAL_DIR, EvaluationService } from '../src/engine/service/evaluations';
import { CLI, ROOT, tempDir } from './helpers';

/** A run of 4 steps on three real READMEs, made by the CLI as a user would. */
function trainedRun(): { run: string; checkpoint: string; corpus: string } {
  const corpus = tempDir('eval-corpus');
  for (const p of ['typescript', 'esbuild', 'fast-glob']) fs.copyFileSync(path.join(ROOT, 'node_modules', p, 'README.md'), path.join(corpus, `${p}.md`));
  const run = path.join(tempDir('eval-run'), 'run');
  const r = spawnSync(process.execPath, [CLI, 'pretrain', '--corpus', corpus, '--out', run, '--preset', 'tiny', '--steps', '4',
    '--batch', '4', '--seq', '32', '--vocab-size', '600', '--save-every', '4', '--backend', 'wasm'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { run, checkpoint: path.join(run, 'checkpoints', 'step-4'), corpus };
}

test('evaluating a checkpoint takes the run\'s corpus, reports progress, caches the result next to the checkpoint, and reads fine-tuning results', async () => {
  await initBackend('wasm');
  const { checkpoint } = trainedRun();
  const service = new EvaluationService(new CheckpointCache());
  const progress: number[] = [];
  const first = await service.evaluate({ checkpoint, split: 'all', maxExamples: 24 }, (done) => progress.push(done), new AbortController().signal);
  assert.equal(first.cached, false);
  assert.equal(first.step, 4);
  assert.equal(first.run, 'run');
  assert.ok(first.examples > 0 && first.examples <= 24, `${first.examples} examples`);
  for (const k of ['loss', 'masked_lm_accuracy', 'disc_accuracy', 'disc_auc']) assert.ok(Number.isFinite(first.metrics[k]), `${k} = ${first.metrics[k]}`);
  assert.ok(progress.length > 0 && progress.every((d, i) => i === 0 || d > progress[i - 1]), `progress ${progress}`);
  const cacheFiles = fs.readdirSync(path.join(checkpoint, EVAL_DIR));
  assert.equal(cacheFiles.length, 1);

  fs.mkdirSync(path.join(checkpoint, 'finetune'));
  fs.writeFileSync(path.join(checkpoint, 'finetune', 'shuffled.json'), JSON.stringify({ task: 'shuffled', metrics: { accuracy: 0.75, f1: 0.7, note: 'x' } }));
  const again = await service.evaluate({ checkpoint, split: 'all', maxExamples: 24 }, () => assert.fail('a cached result needs no work'), new AbortController().signal);
  assert.equal(again.cached, true);
  assert.deepEqual(again.metrics, first.metrics);
  assert.deepEqual(again.finetune, [{ task: 'shuffled', metrics: { accuracy: 0.75, f1: 0.7 } }]);

  const forced = await service.evaluate({ checkpoint, split: 'all', maxExamples: 24, force: true }, () => undefined, new AbortController().signal);
  assert.equal(forced.cached, false);
  assert.deepEqual(forced.metrics, first.metrics, 'the same seed gives the same corruption and so the same numbers');
});

test('a cancelled evaluation writes nothing; a checkpoint outside a run without a corpus, or a folder that is not a checkpoint, is one clear line', async () => {
  await initBackend('wasm');
  const { checkpoint, corpus } = trainedRun();
  const service = new EvaluationService(new CheckpointCache());
  const controller = new AbortController();
  await assert.rejects(service.evaluate({ checkpoint, split: 'all', maxExamples: 64 }, () => controller.abort(), controller.signal), /cancelled/);
  assert.equal(fs.existsSync(path.join(checkpoint, EVAL_DIR)), false, 'no cache file for a cancelled evaluation');

  const loose = path.join(tempDir('loose'), 'step-4');
  fs.cpSync(checkpoint, loose, { recursive: true });
  await assert.rejects(service.evaluate({ checkpoint: loose }, () => undefined, controller.signal), /not inside a run folder.*choose a corpus/);
  const withCorpus = await service.evaluate({ checkpoint: loose, corpus: [corpus], split: 'all', maxExamples: 8 }, () => undefined, new AbortController().signal);
  assert.equal(withCorpus.run, '');

  const empty = tempDir('not-a-checkpoint');
  await assert.rejects(service.evaluate({ checkpoint: empty, corpus: [corpus] }, () => undefined, new AbortController().signal), /no model\.safetensors.*choose a checkpoint folder/);
});

test('evaluating on a tiny held-out split prints intervals next to accuracy and AUC and one line saying it is rough', async () => {
  const { checkpoint, corpus } = trainedRun();
  const args = [CLI, 'eval', '--checkpoint', checkpoint, '--corpus', corpus, '--split', 'all', '--max-examples', '4', '--backend', 'wasm'];
  const text = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(text.status, 0, text.stderr);
  const tokens = Number(/\((\d+) tokens\)/.exec(text.stdout)?.[1]);
  assert.ok(tokens > 0 && tokens < 2000, text.stdout);
  assert.match(text.stdout, /disc_accuracy\s+\d\.\d{4}\s+\(95% \d\.\d{4}–\d\.\d{4}\)/);
  assert.match(text.stdout, /disc_auc\s+\d\.\d{4}\s+\(95% \d\.\d{4}–\d\.\d{4}\)/);
  assert.doesNotMatch(text.stdout, /_low|_high/, 'bounds are shown next to their metric, not as metrics');
  assert.match(text.stdout, new RegExp(`warning: only ${tokens} evaluated tokens: these figures are rough \\(±0\\.\\d\\d\\)`));

  const json = spawnSync(process.execPath, [...args, '--json'], { encoding: 'utf8' });
  assert.equal(json.status, 0, json.stderr);
  const report = JSON.parse(json.stdout) as { tokens: number; warning?: string; metrics: Record<string, number> };
  assert.equal(report.tokens, tokens);
  assert.match(report.warning ?? '', /these figures are rough/);
  for (const m of ['disc_accuracy', 'disc_auc']) {
    const [low, value, high] = [report.metrics[`${m}_low`], report.metrics[m], report.metrics[`${m}_high`]];
    assert.ok(low <= value && value <= high && high - low > 0.01, `${m} ${low} ≤ ${value} ≤ ${high}`);
  }
  if (report.metrics.injected_auc !== undefined) assert.ok(report.metrics.injected_auc_low <= report.metrics.injected_auc);
});
