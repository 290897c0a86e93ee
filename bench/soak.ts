/**
 * Soak: kill -9 a tiny pretraining run at random moments, resume it each time, and check that the run ends exactly
 * where an uninterrupted run ends — the same loss at every logged step — and that every checkpoint it kept loads.
 *
 *   npm run soak -- [--cycles 10] [--steps 60] [--save-every 10] [--seed 1] [--keep]
 *
 * Kills land after a random step (then after a random 0–400 ms more, so some fall mid-step or mid-checkpoint-write),
 * anywhere from the first step to the last. Prints one line per cycle and the figures at the end;
 * exits 1 if any loss differs, a resume fails or a checkpoint does not load.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10' }, steps: { type: 'string', default: '60' },
    'save-every': { type: 'string', default: '10' }, seed: { type: 'string', default: '1' }, keep: { type: 'boolean', default: false },
  },
});
const CYCLES = Number(values.cycles);
const STEPS = Number(values.steps);
const SAVE_EVERY = Number(values['save-every']);
const TINY = ['--preset', 'tiny', '--batch', '4', '--seq', '32', '--vocab-size', '600', '--log-every', '1', '--backend', 'wasm',
  '--save-every', String(SAVE_EVERY), '--keep', '3'];

/** The soak's own randomness (mulberry32): the same --seed kills at the same steps. */
let state = Number(values.seed) >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-soak-'));
const corpus = path.join(work, 'corpus');
fs.mkdirSync(corpus);
for (const [i, p] of ['typescript', 'esbuild', 'fast-glob', '@tensorflow/tfjs-core', 'tsx'].entries()) {
  const f = path.join(ROOT, 'node_modules', p, 'README.md');
  if (fs.existsSync(f)) fs.copyFileSync(f, path.join(corpus, `doc${i}.md`));
}
const probe = path.join(work, 'probe.txt');
fs.writeFileSync(probe, 'The discriminator tells original tokens from the ones the generator put in their place.\n');

/** The loss logged at each step; a step logged twice (replayed after a kill) counts by its last line. */
function lossesOf(runDir: string): { losses: Map<number, number>; lines: number } {
  const text = fs.existsSync(path.join(runDir, 'metrics.jsonl')) ? fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8') : '';
  const lines = text.split('\n').filter((l) => l.trim());
  const losses = new Map<number, number>();
  for (const l of lines) {
    const r = JSON.parse(l) as { step: number; loss: number };
    losses.set(r.step, r.loss);
  }
  return { losses, lines: lines.length };
}

function checkpointsOf(runDir: string): string[] {
  const dir = path.join(runDir, 'checkpoints');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => /^step-\d+$/.test(d)).map((d) => path.join(dir, d)) : [];
}

/** A checkpoint loads when the CLI scores text with it (config, vocabulary and every tensor read and checked). */
function loads(checkpoint: string): boolean {
  const r = spawnSync(process.execPath, [CLI, 'heatmap', '--checkpoint', checkpoint, probe, '--json', '--backend', 'wasm'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  return Array.isArray((JSON.parse(r.stdout) as { tokens?: unknown }).tokens);
}

/** Runs the CLI with --progress-json; kills it with SIGKILL `extraMs` after step `killAfter` (undefined = let it end). */
function runCli(args: string[], killAfter?: number, extraMs = 0): Promise<{ killed: boolean; code: number | null; stderr: string; lastStep: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--progress-json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let buffered = '';
    let lastStep = 0;
    let killed = false;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const e = JSON.parse(line) as { kind: string; step?: number };
        if (e.kind !== 'step') continue;
        lastStep = e.step!;
        if (killAfter !== undefined && lastStep >= killAfter && !killed) {
          killed = true;
          setTimeout(() => child.kill('SIGKILL'), extraMs);
        }
      }
    });
    child.on('exit', (code) => resolve({ killed, code, stderr, lastStep }));
  });
}

