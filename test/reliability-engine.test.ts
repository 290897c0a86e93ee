/**
 * Hostile input, faults and signals against the engine and the CLI (issue 10, engine half). Each test reproduces one
 * defect with a small fixture it generates (big files are sparse: they cost no disk), runs the built CLI (dist/cli.js)
 * and checks one `electra-lab:` line, exit 1, no stack trace — and that the process stayed under 1 GB: a preload
 * writes the child's max RSS, reported at the end.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CLI, ROOT, cliCheckpoint, tempDir, tinySpec, emptyTensorsHeader, writeSafetensorsHeader } from './helpers';
import { initBackend } from '../src/engine/backend';
import { ElectraModel } from '../src/engine/model/electra';
import { NonFiniteWeightsError, saveModelCheckpoint } from '../src/engine/checkpoint/model-io';
import { WordPieceTokenizer } from '../src/engine/tokenizer';
import { decodeSafetensors, encodeSafetensors, readSafetensors } from '../src/engine/checkpoint/safetensors';
import { discoverCorpus } from '../src/engine/data/corpus';
import { isUserError } from '../src/engine/errors';
import { validateConfig, withDefaults } from '../src/engine/model/config';

const work = tempDir('reliability');
const RSS_PRELOAD = path.join(work, 'report-rss.cjs');
fs.writeFileSync(RSS_PRELOAD, `process.on('exit', () => require('fs').writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));\n`);
// ENOSPC injection: opening a file for writing whose path contains $ENOSPC_AT fails as a full disk does.
const ENOSPC_PRELOAD = path.join(work, 'enospc.cjs');
fs.writeFileSync(ENOSPC_PRELOAD, `const fsp = require('fs').promises; const open = fsp.open;
fsp.open = async function (p, flags, ...rest) {
  if (flags === 'wx' && String(p).includes(process.env.ENOSPC_AT)) {
    throw Object.assign(new Error("ENOSPC: no space left on device, write '" + p + "'"), { code: 'ENOSPC', errno: -28, syscall: 'write', path: String(p) });
  }
  return open.call(this, p, flags, ...rest);
};\n`);

const rss: { what: string; mb: number; ms: number }[] = [];
after(() => {
  const rows = rss.map((r) => `  ${r.what.padEnd(58)} ${String(r.mb).padStart(5)} MB ${String(r.ms).padStart(7)} ms`);
  process.stdout.write(`# max RSS per hostile input (CLI child process):\n${rows.map((r) => `# ${r}`).join('\n')}\n`);
  fs.rmSync(work, { recursive: true, force: true });
});

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; mb: number; ms: number }

function cli(what: string, args: string[], options: { preload?: string[]; env?: Record<string, string>; timeout?: number } = {}): Run {
  const rssFile = path.join(work, `rss-${rss.length}-${Date.now()}`);
  const pre = [RSS_PRELOAD, ...(options.preload ?? [])].flatMap((p) => ['-r', p]);
  const started = Date.now();
  const r = spawnSync(process.execPath, [...pre, CLI, ...args], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: options.timeout ?? 120_000,
    env: { ...process.env, RSS_FILE: rssFile, ...options.env },
  });
  const ms = Date.now() - started;
  const mb = fs.existsSync(rssFile) ? Math.round(Number(fs.readFileSync(rssFile, 'utf8')) / 1024) : -1;
  rss.push({ what, mb, ms });
  assert.notEqual(r.error && (r.error as NodeJS.ErrnoException).code, 'ETIMEDOUT', `${what}: timed out (hung)`);
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, mb, ms };
}

/** Exit 1 with one `electra-lab:` line naming every `mention`, no stack trace, under 1 GB. */
function assertUserError(r: Run, ...mentions: string[]): string {
  assert.equal(r.code, 1, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stderr, /internal error/);
  const last = r.stderr.trim().split('\n').pop()!;
  assert.match(last, /^electra-lab: /);
  for (const m of mentions) assert.ok(last.includes(m), `"${last}" should mention ${m}`);
  assert.ok(r.mb > 0 && r.mb < 1024, `max RSS ${r.mb} MB`);
  return last;
}

