/** The runs dashboard in headless Chromium: run list, multi-run charts, live metrics, config, state. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunsToWebview } from '../../src/protocol';
import { fixture, startHarness, type Harness, type PanelPage } from './harness';

type Runs = Extract<RunsToWebview, { type: 'runs' }>;
type Metrics = Extract<RunsToWebview, { type: 'metrics' }>;
const f = fixture<{ runs: Runs; metrics: Metrics[] }>('runs.json');
const [a, b] = f.runs.runs;
const metricsOf = (runDir: string) => f.metrics.find((m) => m.runDir === runDir)!;

async function charts(p: PanelPage) {
  return p.page.$$eval('figure.chart', (els) =>
    els.map((e) => ({ title: e.querySelector('.chart-title')!.textContent, points: Number(e.getAttribute('data-points') ?? 0), series: Number(e.getAttribute('data-series') ?? 0), canvas: e.querySelectorAll('canvas').length })),
  );
}
async function checkRun(p: PanelPage, runDir: string) {
  await p.page.click(`li.run[data-run="${runDir}"] vscode-checkbox`);
}

describe('runs page', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(async () => h.close());

  it('lists runs, charts the first, and shows its config', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    assert.deepEqual(await p.posted(), [{ type: 'ready' }, { type: 'select', runDirs: [a.runDir] }]);
    await p.send(metricsOf(a.runDir));
    const names = await p.page.$$eval('li.run', (els) => els.map((e) => [e.querySelector('vscode-checkbox')!.textContent, e.querySelector('.run-status')!.textContent]));
    assert.deepEqual(names, f.runs.runs.map((r) => [r.name, r.status]));
    const c = await charts(p);
    assert.deepEqual(c.map((x) => x.title), ['Losses', 'Generator: masked_lm_accuracy', 'Discriminator: disc_accuracy, disc_auc', 'Throughput (tokens/s)', 'Learning rate']);
    for (const x of c) {
      assert.equal(x.canvas, 1, `${x.title} has a canvas`);
      assert.equal(x.points, metricsOf(a.runDir).records.length, x.title);
    }
    assert.deepEqual(c.map((x) => x.series), [3, 1, 2, 1, 1]);
    const config = await p.page.$$eval('table.kv tr', (rows) => Object.fromEntries(rows.map((r) => [r.querySelector('th')!.textContent, r.querySelector('td')!.textContent])));
    assert.equal(config.preset, 'tiny');
    assert.equal(config.steps, String(a.config.steps));
    assert.equal(config.corpus, JSON.stringify(a.config.corpus));
    assert.deepEqual(await p.problems(), []);
  });

  it('puts several selected runs on one chart, one series per run, with a legend', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    await p.send(metricsOf(a.runDir));
    await p.clearPosted();
    await checkRun(p, b.runDir);
    assert.deepEqual(await p.posted(), [{ type: 'select', runDirs: [a.runDir, b.runDir] }]);
    await p.send(metricsOf(b.runDir));
    const c = await charts(p);
    assert.deepEqual(c.map((x) => x.series), [6, 2, 4, 2, 2]);
    const legend = await p.page.$$eval('figure.chart >> nth=1', (els) => [...els[0].querySelectorAll('.u-legend .u-series th')].map((e) => e.textContent!.trim()));
    assert.deepEqual(legend.slice(1), [a.name, b.name]);
    await checkRun(p, a.runDir);
    assert.deepEqual((await p.posted()).at(-1), { type: 'select', runDirs: [b.runDir] });
    assert.deepEqual((await charts(p)).map((x) => x.series), [3, 1, 2, 1, 1]);
  });

  it('appends live metrics when reset is false, and replaces them when true', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    const all = metricsOf(a.runDir).records;
    await p.send({ type: 'metrics', runDir: a.runDir, records: all.slice(0, 3), reset: true });
    assert.equal((await charts(p))[0].points, 3);
    await p.send({ type: 'metrics', runDir: a.runDir, records: all.slice(3, 5), reset: false });
    assert.equal((await charts(p))[0].points, 5);
    // A repeated step replaces its point rather than adding one.
    await p.send({ type: 'metrics', runDir: a.runDir, records: [all[4]], reset: false });
    assert.equal((await charts(p))[0].points, 5);
    await p.send({ type: 'metrics', runDir: a.runDir, records: all.slice(0, 2), reset: true });
    assert.equal((await charts(p))[0].points, 2);
  });

  it('posts openConfig, shows another run’s config on request, and restores selection and data after a reload', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    await p.send(metricsOf(a.runDir));
    await checkRun(p, b.runDir);
    await p.send(metricsOf(b.runDir));
    await p.page.click(`li.run[data-run="${f.runs.runs[2].runDir}"] .link-button`);
    assert.equal(await p.page.textContent('.config h2'), `Config: ${f.runs.runs[2].name}`);
    await p.clearPosted();
    await p.page.click('.config .link-button');
    assert.deepEqual(await p.posted(), [{ type: 'openConfig', runDir: f.runs.runs[2].runDir }]);

    await p.reload();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    const checked = await p.page.$$eval('li.run vscode-checkbox', (els) => els.map((e) => (e as HTMLElement & { checked: boolean }).checked));
    assert.deepEqual(checked, [true, true, false]);
    assert.deepEqual((await charts(p)).map((x) => x.series), [6, 2, 4, 2, 2], 'charts drawn from the saved metrics before the host answers');
    assert.equal(await p.page.textContent('.config h2'), `Config: ${f.runs.runs[2].name}`);
    // When the host lists the runs again, the page asks for the same selection.
    await p.send(f.runs);
    assert.deepEqual((await p.posted()).at(-1), { type: 'select', runDirs: [a.runDir, b.runDir] });
  });

  it('ignores hostile messages and never injects markup', async () => {
    const p = await h.open('runs');
    const evil = '<img src=x onerror="window.__pwned=1">';
    await p.send({ type: 'runs', runs: [{ ...a, name: evil, config: { [evil]: evil, nested: { deeper: [evil] } } }] });
    assert.equal(await p.page.textContent('li.run vscode-checkbox'), evil);
    const hostile: unknown[] = [
      { type: 'runs', runs: 'all' },
      { type: 'runs', runs: [{ ...a, status: 'exploded' }] },
      { type: 'metrics', runDir: a.runDir, records: [{ step: 'one', loss: 1 }], reset: true },
      { type: 'metrics', runDir: a.runDir, records: [{ step: 1, loss: Number.POSITIVE_INFINITY }], reset: true },
      { type: 'metrics', runDir: a.runDir, records: [{ step: 1, loss: '<b>x</b>' }], reset: true },
      { type: 'metrics', runDir: a.runDir, records: new Array(1_000_001).fill({ step: 1 }), reset: true },
      { type: 'runs', runs: [{ ...a, config: JSON.parse('{"a":'.repeat(20) + '1' + '}'.repeat(20)) }] },
    ];
    for (const m of hostile) await p.send(m);
    assert.equal(await p.page.$$eval('img', (e) => e.length), 0);
    assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await p.page.textContent('.notice'), `Ignored ${hostile.length} malformed messages.`);
    await p.send(f.runs);
    await p.send(metricsOf(a.runDir));
    assert.equal((await charts(p))[0].points, metricsOf(a.runDir).records.length);
    assert.deepEqual(await p.problems(), []);
  });

  it('looks right in light and dark themes (screenshots)', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const p = await h.open('runs', { theme, width: 1280, height: 900 });
      await p.send(f.runs);
      await checkRun(p, b.runDir);
      for (const m of f.metrics) await p.send(m);
      await p.screenshot(`webview-runs-${theme}.png`);
      assert.deepEqual(await p.problems(), [], theme);
      await p.page.context().close();
    }
  });
});
