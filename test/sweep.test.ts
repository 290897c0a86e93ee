import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { readSweepSpec } from '../src/engine/experiments/spec';
import { runSweep, SWEEP_RESULT_FILE, type SweepEvent } from '../src/engine/experiments/sweep';
import { summarise, summaryMarkdown } from '../src/engine/experiments/summary';
import type { SweepSpec, SweepSummary } from '../src/protocol';
import { ROOT, tempDir } from './helpers';
import { writeWordOrderTask } from './doc-tasks';

function writeSpec(spec: unknown): string {
  const dir = tempDir('sweep');
  const corpus = path.join(dir, 'corpus');
  fs.mkdirSync(corpus);
  for (const p of ['typescript', 'esbuild', 'fast-glob', 'tsx', '@tensorflow/tfjs-core']) {
    const f = path.join(ROOT, 'node_modules', p, 'README.md');
    if (fs.existsSync(f)) fs.copyFileSync(f, path.join(corpus, `${p.replace('/', '_')}.md`));
  }
  const file = path.join(dir, 'spec.json');
  fs.writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec));
  return file;
}

const BASE = { preset: 'tiny', batchSize: 4, seqLength: 32, vocabSize: 600, logEvery: 1, saveEvery: 1000, sampleEvery: 1000, heldOutFraction: 0.1 };
const OBJECTIVES = ['electra', 'electra-15', 'replace-mlm', 'all-tokens-mlm', 'mlm'];

test('a sweep of the five objectives writes a summary listing each with its metrics and FLOPs', async () => {
  await initBackend('wasm');
  const spec: SweepSpec = { corpus: ['corpus'], base: BASE, budget: { steps: 3 }, axes: { objective: OBJECTIVES }, eval: { maxExamples: 16 } };
  const sweep = readSweepSpec(writeSpec(spec));
  const started = Date.now();
  const { summary, stopped } = await runSweep(sweep);
  assert.equal(stopped, false);
  const onDisk = JSON.parse(fs.readFileSync(path.join(sweep.out, 'summary.json'), 'utf8')) as SweepSummary;
  assert.deepEqual(onDisk, JSON.parse(JSON.stringify(summary)));
  assert.deepEqual(onDisk.groups.map((g) => g.values.objective), OBJECTIVES);
  const byObjective = new Map(onDisk.runs.map((r) => [r.values.objective, r]));
  for (const name of OBJECTIVES) {
    const r = byObjective.get(name)!;
    assert.equal(r.steps, 3, name);
    assert.ok(r.flops > 0 && r.wall_time_s > 0, `${name} flops ${r.flops}, wall ${r.wall_time_s}`);
    assert.ok(r.examples > 0 && Number.isFinite(r.metrics.loss), `${name} evaluated`);
    // Each run is an ordinary run folder: run.json, metrics, a checkpoint, the shared vocabulary.
    assert.ok(fs.existsSync(path.join(r.runDir, 'checkpoints', 'step-3', 'model.safetensors')));
    assert.equal(fs.readFileSync(path.join(r.runDir, 'vocab.txt'), 'utf8'), fs.readFileSync(path.join(sweep.out, 'vocab.txt'), 'utf8'));
  }
  // Discriminator heads get the injected-corruption measure; MLM mains get their own MLM accuracy.
  for (const name of ['electra', 'electra-15', 'all-tokens-mlm']) assert.equal(typeof byObjective.get(name)!.metrics.injected_auc, 'number', name);
  for (const name of ['replace-mlm', 'mlm']) {
    assert.equal(byObjective.get(name)!.metrics.injected_auc, undefined, name);
    assert.equal(typeof byObjective.get(name)!.metrics.main_mlm_accuracy, 'number', name);
  }
  // Equal steps: BERT's MLM (no generator) spends less compute than ELECTRA in them.
  assert.ok(byObjective.get('mlm')!.flops < byObjective.get('electra')!.flops);
  const md = fs.readFileSync(path.join(sweep.out, 'summary.md'), 'utf8');
  for (const name of OBJECTIVES) assert.match(md, new RegExp(`^\\| objective=${name} \\| 1 \\| 3 \\| `, 'm'));
  assert.match(md, /\*\*\d\.\d{3}\*\*/, 'best of a column in bold');
  assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
});