let trained: { checkpoint: string; corpus: string } | undefined;
function checkpoint(): { checkpoint: string; corpus: string } {
  trained ??= cliCheckpoint('reliability', 4);
  return trained;
}
function copyCheckpoint(label: string): string {
  const dir = path.join(tempDir(label), 'ckpt');
  fs.cpSync(checkpoint().checkpoint, dir, { recursive: true });
  return dir;
}
function textFile(name: string, text: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, text);
  return file;
}

function expectUserError(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isUserError(e), `expected a UserError, got ${(e as Error).stack}`);
    assert.match((e as Error).message, re);
    assert.doesNotMatch((e as Error).message, /\n/);
    return;
  }
  assert.fail('no error');
}

// ─────────────────────────────── safetensors ───────────────────────────────

test('safetensors: a 3 GiB tensor is refused in one line (no fs.read abort), from the reader and the CLI', async () => {
  const file = path.join(work, 'huge.safetensors');
  const bytes = 3 * 1024 ** 3;
  writeSafetensorsHeader(file, JSON.stringify({ big: { dtype: 'F32', shape: [bytes / 4], data_offsets: [0, bytes] } }), bytes);
  await assert.rejects(readSafetensors(file), (e: Error) => isUserError(e) && /tensor big .* over the \d+-byte limit/.test(e.message));

  const ckpt = copyCheckpoint('huge');
  writeSafetensorsHeader(path.join(ckpt, 'model.safetensors'), JSON.stringify({ 'extra.weight': { dtype: 'F32', shape: [bytes / 4], data_offsets: [0, bytes] } }), bytes);
  const r = cli('heatmap: model.safetensors with a 3 GiB tensor', ['heatmap', '--checkpoint', ckpt, textFile('a.txt', 'hello world\n')]);
  assertUserError(r, 'extra.weight', 'limit for this config.json');
});

test('safetensors: a header nested a million deep and a 10 MB header are refused fast', async () => {
  const deep = Buffer.concat([Buffer.alloc(8), Buffer.from(`{"a":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`)]);
  deep.writeBigUInt64LE(BigInt(deep.length - 8));
  let t = performance.now();
  expectUserError(() => decodeSafetensors(deep, 'deep.safetensors'), /deep\.safetensors: header nests deeper than 4 levels/);
  assert.ok(performance.now() - t < 1000, `${performance.now() - t} ms`);

  const big = path.join(work, 'big-header.safetensors');
  writeSafetensorsHeader(big, emptyTensorsHeader(10 * 1024 * 1024));
  const ckpt = copyCheckpoint('big-header');
  fs.copyFileSync(big, path.join(ckpt, 'model.safetensors'));
  const r = cli('heatmap: 10 MB safetensors header', ['heatmap', '--checkpoint', ckpt, textFile('b.txt', 'hi\n')]);
  assertUserError(r, 'model.safetensors', 'exceeds the 8 MB limit');
  t = performance.now();
  await assert.rejects(readSafetensors(big), (e: Error) => isUserError(e) && /exceeds the 8 MB limit/.test(e.message));
  assert.ok(performance.now() - t < 1000, `${performance.now() - t} ms`);
});

test('safetensors: 60,000 tensors in a 4 MB header are refused in well under a second', () => {
  const entries: string[] = [];
  for (let i = 0; i < 60_000; i++) entries.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  const json = Buffer.from(`{${entries.join(',')}}`);
  const buf = Buffer.concat([Buffer.alloc(8), json]);
  buf.writeBigUInt64LE(BigInt(json.length));
  const t = performance.now();
  expectUserError(() => decodeSafetensors(buf, 'many.safetensors'), /lists 60000 tensors, over the 50000 limit/);
  assert.ok(performance.now() - t < 1000, `${performance.now() - t} ms`);
});

