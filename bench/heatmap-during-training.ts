/**
 * Does a training run stall the editor's heatmap? The engine runs a run as a CLI child process, so the two only
 * share the CPU. This measures, through the real engine process, the heatmap after one-line edits in view (as
 * the editor asks: the edited text first, then exact) and a hover's top-5, first with the machine otherwise
 * idle, then while the same preset trains at batch 8 × 128 — first as a plain child at equal priority (the
 * baseline: how runs were started before), then started by the engine (electra/pretrainStart, as the editor
 * starts one, at a lower priority) — and compares the slowest answer with one training step, the bound the
 * extension promises.
 *
 *   npm run build && node --import tsx bench/heatmap-during-training.ts [--presets tiny,small]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { pretrainStart, runEvent, runStop, tokenPredictions } from '../src/protocol';
import { pretrainCommand } from '../src/engine/service/run-args';
import { CLI, Engine, makeCheckpoint, median, READMES, writeCorpus } from './engine-client';

interface Sample {
  firstPaint: number;
  exact: number;
  hover: number;
}

/** Five one-line edits in a 60-line view, each followed by the two heatmap requests and a hover on the typed word. */
async function editsInView(engine: Engine, uri: string, text: string, checkpoint: string, round: number): Promise<{ samples: Sample[]; text: string }> {
  const samples: Sample[] = [];
  for (let i = 0; i < 5; i++) {
    const lineStarts = [0];
    for (let c = 0; c < text.length; c++) if (text[c] === '\n') lineStarts.push(c + 1);
    const first = 200 + 100 * round;
    const range = { start: lineStarts[first], end: lineStarts[first + 60] };
    const at = lineStarts[first + 5 + 10 * i] - 1;
    const insert = ` typed${round}x${i}`;
    await engine.insert(uri, text, at, insert);
    text = text.slice(0, at) + insert + text.slice(at);
    range.end += insert.length;
    const fast = await engine.score(uri, checkpoint, range, true);
    const exact = await engine.score(uri, checkpoint, range);
    const started = performance.now();
    await engine.connection.sendRequest(tokenPredictions, { uri, version: fast.result.version, checkpoint, offset: at + 2 });
    samples.push({ firstPaint: fast.ms, exact: fast.ms + exact.ms, hover: performance.now() - started });
  }
  return { samples, text };
}

interface Training {
  stepTimes: number[];
  stop: () => Promise<void>;
}

/** Step times from a run's events; `warm` once it has stepped twice (the first step compiles and allocates). */
function stepClock(): { stepAt: number[]; onStep: () => void; warmed: Promise<void> } {
  const stepAt: number[] = [];
  let warm!: () => void;
  const warmed = new Promise<void>((resolve) => (warm = resolve));
  return { stepAt, warmed, onStep: () => stepAt.push(performance.now()) === 2 && warm() };
}

function trainArgs(tmp: string): { corpus: string; out: string; steps: number; batch: number; seq: number; saveEvery: number } {
  return { corpus: writeCorpus(path.join(tmp, 'train-corpus')), out: path.join(tmp, `run-${Date.now()}`), steps: 100_000, batch: 8, seq: 128, saveEvery: 100_000 };
}

/** The baseline: the same run as a plain child at the editor's own priority (how the engine started runs before). */
async function trainAtEqualPriority(tmp: string, preset: string): Promise<Training> {
  const a = trainArgs(tmp);
  // The engine's own command line for the run (run-args.ts), started without the engine's lower priority.
  const { args } = pretrainCommand({ corpus: [a.corpus], out: a.out, preset: preset as 'tiny' | 'small', steps: a.steps, batch: a.batch, seq: a.seq, saveEvery: a.saveEvery });
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const clock = stepClock();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => line.includes('"step"') && clock.onStep());
  await clock.warmed;
  return measuredFrom(clock.stepAt, () => new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGINT');
  }));
}