test('a stopped sweep continues without redoing finished runs; an equal-FLOPs budget gives MLM more steps', async () => {
  await initBackend('wasm');
  const spec: SweepSpec = { corpus: ['corpus'], base: BASE, budget: { flops: 4e9 }, axes: { objective: ['electra', 'mlm'] }, eval: { maxExamples: 8 } };
  const sweep = readSweepSpec(writeSpec(spec));
  const controller = new AbortController();
  const first = await runSweep(sweep, (e) => { if (e.kind === 'run-done') controller.abort(); }, controller.signal);
  assert.deepEqual({ stopped: first.stopped, finished: first.finished }, { stopped: true, finished: 1 });
  const electraDir = path.join(sweep.out, 'objective-electra');
  const mlmDir = path.join(sweep.out, 'objective-mlm');
  assert.ok(fs.existsSync(path.join(electraDir, SWEEP_RESULT_FILE)));
  assert.ok(!fs.existsSync(mlmDir), 'the second run had not started');
  assert.ok(!fs.existsSync(path.join(sweep.out, 'summary.json')));
  const metricsBefore = fs.readFileSync(path.join(electraDir, 'metrics.jsonl'), 'utf8');

  const events: SweepEvent[] = [];
  const second = await runSweep(readSweepSpec(sweep.specFile), (e) => { if (e.kind !== 'trainer') events.push(e); });
  assert.equal(second.stopped, false);
  assert.deepEqual(events.filter((e) => e.kind === 'run-skip' || e.kind === 'run-start').map((e) => `${e.kind} ${'name' in e ? e.name : ''}`),
    ['run-skip objective-electra', 'run-start objective-mlm']);
  assert.equal(fs.readFileSync(path.join(electraDir, 'metrics.jsonl'), 'utf8'), metricsBefore, 'the finished run was not trained again');
  const runs = new Map(second.summary!.runs.map((r) => [r.values.objective, r]));
  const electra = runs.get('electra')!, mlm = runs.get('mlm')!;
  assert.ok(mlm.steps > electra.steps, `mlm ${mlm.steps} steps, electra ${electra.steps}`);
  for (const r of [electra, mlm]) assert.ok(r.flops <= 4e9 && r.flops > 0.5 * 4e9, `${r.name}: ${r.flops} FLOPs of 4e9`);
});

test('with a fine-tuning task in the spec, every run is fine-tuned alike and the summary leads with its dev metric', async () => {
  await initBackend('wasm');
  const specFile = writeSpec({});
  const task = writeWordOrderTask(path.join(path.dirname(specFile), 'task'), 16, 32);
  const spec: SweepSpec = {
    corpus: ['corpus'], base: BASE, budget: { steps: 2 }, axes: { objective: ['electra', 'mlm'] }, eval: { maxExamples: 8 },
    finetune: { train: 'task/train.tsv', dev: 'task/dev.tsv', epochs: 1, batchSize: 8, seqLength: 32 },
  };
  fs.writeFileSync(specFile, JSON.stringify(spec));
  assert.ok(fs.existsSync(task.train));
  const { summary } = await runSweep(readSweepSpec(specFile));
  for (const r of summary!.runs) {
    assert.ok(r.metrics.finetune_accuracy >= 0 && r.metrics.finetune_accuracy <= 1, `${r.name}: ${r.metrics.finetune_accuracy}`);
    const results = JSON.parse(fs.readFileSync(path.join(r.runDir, 'checkpoints', 'step-2', 'finetune', 'task.json'), 'utf8')) as { last_metrics: { accuracy: number } };
    assert.equal(results.last_metrics.accuracy, r.metrics.finetune_accuracy);
  }
  assert.match(summaryMarkdown(summary!, 0.1), /\| configuration \| seeds \| steps \| FLOPs \| wall s \| fine-tuned accuracy \(dev\) \| injected AUC/);
  assert.throws(() => readSweepSpec(writeSpec({ ...spec, finetune: { train: 'nope.tsv', dev: 'task/dev.tsv' } })), /"finetune\.train" .*nope\.tsv does not exist — fix the path/);
});