test('checkpoints with NaN/Inf weights: heatmap and import-hf refuse them naming the tensor', async () => {
  const ckpt = copyCheckpoint('nan');
  const file = path.join(ckpt, 'model.safetensors');
  const { tensors, metadata } = await readSafetensors(file);
  const name = [...tensors.keys()].find((k) => k.includes('LayerNorm.weight'))!;
  tensors.get(name)!.data[3] = NaN;
  fs.writeFileSync(file, encodeSafetensors(tensors, metadata));
  const heat = cli('heatmap: NaN weight', ['heatmap', '--checkpoint', ckpt, textFile('c.txt', 'hello\n')]);
  assertUserError(heat, name, 'NaN', 'diverged or corrupt');
  const out = path.join(tempDir('nan-import'), 'out');
  const imp = cli('import-hf: NaN weight', ['import-hf', ckpt, '--out', out]);
  assertUserError(imp, name, 'NaN');
  assert.ok(!fs.existsSync(out), 'nothing written');
});

// ─────────────────────────────── config.json ───────────────────────────────

test('config.json with absurd sizes is refused before anything is allocated', () => {
  expectUserError(() => validateConfig(withDefaults({ num_hidden_layers: 1e6 }), 'config.json'), /"num_hidden_layers" 1000000 is over the limit of 128/);
  expectUserError(() => validateConfig(withDefaults({ vocab_size: 900_000, hidden_size: 4096, embedding_size: 4096, num_attention_heads: 64 }), 'config.json'),
    /billion parameters/);
  const ckpt = copyCheckpoint('config');
  const configFile = path.join(ckpt, 'config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.writeFileSync(configFile, JSON.stringify({ ...config, num_hidden_layers: 1e6 }));
  const r = cli('heatmap: num_hidden_layers 1e6', ['heatmap', '--checkpoint', ckpt, textFile('d.txt', 'hello\n')]);
  assertUserError(r, 'num_hidden_layers', '1000000');
  assert.ok(r.ms < 30_000, `${r.ms} ms`);
  const gen = { ...config, electra_lab: { ...config.electra_lab, generator: { ...config.electra_lab.generator, num_hidden_layers: 1e7 } } };
  fs.writeFileSync(configFile, JSON.stringify(gen));
  const g = cli('corrupt: generator num_hidden_layers 1e7', ['corrupt', '--checkpoint', ckpt, textFile('e.txt', 'hello\n')]);
  assertUserError(g, 'num_hidden_layers', 'generator');
});

// ─────────────────────────────── corpus ───────────────────────────────

test('corpus: directory symlink loops are not followed, file links are kept, counts and bytes are bounded', async () => {
  const root = path.join(work, 'loop');
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bin', 'a.txt'), 'alpha\n');
  fs.writeFileSync(path.join(root, 'b.txt'), 'beta\n');
  fs.symlinkSync('.', path.join(root, 'bin', 'X11')); // as /usr/bin/X11 -> .
  fs.symlinkSync('..', path.join(root, 'bin', 'up'));
  fs.symlinkSync('b.txt', path.join(root, 'link.txt'));
  for (const spec of [root, `${root}/**/*.txt`, `${root}/**`]) {
    const { files } = await discoverCorpus([spec]);
    assert.deepEqual(files.map((f) => path.relative(root, f.path)), ['b.txt', path.join('bin', 'a.txt')], spec);
  }
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(root, `many${i}.txt`), 'x\n'.repeat(100));
  await assert.rejects(discoverCorpus([`${root}/*.txt`], { maxFiles: 4 }), (e: Error) => isUserError(e) && /matches more than 4 files — narrow the glob/.test(e.message));
  await assert.rejects(discoverCorpus([root], { maxBytes: 500 }), (e: Error) => isUserError(e) && /over the 0 GB limit|GB, over the/.test(e.message));
  // The demo's and tests' corpus keeps working.
  const real = await discoverCorpus([path.join(ROOT, 'node_modules', '**', '*.md')]);
  assert.ok(real.files.length > 50, `${real.files.length} files`);
});

