/**
 * The engine against a PyTorch peer (bench/pytorch/electra_peer.py, Debian's torch 1.13 over OpenBLAS) on
 * ELECTRA-Small, vocabulary 30522, in one run:
 *   1. a like-for-like loss check: the same checkpoint, batch, masking and generator samples, dropout off;
 *   2. full training steps at batch 8 × 128 and 32 × 128, one 128-token window forward, and the heatmap
 *      over a whole document, engine and PyTorch measured alternately (ABAB, the machine is shared) and
 *      compared by medians of the same run;
 *   3. peak RSS at batch 32 × 128, each side in a fresh child process so the figure is its own.
 *
 *   npm run build && node --import tsx bench/vs-pytorch.ts [--steps 2] [--rounds 3] [--backends native,wasm] [--no-rss]
 *     [--no-document] [--no-real-run] [--keep] [--check-only]   (--check-only: the loss check alone)
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { initBackend, shutdownBackend, type BackendReport } from '../src/engine/backend';
import { activeNativeAddon } from '../src/engine/backend/native';
import { ElectraModel, type ElectraModelSpec } from '../src/engine/model/electra';
import { generatorConfig, presetConfig } from '../src/engine/model/config';
import { isDecayed } from '../src/engine/model/names';
import { maskBatch, maxPredictionsFor } from '../src/engine/pretrain/masking';
import { pretrainingStep } from '../src/engine/pretrain/step';
import { OBJECTIVES } from '../src/engine/pretrain/objectives';
import { AdamW } from '../src/engine/pretrain/optimizer';
import { padBatch, type Batch } from '../src/engine/pretrain/batch';
import { Rng } from '../src/engine/data/rng';
import { saveCheckpoint } from '../src/engine/checkpoint/folder';
import { checkpointConfig, loadCheckpoint } from '../src/engine/checkpoint/model-io';
import { WordPieceTokenizer, SPECIAL_TOKENS } from '../src/engine/tokenizer/wordpiece';
import { forwardWindows, scoreText, windowContent, windowIds, windowOfChunk } from '../src/engine/inference/heatmap';
import { layoutText } from '../src/engine/inference/layout';

const PYTHON = '/usr/bin/python3'; // Debian's torch; the pyenv python3 on PATH has none
const CLI = path.join(__dirname, '..', 'dist', 'cli.js');

/** The peer's environment: OpenBLAS first on the library path unless the system's libblas.so.3 already is it. */
const PEER_ENV: NodeJS.ProcessEnv = (() => {
  const system = fs.realpathSync.native('/usr/lib/x86_64-linux-gnu/libblas.so.3');
  if (system.includes('openblas')) return process.env;
  const r = spawnSync('bash', [path.join(__dirname, 'pytorch', 'fetch-openblas.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not fetch OpenBLAS for the peer: ${r.stderr.trim()}`);
  return { ...process.env, LD_LIBRARY_PATH: [r.stdout.trim(), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
})();
const PEER = path.join(__dirname, 'pytorch', 'electra_peer.py');
const VOCAB = 30522, LENGTH = 128;
const SETTINGS = { objective: OBJECTIVES.electra, generatorWeight: 1, discriminatorWeight: 50, temperature: 1 };

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A vocabulary of whole-word tokens ("w5" …), so a synthetic document tokenizes one word to one id. */
function syntheticTokenizer(): WordPieceTokenizer {
  return WordPieceTokenizer.fromVocab([...SPECIAL_TOKENS, ...Array.from({ length: VOCAB - SPECIAL_TOKENS.length }, (_, i) => `w${i + SPECIAL_TOKENS.length}`)]);
}

function spec(): ElectraModelSpec {
  const disc = presetConfig('small', VOCAB);
  // The trainer's defaults (options.ts): generator 1/4 as wide, as deep, tied embeddings.
  return { discriminator: disc, generator: generatorConfig(disc, 0.25, 1), embeddingSharing: 'tied' };
}

/** As bench/train-throughput.ts: [CLS] … [SEP] … [SEP], segment B after 63; `padLast` pads the last row. */
function syntheticBatch(size: number, seed: number, padLast = 0): Batch {
  const rng = new Rng(seed);
  const sequences = Array.from({ length: size }, (_, b) => {
    const n = b === size - 1 ? LENGTH - padLast : LENGTH;
    const ids = Int32Array.from({ length: n }, (_, i) => (i === 0 ? 2 : i === 63 || i === n - 1 ? 3 : 5 + rng.nextInt(VOCAB - 5)));
    return { inputIds: ids, tokenTypeIds: Int32Array.from({ length: n }, (_, i) => (i > 63 ? 1 : 0)), length: n };
  });
  return padBatch(sequences, 0, LENGTH);
}

const masking = (batch: Batch, seed: number) =>
  maskBatch(batch, new Rng(seed), { maskProb: 0.15, maskTokenProb: 0.85, maxPredictions: maxPredictionsFor(0.15, LENGTH), maskId: 4, isSpecial: (id) => id < 5 });

/** An engine trainer: model, AdamW (the trainer's hyper-parameters) and one full step. */
function engineTrainer() {
  const model = ElectraModel.initialise(spec(), 1);
  const named = model.namedVariables();
  const variableNames = new Map([...named].map(([n, v]) => [v, n]));
  const optimizer = new AdamW(named, { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipNorm: 1, decays: (n) => isDecayed(n.slice(n.indexOf('/') + 1)) });
  const batches = new Map<number, Batch>();
  let counter = 0;
  const step = (size: number) => {
    if (!batches.has(size)) batches.set(size, syntheticBatch(size, 1));
    const batch = batches.get(size)!;
    counter += 1;
    // Masking is inside the timed step on both sides (the peer masks in numpy).
    const start = performance.now();
    pretrainingStep(model, batch, masking(batch, counter), SETTINGS, counter, { variableNames, applyGradients: (g) => optimizer.apply(g, 1e-4) });
    return (performance.now() - start) / 1000;
  };
  return { model, step, dispose: () => (optimizer.dispose(), model.dispose()) };
}

/** The peer as a long-lived child: one model load, then requests as JSON lines (so ABAB costs no reloads). */
class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  constructor(checkpoint: string) {
    this.child = spawn(PYTHON, [PEER, 'serve', checkpoint], { stdio: ['pipe', 'pipe', 'pipe'], env: PEER_ENV });
    this.child.stderr.on('data', (d) => process.stderr.write(`[peer] ${d}`));
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }
  async next(): Promise<Record<string, any>> {
    const line = await this.lines.next();
    if (line.done) throw new Error('the PyTorch peer exited (see its stderr above)');
    return JSON.parse(line.value);
  }
  async ask(request: Record<string, unknown>): Promise<Record<string, any>> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    return this.next();
  }
  close(): void {
    this.child.stdin.end();
  }
}

async function saveRandomCheckpoint(dir: string): Promise<void> {
  const model = ElectraModel.initialise(spec(), 1);
  const tensors = model.exportTensors();
  const tokenizer = syntheticTokenizer();
  await saveCheckpoint(dir, {
    config: checkpointConfig(model.spec, { do_lower_case: true, strip_accents: true }, 'electra'),
    vocabText: tokenizer.toVocabText(),
    model: tensors.discriminator,
    generator: tensors.generator,
  });
  model.dispose();
}

/** Engine losses with dropout off (pretrainingStep without `train`), dumped for the peer's `check`. */
async function lossCheck(dir: string): Promise<{ engine: { mlm: number; rtd: number }; peer: Record<string, any> }> {
  // Read back from the folder the peer reads: both sides start from the very same bytes.
  const { model } = await loadCheckpoint(dir);
  // The last row is padded, so the -10000 attention bias and the loss weights are exercised too.
  const batch = syntheticBatch(4, 7, 40);
  const masked = masking(batch, 11);
  const out = pretrainingStep(model, batch, masked, SETTINGS, 13);
  model.dispose();
  const dump = {
    batchSize: batch.size, length: batch.length,
    inputIds: [...batch.inputIds], tokenTypeIds: [...batch.tokenTypeIds], attentionMask: [...batch.attentionMask],
    maskedIds: [...masked.maskedIds], flatPositions: [...masked.flatPositions], labels: [...masked.labels], weights: [...masked.weights],
    samples: [...out.generator!.samples], predictions: [...out.generator!.predictions],
    corruptedIds: [...out.mainInputIds], replaced: [...out.replaced],
  };
  const file = path.join(dir, 'check.json');
  fs.writeFileSync(file, JSON.stringify(dump));
  const r = spawnSync(PYTHON, [PEER, 'check', dir, file], { encoding: 'utf8', env: PEER_ENV });
  if (r.status !== 0) throw new Error(`peer check failed: ${r.stderr}`);
  return { engine: { mlm: out.mlmLoss, rtd: out.mainLoss }, peer: JSON.parse(r.stdout) };
}

/** A synthetic document (~`words` words in lines and paragraphs) and the windows the heatmap runs for it. */
function syntheticDocument(tokenizer: WordPieceTokenizer, words: number, content: number) {
  const rng = new Rng(5);
  const lines: string[] = [];
  for (let w = 0; w < words;) {
    const n = 4 + rng.nextInt(14);
    lines.push(Array.from({ length: n }, () => `w${5 + rng.nextInt(VOCAB - 5)}`).join(' '));
    if (rng.nextInt(6) === 0) lines.push('');
    w += n;
  }
  const text = lines.join('\n');
  const layout = layoutText(tokenizer, text, content);
  // Neighbouring chunks near the ends can share a window; the heatmap runs each distinct window once.
  const unique = new Map<string, number[]>();
  layout.chunkStarts.forEach((_, c) => {
    const ids = [...windowIds(layout, tokenizer, windowOfChunk(layout, c, content))];
    unique.set(ids.join(','), ids);
  });
  return { text, tokens: layout.ids.length, windows: [...unique.values()] };
}

/** Child mode: the engine's peak RSS over two batch-B steps, alone in its process. */
async function childRss(backend: 'native' | 'wasm', size: number): Promise<void> {
  await initBackend(backend, { threads: 1, nativeThreads: 1 });
  const trainer = engineTrainer();
  trainer.step(size);
  trainer.step(size);
  console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

function engineRss(backend: string, size: number): number | undefined {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child-rss', backend, String(size)], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line).maxRssMB;
  } catch {
    const lines = r.stderr.trim().split('\n');
    const where = lines.find((l) => l.includes('/src/engine/'))?.trim() ?? '';
    console.log(`  engine RSS child (${backend}, batch ${size}) failed: ${[...lines.filter((l) => !l.startsWith('    at ')).slice(-2), where].join(' | ')}`);
    return undefined;
  }
}

function peerRss(dir: string, size: number): number | undefined {
  const r = spawnSync(PYTHON, [PEER, 'train-bench', dir, '--batch', String(size), '--steps', '1', '--warmup', '1', '--threads', '1'], { encoding: 'utf8', env: PEER_ENV });
  if (r.status !== 0) {
    console.log(`  peer RSS run failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  return JSON.parse(r.stdout).peak_rss_mb;
}

/**
 * A real run as a user starts it: `electra-lab pretrain --preset small --batch 8 --seq 128` on the installed
 * packages' READMEs (data, masking, sampling, metrics, logging and a checkpoint included), its logged
 * tokens_per_sec against the peer's full step on that run's own checkpoint (the same vocabulary size),
 * measured before and after the run.
 */
async function realRun(dir: string, backend: string, threads: number[]): Promise<Row | undefined> {
  const corpus = path.join(dir, 'real-corpus');
  fs.mkdirSync(corpus, { recursive: true });
  const modules = path.join(__dirname, '..', 'node_modules');
  for (const name of fs.readdirSync(modules).filter((n) => !n.startsWith('.') && !n.startsWith('@')).slice(0, 40)) {
    const readme = path.join(modules, name, 'README.md');
    if (fs.existsSync(readme)) fs.copyFileSync(readme, path.join(corpus, `${name}.md`));
  }
  const out = path.join(dir, `real-run-${backend}`);
  const steps = 40;
  const run = spawnSync(process.execPath, [CLI, 'pretrain', '--corpus', corpus, '--out', out, '--preset', 'small', '--batch', '8', '--seq', '128',
    '--steps', String(steps), '--log-every', '5', '--save-every', String(steps), '--backend', backend, '--threads', '1'], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.log(`  real run (${backend}) failed: ${run.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    return undefined;
  }
  // The first interval holds the start-up (tokenizer training, kernel set-up): the rest is the run's pace.
  const logged = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((m) => typeof m.tokens_per_sec === 'number').slice(1).map((m) => m.tokens_per_sec as number);
  const vocab = fs.readFileSync(path.join(out, 'vocab.txt'), 'utf8').trim().split('\n').length;
  const peer = new Peer(path.join(out, 'checkpoints', `step-${steps}`));
  await peer.next();
  const torch = new Map(threads.map((t) => [t, [] as number[]]));
  for (let round = 0; round < 2; round++) {
    for (const t of threads) torch.get(t)!.push(...(await peer.ask({ op: 'train', batch: 8, threads: t, steps: 3, warmup: round === 0 ? 1 : 0 })).step_s);
  }
  peer.close();
  const best = bestThreads(torch, (xs) => (8 * LENGTH) / median(xs));
  console.log(`  real run (${backend}, vocab ${vocab}): logged tokens/s ${logged.map((v) => v.toFixed(0)).join(', ')}; PyTorch best ${best.value.toFixed(0)} (${best.threads} thr)`);
  return { figure: `real pretrain run 8×${LENGTH}, vocab ${vocab} (tok/s logged)`, engine: backend, engineValue: median(logged), peerValue: best.value,
    peerThreads: best.threads, unit: 'tok/s', higherIsBetter: true, target: '≥ 1.3×' };
}

type Row = { figure: string; engine: string; engineValue: number; peerValue: number; peerThreads: number; unit: string; higherIsBetter: boolean; target: string };

interface PassOptions { steps: number; rounds: number; batches: number[]; threads: number[]; document: boolean }

/**
 * One engine backend against the peer, in its own process (`--child-pass`): a wasm abort (the wasm tier
 * aborts inside XNNPACK at batch 32 × 128 here) then loses that backend's remaining figures only, and no
 * backend inherits another's heap. Rows are printed as they are measured, cheap figures first.
 */
async function backendPass(backend: 'native' | 'wasm', dir: string, o: PassOptions): Promise<void> {
  const report = await startEngine(backend);
  const label = report.describe().split(';')[0];
  const emit = (row: Row) => console.log(`ROW ${JSON.stringify(row)}`);
  const peer = new Peer(dir);
  const ready = await peer.next();
  console.log(`  PyTorch ${ready.torch}, BLAS mapped: ${ready.blas.join(', ') || 'none found'} (${Object.entries(ready.env).map(([k, v]) => `${k}=${v ?? 'unset'}`).join(' ')})`);
  const tokenizer = syntheticTokenizer();
  const trainer = engineTrainer();
  try {
    // One 128-token window, as the heatmap's single-window case: forward only, logits read back.
    const window = syntheticBatch(1, 3).inputIds;
    forwardWindows(trainer.model, tokenizer, [window]);
    // Both sides at their best thread count, as PyTorch is: the native tier's BLAS threads are set per turn.
    const engineThreads = activeNativeAddon() ? o.threads : [1];
    const engineMs = new Map<number, number[]>(engineThreads.map((t) => [t, []]));
    const torchMs = new Map<number, number[]>(o.threads.map((t) => [t, []]));
    for (let r = 0; r < o.rounds; r++) {
      for (const t of engineThreads) {
        activeNativeAddon()?.setThreads(t);
        for (let i = 0; i < 10; i++) {
          const start = performance.now();
          forwardWindows(trainer.model, tokenizer, [window]);
          engineMs.get(t)!.push(performance.now() - start);
        }
      }
      for (const t of o.threads) torchMs.get(t)!.push(...(await peer.ask({ op: 'forward', threads: t, reps: 10, warmup: r === 0 ? 3 : 0 })).ms);
    }
    activeNativeAddon()?.setThreads(1);
    const bestWindow = bestThreads(torchMs, (xs) => median(xs), false);
    const engineWindow = bestThreads(engineMs, (xs) => median(xs), false);
    const perThread = (m: Map<number, number[]>) => [...m].map(([t, xs]) => `${t} thr ${median(xs).toFixed(1)}`).join('; ');
    console.log(`  ${label}: window forward medians: engine ${perThread(engineMs)} ms; PyTorch ${perThread(torchMs)} ms (load ${os.loadavg()[0].toFixed(2)})`);
    emit({ figure: 'window forward 1×128 (ms)', engine: `${label.replace(/\d threads?/, `${engineWindow.threads} thr`)}`, engineValue: engineWindow.value, peerValue: bestWindow.value, peerThreads: bestWindow.threads, unit: 'ms', higherIsBetter: false, target: '≥ 2×' });
    if (o.document) emit(await documentRow(trainer.model, tokenizer, peer, dir, label, o.rounds, o.threads));
    for (const size of o.batches) {
      trainer.step(size); // warm-up: kernel setup, first allocations
      const engine: number[] = [];
      const torch = new Map<number, number[]>(o.threads.map((t) => [t, []]));
      for (let r = 0; r < o.rounds; r++) {
        for (let s = 0; s < o.steps; s++) engine.push(trainer.step(size));
        for (const t of o.threads) torch.get(t)!.push(...(await peer.ask({ op: 'train', batch: size, threads: t, steps: o.steps, warmup: r === 0 ? 1 : 0 })).step_s);
      }
      const tokens = size * LENGTH;
      const best = bestThreads(torch, (xs) => tokens / median(xs));
      console.log(`  ${label}: train ${size}×${LENGTH} step times: engine ${engine.map((s) => s.toFixed(2)).join(' ')} s; PyTorch ${[...torch].map(([t, xs]) => `${t} thr ${xs.map((s) => s.toFixed(2)).join(' ')}`).join('; ')} s (load ${os.loadavg()[0].toFixed(2)})`);
      emit({ figure: `train ${size}×${LENGTH} (tokens/s)`, engine: label, engineValue: tokens / median(engine), peerValue: best.value, peerThreads: best.threads, unit: 'tokens/s', higherIsBetter: true, target: size === 8 ? '≥ 1.3×' : '≥ 1.0×' });
    }
  } finally {
    peer.close();
  }
}

/** Runs a backend pass in a child; forwards its log, collects its rows, and says how it ended. */
function runPass(backend: string, dir: string, passArgs: string[], rows: Row[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--child-pass', backend, dir, ...passArgs], { cwd: path.join(__dirname, '..') });
    const stderr: string[] = [];
    child.stderr.on('data', (d) => stderr.push(String(d)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ROW ')) rows.push(JSON.parse(line.slice(4)));
      else console.log(line);
    });
    child.on('close', (code) => {
      if (code !== 0) {
        const lines = stderr.join('').trim().split('\n');
        // The message, and the first frame in our own code: where in the engine it failed.
        const where = lines.find((l) => l.includes('/src/engine/'))?.trim() ?? '';
        const tail = [...lines.filter((l) => !l.startsWith('    at ')).slice(-2), where].join(' | ');
        console.log(`  ${backend} pass ended early (exit ${code}): ${tail}`);
      }
      resolve();
    });
  });
}

async function main() {
  if (flag('child-rss')) return childRss(arg('child-rss', 'native') as 'native' | 'wasm', Number(process.argv[process.argv.indexOf('--child-rss') + 2]));
  const options: PassOptions = {
    steps: Number(arg('steps', '2')),
    rounds: Number(arg('rounds', '3')),
    batches: arg('batches', '8,32').split(',').map(Number),
    threads: arg('peer-threads', '1,2').split(',').map(Number),
    document: !flag('no-document'),
  };
  if (flag('child-pass')) {
    const i = process.argv.indexOf('--child-pass');
    return backendPass(process.argv[i + 1] as 'native' | 'wasm', process.argv[i + 2], options);
  }
  const passArgs = ['--steps', String(options.steps), '--rounds', String(options.rounds), '--batches', options.batches.join(','), '--peer-threads', options.threads.join(','), ...(options.document ? [] : ['--no-document'])];
  const backends = arg('backends', 'native,wasm').split(',') as ('native' | 'wasm')[];

  console.log(`ELECTRA Lab engine vs PyTorch peer — ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`ELECTRA-Small (tied, generator 1/4), vocab ${VOCAB}, length ${LENGTH}; ${options.rounds} ABAB rounds × ${options.steps} timed steps per side, medians`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-vs-pytorch-'));
  const rows: Row[] = [];
  try {
    // The checkpoint and the loss check are backend-independent: made here on the first backend that starts.
    await startEngine(backends[0]);
    await saveRandomCheckpoint(dir);
    const check = await lossCheck(dir);
    shutdownBackend(); // the passes run in children; free this heap
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    console.log('\nloss check (same weights, batch 4 × 128 with a padded row, same masking and generator samples, no dropout):');
    console.log(`  MLM  engine ${check.engine.mlm.toFixed(6)}  PyTorch ${check.peer.mlm_loss.toFixed(6)}  |Δ| ${Math.abs(check.engine.mlm - check.peer.mlm_loss).toExponential(2)}  rel ${rel(check.engine.mlm, check.peer.mlm_loss).toExponential(2)}`);
    console.log(`  RTD  engine ${check.engine.rtd.toFixed(6)}  PyTorch ${check.peer.rtd_loss.toFixed(6)}  |Δ| ${Math.abs(check.engine.rtd - check.peer.rtd_loss).toExponential(2)}  rel ${rel(check.engine.rtd, check.peer.rtd_loss).toExponential(2)}`);
    console.log(`  corruption rebuilt from the engine's samples matches: ids ${check.peer.corrupted_ids_match}, replaced labels ${check.peer.replaced_match}; generator argmax agreement ${(100 * check.peer.generator_argmax_agreement).toFixed(1)}%`);

    if (flag('check-only')) return;
    for (const backend of backends) await runPass(backend, dir, passArgs, rows);
    if (!flag('no-real-run')) {
      console.log('\nreal run (the CLI, as a user runs it):');
      for (const backend of backends) {
        const row = await realRun(dir, backend, options.threads);
        if (row) rows.push(row);
      }
    }

    if (!flag('no-rss')) {
      const size = options.batches.includes(32) ? 32 : options.batches[options.batches.length - 1];
      for (const backend of backends) {
        const engine = engineRss(backend, size);
        const torch = peerRss(dir, size);
        if (engine !== undefined && torch !== undefined) {
          rows.push({ figure: `peak RSS train ${size}×${LENGTH} (MB)`, engine: backend, engineValue: engine, peerValue: torch, peerThreads: 1, unit: 'MB', higherIsBetter: false, target: '≤ 1.5× PyTorch' });
        }
      }
    }
    printTable(rows);
    console.log(`\nload average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    // After a wasm abort, shutdown throws too: keep the first error visible.
    try {
      shutdownBackend();
    } catch (e) {
      console.error(`shutdownBackend failed: ${(e as Error).message}`);
    }
    // --keep leaves the checkpoint for running the peer's modes by hand.
    if (flag('keep')) console.log(`checkpoint kept: ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function startEngine(backend: 'native' | 'wasm'): Promise<BackendReport> {
  shutdownBackend();
  try {
    const report = await initBackend(backend, { threads: 1, nativeThreads: 1 });
    console.log(`\nengine backend: ${report.describe()}`);
    return report;
  } catch (e) {
    if (backend !== 'native') throw e;
    console.log(`\nnative tier unavailable (${(e as Error).message}) — falling back to wasm for this row`);
    return startEngine('wasm');
  }
}

/** The peer's best thread count for a figure: PyTorch at its best is the peer. */
function bestThreads(samples: Map<number, number[]>, value: (xs: number[]) => number, higherIsBetter = true): { threads: number; value: number } {
  let best = { threads: 0, value: higherIsBetter ? -Infinity : Infinity };
  for (const [threads, xs] of samples) {
    const v = value(xs);
    if (higherIsBetter ? v > best.value : v < best.value) best = { threads, value: v };
  }
  return best;
}

/** The heatmap over a whole document: the engine's scoreText against the peer running the same windows. */
async function documentRow(model: ElectraModel, tokenizer: WordPieceTokenizer, peer: Peer, dir: string, label: string, rounds: number, threads: number[]): Promise<Row> {
  const doc = syntheticDocument(tokenizer, 3000, windowContent(model));
  const file = path.join(dir, 'windows.json');
  fs.writeFileSync(file, JSON.stringify({ windows: doc.windows, tokens: doc.tokens, batchSize: 8 }));
  const engineMs: number[] = [];
  const torchMs = new Map<number, number[]>(threads.map((t) => [t, []]));
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    scoreText(model, tokenizer, doc.text);
    engineMs.push((performance.now() - start) / doc.tokens);
    for (const t of threads) torchMs.get(t)!.push((await peer.ask({ op: 'document', windows: file, threads: t, reps: 1 })).ms_per_token);
  }
  const best = bestThreads(torchMs, median, false);
  console.log(`  ${label}: document ms/token: engine ${engineMs.map((x) => x.toFixed(3)).join(' ')}; PyTorch ${[...torchMs].map(([t, xs]) => `${t} thr ${xs.map((x) => x.toFixed(3)).join(' ')}`).join('; ')} (load ${os.loadavg()[0].toFixed(2)})`);
  return { figure: `document ${doc.tokens} tok, ${doc.windows.length} windows (ms/tok)`, engine: label, engineValue: median(engineMs), peerValue: best.value, peerThreads: best.threads, unit: 'ms/token', higherIsBetter: false, target: '' };
}

function printTable(rows: Row[]) {
  console.log('\nfigure                                              engine                                      engine      PyTorch (thr)   ratio  target');
  for (const r of rows) {
    // Throughput: engine / PyTorch. Times and memory: PyTorch / engine for speed (so > 1 is the engine
    // ahead), engine / PyTorch for RSS (the target is a ceiling on it).
    const ratio = r.unit === 'MB' ? r.engineValue / r.peerValue : r.higherIsBetter ? r.engineValue / r.peerValue : r.peerValue / r.engineValue;
    const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4));
    console.log(`${r.figure.padEnd(52)}${r.engine.slice(0, 42).padEnd(44)}${fmt(r.engineValue).padStart(8)}  ${fmt(r.peerValue).padStart(10)} (${r.peerThreads})  ${ratio.toFixed(2).padStart(5)}×  ${r.target}`);
  }
  console.log('ratio: engine/PyTorch for tokens/s and RSS; PyTorch/engine for ms (engine speed-up), so ≥ targets are met when ratio ≥ target (RSS: ≤).');
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
