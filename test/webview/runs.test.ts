/** The runs dashboard in headless Chromium: run list, multi-run charts, live metrics, config, state, and what makes
 *  the curves readable (names in words, one colour per run, x axis, smoothing, shared cursor, held-out markers). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunsToWebview } from '../../src/protocol';
import { fixture, startHarness, type Harness, type PanelPage } from './harness';
import { THEMES } from './themes';

/** #rrggbb as getComputedStyle reports it. */
const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

type Runs = Extract<RunsToWebview, { type: 'runs' }>;
type Metrics = Extract<RunsToWebview, { type: 'metrics' }>;
type Evaluations = Extract<RunsToWebview, { type: 'evaluations' }>;
const f = fixture<{ runs: Runs; metrics: Metrics[]; evaluations: Evaluations[] }>('runs.json');
const [a, b] = f.runs.runs;
const metricsOf = (runDir: string) => f.metrics.find((m) => m.runDir === runDir)!;

const TITLES = ['Discriminator AUC', 'Generator MLM loss', 'Discriminator loss', 'Total loss', 'Generator MLM accuracy', 'Discriminator accuracy', 'Gradient norm', 'Learning rate', 'Throughput (tokens/s)'];
const IDS = ['disc_auc', 'masked_lm_loss', 'disc_loss', 'loss', 'masked_lm_accuracy', 'disc_accuracy', 'grad_norm', 'learning_rate', 'tokens_per_sec'];