test('FIFOs and devices: skipped in globs, refused by name in heatmap and finetune (no hang)', { skip: process.platform === 'win32' }, async () => {
  const root = path.join(work, 'fifo');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'ok.txt'), 'text\n');
  const fifo = path.join(root, 'pipe.txt');
  execFileSync('mkfifo', [fifo]);
  fs.symlinkSync('/dev/zero', path.join(root, 'zero.txt'));
  const { files, warnings } = await discoverCorpus([`${root}/*.txt`]);
  assert.deepEqual(files.map((f) => path.basename(f.path)), ['ok.txt']);
  assert.ok(warnings.some((w) => w.file.endsWith('zero.txt') && /not a regular file/.test(w.message)), JSON.stringify(warnings));
  await assert.rejects(discoverCorpus([fifo]), (e: Error) => isUserError(e) && /neither a file nor a folder/.test(e.message));

  const ckpt = checkpoint().checkpoint;
  assertUserError(cli('heatmap: a FIFO', ['heatmap', '--checkpoint', ckpt, fifo], { timeout: 60_000 }), fifo, 'pipe (FIFO)');
  assertUserError(cli('heatmap: /dev/zero', ['heatmap', '--checkpoint', ckpt, '/dev/zero'], { timeout: 60_000 }), '/dev/zero', 'device');
  const train = textFile('train.tsv', 'sentence\tlabel\nthe file is fast\t1\nthe file is slow\t0\n');
  const r = cli('finetune: --dev is a FIFO', ['finetune', '--checkpoint', ckpt, '--train', train, '--dev', fifo, '--out', path.join(work, 'ft-fifo')], { timeout: 60_000 });
  assertUserError(r, fifo, 'pipe (FIFO)', '--dev');
});

// ─────────────────────────────── options ───────────────────────────────

test('numeric options are validated: batch × seq by memory, ε, clip, integers, NaN', () => {
  const corpus = checkpoint().corpus;
  const out = path.join(work, 'opts-run');
  const base = ['pretrain', '--corpus', corpus, '--out', out, '--preset', 'tiny', '--backend', 'wasm'];
  const cases: [string[], string[]][] = [
    [['--batch', '100000'], ['--batch 100000', 'tokens per step']],
    [['--adam-epsilon', '0'], ['--adam-epsilon 0', '(0, 1)']],
    [['--clip-norm=-1'], ['--clip-norm -1', 'positive']],
    [['--steps', '1.5'], ['--steps 1.5', 'not an integer']],
    [['--steps', 'NaN'], ['--steps NaN']],
    [['--batch=-3'], ['--batch', 'positive integer']],
    [['--lr', 'abc'], ['--lr abc', 'not a number']],
    [['--warmup=-1'], ['--warmup -1']],
    [['--threads', '0'], ['--threads 0', 'between 1 and']],
    [['--gen-width', '2'], ['--gen-width 2']],
  ];
  for (const [flags, mentions] of cases) {
    const r = cli(`pretrain ${flags.join(' ')}`, [...base, ...flags], { timeout: 60_000 });
    assertUserError(r, ...mentions);
    assert.ok(r.ms < 30_000, `${flags.join(' ')}: ${r.ms} ms`);
    assert.ok(!fs.existsSync(path.join(out, 'run.json')), `${flags.join(' ')} wrote run.json`);
  }
  const ckpt = checkpoint().checkpoint;
  const train = textFile('t2.tsv', 'sentence\tlabel\nthe file is fast\t1\nthe file is slow\t0\n');
  for (const [flags, mention] of [[['--epochs', '0'], '--epochs'], [['--adam-epsilon', '0'], '--adam-epsilon 0'], [['--batch', '5000'], 'tokens per step']] as const) {
    assertUserError(cli(`finetune ${flags.join(' ')}`, ['finetune', '--checkpoint', ckpt, '--train', train, '--dev', train, '--out', path.join(work, 'ft-opts'), ...flags]), mention);
  }
  assertUserError(cli('eval --batch 0', ['eval', '--checkpoint', ckpt, '--corpus', corpus, '--batch', '0']), '--batch 0');
});

// ─────────────────────────────── divergence ───────────────────────────────

