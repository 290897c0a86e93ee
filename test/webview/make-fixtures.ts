/**
 * Writes the recorded protocol messages the webview tests replay, from real output of the project's
 * CLI: two tiny pretraining runs (metrics.jsonl, samples.jsonl, checkpoints), `corrupt --json`,
 * `heatmap --json` and `eval --json`. The messages are shaped as the panels' hosts send them.
 * Run: node esbuild.js && node --import tsx test/webview/make-fixtures.ts   (about a minute on 2 cores)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckpointEvaluation, CheckpointRef, EvalToWebview, LabToWebview, MetricRecord, RunSample, RunsToWebview } from '../../src/protocol';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(__dirname, 'fixtures');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'electra-webview-fixtures-'));
const runsDir = path.join(work, 'runs');
const corpus = path.join(ROOT, 'node_modules', 'typescript', 'README.md');
const moreCorpus = ['esbuild', 'mocha'].map((p) => path.join(ROOT, 'node_modules', p, 'README.md'));

function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
}
function pretrain(name: string, extra: string[]): string {
  const out = path.join(runsDir, name);
  cli(['pretrain', '--corpus', corpus, ...moreCorpus, '--out', out, '--preset', 'tiny', '--batch', '8', '--seq', '64', '--vocab-size', '1500', '--log-every', '5', ...extra]);
  return out;
}
const readJsonl = <T>(file: string): T[] => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
const write = (name: string, value: unknown) => fs.writeFileSync(path.join(OUT, name), JSON.stringify(value, null, 1) + '\n');

// Two short runs to compare, and one longer whose discriminator has learnt enough for a varied heatmap.
const runA = pretrain('tiny-a', ['--steps', '40', '--save-every', '20', '--sample-every', '10']);
const runB = pretrain('tiny-b', ['--steps', '40', '--save-every', '20', '--sample-every', '10', '--seed', '7', '--lr', '0.001']);
const runLong = pretrain('tiny-300', ['--steps', '300', '--save-every', '150', '--sample-every', '50']);
const longCheckpoint = path.join(runLong, 'checkpoints', 'step-300');

// Lab panel
const text = fs.readFileSync(corpus, 'utf8');
const source = { uri: pathToFileURL(corpus).toString(), fileName: 'node_modules/typescript/README.md', version: 1, start: 0, end: text.length };
const corrupt = JSON.parse(cli(['corrupt', '--checkpoint', longCheckpoint, corpus, '--seed', '3', '--json']));
const corruption: LabToWebview = { type: 'corruption', source, checkpoint: longCheckpoint, seed: 3, result: { tokens: corrupt.tokens, counts: corrupt.counts, truncated: corrupt.truncated } };
const heat = JSON.parse(cli(['heatmap', '--checkpoint', longCheckpoint, corpus, '--json']));
const heatmap: LabToWebview = { type: 'heatmap', source, checkpoint: longCheckpoint, text, tokens: heat.tokens };
const runSamples: LabToWebview = { type: 'runSamples', runDir: runLong, samples: readJsonl<RunSample>(path.join(runLong, 'samples.jsonl')) };
write('lab.json', { corruption, heatmap, runSamples });

// Runs dashboard
const runs: RunsToWebview = {
  type: 'runs',
  runs: [runA, runB, runLong].map((dir) => ({ runDir: dir, name: path.basename(dir), config: JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')), status: 'finished' as const })),
};
const metrics: RunsToWebview[] = [runA, runB, runLong].map((dir) => ({ type: 'metrics', runDir: dir, records: readJsonl<MetricRecord>(path.join(dir, 'metrics.jsonl')), reset: true }));

// Evaluation panel: every checkpoint of the two short runs, as the host would evaluate them.
const checkpoints: CheckpointRef[] = [runA, runB].flatMap((dir) =>
  fs.readdirSync(path.join(dir, 'checkpoints')).map((c) => ({ dir: path.join(dir, 'checkpoints', c), run: path.basename(dir), step: Number(c.replace('step-', '')) })),
);
const results: EvalToWebview[] = checkpoints.map((c) => {
  const r = JSON.parse(cli(['eval', '--checkpoint', c.dir, '--corpus', corpus, '--split', 'all', '--json']));
  const evaluation: CheckpointEvaluation = {
    checkpoint: c.dir, step: c.step, run: c.run, split: r.split, corpus: [corpus], examples: r.examples, tokens: r.tokens,
    metrics: r.metrics, finetune: [], cached: false, evaluatedAt: new Date().toISOString(),
  };
  return { type: 'result', evaluation };
});
// A real failure: the CLI's one-line message for a checkpoint folder that is not one.
const broken = path.join(work, 'not-a-checkpoint');
fs.mkdirSync(broken);
const failedRun = spawnSync(process.execPath, [CLI, 'eval', '--checkpoint', broken, '--corpus', corpus, '--json'], { encoding: 'utf8' });
const failed: EvalToWebview = { type: 'failed', checkpoint: broken, message: (failedRun.stderr || failedRun.stdout).trim().split('\n')[0] };
// The dashboard draws the same evaluations on its curves, as the host reads them back from the cache.
const evaluations: RunsToWebview[] = [runA, runB].map((dir) => ({
  type: 'evaluations', runDir: dir,
  evaluations: results.flatMap((m) => (m.type === 'result' && m.evaluation.checkpoint.startsWith(dir + path.sep) ? [{ ...m.evaluation, cached: true }] : [])),
}));
write('runs.json', { runs, metrics, evaluations });
write('eval.json', { checkpoints: { type: 'checkpoints', checkpoints: [...checkpoints, { dir: broken, run: '', step: 0 }] }, results, failed });

fs.rmSync(work, { recursive: true, force: true });
console.log(`fixtures written to ${path.relative(ROOT, OUT)}`);
