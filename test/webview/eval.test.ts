/** The checkpoint evaluation page in headless Chromium: picker, evaluate/cancel, progress, table, chart, export, state. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EvalToWebview } from '../../src/protocol';
import { fixture, startHarness, type Harness, type PanelPage } from './harness';

type Checkpoints = Extract<EvalToWebview, { type: 'checkpoints' }>;
type Result = Extract<EvalToWebview, { type: 'result' }>;
type Failed = Extract<EvalToWebview, { type: 'failed' }>;
const f = fixture<{ checkpoints: Checkpoints; results: Result[]; failed: Failed }>('eval.json');
const refs = f.checkpoints.checkpoints;

/** The comparison table (the fine-tuning table below it is another table.grid). */
const COMPARISON = '.eval-main > .table-wrap table.grid';
async function tableRows(p: PanelPage) {
  return p.page.$$eval(`${COMPARISON} tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}
async function headers(p: PanelPage) {
  return p.page.$$eval(`${COMPARISON} thead button.sort`, (bs) => bs.map((b) => b.getAttribute('data-key')));
}
async function column(p: PanelPage, key: string) {
  const i = (await headers(p)).indexOf(key);
  return (await tableRows(p)).map((r) => r[i]);
}
async function finetuneRows(p: PanelPage) {
  return p.page.$$eval('section.finetune-results tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}
/** A result with two tasks' fine-tuning, one of them not above its majority baseline. */
const withFinetuning = (r: Result): Result => ({ type: 'result', evaluation: { ...r.evaluation, finetune: [
  { task: 'SST-2', metrics: { accuracy: 0.83, f1: 0.82, majority_accuracy: 0.51, random_init_accuracy: 0.62 } },
  { task: 'CoLA', metrics: { mcc: 0, accuracy: 0.69, majority_mcc: 0 } },
] } });
async function showAll(p: PanelPage) {
  await p.send(f.checkpoints);
  for (const r of f.results) await p.send(r);
  await p.send(f.failed);
  await p.send({ type: 'idle' });
}

describe('eval page', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(async () => h.close());

  it('groups checkpoints by run and posts evaluate for the checked ones, with the split', async () => {
    const p = await h.open('eval');
    await p.send(f.checkpoints);
    const groups = await p.page.$$eval('fieldset.run-group', (fs) => fs.map((g) => [g.querySelector('legend')!.textContent, [...g.querySelectorAll('vscode-checkbox')].map((c) => c.textContent)]));
    assert.deepEqual(groups, [
      ['tiny-a', ['step 20', 'step 40']],
      ['tiny-b', ['step 20', 'step 40']],
      ['(outside a run)', ['step 0']],
    ]);
    assert.equal(await p.page.$eval('vscode-button:has-text("Evaluate")', (b) => b.hasAttribute('disabled')), true);
    await p.page.click(`vscode-checkbox[data-dir="${refs[1].dir}"]`);
    await p.page.click(`vscode-checkbox[data-dir="${refs[3].dir}"]`);
    await p.page.click('vscode-dropdown');
    await p.page.click('vscode-option:has-text("all examples")');
    await p.clearPosted();
    await p.page.click('vscode-button:has-text("Evaluate")');
    assert.deepEqual(await p.posted(), [{ type: 'evaluate', checkpoints: [refs[1].dir, refs[3].dir], split: 'all' }]);
    assert.deepEqual(await column(p, 'status'), ['queued', 'queued']);
    // Busy: Evaluate off, Cancel on.
    assert.equal(await p.page.$eval('vscode-button:has-text("Evaluate")', (b) => b.hasAttribute('disabled')), true);
    await p.page.click('vscode-button:has-text("Cancel")');
    assert.deepEqual((await p.posted()).at(-1), { type: 'cancel' });
    await p.send({ type: 'idle' });
    assert.equal(await p.page.$eval('vscode-button:has-text("Cancel")', (b) => b.hasAttribute('disabled')), true);
    assert.deepEqual(await p.problems(), []);
  });

  it('shows per-checkpoint progress, results and failures in the table', async () => {
    const p = await h.open('eval');
    await p.send(f.checkpoints);
    await p.send({ type: 'progress', checkpoint: refs[0].dir, done: 3, total: 10 });
    assert.equal(await p.page.$eval('table.grid progress', (e) => (e as HTMLProgressElement).value), 3);
    assert.deepEqual(await column(p, 'status'), ['3/10']);
    for (const r of f.results) await p.send(r);
    await p.send(f.failed);
    const rows = await tableRows(p);
    assert.equal(rows.length, f.results.length + 1);
    const loss = await column(p, 'loss');
    const byStepRun = [...f.results].sort((x, y) => x.evaluation.step - y.evaluation.step);
    // Default order: step ascending (the failed folder is step 0).
    assert.deepEqual(await column(p, 'step'), ['0', ...byStepRun.map((r) => String(r.evaluation.step))]);
    assert.equal(loss[0], '–');
    assert.deepEqual(loss.slice(1), byStepRun.map((r) => r.evaluation.metrics.loss.toFixed(4)));
    assert.match((await column(p, 'status'))[0], /^failed: .*not a checkpoint folder/);
    assert.equal(await p.page.$$eval('table.grid tr.failed', (e) => e.length), 1);
    const expected = ['run', 'step', 'status', 'loss', 'masked_lm_accuracy', 'sampled_masked_lm_accuracy', 'disc_accuracy', 'disc_precision', 'disc_recall', 'disc_f1', 'disc_auc', 'disc_loss', 'injected_auc'];
    assert.deepEqual(await headers(p), expected);
    // Headers in words, grouped by network, with the full name and the raw id in the tooltip.
    const heads = await p.page.$$eval(`${COMPARISON} thead tr:last-child th`, (ths) => ths.map((th) => [th.querySelector('button')!.firstChild!.textContent, th.getAttribute('title')]));
    assert.deepEqual(heads.slice(3).map((h) => h[0]), ['loss', 'MLM accuracy', 'sample accuracy', 'accuracy', 'precision', 'recall', 'F1', 'AUC', 'loss', 'AUC']);
    assert.deepEqual(heads[10], ['AUC', 'Discriminator AUC (disc_auc)']);
    assert.deepEqual(heads[4], ['MLM accuracy', 'Generator MLM accuracy (masked_lm_accuracy)']);
    const groups = await p.page.$$eval(`${COMPARISON} thead tr.group-row th`, (ths) => ths.map((th) => [th.textContent, th.getAttribute('colspan')]));
    assert.deepEqual(groups, [['', '2'], ['', '1'], ['Total', '1'], ['Generator', '2'], ['Discriminator', '6'], ['Injected corruption', '1']]);
  });

  it('keeps run and step in view when the metrics scroll sideways (sticky columns)', async () => {
    const p = await h.open('eval', { width: 800 });
    await showAll(p);
    const cells = () => p.page.$eval(COMPARISON, (t) => {
      const row = t.querySelectorAll('tbody tr')[1];
      const [run, step, loss] = [0, 1, 3].map((i) => row.children[i].getBoundingClientRect().left);
      return { run, step, loss, styles: [0, 1, 3].map((i) => getComputedStyle(row.children[i]).position) };
    });
    const before = await cells();
    assert.deepEqual(before.styles, ['sticky', 'sticky', 'static']);
    const overflow = await p.page.$eval('.eval-main > .table-wrap', (w) => w.scrollWidth - w.clientWidth);
    assert.ok(overflow > 100, `the table is wider than an 800px panel (${overflow}px more)`);
    await p.page.$eval('.eval-main > .table-wrap', (w) => void (w.scrollLeft = 400));
    const after = await cells();
    assert.equal(after.run, before.run, 'run stays');
    assert.equal(after.step, before.step, 'step stays, beside run');
    assert.ok(after.step > after.run);
    assert.ok(after.loss < before.loss - 300, 'the metrics scrolled');
    // The step column sits right after the run column, not on top of it.
    const runWidth = await p.page.$eval(`${COMPARISON} tbody tr:nth-child(2) td`, (td) => td.getBoundingClientRect().width);
    assert.ok(Math.abs(after.step - after.run - runWidth) < 1.5);
    // Opaque, so the columns passing under them do not show through.
    assert.notEqual(await p.page.$eval(`${COMPARISON} td.sticky`, (td) => getComputedStyle(td).backgroundColor), 'rgba(0, 0, 0, 0)');
  });

  it('sorts by a clicked header, both ways, and by keyboard', async () => {
    const p = await h.open('eval');
    await showAll(p);
    const losses = f.results.map((r) => r.evaluation.metrics.loss);
    await p.page.click('button.sort[data-key="loss"]');
    assert.deepEqual((await column(p, 'loss')).slice(0, losses.length), [...losses].sort((x, y) => x - y).map((x) => x.toFixed(4)));
    assert.equal(await p.page.$eval('th:has(button[data-key="loss"])', (th) => th.getAttribute('aria-sort')), 'ascending');
    await p.page.click('button.sort[data-key="loss"]');
    assert.deepEqual((await column(p, 'loss')).slice(0, losses.length), [...losses].sort((x, y) => y - x).map((x) => x.toFixed(4)));
    assert.equal(await p.page.$eval('th:has(button[data-key="loss"])', (th) => th.getAttribute('aria-sort')), 'descending');
    // Keyboard: focus stays on the header after sorting, so Tab + Enter/Space work.
    await p.page.focus('button.sort[data-key="disc_auc"]');
    await p.page.keyboard.press('Enter');
    const aucs = f.results.map((r) => r.evaluation.metrics.disc_auc);
    assert.deepEqual((await column(p, 'disc_auc')).slice(0, aucs.length), [...aucs].sort((x, y) => x - y).map((x) => x.toFixed(4)));
    await p.page.keyboard.press('Space');
    assert.deepEqual((await column(p, 'disc_auc')).slice(0, aucs.length), [...aucs].sort((x, y) => y - x).map((x) => x.toFixed(4)));
    assert.equal(await p.page.evaluate(() => document.activeElement?.getAttribute('data-key')), 'disc_auc');
  });

  it('shows fine-tuning results in a compact table within the panel, and charts a chosen metric across steps', async () => {
    const p = await h.open('eval');
    await showAll(p);
    assert.equal(await p.page.isVisible('section.finetune-results'), false, 'no table before any fine-tuning');
    // The fixtures' runs were not fine-tuned: these summaries are added here, in the shape protocol.ts gives them.
    const withTask: Result = { type: 'result', evaluation: { ...f.results[0].evaluation, finetune: [
      { task: 'sst2', metrics: { accuracy: 0.81, f1: 0.79, majority_accuracy: 0.51, random_init_accuracy: 0.6 } },
      { task: 'cola', metrics: { mcc: 0.21, accuracy: 0.7 } },
    ] } };
    await p.send(withTask);
    assert.ok(!(await headers(p)).some((k) => k!.includes(':')), 'no task columns widen the comparison');
    const ft = await finetuneRows(p);
    assert.deepEqual(ft.map((r) => r.slice(0, 6)), [
      [withTask.evaluation.run, String(withTask.evaluation.step), 'sst2', '0.8100 accuracy', '0.5100', '0.6000'],
      [withTask.evaluation.run, String(withTask.evaluation.step), 'cola', '0.7000 accuracy', '–', '–'],
    ]);
    assert.deepEqual(ft.map((r) => r[6]), ['f1 0.790', 'matthews corr. 0.210']);
    const chart = await p.page.$eval('figure.chart', (e) => ({ points: e.getAttribute('data-points'), series: e.getAttribute('data-series'), canvas: e.querySelectorAll('canvas').length }));
    assert.deepEqual(chart, { points: '2', series: '2', canvas: 1 });
    const options = await p.page.$$eval('select.native-select option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok(options.includes('sst2:accuracy') && options.includes('loss'));
    const labels = await p.page.$$eval('select.native-select option', (os) => Object.fromEntries(os.map((o) => [(o as HTMLOptionElement).value, o.textContent])));
    assert.equal(labels.disc_auc, 'Discriminator AUC');
    assert.equal(labels['sst2:majority_accuracy'], 'sst2 majority accuracy');
    await p.page.selectOption('select.native-select', 'loss');
    assert.equal(await p.page.$eval('select.native-select', (s) => (s as HTMLSelectElement).value), 'loss');
  });

  it('fits the fine-tuning results within the panel’s width, wide or beside the editor', async () => {
    for (const width of [1280, 900, 640]) {
      const p = await h.open('eval', { width });
      await showAll(p);
      await p.send(withFinetuning(f.results[0]));
      await p.send(withFinetuning(f.results[3]));
      const fit = await p.page.$eval('section.finetune-results', (s) => {
        const wrap = s.querySelector('.table-wrap')!;
        const cells = [...s.querySelectorAll('th, td')].map((c) => c.getBoundingClientRect().right);
        return { overflow: wrap.scrollWidth - wrap.clientWidth, right: Math.max(...cells), viewport: document.documentElement.clientWidth, rows: s.querySelectorAll('tbody tr').length };
      });
      assert.equal(fit.rows, 4, `${width}px`);
      assert.ok(fit.overflow <= 0, `${width}px: the fine-tuning table does not scroll sideways (${fit.overflow}px)`);
      assert.ok(fit.right <= fit.viewport, `${width}px: every cell within the viewport (${fit.right} > ${fit.viewport})`);
      await p.page.context().close();
    }
  });

  it('shows intervals next to accuracy and AUC, one plain line for a tiny held-out split, and fine-tuning baselines', async () => {
    const p = await h.open('eval');
    await p.send(f.checkpoints);
    const base = f.results[0].evaluation;
    const metrics = { ...base.metrics, disc_auc: 0.8, disc_auc_low: 0.74, disc_auc_high: 0.86, disc_accuracy: 0.9, disc_accuracy_low: 0.88, disc_accuracy_high: 0.92 };
    const tiny: Result = { type: 'result', evaluation: { ...base, split: 'heldout', tokens: 812, metrics,
      finetune: [{ task: 'sst2', metrics: { accuracy: 0.55, majority_accuracy: 0.56, random_init_accuracy: 0.54 } }] } };
    const large: Result = { type: 'result', evaluation: { ...f.results[1].evaluation, tokens: 5000, metrics } };
    await p.send(tiny);
    await p.send(large);
    await p.send({ type: 'idle' });
    const status = await column(p, 'status');
    const steps = await column(p, 'step');
    const tinyRow = steps.indexOf(String(base.step));
    assert.match(status[tinyRow], /only 812 held-out tokens: these figures are rough \(±0\.06\)/);
    assert.doesNotMatch(status[1 - tinyRow], /rough/, 'a split of 5,000 tokens gets no warning');
    assert.deepEqual((await column(p, 'disc_auc'))[tinyRow], '0.8000 ±0.060');
    const tooltip = await p.page.$$eval('table.grid tbody td span[title^="95% interval"]', (s) => s.map((e) => e.getAttribute('title')));
    assert.ok(tooltip.includes('95% interval 0.7400–0.8600') && tooltip.includes('95% interval 0.8800–0.9200'), tooltip.join(' | '));
    const [ft] = await finetuneRows(p);
    assert.deepEqual(ft.slice(2, 6), ['sst2', '0.5500 accuracynot above majority', '0.5600', '0.5400']);
    assert.equal(await p.page.textContent('section.finetune-results .below-baseline'), 'not above majority');
    assert.deepEqual(await p.problems(), []);
  });

  it('posts fine-tune for the checked checkpoints, with the split their new evaluation uses', async () => {
    const p = await h.open('eval');
    await p.send(f.checkpoints);
    const fineTune = 'vscode-button:has-text("Fine-tune")';
    assert.equal(await p.page.$eval(fineTune, (b) => b.hasAttribute('disabled')), true, 'nothing checked yet');
    await p.page.click(`vscode-checkbox[data-dir="${refs[0].dir}"]`);
    await p.page.click(`vscode-checkbox[data-dir="${refs[2].dir}"]`);
    await p.clearPosted();
    await p.page.click(fineTune);
    assert.deepEqual(await p.posted(), [{ type: 'finetune', checkpoints: [refs[0].dir, refs[2].dir], split: 'heldout' }]);
    // Busy until the host is idle: Cancel stops the queue; Evaluate and Fine-tune wait.
    const disabled = (label: string) => p.page.$eval(`vscode-button:has-text("${label}")`, (b) => b.hasAttribute('disabled'));
    assert.deepEqual([await disabled('Fine-tune'), await disabled('Evaluate'), await disabled('Cancel')], [true, true, false]);
    await p.page.click('vscode-button:has-text("Cancel")');
    assert.deepEqual((await p.posted()).at(-1), { type: 'cancel' });
    await p.send({ type: 'idle' });
    assert.deepEqual([await disabled('Fine-tune'), await disabled('Evaluate'), await disabled('Cancel')], [false, false, true]);
    assert.deepEqual(await p.problems(), []);
  });

  it('posts export requests', async () => {
    const p = await h.open('eval');
    await showAll(p);
    await p.clearPosted();
    await p.page.click('vscode-button:has-text("Export CSV")');
    await p.page.click('vscode-button:has-text("Export JSON")');
    assert.deepEqual(await p.posted(), [{ type: 'export', format: 'csv' }, { type: 'export', format: 'json' }]);
  });

  it('restores selection, split, sort and results after a reload', async () => {
    const p = await h.open('eval');
    await showAll(p);
    await p.page.click(`vscode-checkbox[data-dir="${refs[0].dir}"]`);
    await p.page.click('vscode-dropdown');
    await p.page.click('vscode-option:has-text("all examples")');
    await p.page.click('button.sort[data-key="disc_auc"]');
    await p.page.click('button.sort[data-key="disc_auc"]');
    const before = await tableRows(p);
    await p.reload();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    assert.deepEqual(await tableRows(p), before);
    assert.equal(await p.page.$eval('th:has(button[data-key="disc_auc"])', (th) => th.getAttribute('aria-sort')), 'descending');
    assert.equal(await p.page.$eval(`vscode-checkbox[data-dir="${refs[0].dir}"]`, (c) => (c as HTMLElement & { checked: boolean }).checked), true);
    await p.clearPosted();
    await p.page.click('vscode-button:has-text("Evaluate")');
    assert.deepEqual(await p.posted(), [{ type: 'evaluate', checkpoints: [refs[0].dir], split: 'all' }]);
  });

  it('ignores hostile messages and never injects markup', async () => {
    const p = await h.open('eval');
    const evil = '<img src=x onerror="window.__pwned=1">';
    await p.send({ type: 'checkpoints', checkpoints: [{ dir: evil, run: evil, step: 1 }] });
    await p.send({ type: 'failed', checkpoint: evil, message: evil });
    const r = f.results[0].evaluation;
    const hostile: unknown[] = [
      { type: 'result', evaluation: { ...r, metrics: { loss: 'low' } } },
      { type: 'result', evaluation: { ...r, step: -1 } },
      { type: 'result', evaluation: { ...r, split: 'train' } },
      { type: 'result', evaluation: { ...r, finetune: [{ task: 'x', metrics: { acc: Number.NaN } }] } },
      { type: 'progress', checkpoint: refs[0].dir, done: '3', total: 10 },
      { type: 'checkpoints', checkpoints: new Array(10_001).fill(refs[0]) },
      42,
    ];
    for (const m of hostile) await p.send(m);
    assert.equal(await p.page.$$eval('img', (e) => e.length), 0);
    assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await p.page.textContent('.notice'), `Ignored ${hostile.length} malformed messages.`);
    assert.match((await column(p, 'status'))[0], /failed: <img/);
    await showAll(p);
    assert.equal((await tableRows(p)).length, f.results.length + 2);
    assert.deepEqual(await p.problems(), []);
  });

  it('looks right in light, dark and high-contrast themes, with fine-tuning results (screenshots)', async () => {
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const p = await h.open('eval', { theme, width: 1280, height: 860 });
      await showAll(p);
      await p.send(withFinetuning(f.results[2]));
      await p.page.click(`vscode-checkbox[data-dir="${refs[1].dir}"]`);
      await p.page.click(`vscode-checkbox[data-dir="${refs[3].dir}"]`);
      await p.send({ type: 'progress', checkpoint: refs[1].dir, done: 4, total: 10 });
      await p.screenshot(`webview-eval-${theme}.png`);
      assert.deepEqual(await p.problems(), [], theme);
      await p.page.context().close();
    }
  });
});