test('divergence: --lr 0.99 stops with one line naming the last good checkpoint, which loads', () => {
  const out = path.join(tempDir('diverge'), 'run');
  const r = cli('pretrain --lr 0.99', ['pretrain', '--corpus', checkpoint().corpus, '--out', out, '--preset', 'tiny', '--steps', '200', '--warmup', '30',
    '--batch', '4', '--seq', '32', '--vocab-size', '600', '--save-every', '1', '--keep', '100', '--lr', '0.99'], { timeout: 300_000 });
  const line = assertUserError(r, 'training diverged', 'exploded');
  const named = /the last good checkpoint is (\S+);/.exec(line)?.[1];
  assert.ok(named, line);
  const heat = cli('heatmap on the last good checkpoint', ['heatmap', '--json', '--checkpoint', named, textFile('f.txt', 'hello world\n')]);
  assert.equal(heat.code, 0, heat.stderr);
  // No checkpoint folder on disk holds NaN: every one loads.
  for (const step of fs.readdirSync(path.join(out, 'checkpoints')).filter((d) => /^step-\d+$/.test(d))) {
    const heat = cli(`heatmap on ${step}`, ['heatmap', '--json', '--checkpoint', path.join(out, 'checkpoints', step), textFile('g.txt', 'hi\n')]);
    assert.equal(heat.code, 0, `${step}: ${heat.stderr}`);
  }
});

test('a model whose weights hold NaN is never written as a checkpoint', async () => {
  await initBackend('cpu');
  const spec = tinySpec(300);
  const model = ElectraModel.initialise(spec, 1);
  const [name, variable] = [...model.namedVariables()].find(([n]) => n.includes('LayerNorm'))!;
  const values = variable.dataSync().slice();
  values[0] = NaN;
  variable.assign(tf.tensor(values, variable.shape));
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: 295 }, (_, i) => `w${i}`)];
  const dir = path.join(work, 'nan-save', 'step-1');
  await assert.rejects(saveModelCheckpoint(dir, model, WordPieceTokenizer.fromVocab(vocab), 'electra'),
    (e: Error) => e instanceof NonFiniteWeightsError && e.message.includes('holds NaN or Inf') && e.message.split('\n').length === 1);
  assert.ok(!fs.existsSync(dir), 'nothing written');
  assert.ok(name);
  model.dispose();
});

// ─────────────────────────────── output and logs ───────────────────────────────

test('heatmap --json piped through cat is complete (stdout drains before exit)', () => {
  const words = fs.readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'README.md'), 'utf8');
  const text = textFile('long.md', words.repeat(Math.ceil(120_000 / words.length)));
  const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" heatmap --json --checkpoint "${checkpoint().checkpoint}" "${text}" | cat`],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.length > 1024 * 1024, `${r.stdout.length} bytes`);
  const parsed = JSON.parse(r.stdout) as { tokens: unknown[] };
  assert.ok(parsed.tokens.length > 10_000);
});

test('pretrain --corpus a "b/**/*.md" takes every path given', () => {
  const a = path.join(work, 'corpus-a');
  const b = path.join(work, 'corpus-b');
  fs.cpSync(checkpoint().corpus, a, { recursive: true });
  fs.mkdirSync(path.join(b, 'docs'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'node_modules', 'tsx', 'README.md'), path.join(b, 'docs', 'tsx.md'));
  const out = path.join(tempDir('two-corpora'), 'run');
  const r = cli('pretrain with two corpus paths', ['pretrain', '--corpus', a, `${b}/**/*.md`, '--out', out, '--preset', 'tiny', '--steps', '1',
    '--batch', '2', '--seq', '32', '--vocab-size', '600']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /corpus: 4 files/);
  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as { corpus: string[] };
  assert.equal(run.corpus.length, 2);
});

/** Runs pretrain until `file` has `lines` lines, then kill -9. */
async function killWhen(args: string[], file: string, lines: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 1200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= lines) break;
  }
  child.kill('SIGKILL');
  await exited;
}