test('a bad spec is one line naming the file and the fix, before anything is trained', () => {
  const cases: [unknown, RegExp][] = [
    ['{ "corpus": [', /spec\.json is not valid JSON .* — fix the syntax/],
    [{ corpus: ['corpus'], budget: { steps: 2 }, axes: { objective: ['electra', 'bert'] } }, /spec\.json: run objective-bert: unknown objective "bert" — use one of electra, electra-15, replace-mlm, all-tokens-mlm, mlm/],
    [{ corpus: ['corpus'], budget: { steps: 2, flops: 1 }, axes: {} }, /spec\.json: "budget" must be \{ "steps": 1000 \} or \{ "flops": 1e15 \} — exactly one of them/],
    [{ corpus: ['corpus'], budget: { steps: 2 }, axes: { width: [1] } }, /spec\.json: unknown axis "width" — use objective, training, genWidth/],
    [{ corpus: ['corpus'], budget: { steps: 2 }, axes: {}, base: { steps: 5 } }, /spec\.json: "base\.steps" is set by the sweep — remove it/],
    [{ corpus: ['corpus'], budget: { steps: 2 }, axes: {}, base: { batch: 5 } }, /spec\.json: "base\.batch" is not a pretraining option — use run\.json's names, e\.g\. preset, batchSize/],
    [{ corpus: ['corpus'], budget: { steps: 2 }, axes: {}, base: { batchSize: '8' } }, /spec\.json: "base\.batchSize" must be a number, got "8"/],
    [{ corpus: ['corpus'], budget: { steps: 2 }, axes: { genWidth: ['0.5'] } }, /spec\.json: "axes\.genWidth" takes numbers, e\.g\. \[0\.25, 0\.5\]/],
    [{ corpus: ['corpus'], budget: { steps: 2 }, axes: { training: ['joint', 'two-stage'] }, base: { genWidth: 1 } }, /spec\.json: run training-two-stage: --training two-stage freezes the generator .* — add --embedding-sharing none/],
  ];
  // A FLOP budget's run count is only known later: two-stage (which needs 2+ steps) is accepted at parse time.
  assert.equal(readSweepSpec(writeSpec({ corpus: ['corpus'], budget: { flops: 1e12 }, axes: { training: ['two-stage'] }, base: { genWidth: 1, embeddingSharing: 'none' } })).runs.length, 1);
  for (const [spec, message] of cases) {
    assert.throws(() => readSweepSpec(writeSpec(spec)), (e: Error) => {
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  }
});

test('the summary groups seeds as mean ± sample standard deviation and marks a strict best per column', () => {
  const run = (objective: string, seed: number, auc: number, found: number) => ({
    name: `${objective}-${seed}`, runDir: `/r/${objective}-${seed}`, values: { objective, seed }, steps: 10, flops: 1e9, wall_time_s: 2,
    split: 'heldout' as const, examples: 8, metrics: { loss: 1, injected_auc: auc, injected_found_rate: found },
  });
  const s = summarise('spec.json', { steps: 10 }, [run('electra', 1, 0.8, 0.5), run('electra', 2, 0.6, 0.5), run('electra-15', 1, 0.5, 0.5), run('electra-15', 2, 0.5, 0.5)]);
  assert.deepEqual(s.groups.map((g) => [g.label, g.runs.length]), [['objective=electra', 2], ['objective=electra-15', 2]]);
  const auc = s.groups[0].metrics.injected_auc;
  assert.ok(Math.abs(auc.mean - 0.7) < 1e-12 && Math.abs(auc.spread - Math.SQRT2 * 0.1) < 1e-12 && auc.n === 2);
  assert.equal(s.best.injected_auc, 'objective=electra');
  assert.equal(s.best.injected_found_rate, undefined, 'a tie marks nothing');
  const md = summaryMarkdown(s, 0.1);
  assert.match(md, /\| objective=electra \| 2 \| 10 \| 1\.00e\+9 \| 2\.0 \| \*\*0\.700 ± 0\.141\*\* \| 0\.500 \|/);
});
