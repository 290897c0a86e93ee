/** The dashboard's held-out markers come from the evaluations cached next to a run's checkpoints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedEvaluationsOf } from '../src/client/cached-evaluations';
import { parseRunsToWebview } from '../src/protocol-guards';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'webview', 'fixtures', 'eval.json'), 'utf8'));
const base = fixture.results[0].evaluation;

test('one evaluation per checkpoint, held-out preferred, newest first; damaged files skipped; valid as a message', async () => {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'cached-evals-'));
  const write = (step: number, name: string, value: unknown) => {
    const dir = path.join(run, 'checkpoints', `step-${step}`, 'eval');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  };
  const at = (step: number, split: string, evaluatedAt: string, auc: number) => ({ ...base, step, split, evaluatedAt, metrics: { ...base.metrics, disc_auc: auc }, key: { corpus: ['x'] } });
  write(20, 'pretraining-aaaa.json', at(20, 'all', '2026-01-02T00:00:00Z', 0.6));
  write(20, 'pretraining-bbbb.json', at(20, 'heldout', '2026-01-01T00:00:00Z', 0.7));
  write(40, 'pretraining-cccc.json', at(40, 'heldout', '2026-01-01T00:00:00Z', 0.8));
  write(40, 'pretraining-dddd.json', at(40, 'heldout', '2026-01-03T00:00:00Z', 0.9));
  write(60, 'pretraining-eeee.json', '{"metrics": {"disc_auc": "high"}');
  write(60, 'notes.json', at(60, 'heldout', '2026-01-03T00:00:00Z', 0.1));
  fs.mkdirSync(path.join(run, 'checkpoints', 'step-80'));
  const found = await cachedEvaluationsOf(run);
  assert.deepEqual(found.map((e) => [e.step, e.split, e.metrics.disc_auc]), [[20, 'heldout', 0.7], [40, 'heldout', 0.9]]);
  assert.ok(found.every((e) => e.cached && e.checkpoint.startsWith(path.join(run, 'checkpoints'))));
  assert.ok(!('key' in found[0]), 'the cache key is not sent');
  const message = { type: 'evaluations', runDir: run, evaluations: found };
  assert.deepEqual(parseRunsToWebview(message), message);
  assert.deepEqual(await cachedEvaluationsOf(path.join(run, 'missing')), []);
  fs.rmSync(run, { recursive: true, force: true });
});