test('killed before the first checkpoint: resume does not duplicate metrics.jsonl / samples.jsonl lines', async () => {
  const out = path.join(tempDir('kill-resume'), 'run');
  const args = ['pretrain', '--corpus', checkpoint().corpus, '--out', out, '--preset', 'tiny', '--steps', '400', '--batch', '2', '--seq', '32',
    '--vocab-size', '600', '--log-every', '1', '--sample-every', '2', '--save-every', '1000', '--backend', 'wasm'];
  await killWhen(args, path.join(out, 'metrics.jsonl'), 3);
  const before = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
  assert.ok(before >= 3, `${before} lines before the kill`);
  assert.ok(!fs.existsSync(path.join(out, 'checkpoints')) || fs.readdirSync(path.join(out, 'checkpoints')).every((d) => !/^step-\d+$/.test(d)));
  const r = cli('pretrain --resume after kill -9', ['pretrain', '--out', out, '--resume', '--steps', '6']);
  assert.equal(r.code, 0, r.stderr);
  const steps = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
  const samples = fs.readFileSync(path.join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; row: number });
  assert.deepEqual(samples.map((s) => `${s.step}:${s.row}`), ['1:0', '1:1', '2:0', '2:1', '4:0', '4:1', '6:0', '6:1']);
});

test('--log-every 4 with a checkpoint at step 3: the line logged after a resume covers the same steps as an uninterrupted run', () => {
  const root = tempDir('log-interval');
  const straight = path.join(root, 'straight');
  const args = ['--corpus', checkpoint().corpus, '--preset', 'tiny', '--steps', '6', '--batch', '2', '--seq', '32', '--vocab-size', '600',
    '--log-every', '4', '--save-every', '3', '--keep', '10', '--sample-every', '2', '--backend', 'wasm'];
  assert.equal(cli('pretrain: log 4, save 3', ['pretrain', ...args, '--out', straight]).code, 0);
  // As a kill -9 after step 6 was logged but before its checkpoint landed: step-3 is the newest checkpoint.
  const killed = path.join(root, 'killed');
  fs.cpSync(straight, killed, { recursive: true });
  fs.rmSync(path.join(killed, 'checkpoints', 'step-6'), { recursive: true });
  const r = cli('pretrain --resume from step-3', ['pretrain', '--out', killed, '--resume', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resuming from .*step-3/);
  // Timings differ between two runs; every trained number must not.
  const lines = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { tokens_per_sec: _t, elapsed_s: _e, wall_time_s: _w, ...rest } = JSON.parse(l) as Record<string, number>;
    return rest;
  });
  const expected = lines(straight);
  assert.deepEqual(expected.map((l) => l.step), [4, 6]);
  assert.deepEqual(lines(killed), expected);
  assert.equal(fs.readFileSync(path.join(killed, 'samples.jsonl'), 'utf8'), fs.readFileSync(path.join(straight, 'samples.jsonl'), 'utf8'));
});

