import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, REAL_CORPUS, ROOT, tempDir } from './helpers';

/**
 * The paper's claim in miniature, on real text: a tiny ELECTRA pretrained for a few hundred steps on the
 * installed packages' Markdown docs lowers its loss, and its discriminator beats the text-blind
 * baseline (the replaced fraction predicted everywhere) on held-out text it never trained on.
 */
test('tiny ELECTRA on real text: the loss falls and the discriminator beats the text-blind baseline on held-out text', () => {
  const out = path.join(tempDir('learn'), 'run');
  const train = spawnSync(process.execPath, [CLI, 'pretrain', '--corpus', REAL_CORPUS, '--out', out, '--preset', 'tiny',
    '--steps', '200', '--batch', '16', '--seq', '64', '--log-every', '20', '--save-every', '200', '--seed', '42',
    // The demo's data layout: paragraph-sized examples learn faster in a 200-step tiny budget (src/cli/demo.ts).
    '--documents', 'blank-lines'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(train.status, 0, train.stderr);
  const metrics = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const first = metrics[0].loss;
  const last = metrics.slice(-3).reduce((s: number, m: { loss: number }) => s + m.loss, 0) / 3;
  assert.ok(last < 0.85 * first, `loss ${first} → ${last}`);

  const evaluated = spawnSync(process.execPath, [CLI, 'eval', '--checkpoint', path.join(out, 'checkpoints', 'step-200'), '--corpus', REAL_CORPUS, '--json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const report = JSON.parse(evaluated.stdout) as {
    split: string; examples: number; metrics: Record<string, number>;
    injected: { fraction: number; tokens: number; swapped: number; found: number; chance: number; auc: number };
  };
  assert.equal(report.split, 'heldout');
  assert.ok(report.examples >= 30, `${report.examples} held-out examples`);
  const m = report.metrics;
  const r = m.replaced_fraction;
  // The best a model that ignores the text can do: predict the replaced fraction everywhere. Its
  // cross-entropy is the entropy of that prior; beating it is learning from the tokens, and unlike
  // accuracy at a 0.5 threshold it does not hinge on a few tokens crossing the threshold.
  const priorLoss = -(r * Math.log(r) + (1 - r) * Math.log(1 - r));
  console.log(`held-out: disc_loss ${m.disc_loss.toFixed(4)} vs prior ${priorLoss.toFixed(4)}, disc_auc ${m.disc_auc.toFixed(3)}, disc_accuracy ${m.disc_accuracy.toFixed(4)} vs always-original ${(1 - r).toFixed(4)}, loss ${first.toFixed(2)} → ${last.toFixed(2)}`);
  assert.ok(m.disc_loss < 0.95 * priorLoss, `discriminator loss ${m.disc_loss} does not beat the text-blind prior ${priorLoss}`);
  assert.ok(m.disc_auc > 0.65, `AUC ${m.disc_auc}`);

  // Injected corruption, independent of the generator: 10% of held-out words swapped for random vocabulary
  // words. The discriminator must find clearly more of them among its top-n than a random ranking would.
  const inj = report.injected;
  console.log(`injected: found ${inj.found} of ${inj.swapped} (chance ${inj.chance.toFixed(1)} of ${inj.tokens} tokens), AUC ${inj.auc.toFixed(3)}`);
  assert.equal(inj.fraction, 0.1);
  // 10% of the words; Markdown is full of punctuation, pieces and symbols, so that is ~4% of the tokens.
  assert.ok(inj.swapped > 0.02 * inj.tokens && inj.swapped < 0.1 * inj.tokens, `${inj.swapped} swapped of ${inj.tokens} tokens`);
  assert.ok(Math.abs(inj.chance - (inj.swapped * inj.swapped) / inj.tokens) < 1e-9);
  assert.ok(inj.found >= 3 * inj.chance, `found ${inj.found} of ${inj.swapped}, chance ${inj.chance}`);
  assert.ok(inj.auc > 0.75, `injected AUC ${inj.auc}`);
  assert.equal(m.injected_found, inj.found);
  assert.match(evaluatedText(out), /the discriminator found \d+ of \d+ among its \d+ most suspicious tokens \(chance would find ~\d+\)/);
});

/** `eval` without --json: the one plain sentence a user reads. */
function evaluatedText(out: string): string {
  const r = spawnSync(process.execPath, [CLI, 'eval', '--checkpoint', path.join(out, 'checkpoints', 'step-200'), '--corpus', REAL_CORPUS, '--max-examples', '64'],
    { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