async function main(): Promise<void> {
  console.log(`soak: ${CYCLES} kill -9 + resume cycles of a ${STEPS}-step tiny run (batch 4 × 32, checkpoint every ${SAVE_EVERY}), in ${work}`);
  const t0 = Date.now();
  const straight = path.join(work, 'straight');
  const reference = await runCli(['pretrain', '--corpus', corpus, '--out', straight, '--steps', String(STEPS), ...TINY]);
  if (reference.code !== 0) throw new Error(`the uninterrupted run failed: ${reference.stderr.trim().split('\n').pop()}`);
  const straightSeconds = (Date.now() - t0) / 1000;
  const expected = lossesOf(straight).losses;

  const run = path.join(work, 'killed');
  const failures: string[] = [];
  let resumes = 0;
  let duplicates = 0;
  let checkpointsChecked = 0;
  const t1 = Date.now();
  // Kill points spread over the whole run, some before the first checkpoint too.
  const killSteps = Array.from({ length: CYCLES }, () => 1 + Math.floor(random() * (STEPS - 1))).sort((a, b) => a - b);
  for (const [i, killAfter] of killSteps.entries()) {
    if (fs.existsSync(path.join(run, 'checkpoints', `step-${STEPS}`))) break; // a late kill came after the end
    const started = fs.existsSync(path.join(run, 'run.json'));
    const args = started ? ['pretrain', '--out', run, '--resume', '--backend', 'wasm'] : ['pretrain', '--corpus', corpus, '--out', run, '--steps', String(STEPS), ...TINY];
    const extraMs = Math.floor(random() * 400);
    const r = await runCli(args, killAfter, extraMs);
    if (started) resumes++;
    if (!r.killed && r.code !== 0) failures.push(`cycle ${i + 1}: ${started ? 'resume' : 'start'} failed: ${r.stderr.trim().split('\n').pop()}`);
    const kept = checkpointsOf(run);
    const newest = kept.sort((a, b) => Number(b.split('step-')[1]) - Number(a.split('step-')[1]))[0];
    const ok = newest === undefined || loads(newest);
    if (newest) checkpointsChecked++;
    if (!ok) failures.push(`cycle ${i + 1}: checkpoint ${newest} does not load`);
    console.log(`cycle ${i + 1}/${CYCLES}: ${started ? 'resumed' : 'started'}, ${r.killed ? `killed -9 ${extraMs} ms after step ${r.lastStep}` : `ended (exit ${r.code})`}; `
      + `newest checkpoint ${newest ? path.basename(newest) : 'none'}${newest ? (ok ? ' loads' : ' DOES NOT LOAD') : ''}`);
  }
  // The last resume runs to the end.
  const final = await runCli(['pretrain', '--out', run, '--resume', '--backend', 'wasm']);
  resumes++;
  if (final.code !== 0) failures.push(`final resume failed: ${final.stderr.trim().split('\n').pop()}`);
  const killedSeconds = (Date.now() - t1) / 1000;

  const got = lossesOf(run);
  duplicates = got.lines - got.losses.size;
  let maxDiff = 0;
  let identical = 0;
  for (const [step, loss] of expected) {
    const other = got.losses.get(step);
    if (other === undefined) {
      failures.push(`step ${step}: not logged by the killed run`);
      continue;
    }
    if (other === loss) identical++;
    maxDiff = Math.max(maxDiff, Math.abs(other - loss));
  }
  if (identical !== expected.size) failures.push(`${expected.size - identical} of ${expected.size} logged losses differ (max |Δ| ${maxDiff})`);
  if (duplicates) failures.push(`${duplicates} duplicate metrics.jsonl lines: a resume must truncate the log to its checkpoint's step`);
  for (const c of checkpointsOf(run)) {
    checkpointsChecked++;
    if (!loads(c)) failures.push(`final checkpoint ${c} does not load`);
  }

  console.log('');
  console.log(`kills: ${CYCLES}, resumes: ${resumes}, steps: ${STEPS}, logged steps compared: ${expected.size}`);
  console.log(`identical losses: ${identical}/${expected.size} (max |Δ| ${maxDiff})`);
  console.log(`checkpoint loads checked: ${checkpointsChecked}, duplicate metrics lines left by replayed steps: ${duplicates}`);
  console.log(`time: uninterrupted ${straightSeconds.toFixed(1)} s, killed and resumed ${killedSeconds.toFixed(1)} s (incl. the checks)`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg()[0].toFixed(2)}, Node ${process.version}`);
  if (!values.keep) fs.rmSync(work, { recursive: true, force: true });
  if (failures.length) {
    console.log(`FAILED (${failures.length}):\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('PASS');
}

main().catch((e: unknown) => {
  console.error(`soak: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  process.exit(1);
});