test('a run folder whose first start failed can be started again (bad corpus writes nothing; no checkpoint = restartable)', () => {
  const root = tempDir('restart');
  const out = path.join(root, 'run');
  const binary = path.join(root, 'bin');
  fs.mkdirSync(binary);
  fs.writeFileSync(path.join(binary, 'x.txt'), Buffer.from([1, 0, 2, 0, 3]));
  const tiny = ['--preset', 'tiny', '--steps', '2', '--batch', '2', '--seq', '32', '--vocab-size', '600'];
  assertUserError(cli('pretrain: binary corpus', ['pretrain', '--corpus', binary, '--out', out, ...tiny]), 'look binary');
  assert.ok(!fs.existsSync(path.join(out, 'run.json')), 'nothing written for a bad corpus');
  assertUserError(cli('pretrain: mistyped corpus', ['pretrain', '--corpus', path.join(root, 'nope'), '--out', out, ...tiny]), 'corpus path not found');
  assert.ok(!fs.existsSync(path.join(out, 'run.json')));

  // As if killed while training the tokenizer: run.json and nothing else.
  const ok = cli('pretrain: good corpus', ['pretrain', '--corpus', checkpoint().corpus, '--out', out, ...tiny]);
  assert.equal(ok.code, 0, ok.stderr);
  for (const f of ['vocab.txt', 'checkpoints', 'metrics.jsonl', 'samples.jsonl']) fs.rmSync(path.join(out, f), { recursive: true, force: true });
  const resumed = cli('pretrain --resume with no vocab.txt', ['pretrain', '--out', out, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-2', 'model.safetensors')));
  fs.rmSync(path.join(out, 'checkpoints'), { recursive: true });
  const again = cli('pretrain again into a folder without checkpoints', ['pretrain', '--corpus', checkpoint().corpus, '--out', out, ...tiny]);
  assert.equal(again.code, 0, again.stderr);
  // With a checkpoint, a fresh start is still refused (that would lose the run).
  assertUserError(cli('pretrain into a run with checkpoints', ['pretrain', '--corpus', checkpoint().corpus, '--out', out, ...tiny]), '--resume');
});

// ─────────────────────────────── signals and faults ───────────────────────────────

test('finetune stops within a step on SIGINT and keeps the model so far and its results', async () => {
  const rows = ['sentence\tlabel'];
  const words = ['fast', 'small', 'slow', 'large', 'quick', 'heavy'];
  for (let i = 0; i < 3000; i++) rows.push(`the file number ${i} is ${words[i % 6]}\t${i % 6 < 2 || i % 6 === 4 ? 1 : 0}`);
  const train = textFile('sig-train.tsv', rows.join('\n') + '\n');
  const dev = textFile('sig-dev.tsv', rows.slice(0, 41).join('\n') + '\n');
  const out = path.join(tempDir('ft-sig'), 'out');
  const child = spawn(process.execPath, [CLI, 'finetune', '--checkpoint', copyCheckpoint('ft-sig-src'), '--train', train, '--dev', dev, '--out', out,
    '--epochs', '3', '--batch', '4', '--seq', '32', '--progress-json', '--backend', 'wasm'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let signalled = 0;
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!signalled && /"kind":"step","step":5\b/.test(stdout)) {
      signalled = Date.now();
      child.kill('SIGINT');
    }
  });
  const code = await exit;
  assert.ok(signalled > 0, 'no step event');
  const took = Date.now() - signalled;
  assert.equal(code, 0, `exit ${code}`);
  // An epoch is 750 steps; stopping within a step plus one dev evaluation takes seconds.
  assert.ok(took < 20_000, `stopped ${took} ms after SIGINT`);
  const done = stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.kind === 'done');
  assert.ok(done?.stopped, 'done event with stopped: true');
  assert.ok(done.step < 50, `stopped at step ${done.step}`);
  const results = JSON.parse(fs.readFileSync(done.results, 'utf8'));
  assert.equal(results.stopped, true);
  assert.ok(fs.existsSync(path.join(out, 'model.safetensors')));
});

test('eval honours SIGTERM', async () => {
  const corpus = path.join(work, 'eval-corpus');
  fs.mkdirSync(corpus);
  const text = fs.readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'README.md'), 'utf8');
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(corpus, `d${i}.md`), text.replace(/the/g, `the${i}`));
  const child = spawn(process.execPath, [CLI, 'eval', '--checkpoint', checkpoint().checkpoint, '--corpus', corpus, '--split', 'all',
    '--max-examples', '100000', '--backend', 'wasm'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let stderr = '';
  await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (/backend:/.test(stderr)) resolve();
  }));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sent = Date.now();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const signal = await exit;
  clearTimeout(timer);
  assert.equal(signal, 'SIGTERM', `ended by ${signal} after ${Date.now() - sent} ms`);
});

test('disk full while writing a checkpoint: "disk full at <path>", earlier checkpoints kept', () => {
  const out = path.join(tempDir('enospc'), 'run');
  const r = cli('pretrain: ENOSPC at step-4', ['pretrain', '--corpus', checkpoint().corpus, '--out', out, '--preset', 'tiny', '--steps', '6',
    '--batch', '2', '--seq', '32', '--vocab-size', '600', '--save-every', '2', '--backend', 'wasm'],
  { preload: [ENOSPC_PRELOAD], env: { ENOSPC_AT: `${path.sep}step-4.tmp-` } });
  assertUserError(r, 'disk full at', path.join(out, 'checkpoints', 'step-4'));
  const left = fs.readdirSync(path.join(out, 'checkpoints'));
  assert.deepEqual(left, ['step-2'], 'the earlier checkpoint is kept, no temp folder is left');
  const heat = cli('heatmap on the kept checkpoint', ['heatmap', '--json', '--checkpoint', path.join(out, 'checkpoints', 'step-2'), textFile('h.txt', 'hi\n')]);
  assert.equal(heat.code, 0, heat.stderr);
});