/** The visible charts. */
async function charts(p: PanelPage) {
  return p.page.$$eval('figure.chart:not([hidden])', (els) =>
    els.map((e) => ({
      title: e.querySelector('.chart-title')!.textContent, tip: e.querySelector('.chart-title')!.getAttribute('title'),
      points: Number(e.getAttribute('data-points') ?? 0), series: Number(e.getAttribute('data-series') ?? 0), canvas: e.querySelectorAll('canvas').length,
      xRange: (e.getAttribute('data-x-range') ?? '').split(' ').map(Number),
    })),
  );
}
/** A chart's legend rows the user sees (uPlot's x row first): label, value, marker colour, tooltip. */
async function legend(p: PanelPage, title: string) {
  return p.page.$$eval('figure.chart', (els, t) => {
    const fig = els.find((e) => e.querySelector('.chart-title')!.textContent === t)!;
    return [...fig.querySelectorAll<HTMLElement>('.u-legend .u-series')].filter((r) => r.style.display !== 'none').map((r) => ({
      label: r.querySelector('.u-label')!.textContent!.trim(), value: r.querySelector('.u-value')?.textContent ?? '', tip: r.title,
      colour: r.querySelector('.u-marker') ? getComputedStyle(r.querySelector('.u-marker')!).borderTopColor : '',
    }));
  }, title);
}
/** Puts the mouse on a chart's plot at a fraction of its width (1 = the right end: the last x). */
async function hover(p: PanelPage, title: string, at: number) {
  // The mouse only reaches what is on screen: charts lower down are scrolled to first.
  const box = await p.page.$$eval('figure.chart', (els, t) => {
    const over = els.find((e) => e.querySelector('.chart-title')!.textContent === t)!.querySelector('.u-over')!;
    over.scrollIntoView({ block: 'center' });
    const r = over.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height };
  }, title);
  await p.page.mouse.move(box.x + Math.min(box.w - 1, box.w * at), box.y + box.h / 2);
  await p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
}
async function choose(p: PanelPage, control: 'x-axis' | 'smoothing', value: string) {
  await p.page.selectOption(`select[data-control="${control}"]`, value);
  await p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
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
    assert.deepEqual(c.map((x) => x.title), TITLES, 'metric names in words');
    assert.deepEqual(c.map((x) => x.tip), IDS.map((id) => `${id === 'tokens_per_sec' ? 'tokens_per_sec, tokens_per_second' : id} in metrics.jsonl`), 'the raw id in the tooltip');
    for (const x of c) {
      assert.equal(x.canvas, 1, `${x.title} has a canvas`);
      assert.equal(x.points, metricsOf(a.runDir).records.length, x.title);
    }
    // Smoothed by default (light), with the logged points faint under the curve: two series, one legend entry.
    assert.deepEqual(c.map((x) => x.series), TITLES.map(() => 2));
    assert.deepEqual((await legend(p, 'Generator MLM loss')).map((r) => r.label), ['step', a.name]);
    assert.match((await legend(p, 'Generator MLM loss'))[1].tip, /^masked_lm_loss of tiny-a/);
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
    assert.deepEqual((await charts(p)).map((x) => x.series), TITLES.map(() => 4));
    // Short legends: the run's name, in the run's colour on every chart, and the run list shows the same colour.
    const rows = await legend(p, 'Generator MLM accuracy');
    assert.deepEqual(rows.map((r) => r.label), ['step', a.name, b.name]);
    const swatches = await p.page.$$eval('li.run .run-swatch', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
    assert.equal(new Set(swatches).size, f.runs.runs.length, 'a colour per run');
    assert.deepEqual(rows.slice(1).map((r) => r.colour), swatches.slice(0, 2));
    assert.deepEqual((await legend(p, 'Gradient norm')).slice(1).map((r) => r.colour), swatches.slice(0, 2));
    await checkRun(p, a.runDir);
    assert.deepEqual((await p.posted()).at(-1), { type: 'select', runDirs: [b.runDir] });
    assert.deepEqual((await charts(p)).map((x) => x.series), TITLES.map(() => 2));
    // tiny-b keeps its colour when charted alone.
    assert.deepEqual((await legend(p, 'Generator MLM accuracy')).slice(1).map((r) => r.colour), [swatches[1]]);
  });

  it('gives each run a distinct theme colour in light, dark and high-contrast', async () => {
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const p = await h.open('runs', { theme });
      await p.send(f.runs);
      await checkRun(p, b.runDir);
      for (const m of f.metrics) await p.send(m);
      const swatches = await p.page.$$eval('li.run .run-swatch', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
      const want = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green'].map((v) => THEMES[theme].vars[v]);
      assert.deepEqual(swatches, want.map(rgb), `${theme}: the theme's chart colours`);
      assert.deepEqual((await legend(p, 'Discriminator AUC')).slice(1).map((r) => r.colour), swatches.slice(0, 2), theme);
      await p.page.context().close();
    }
  });

  it('plots against step, tokens, wall time or FLOPs, offering only what the runs logged', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    const records = metricsOf(a.runDir).records;
    await p.send(metricsOf(a.runDir));
    const options = () => p.page.$$eval('select[data-control="x-axis"] option', (els) => els.filter((e) => !(e as HTMLOptionElement).hidden).map((e) => (e as HTMLOptionElement).value));
    assert.deepEqual(await options(), ['step', 'tokens', 'wall', 'flops']);
    const range = async () => (await charts(p))[0].xRange;
    assert.deepEqual(await range(), [records[0].step, records.at(-1)!.step]);
    await choose(p, 'x-axis', 'tokens');
    assert.deepEqual(await range(), [records[0].tokens_seen, records.at(-1)!.tokens_seen]);
    assert.equal((await legend(p, 'Discriminator AUC'))[0].label, 'tokens', 'the x axis is named');
    await choose(p, 'x-axis', 'wall');
    assert.deepEqual(await range(), [records[0].elapsed_s, records.at(-1)!.elapsed_s]);
    await choose(p, 'x-axis', 'flops');
    assert.deepEqual(await range(), [records[0].flops, records.at(-1)!.flops]);
    // wall_time_s, when a run logs it, is preferred over elapsed_s.
    await p.send({ type: 'metrics', runDir: a.runDir, records: records.map((r) => ({ ...r, wall_time_s: r.step * 2 })), reset: true });
    await choose(p, 'x-axis', 'wall');
    assert.deepEqual(await range(), [records[0].step * 2, records.at(-1)!.step * 2]);
    // A run without those fields: tokens from step × batch × sequence length of its run.json; no wall time or FLOPs offered.
    const bare = records.map(({ step, loss, disc_auc }) => ({ step, loss, disc_auc }));
    await p.send({ type: 'metrics', runDir: a.runDir, records: bare, reset: true });
    assert.deepEqual(await options(), ['step', 'tokens']);
    assert.equal(await p.page.$eval('select[data-control="x-axis"]', (e) => (e as HTMLSelectElement).value), 'step', 'falls back to step');
    await choose(p, 'x-axis', 'tokens');
    const perStep = Number(a.config.batchSize) * Number(a.config.seqLength);
    assert.deepEqual(await range(), [records[0].step * perStep, records.at(-1)!.step * perStep]);
    // Only the charts of metrics it logged are shown: no gradient norm here.
    assert.deepEqual((await charts(p)).map((x) => x.title), ['Discriminator AUC', 'Total loss']);
    assert.deepEqual(await p.problems(), []);
  });

  it('smooths curves (light by default) and shows the logged values with smoothing off', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    await p.send(metricsOf(a.runDir));
    const records = metricsOf(a.runDir).records;
    const value = async () => Number((await legend(p, 'Discriminator loss'))[1].value);
    assert.equal(await p.page.$eval('select[data-control="smoothing"]', (e) => (e as HTMLSelectElement).value), 'light');
    await hover(p, 'Discriminator loss', 0);
    const smoothedFirst = await value();
    await hover(p, 'Discriminator loss', 1);
    const smoothedLast = await value();
    const last = records.at(-1)!.disc_loss;
    // EMA 0.6, debiased: the first point is the first value; the last lags behind a falling curve.
    assert.ok(Math.abs(smoothedFirst - records[0].disc_loss) < 1e-3, `${smoothedFirst}`);
    assert.ok(smoothedLast > last + 1e-3, `smoothed ${smoothedLast} vs logged ${last}`);
    await choose(p, 'smoothing', 'none');
    assert.equal((await charts(p))[0].series, 1, 'no faint copy when the curve is the logged points');
    await hover(p, 'Discriminator loss', 0.5);
    await hover(p, 'Discriminator loss', 1);
    assert.ok(Math.abs((await value()) - last) < 1e-3);
    await choose(p, 'smoothing', 'strong');
    await hover(p, 'Discriminator loss', 0.5);
    await hover(p, 'Discriminator loss', 1);
    assert.ok((await value()) > smoothedLast, 'stronger smoothing lags more');
    // The faint logged points can be turned off.
    assert.equal((await charts(p))[0].series, 2);
    await p.page.click('.chart-controls vscode-checkbox');
    assert.equal((await charts(p))[0].series, 1);
  });

  it('shares one cursor across the charts (uPlot cursor.sync)', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    await p.send(metricsOf(a.runDir));
    const xValue = async (title: string) => (await legend(p, title))[0].value;
    await hover(p, 'Discriminator AUC', 1);
    const at = String(metricsOf(a.runDir).records.at(-1)!.step);
    assert.equal(await xValue('Discriminator AUC'), at);
    for (const title of ['Generator MLM loss', 'Learning rate', 'Throughput (tokens/s)']) assert.equal(await xValue(title), at, `${title} follows the cursor`);
    await hover(p, 'Learning rate', 0.01);
    assert.equal(await xValue('Discriminator AUC'), String(metricsOf(a.runDir).records[0].step));
  });

  it('draws the cached held-out evaluations on the same charts, as markers at their checkpoints', async () => {
    const p = await h.open('runs');
    await p.send(f.runs);
    await checkRun(p, b.runDir);
    for (const m of f.metrics) await p.send(m);
    for (const m of f.evaluations) await p.send(m);
    const evals = f.evaluations[0].evaluations;
    const rows = await legend(p, 'Discriminator AUC');
    assert.deepEqual(rows.map((r) => r.label), ['step', a.name, `${a.name} eval`, b.name, `${b.name} eval`]);
    assert.match(rows[2].tip, /disc_auc of tiny-a's checkpoints on all examples/);
    assert.equal(rows[2].colour, rows[1].colour, 'in the run\'s colour');
    assert.equal((await charts(p))[0].series, 6);
    // At the last step the marker shows the evaluation's number, next to the training curve's.
    await hover(p, 'Discriminator AUC', 1);
    const last = evals.find((e) => e.step === 40)!;
    assert.ok(Math.abs(Number((await legend(p, 'Discriminator AUC'))[2].value) - last.metrics.disc_auc) < 1e-3);
    // Metrics the evaluations did not measure get no markers.
    assert.equal((await charts(p)).find((c) => c.title === 'Learning rate')!.series, 4);
    // On another axis the markers move with their checkpoints: at step 40's tokens.
    await choose(p, 'x-axis', 'tokens');
    await hover(p, 'Discriminator AUC', 1);
    assert.ok(Math.abs(Number((await legend(p, 'Discriminator AUC'))[2].value) - last.metrics.disc_auc) < 1e-3);
    assert.deepEqual(await p.problems(), []);
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
    assert.deepEqual((await charts(p)).map((x) => x.series), TITLES.map(() => 4), 'charts drawn from the saved metrics before the host answers');
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

  it('looks right in light, dark and high-contrast themes, two runs with their evaluations (screenshots)', async () => {
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const p = await h.open('runs', { theme, width: 1280, height: 900 });
      await p.send(f.runs);
      await checkRun(p, b.runDir);
      for (const m of f.metrics) await p.send(m);
      for (const m of f.evaluations) await p.send(m);
      await hover(p, 'Generator MLM loss', 0.6);
      await p.screenshot(`webview-runs-${theme}.png`);
      assert.deepEqual(await p.problems(), [], theme);
      await p.page.context().close();
    }
  });
});