/** A run started through the engine, as the editor starts one (electra/pretrainStart). */
async function trainThroughEngine(engine: Engine, tmp: string, preset: string): Promise<Training> {
  const a = trainArgs(tmp);
  const clock = stepClock();
  let ended!: () => void;
  const finished = new Promise<void>((resolve) => (ended = resolve));
  engine.connection.onNotification(runEvent, (e) => {
    if (e.kind === 'step') clock.onStep();
    if (e.kind === 'done' || e.kind === 'failed') ended();
  });
  const { runDir } = await engine.connection.sendRequest(pretrainStart, { corpus: [a.corpus], out: a.out, preset: preset as 'tiny' | 'small', steps: a.steps, batch: a.batch, seq: a.seq, saveEvery: a.saveEvery });
  await Promise.race([clock.warmed, finished]);
  return measuredFrom(clock.stepAt, async () => {
    await engine.connection.sendRequest(runStop, { runDir });
    await finished;
  });
}

/** Only the steps taken while we measure count: from the last warm-up step on. */
function measuredFrom(stepAt: number[], stopRun: () => Promise<void>): Training {
  const from = stepAt.length - 1;
  return {
    stepTimes: stepAt,
    stop: async () => {
      stepAt.splice(0, from);
      await stopRun();
    },
  };
}

async function benchPreset(preset: string, tmp: string) {
  const checkpoint = makeCheckpoint(tmp, preset);
  const prose = READMES.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  let text = '';
  while (text.split('\n').length < 2_000) text += prose + '\n';
  const engine = new Engine();
  const backend = await engine.start();
  const uri = 'file:///doc.md';
  await engine.open(uri, text);
  // Warm-up: the checkpoint loads and the views' windows are scored once (the heatmap's first scoring).
  for (let round = 0; round < 3; round++) {
    const lines = text.split('\n');
    const start = lines.slice(0, 200 + 100 * round).join('\n').length + 1;
    await engine.score(uri, checkpoint, { start, end: start + lines.slice(200 + 100 * round, 260 + 100 * round).join('\n').length });
  }
  const idle = await editsInView(engine, uri, text, checkpoint, 0);
  const equal = await trainAtEqualPriority(tmp, preset);
  const atEqual = await editsInView(engine, uri, idle.text, checkpoint, 1);
  await equal.stop();
  const lowered = await trainThroughEngine(engine, tmp, preset);
  const during = await editsInView(engine, uri, atEqual.text, checkpoint, 2);
  await lowered.stop();
  await engine.stop();
  const intervals = (t: number[]) => t.slice(1).map((x, i) => x - t[i]);
  const steps = [...intervals(equal.stepTimes), ...intervals(lowered.stepTimes)];
  return { preset, backend, idle: idle.samples, equal: atEqual.samples, during: during.samples, step: median(steps), steps: steps.length };
}

async function main() {
  const presetFlag = process.argv.indexOf('--presets');
  const presets = presetFlag > 0 ? process.argv[presetFlag + 1].split(',') : ['tiny', 'small'];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-bench-training-'));
  try {
    for (const preset of presets) {
      const r = await benchPreset(preset, path.join(tmp, preset));
      const fmt = (ms: number) => `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;
      const row = (what: string, pick: (s: Sample) => number) => {
        const idle = median(r.idle.map(pick));
        const phase = (samples: Sample[]) => {
          const worst = Math.max(...samples.map(pick));
          return `${fmt(median(samples.map(pick))).padStart(8)} (${(median(samples.map(pick)) / idle).toFixed(1)}×), slowest ${(worst / r.step).toFixed(2)} step`;
        };
        console.log(`  ${what.padEnd(26)} idle ${fmt(idle).padStart(8)} | run at equal priority ${phase(r.equal)} | run started by the engine ${phase(r.during)}`);
      };
      console.log(`\n${r.preset} — engine ${r.backend.split(';')[0]}; a training step (batch 8 × 128, its own process) takes ${fmt(r.step)} (median of ${r.steps} while measuring)`);
      row('edited text painted', (s) => s.firstPaint);
      row('every token in view exact', (s) => s.exact);
      row('hover (generator top-5)', (s) => s.hover);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
