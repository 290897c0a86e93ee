/** The webview message guards and the panel HTML shell (no browser needed). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { newNonce, panelHtml } from '../src/client/panels/html';
import {
  parseEvalFromWebview, parseEvalToWebview, parseLabFromWebview, parseLabToWebview, parseRunsFromWebview, parseRunsToWebview,
} from '../src/protocol-guards';

const fixtures = path.join(__dirname, 'webview', 'fixtures');
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8'));

describe('protocol guards', () => {
  it('accept the recorded messages of all three panels', () => {
    const lab = read('lab.json');
    for (const m of [lab.corruption, lab.heatmap, lab.runSamples, { type: 'threshold', threshold: 0.7 }, { type: 'showTab', tab: 'heatmap' }, { type: 'busy', message: 'x' }, { type: 'error', message: 'y' }]) assert.deepEqual(parseLabToWebview(m), m);
    const runs = read('runs.json');
    for (const m of [runs.runs, ...runs.metrics, ...runs.evaluations]) assert.deepEqual(parseRunsToWebview(m), m);
    const ev = read('eval.json');
    for (const m of [ev.checkpoints, ...ev.results, ev.failed, { type: 'idle' }, { type: 'progress', checkpoint: 'c', done: 1, total: 2 }]) assert.deepEqual(parseEvalToWebview(m), m);
  });

  it('reject wrong types, non-finite numbers, out-of-range spans and oversized arrays', () => {
    const lab = read('lab.json');
    const t0 = lab.corruption.result.tokens[0];
    const bad: unknown[] = [
      undefined, null, 3, 'ready', [], { type: 'nope' },
      { ...lab.corruption, seed: 1.5 },
      { ...lab.corruption, source: { ...lab.corruption.source, start: 10, end: 2 } },
      { ...lab.corruption, result: { ...lab.corruption.result, tokens: [{ ...t0, p: 1.5 }] } },
      { ...lab.corruption, result: { ...lab.corruption.result, tokens: [{ ...t0, replaced: 'yes' }] } },
      { ...lab.corruption, result: { ...lab.corruption.result, counts: { truePositives: -1, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 } } },
      { ...lab.heatmap, tokens: [{ ...lab.heatmap.tokens[0], logit: Infinity }] },
      { ...lab.heatmap, tokens: [{ ...lab.heatmap.tokens[0], end: lab.heatmap.text.length + 1 }] },
      { ...lab.heatmap, tokens: new Array(200_001).fill(lab.heatmap.tokens[0]) },
      { ...lab.heatmap, tokens: [{ ...lab.heatmap.tokens[0], text: 'x'.repeat(1_001) }] },
      { type: 'runSamples', runDir: 'r', samples: new Array(3).fill({ step: 1, row: 0, tokens: new Array(70_000).fill(t0) }) },
      { type: 'error', message: 'x'.repeat(10_001) },
      { type: 'threshold' },
      { type: 'showTab', tab: 'config' },
      { type: 'threshold', threshold: '0.5' },
      { type: 'threshold', threshold: NaN },
      { type: 'threshold', threshold: 1.01 },
      { type: 'threshold', threshold: -0.1 },
    ];
    for (const m of bad) assert.equal(parseLabToWebview(m), undefined, JSON.stringify(m)?.slice(0, 120));
    assert.equal(parseRunsToWebview({ type: 'metrics', runDir: 'r', records: [{ step: 1, loss: NaN }], reset: true }), undefined);
    assert.equal(parseRunsToWebview({ type: 'metrics', runDir: 'r', records: [{ loss: 1 }], reset: true }), undefined);
    const evaluation = read('runs.json').evaluations[0].evaluations[0];
    assert.equal(parseRunsToWebview({ type: 'evaluations', runDir: 'r', evaluations: [{ ...evaluation, step: -1 }] }), undefined);
    assert.equal(parseRunsToWebview({ type: 'evaluations', runDir: 'r', evaluations: [{ ...evaluation, metrics: { disc_auc: Infinity } }] }), undefined);
    assert.equal(parseRunsToWebview({ type: 'evaluations', runDir: 'r', evaluations: evaluation }), undefined);
    assert.equal(parseRunsToWebview({ type: 'runs', runs: [{ runDir: 'r', name: 'n', config: { f: () => 1 }, status: 'finished' }] }), undefined);
    assert.equal(parseEvalToWebview({ type: 'progress', checkpoint: 'c', done: 1 }), undefined);
  });

  it('know message types by their own names only, not by what every object inherits', () => {
    const parsers = [parseLabToWebview, parseLabFromWebview, parseRunsToWebview, parseRunsFromWebview, parseEvalToWebview, parseEvalFromWebview];
    for (const parse of parsers) {
      for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '', 3, undefined]) {
        assert.equal(parse({ type }), undefined, `${parse.name} ${String(type)}`);
      }
      assert.equal(parse(JSON.parse('{"type":"__proto__","__proto__":{"type":"ready"}}')), undefined);
    }
  });

  it('rebuild messages from the page with only the known fields', () => {
    assert.deepEqual(parseLabFromWebview({ type: 'resample', seed: 4, evil: true }), { type: 'resample', seed: 4 });
    assert.deepEqual(parseLabFromWebview({ type: 'reveal', uri: 'file:///a', start: 1, end: 3 }), { type: 'reveal', uri: 'file:///a', start: 1, end: 3 });
    assert.equal(parseLabFromWebview({ type: 'reveal', uri: 'file:///a', start: 3, end: 1 }), undefined);
    assert.deepEqual(parseLabFromWebview({ type: 'loadRunSamples' }), { type: 'loadRunSamples' });
    assert.deepEqual(parseLabFromWebview({ type: 'setThreshold', threshold: 0.35, extra: 1 }), { type: 'setThreshold', threshold: 0.35 });
    assert.deepEqual(parseLabFromWebview({ type: 'setThreshold', threshold: 0 }), { type: 'setThreshold', threshold: 0 });
    for (const threshold of [undefined, '0.3', Infinity, -0.01, 1.5]) assert.equal(parseLabFromWebview({ type: 'setThreshold', threshold }), undefined, String(threshold));
    assert.deepEqual(parseRunsFromWebview({ type: 'select', runDirs: ['a', 'b'] }), { type: 'select', runDirs: ['a', 'b'] });
    assert.equal(parseRunsFromWebview({ type: 'select', runDirs: [1] }), undefined);
    assert.deepEqual(parseEvalFromWebview({ type: 'evaluate', checkpoints: ['c'], split: 'all', force: true }), { type: 'evaluate', checkpoints: ['c'], split: 'all', force: true });
    assert.equal(parseEvalFromWebview({ type: 'evaluate', checkpoints: ['c'], split: 'train' }), undefined);
    assert.deepEqual(parseEvalFromWebview({ type: 'finetune', checkpoints: ['c'], split: 'heldout', extra: 1 }), { type: 'finetune', checkpoints: ['c'], split: 'heldout' });
    assert.equal(parseEvalFromWebview({ type: 'finetune', checkpoints: 'c', split: 'heldout' }), undefined);
    assert.equal(parseEvalFromWebview({ type: 'finetune', checkpoints: ['c'] }), undefined);
    assert.deepEqual(parseEvalFromWebview({ type: 'export', format: 'csv' }), { type: 'export', format: 'csv' });
    assert.equal(parseEvalFromWebview({ type: 'export', format: 'xlsx' }), undefined);
  });
});

describe('panelHtml', () => {
  it('has a strict CSP: nonce scripts, no inline styles beyond the nonce, nothing remote', () => {
    const nonce = newNonce();
    const html = panelHtml({ title: 'Lab <1>', scriptUri: 'https://x.vscode-cdn.net/dist/webview/lab.js', styleUris: ['https://x.vscode-cdn.net/dist/webview/lab.css'], cspSource: "'self' https://*.vscode-cdn.net", nonce });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1].replace(/&#39;/g, "'");
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self' https://*.vscode-cdn.net 'nonce-${nonce}'; img-src 'self' https://*.vscode-cdn.net data:; font-src 'self' https://*.vscode-cdn.net`);
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
    assert.match(html, new RegExp(`<script nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}" src="https://x.vscode-cdn.net/dist/webview/lab.js"></script>`));
    assert.match(html, /<title>Lab &lt;1&gt;<\/title>/);
    assert.notEqual(newNonce(), nonce);
  });
  it('refuses a cspSource or nonce that would add directives', () => {
    assert.throws(() => panelHtml({ title: 't', scriptUri: 's', styleUris: [], cspSource: "https://a; script-src 'unsafe-inline'", nonce: 'n' }));
    assert.throws(() => panelHtml({ title: 't', scriptUri: 's', styleUris: [], cspSource: 'https://a', nonce: "n' 'unsafe-inline" }));
  });
});
