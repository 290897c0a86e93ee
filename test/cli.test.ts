import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, ROOT, tempDir } from './helpers';

/** Runs the built CLI (npm test builds it first). */
function cli(args: string[], options: { cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 1, the last stderr line is one `electra-lab: …` line naming `mentions`, no stack trace. */
function assertUserError(r: ReturnType<typeof cli>, ...mentions: string[]) {
  assert.equal(r.code, 1, `exit code ${r.code}; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  const last = r.stderr.trim().split('\n').pop()!;
  assert.match(last, /^electra-lab: /);
  for (const m of mentions) assert.ok(last.includes(m), `"${last}" should mention ${m}`);
}

/** A few real Markdown files (the installed packages' READMEs) as a small corpus folder. */
function smallCorpus(): string {
  const dir = tempDir('corpus');
  const sources = ['typescript', 'esbuild', 'fast-glob', '@tensorflow/tfjs-core', 'tsx']
    .map((p) => path.join(ROOT, 'node_modules', p, 'README.md')).filter((f) => fs.existsSync(f));
  sources.forEach((f, i) => fs.copyFileSync(f, path.join(dir, `doc${i}.md`)));
  return dir;
}

const TINY = ['--preset', 'tiny', '--batch', '4', '--seq', '32', '--vocab-size', '600', '--log-every', '5', '--backend', 'wasm'];

let trained: string | undefined;
/** One short run shared by the checkpoint tests. */
function trainedCheckpoint(): string {
  if (trained) return trained;
  const out = path.join(tempDir('run'), 'run');
  const r = cli(['pretrain', '--corpus', smallCorpus(), '--out', out, '--steps', '6', '--save-every', '6', ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  trained = path.join(out, 'checkpoints', 'step-6');
  return trained;
}

function copyCheckpoint(): string {
  const copy = path.join(tempDir('ckpt'), 'step-6');
  fs.cpSync(trainedCheckpoint(), copy, { recursive: true });
  return copy;
}

test('pretrain writes a run folder; heatmap --json gives character offsets into the file and logits', () => {
  const checkpoint = trainedCheckpoint();
  for (const f of ['config.json', 'vocab.txt', 'model.safetensors', 'generator.safetensors', 'trainer_state.json', 'optimizer.safetensors']) {
    assert.ok(fs.existsSync(path.join(checkpoint, f)), `${f} missing`);
  }
  const runDir = path.dirname(path.dirname(checkpoint));
  const metrics = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(metrics.map((m) => m.step), [5, 6]);
  for (const key of ['masked_lm_accuracy', 'sampled_masked_lm_accuracy', 'disc_accuracy', 'disc_precision', 'disc_recall', 'disc_auc', 'learning_rate', 'tokens_per_sec', 'flops', 'wall_time_s']) {
    assert.equal(typeof metrics[0][key], 'number', key);
  }
  const samples = fs.readFileSync(path.join(runDir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(samples[0].tokens.some((t: { selected: boolean }) => t.selected));

  const textFile = path.join(tempDir('text'), 'café.txt');
  const text = 'Naïve café owners\r\nlove 北京 and 🤖 robots.\n';
  fs.writeFileSync(textFile, text);
  const r = cli(['heatmap', '--checkpoint', checkpoint, textFile, '--json', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { backend: string; tokens: { text: string; start: number; end: number; logit: number; p: number }[] };
  assert.equal(out.backend, 'wasm');
  assert.ok(out.tokens.length >= 10);
  for (const t of out.tokens) {
    const span = text.slice(t.start, t.end);
    assert.ok(span.length > 0 && !/\s/.test(span), `span "${span}" of ${t.text}`);
    assert.ok(Math.abs(1 / (1 + Math.exp(-t.logit)) - t.p) < 1e-9);
  }
  assert.equal(text.slice(out.tokens[0].start, out.tokens[0].end).toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '').startsWith(out.tokens[0].text.replace(/^##/, '')), true);

  const plain = cli(['heatmap', '--checkpoint', checkpoint, textFile, '--backend', 'wasm']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(plain.stdout.includes('Naïve café owners'), 'the text is printed as written');

  const corrupt = cli(['corrupt', '--checkpoint', checkpoint, textFile, '--json', '--seed', '3', '--backend', 'wasm']);
  assert.equal(corrupt.code, 0, corrupt.stderr);
  const sample = JSON.parse(corrupt.stdout) as { tokens: { selected: boolean; replaced: boolean; original: string; sampled: string }[] };
  assert.ok(sample.tokens.some((t) => t.selected));
  for (const t of sample.tokens) assert.equal(t.replaced, t.selected && t.sampled !== t.original);
});

test('a missing corpus path, an empty corpus and invalid UTF-8 each end in one line and exit 1', () => {
  const out = path.join(tempDir('bad'), 'run');
  assertUserError(cli(['pretrain', '--corpus', '/no/such/corpus', '--out', out, ...TINY]), '/no/such/corpus');
  const empty = tempDir('empty');
  assertUserError(cli(['pretrain', '--corpus', empty, '--out', out + '2', ...TINY]), 'no text files');
  const latin1 = smallCorpus();
  fs.writeFileSync(path.join(latin1, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b, 0x0a]));
  assertUserError(cli(['pretrain', '--corpus', latin1, '--out', out + '3', ...TINY]), 'latin1.txt', 'UTF-8');
});

test('a binary file in the corpus is skipped with a warning and training goes on', () => {
  const corpus = smallCorpus();
  fs.writeFileSync(path.join(corpus, 'image.txt'), Buffer.concat([Buffer.from('PNG'), Buffer.alloc(64), Buffer.from([1, 2, 3])]));
  const r = cli(['pretrain', '--corpus', corpus, '--out', path.join(tempDir('bin'), 'run'), '--steps', '2', ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*image\.txt/);
});

test('a 100 MB single-line file streams: pretraining runs in bounded memory', () => {
  const dir = tempDir('huge');
  const file = path.join(dir, 'one-line.txt');
  const words = 'the discriminator learns which tokens were replaced by the generator and ';
  const chunk = words.repeat(Math.ceil((1 << 20) / words.length));
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < 100; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const r = spawnSync('/usr/bin/env', ['bash', '-c', `command -v /usr/bin/time >/dev/null && exec /usr/bin/time -f 'maxrss %M' "$0" "$@" || exec "$0" "$@"`, process.execPath, CLI,
    'pretrain', '--corpus', file, '--out', path.join(dir, 'run'), '--steps', '2', ...TINY], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rss = /maxrss (\d+)/.exec(r.stderr);
  if (rss) assert.ok(Number(rss[1]) < 1_500_000, `peak RSS ${rss[1]} KB`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a truncated or tampered safetensors file, or a foreign vocab.txt, ends in one line and damages nothing', () => {
  const truncated = copyCheckpoint();
  const modelFile = path.join(truncated, 'model.safetensors');
  const bytes = fs.readFileSync(modelFile);
  fs.writeFileSync(modelFile, bytes.subarray(0, Math.floor(bytes.length / 3)));
  const textFile = path.join(ROOT, 'README.md');
  assertUserError(cli(['heatmap', '--checkpoint', truncated, textFile]), 'model.safetensors');

  const header = copyCheckpoint();
  const headerFile = path.join(header, 'model.safetensors');
  const b = fs.readFileSync(headerFile);
  b.writeBigUInt64LE(BigInt(b.length * 10), 0);
  fs.writeFileSync(headerFile, b);
  assertUserError(cli(['heatmap', '--checkpoint', header, textFile]), 'model.safetensors');

  const shapes = copyCheckpoint();
  const configFile = path.join(shapes, 'config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.intermediate_size = config.intermediate_size * 2;
  fs.writeFileSync(configFile, JSON.stringify(config));
  assertUserError(cli(['heatmap', '--checkpoint', shapes, textFile]), 'config.json');

  const vocab = copyCheckpoint();
  const vocabFile = path.join(vocab, 'vocab.txt');
  fs.writeFileSync(vocabFile, fs.readFileSync(vocabFile, 'utf8').split('\n').slice(0, 200).join('\n') + '\n');
  assertUserError(cli(['heatmap', '--checkpoint', vocab, textFile]), 'vocab.txt');

  const notCheckpoint = tempDir('nockpt');
  assertUserError(cli(['heatmap', '--checkpoint', notCheckpoint, textFile]), notCheckpoint);
  // The original checkpoint is untouched by all of this.
  assert.equal(cli(['heatmap', '--checkpoint', trainedCheckpoint(), textFile, '--json']).code, 0);
});

test('a run killed mid-way resumes at its last checkpoint with the same logs', async () => {
  const out = path.join(tempDir('resume'), 'run');
  const corpus = smallCorpus();
  const args = ['pretrain', '--corpus', corpus, '--out', out, '--steps', '40', '--save-every', '10', ...TINY];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
  const checkpoints = path.join(out, 'checkpoints');
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const done = fs.existsSync(checkpoints) && fs.readdirSync(checkpoints).some((d) => d === 'step-20');
      if (done) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the run finished before it could be killed'));
    });
  });
  await new Promise((r) => child.once('exit', r));
  const steps = fs.readdirSync(checkpoints).filter((d) => /^step-\d+$/.test(d)).map((d) => Number(d.slice(5)));
  const last = Math.max(...steps);
  assert.ok(last >= 20 && last < 40, `killed after step ${last}`);

  const r = cli(['pretrain', '--out', out, '--resume', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`resuming from .*step-${last} \\(step ${last}\\)`));
  const logged = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step as number);
  assert.deepEqual(logged, [5, 10, 15, 20, 25, 30, 35, 40]);
  assert.ok(fs.existsSync(path.join(checkpoints, 'step-40', 'model.safetensors')));

  // Same data order and randomness: the resumed run logs what an uninterrupted run logs.
  const straight = path.join(tempDir('straight'), 'run');
  assert.equal(cli(['pretrain', '--corpus', corpus, '--out', straight, '--steps', '40', '--save-every', '10', ...TINY]).code, 0);
  const losses = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).loss as number);
  const resumed = losses(out);
  losses(straight).forEach((l, i) => assert.ok(Math.abs(l - resumed[i]) <= 1e-4 * Math.abs(l), `step ${(i + 1) * 5}: ${l} vs resumed ${resumed[i]}`));
  assertUserError(cli(['pretrain', '--corpus', corpus, '--out', out, ...TINY]), 'run.json', '--resume');
});
