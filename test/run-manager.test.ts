import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../src/protocol';
import { finetuneCommand, pretrainCommand } from '../src/engine/service/run-args';
import { RunManager } from '../src/engine/service/runs';
import { tempDir } from './helpers';

test('fine-tuning from the editor: the output folder defaults to <checkpoint>/finetune/<task>, options become the CLI\'s flags', () => {
  const checkpoint = path.resolve('runs/a/checkpoints/step-40');
  const plain = finetuneCommand({ checkpoint, train: 'glue/SST-2/train.tsv', dev: 'glue/SST-2/dev.tsv' });
  assert.equal(plain.runDir, path.join(checkpoint, 'finetune', 'SST-2'));
  assert.deepEqual(plain.args, ['finetune', '--out', plain.runDir, '--progress-json', '--checkpoint', checkpoint,
    '--train', path.resolve('glue/SST-2/train.tsv'), '--dev', path.resolve('glue/SST-2/dev.tsv')]);

  const named = finetuneCommand({ checkpoint, train: '/d/pairs.jsonl', dev: '/d/pairs-dev.jsonl', taskName: 'sts', textA: 's1', textB: 's2', label: 'score', regression: true, epochs: 1, lr: 0.001, batch: 8, seq: 64, backend: 'wasm' });
  assert.equal(named.runDir, path.join(checkpoint, 'finetune', 'sts'));
  assert.deepEqual(named.args.slice(10), ['--task-name', 'sts', '--text-a', 's1', '--text-b', 's2', '--label', 'score', '--regression',
    '--epochs', '1', '--lr', '0.001', '--batch', '8', '--seq', '64', '--backend', 'wasm']);
  assert.equal(finetuneCommand({ checkpoint, train: '/d/t.tsv', dev: '/d/v.tsv', out: 'elsewhere', regression: false }).runDir, path.resolve('elsewhere'));
  assert.ok(!finetuneCommand({ checkpoint, train: '/d/t.tsv', dev: '/d/v.tsv', regression: false }).args.includes('--regression'));
  // The editor's "fine-tune from random init too" answer.
  const baseline = finetuneCommand({ checkpoint, train: '/d/t.tsv', dev: '/d/v.tsv', baseline: 'random-init' });
  assert.deepEqual(baseline.args.slice(-2), ['--baseline', 'random-init']);
  // A value the CLI refuses still reaches it, so its one-line message explains the refusal.
  assert.deepEqual(finetuneCommand({ checkpoint, train: '/d/t.tsv', dev: '/d/v.tsv', epochs: 0 }).args.slice(-2), ['--epochs', '0']);
});

test('pretraining from the editor: the corpus globs, options and --resume become the CLI\'s flags', () => {
  const { runDir, args } = pretrainCommand({ corpus: ['a/*.md', 'b'], out: 'runs/x', preset: 'tiny', steps: 40, saveEvery: 20, resume: true });
  assert.equal(runDir, path.resolve('runs/x'));
  assert.deepEqual(args, ['pretrain', '--out', runDir, '--progress-json', '--corpus', 'a/*.md', '--corpus', 'b', '--preset', 'tiny', '--steps', '40', '--save-every', '20', '--resume']);
});

/** A stand-in for dist/cli.js: prints JSON events as the CLI does, fails as the CLI does, stops on SIGINT. */
const FAKE_CLI = `
const out = process.argv[process.argv.indexOf('--out') + 1];
const say = (e) => process.stdout.write(JSON.stringify(e) + '\\n');
if (out.endsWith('bad')) { process.stderr.write('backend: wasm\\nelectra-lab: train.tsv: cannot tell which column holds the label\\n'); process.exit(1); }
say({ kind: 'info', message: 'started ' + process.argv[2] + ' at priority ' + require('os').getPriority() });
process.stdout.write('not json\\n');
if (out.endsWith('quick')) { say({ kind: 'done', step: 1, checkpoint: out, stopped: false, results: out + '.json' }); }
else {
  // As the real CLI: ready for Stop before it reports a step (a run at low priority may be paused between the two).
  process.on('SIGINT', () => { say({ kind: 'done', step: 1, checkpoint: out, stopped: true, results: out + '.json' }); process.exit(0); });
  say({ kind: 'step', step: 1, totalSteps: 100, loss: 0.5 });
  setInterval(() => {}, 1000);
}
`;

function collector() {
  const events: (RunEvent & { runDir: string })[] = [];
  const waiters: [(e: RunEvent & { runDir: string }) => boolean, () => void][] = [];
  const onEvent = (runDir: string, e: RunEvent) => {
    events.push({ ...e, runDir });
    for (const [match, resolve] of waiters) if (match({ ...e, runDir })) resolve();
  };
  const until = (match: (e: RunEvent & { runDir: string }) => boolean) => new Promise<void>((resolve) => {
    if (events.some(match)) resolve();
    else waiters.push([match, resolve]);
  });
  return { events, onEvent, until };
}

test('RunManager forwards a run\'s JSON lines, frees its folder when done, reports a failed exit by the CLI\'s last line, and stops on request', async () => {
  const dir = tempDir('runs');
  const cli = path.join(dir, 'cli.js');
  fs.writeFileSync(cli, FAKE_CLI);
  const { events, onEvent, until } = collector();
  const runs = new RunManager(onEvent, cli);
  const checkpoint = path.join(dir, 'ckpt');

  const quick = runs.startFinetune({ checkpoint, train: path.join(dir, 'train.tsv'), dev: path.join(dir, 'dev.tsv'), out: path.join(dir, 'quick') });
  await until((e) => e.runDir === quick && e.kind === 'done');
  assert.deepEqual(events.filter((e) => e.runDir === quick).map((e) => e.kind), ['info', 'done'], 'lines that are not events are skipped');
  // A run is background work: it runs below the engine's priority, so the editor's requests go first.
  const started = events.find((e) => e.runDir === quick && e.kind === 'info') as { message: string };
  assert.equal(started.message, `started finetune at priority ${Math.min(19, os.getPriority() + 10)}`);
  assert.equal(runs.startFinetune({ checkpoint, train: 'train.tsv', dev: 'dev.tsv', out: quick }), quick, 'a finished run\'s folder can be started again at once');
  await until((e) => e.runDir === quick && e.kind === 'done' && events.filter((x) => x.kind === 'done').length === 2);

  const bad = runs.startFinetune({ checkpoint, train: 'train.tsv', dev: 'dev.tsv', out: path.join(dir, 'bad') });
  await until((e) => e.runDir === bad && e.kind === 'failed');
  assert.deepEqual(events.find((e) => e.runDir === bad), { kind: 'failed', message: 'train.tsv: cannot tell which column holds the label', runDir: bad });

  const long = runs.startPretrain({ corpus: ['c'], out: path.join(dir, 'long') });
  await until((e) => e.runDir === long && e.kind === 'step');
  assert.throws(() => runs.startPretrain({ corpus: ['c'], out: long }), /already training into .*long — stop it first/);
  runs.stop(long);
  await until((e) => e.runDir === long && e.kind === 'done');
  assert.deepEqual(events.filter((e) => e.runDir === long).map((e) => e.kind), ['info', 'step', 'done']);
  assert.equal((events.find((e) => e.runDir === long && e.kind === 'done') as { stopped: boolean }).stopped, true);
  runs.dispose();
});
