/** The Lab page in headless Chromium: corruption sample, heatmap, run samples, state, hostile input. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CorruptionToken, LabToWebview } from '../../src/protocol';
import { composite, contrastRatio, HEAT_LEVELS, HEAT_STOPS, heatAlpha, parseHex, type Rgb } from '../../src/heat-scale';
import { fixture, startHarness, type Harness, type PanelPage } from './harness';
import { THEMES } from './themes';

type Corruption = Extract<LabToWebview, { type: 'corruption' }>;
type Heatmap = Extract<LabToWebview, { type: 'heatmap' }>;
type RunSamples = Extract<LabToWebview, { type: 'runSamples' }>;
const lab = fixture<{ corruption: Corruption; heatmap: Heatmap; runSamples: RunSamples }>('lab.json');

/** The confusion counts, computed here independently of the page. */
function counts(tokens: CorruptionToken[], threshold: number) {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const t of tokens) {
    if (t.p === undefined || /^\[(CLS|SEP|PAD)\]$/.test(t.original)) continue;
    if (t.p > threshold) t.replaced ? c.tp++ : c.fp++;
    else t.replaced ? c.fn++ : c.tn++;
  }
  return c;
}
async function shownCounts(p: PanelPage, tab: string) {
  return p.page.$$eval(`#view-${tab} .count`, (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-count'), Number(e.querySelector('.count-n')!.textContent)])));
}
async function setThreshold(p: PanelPage, v: number) {
  await p.page.$eval('input.slider', (input, value) => {
    (input as HTMLInputElement).value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, v);
}

describe('lab page', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(async () => h.close());

  it('says ready, then shows a corruption sample token by token with counts matching the engine', async () => {
    const p = await h.open('lab');
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    await p.send(lab.corruption);
    const tokens = lab.corruption.result.tokens;
    const cols = await p.page.$$eval('#view-corruption .tok:not(.key)', (els) =>
      els.map((e) => ({ orig: e.querySelector('.orig')!.textContent, sample: e.querySelector('.sample')!.textContent, replaced: e.querySelector('.sample')!.classList.contains('is-replaced'), pClass: e.querySelector('.p')!.className })),
    );
    assert.equal(cols.length, tokens.length);
    cols.forEach((c, i) => {
      assert.equal(c.orig, tokens[i].original);
      assert.equal(c.sample, tokens[i].sampled);
      assert.equal(c.replaced, tokens[i].replaced);
      assert.match(c.pClass, new RegExp(`heat-${Math.min(9, Math.floor(tokens[i].p! * 10))}\\b`));
    });
    const engine = lab.corruption.result.counts;
    assert.deepEqual(await shownCounts(p, 'corruption'), { tp: engine.truePositives, fp: engine.falsePositives, fn: engine.falseNegatives, tn: engine.trueNegatives });
    // A confident token is painted, a near-zero one is not.
    const bg = await p.page.$$eval('#view-corruption .tok:not(.key) .p', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
    const hot = tokens.findIndex((t) => t.p! > 0.9);
    const cold = tokens.findIndex((t) => t.p! < 0.1);
    assert.notEqual(bg[hot], 'rgba(0, 0, 0, 0)');
    assert.equal(bg[cold], 'rgba(0, 0, 0, 0)');
    assert.deepEqual(await p.problems(), []);
  });

  it('recounts TP/FP/FN/TN at the threshold slider value', async () => {
    const p = await h.open('lab');
    await p.send(lab.corruption);
    for (const t of [0.05, 0.3, 0.9]) {
      await setThreshold(p, t);
      assert.deepEqual(await shownCounts(p, 'corruption'), counts(lab.corruption.result.tokens, t), `threshold ${t}`);
    }
  });

  it('takes the threshold the host sends (the setting) and posts nothing back', async () => {
    const p = await h.open('lab');
    await p.send(lab.corruption);
    await p.clearPosted();
    await p.send({ type: 'threshold', threshold: 0.3 });
    assert.equal(await p.page.$eval('input.slider', (e) => (e as HTMLInputElement).value), '0.3');
    assert.equal(await p.page.textContent('output.slider-value'), '0.30');
    assert.deepEqual(await shownCounts(p, 'corruption'), counts(lab.corruption.result.tokens, 0.3));
    await p.send({ type: 'threshold', threshold: 0.3 });
    assert.deepEqual(await p.posted(), []);
    await p.reload();
    assert.equal(await p.page.$eval('input.slider', (e) => (e as HTMLInputElement).value), '0.3', 'kept in the page state');
  });

  it('posts the threshold the user settles on, once per key press or drag, never the one the host sent', async () => {
    const p = await h.open('lab');
    await p.send(lab.corruption);
    await p.send({ type: 'threshold', threshold: 0.5 });
    await p.clearPosted();
    await p.page.focus('input.slider');
    await p.page.keyboard.press('ArrowRight');
    assert.deepEqual(await p.posted(), [{ type: 'setThreshold', threshold: 0.51 }]);
    assert.deepEqual(await shownCounts(p, 'corruption'), counts(lab.corruption.result.tokens, 0.51));

    // A drag: many moves recount as they go, the release posts one value.
    await p.clearPosted();
    const box = (await p.page.locator('input.slider').boundingBox())!;
    const y = box.y + box.height / 2;
    await p.page.mouse.move(box.x + box.width * 0.2, y);
    await p.page.mouse.down();
    for (const f of [0.3, 0.5, 0.7, 0.85]) await p.page.mouse.move(box.x + box.width * f, y);
    await p.page.mouse.up();
    const dragged = Number(await p.page.$eval('input.slider', (e) => (e as HTMLInputElement).value));
    assert.ok(dragged > 0.7, `dragged to ${dragged}`);
    assert.deepEqual(await p.posted(), [{ type: 'setThreshold', threshold: dragged }]);
    assert.deepEqual(await shownCounts(p, 'corruption'), counts(lab.corruption.result.tokens, dragged));

    // The host's answer with the value it wrote, and a settle on that same value: nothing goes back.
    await p.clearPosted();
    await p.send({ type: 'threshold', threshold: dragged });
    await p.page.$eval('input.slider', (input) => input.dispatchEvent(new Event('change', { bubbles: true })));
    assert.deepEqual(await p.posted(), []);
  });

  it('posts resample with a new seed, and reveal for a clicked or Enter-activated token', async () => {
    const p = await h.open('lab');
    await p.send(lab.corruption);
    await p.clearPosted();
    await p.page.click('#view-corruption vscode-button');
    const t = lab.corruption.result.tokens;
    await p.page.click('#view-corruption .tok[data-index="4"]');
    await p.page.focus('#view-corruption .tok[data-index="7"]');
    await p.page.keyboard.press('Enter');
    assert.deepEqual(await p.posted(), [
      { type: 'resample', seed: lab.corruption.seed + 1 },
      { type: 'reveal', uri: lab.corruption.source.uri, start: t[4].start, end: t[4].end },
      { type: 'reveal', uri: lab.corruption.source.uri, start: t[7].start, end: t[7].end },
    ]);
    assert.match((await p.page.textContent('.status'))!, /Resampling with seed 4/);
  });

  it('renders the whole file as a heatmap: text preserved, spans coloured, threshold flags', async () => {
    const p = await h.open('lab', { theme: 'light' });
    await p.send(lab.heatmap);
    await p.page.click('#tab-heatmap');
    const text = await p.page.$eval('pre.heat-text', (e) => e.textContent);
    assert.equal(text, lab.heatmap.text, 'every character, newlines included, in order');
    const spans = await p.page.$$eval('pre.heat-text span', (els) => els.map((e) => ({ text: e.textContent, cls: e.className })));
    assert.equal(spans.length, lab.heatmap.tokens.length);
    spans.forEach((s, i) => {
      const t = lab.heatmap.tokens[i];
      assert.equal(s.text, lab.heatmap.text.slice(t.start, t.end));
      assert.match(s.cls, new RegExp(`heat-${Math.min(9, Math.floor(t.p * 10))}\\b`));
    });
    for (const threshold of [0.5, 0.95]) {
      await setThreshold(p, threshold);
      const flagged = await p.page.$$eval('pre.heat-text span.flagged', (els) => els.length);
      assert.equal(flagged, lab.heatmap.tokens.filter((t) => t.p > threshold).length);
    }
    await p.clearPosted();
    await p.page.click('pre.heat-text span >> nth=10');
    const t10 = lab.heatmap.tokens[10];
    assert.deepEqual(await p.posted(), [{ type: 'reveal', uri: lab.heatmap.source.uri, start: t10.start, end: t10.end }]);
  });

  it('heatmap tokens are one tab stop; arrows move, the focused token is named and tipped as on hover, Enter reveals', async () => {
    const p = await h.open('lab');
    await p.send(lab.heatmap);
    await p.page.click('#tab-heatmap');
    const tokens = lab.heatmap.tokens;
    const fmt = (x: number, d: number) => (Number.isInteger(x) ? String(x) : x.toFixed(d));
    const tipFor = (i: number) => `P(replaced) ${fmt(tokens[i].p, 3)} · logit ${fmt(tokens[i].logit, 2)}`;
    const focused = () => p.page.evaluate(() => {
      const a = document.activeElement as HTMLElement;
      const tip = document.querySelector('.heat-tip') as HTMLElement;
      return { i: a.dataset.i === undefined ? -1 : Number(a.dataset.i), role: a.getAttribute('role'), label: a.getAttribute('aria-label'), top: a.getBoundingClientRect().top,
        tip: tip.hidden ? null : tip.textContent, stops: document.querySelectorAll('pre.heat-text [tabindex]').length };
    });

    // One tab stop: from the Refresh button, Tab lands on the first token; Tab again leaves the heatmap.
    await p.page.focus('#view-heatmap vscode-button');
    await p.page.keyboard.press('Tab');
    let f = await focused();
    assert.equal(f.i, 0);
    assert.equal(f.stops, 1, 'only the current token is focusable');
    assert.equal(f.role, 'button');
    assert.equal(f.label, `${lab.heatmap.text.slice(tokens[0].start, tokens[0].end)}, P(replaced) ${fmt(tokens[0].p, 2)}${tokens[0].p > 0.5 ? ', above the threshold' : ''}`);
    assert.equal(f.tip, tipFor(0));
    await p.page.keyboard.press('Tab');
    assert.equal((await focused()).i, -1, 'Tab leaves the heatmap');
    assert.equal((await focused()).tip, null);
    await p.page.keyboard.press('Shift+Tab');
    assert.equal((await focused()).i, 0);

    for (let k = 0; k < 3; k++) await p.page.keyboard.press('ArrowRight');
    await p.page.keyboard.press('ArrowLeft');
    f = await focused();
    assert.equal(f.i, 2);
    assert.equal(f.stops, 1);
    assert.match(f.label!, new RegExp(`P\\(replaced\\) ${fmt(tokens[2].p, 2)}`));
    assert.equal(f.tip, tipFor(2), 'the same tip as hovering it');
    assert.equal(await p.page.$$eval('pre.heat-text [role], pre.heat-text [aria-label]', (e) => e.length), 1, 'the token left is plain text again');

    // Down: a token on the next line; Up: back on the first line.
    const before = f;
    await p.page.keyboard.press('ArrowDown');
    const down = await focused();
    assert.ok(down.i > before.i && down.top > before.top, `down from ${before.i} to ${down.i}`);
    await p.page.keyboard.press('ArrowUp');
    assert.equal((await focused()).top, before.top);
    await p.page.keyboard.press('End');
    assert.equal((await focused()).i, tokens.length - 1);
    await p.page.keyboard.press('Home');
    assert.equal((await focused()).i, 0);

    // Enter and Space reveal, as a click does.
    await p.page.keyboard.press('ArrowRight');
    await p.clearPosted();
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.press(' ');
    const reveal1 = { type: 'reveal', uri: lab.heatmap.source.uri, start: tokens[1].start, end: tokens[1].end };
    assert.deepEqual(await p.posted(), [reveal1, reveal1]);

    // Escape hides the tip; hovering another token shows its own, the same way.
    await p.page.keyboard.press('Escape');
    assert.equal((await focused()).tip, null);
    await p.page.hover('pre.heat-text span[data-i="5"]');
    assert.equal((await focused()).tip, tipFor(5));

    // The threshold changes the focused token's name; a new heatmap keeps one stop, at the same place.
    await setThreshold(p, 0.99);
    assert.doesNotMatch((await focused()).label!, /above the threshold/);
    await p.send(lab.heatmap);
    assert.equal(await p.page.$$eval('pre.heat-text [tabindex]', (e) => e.map((s) => (s as HTMLElement).dataset.i)).then((x) => x.join()), '1');
    // A keyboard user keeps the focus through a new heatmap (a refresh), on the same token.
    await p.page.focus('pre.heat-text [tabindex="0"]');
    await p.send(lab.heatmap);
    assert.equal((await focused()).i, 1, 'the focus stayed on the token');
    assert.deepEqual(await p.problems(), []);
  });

  it('renders a 5,000-token file in under a second', async () => {
    const p = await h.open('lab');
    await p.page.click('#tab-heatmap');
    const words: string[] = [];
    const tokens: Heatmap['tokens'] = [];
    let text = '';
    for (let i = 0; i < 5000; i++) {
      const w = lab.heatmap.tokens[i % lab.heatmap.tokens.length].text.replace(/^##/, '') || 'x';
      const start = text.length;
      text += w + (i % 12 === 11 ? '\n' : ' ');
      tokens.push({ text: w, start, end: start + w.length, logit: 0, p: (i * 7919 % 1000) / 1000 });
      words.push(w);
    }
    const message = { ...lab.heatmap, text, tokens };
    const ms = await p.page.evaluate(async (m) => {
      const t0 = performance.now();
      window.postMessage(m, '*');
      await new Promise((r) => setTimeout(r, 0));
      // Forces style and layout of what was built, as the first paint would.
      document.querySelector('pre.heat-text')!.getBoundingClientRect();
      return performance.now() - t0;
    }, message);
    assert.equal(await p.page.$$eval('pre.heat-text span', (e) => e.length), 5000);
    assert.ok(ms < 1000, `rendered in ${ms.toFixed(0)} ms`);
  });

  it('steps through run samples', async () => {
    const p = await h.open('lab');
    await p.send(lab.runSamples);
    await p.page.click('#tab-samples');
    const s = lab.runSamples.samples;
    assert.match((await p.page.textContent('#view-samples .position'))!, new RegExp(`step ${s[0].step} · row ${s[0].row} · sample 1 of ${s.length}`));
    await p.page.click('#view-samples vscode-button[aria-label="Next sample"]');
    await p.page.click('#view-samples vscode-button[aria-label="Next sample"]');
    assert.match((await p.page.textContent('#view-samples .position'))!, new RegExp(`step ${s[2].step} · row ${s[2].row} · sample 3 of ${s.length}`));
    const origs = await p.page.$$eval('#view-samples .tok:not(.key) .orig', (els) => els.map((e) => e.textContent));
    assert.deepEqual(origs, s[2].tokens.map((t) => t.original));
    assert.deepEqual(await shownCounts(p, 'samples'), counts(s[2].tokens, 0.5));
    await p.page.click('#view-samples vscode-button[aria-label="Previous sample"]');
    assert.match((await p.page.textContent('#view-samples .position'))!, /sample 2 of/);
    await p.clearPosted();
    await p.page.click('#view-samples vscode-button:has-text("Load run samples")');
    assert.deepEqual(await p.posted(), [{ type: 'loadRunSamples', runDir: lab.runSamples.runDir }]);
  });

  it('shows busy and error messages', async () => {
    const p = await h.open('lab');
    await p.send({ type: 'busy', message: 'Scoring README.md…' });
    assert.equal(await p.page.textContent('.status'), 'Scoring README.md…');
    assert.equal(await p.page.$$eval('.status vscode-progress-ring', (e) => e.length), 1);
    await p.send({ type: 'error', message: 'checkpoint folder has no config.json' });
    assert.match((await p.page.textContent('.status.error'))!, /checkpoint folder has no config.json/);
  });

  it('brings the tab the host names to the front (Corrupt Selection from the Heatmap tab shows Corruption)', async () => {
    const p = await h.open('lab');
    await p.send(lab.corruption);
    await p.page.click('#tab-heatmap');
    assert.equal(await p.page.$eval('vscode-panels', (e) => e.getAttribute('activeid')), 'tab-heatmap');
    await p.send({ type: 'showTab', tab: 'corruption' });
    assert.equal(await p.page.$eval('vscode-panels', (e) => e.getAttribute('activeid')), 'tab-corruption');
    assert.equal(await p.page.isVisible('#view-corruption'), true);
  });

  it('restores tab, threshold, seed, sample position and data after a reload', async () => {
    const p = await h.open('lab');
    await p.send(lab.corruption);
    await p.send(lab.heatmap);
    await p.send(lab.runSamples);
    await setThreshold(p, 0.7);
    await p.page.click('#tab-samples');
    await p.page.click('#view-samples vscode-button[aria-label="Next sample"]');
    await p.page.click('#tab-heatmap');
    await p.reload();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    assert.equal(await p.page.$eval('input.slider', (e) => (e as HTMLInputElement).value), '0.7');
    assert.equal(await p.page.$eval('vscode-panels', (e) => e.getAttribute('activeid')), 'tab-heatmap');
    assert.equal(await p.page.isVisible('pre.heat-text'), true);
    assert.equal(await p.page.$eval('pre.heat-text', (e) => e.textContent), lab.heatmap.text);
    assert.equal(await p.page.$$eval('pre.heat-text span.flagged', (els) => els.length), lab.heatmap.tokens.filter((t) => t.p > 0.7).length);
    assert.match((await p.page.textContent('#view-samples .position'))!, /sample 2 of/);
    assert.deepEqual(await shownCounts(p, 'corruption'), counts(lab.corruption.result.tokens, 0.7));
    await p.clearPosted();
    await p.page.click('#tab-corruption');
    await p.page.click('#view-corruption vscode-button');
    assert.deepEqual(await p.posted(), [{ type: 'resample', seed: lab.corruption.seed + 1 }]);
  });

  it('ignores hostile messages, never injects markup, and keeps working', async () => {
    const p = await h.open('lab');
    const evil = '<img src=x onerror="window.__pwned=1">';
    const tokens = lab.corruption.result.tokens.map((t, i) => (i === 0 ? { ...t, original: evil, sampled: evil } : t));
    await p.send({ ...lab.corruption, result: { ...lab.corruption.result, tokens } });
    const heatText = `${evil}\n<script>window.__pwned=2</script>`;
    await p.send({ ...lab.heatmap, text: heatText, tokens: [{ text: evil, start: 0, end: evil.length, logit: 3, p: 0.95 }] });
    assert.equal(await p.page.$eval('#view-corruption .tok[data-index="0"] .orig', (e) => e.textContent), evil);
    assert.equal(await p.page.$eval('pre.heat-text', (e) => e.textContent), heatText);

    const hostile: unknown[] = [
      null,
      'corruption',
      { type: 'corruption' },
      { ...lab.corruption, seed: 'four' },
      { ...lab.corruption, result: { ...lab.corruption.result, tokens: 'many' } },
      { ...lab.corruption, result: { ...lab.corruption.result, tokens: [{ ...tokens[1], p: Number.NaN }] } },
      { ...lab.heatmap, tokens: new Array(200_001).fill(lab.heatmap.tokens[0]) },
      { ...lab.heatmap, tokens: [{ ...lab.heatmap.tokens[0], end: lab.heatmap.text.length + 5 }] },
      { type: 'runSamples', runDir: 3, samples: [] },
      { type: 'error', message: 'x'.repeat(20_000) },
      { type: 'launchMissiles' },
      { type: 'threshold', threshold: 1.5 },
    ];
    for (const m of hostile) await p.send(m);
    assert.equal(await p.page.$$eval('img, script:not([src])', (e) => e.length), 0, 'no injected elements');
    assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await p.page.textContent('.notice'), `Ignored ${hostile.length} malformed messages.`);
    // Still the last good data, and still working.
    assert.equal(await p.page.$eval('pre.heat-text', (e) => e.textContent), heatText);
    await p.send(lab.corruption);
    assert.equal(await p.page.$$eval('#view-corruption .tok:not(.key)', (e) => e.length), lab.corruption.result.tokens.length);
    assert.deepEqual(await p.problems(), []);
  });

  it('paints the heatmap with the shared scale (src/heat-scale.ts), text readable on every level in light, dark and high-contrast', async () => {
    // One token per level, so every colour of the scale is on the page.
    const words = Array.from({ length: HEAT_LEVELS }, (_, l) => `level${l}`);
    const text = words.join(' ');
    let at = 0;
    const tokens = words.map((w, l) => {
      const t = { text: w, start: at, end: at + w.length, logit: 0, p: (l + 0.5) / HEAT_LEVELS };
      at += w.length + 1;
      return t;
    });
    const message: Heatmap = { ...lab.heatmap, text, tokens, source: { ...lab.heatmap.source, start: 0, end: text.length } };
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const kind = theme === 'light' ? 'light' : 'dark';
      const p = await h.open('lab', { theme });
      await p.send(message);
      await p.page.click('#tab-heatmap');
      const painted = await p.page.$$eval('pre.heat-text span', (els) => els.map((e) => ({ bg: getComputedStyle(e).backgroundColor, fg: getComputedStyle(e).color })));
      const page = parseHex(THEMES[theme].vars['--vscode-editor-background']);
      painted.forEach((c, level) => {
        const [r, g, b, a = 1] = c.bg.match(/[\d.]+/g)!.map(Number);
        if (level === 0) return assert.equal(a === 0 || c.bg === 'rgba(0, 0, 0, 0)', true, `${theme}: level 0 unpainted`);
        assert.deepEqual([r, g, b], [...HEAT_STOPS[level]!], `${theme} level ${level}: the scale's hue`);
        assert.ok(Math.abs(a - heatAlpha(level, kind)) < 0.01, `${theme} level ${level}: the ${kind} opacity (${a})`);
        const fg = c.fg.match(/\d+/g)!.slice(0, 3).map(Number) as unknown as Rgb;
        const ratio = contrastRatio(fg, composite(HEAT_STOPS[level]!, a, page));
        assert.ok(ratio >= 4.5, `${theme} level ${level}: text contrast ${ratio.toFixed(2)}:1`);
      });
      // The legend: the editor's and the terminal's words and swatches.
      const legend = await p.page.$eval('.legend', (e) => ({ text: e.textContent, swatches: [...e.querySelectorAll('.legend-swatch')].map((s) => [s.textContent, getComputedStyle(s).backgroundColor]) }));
      assert.match(legend.text!, /^P\(replaced\): below 0\.1 unpainted,0\.10\.30\.50\.70\.9and up/);
      assert.deepEqual(legend.swatches.map((s) => s[1]), [1, 3, 5, 7, 9].map((l) => painted[l].bg));
      await p.page.context().close();
    }
  });

  it('looks right in light, dark and high-contrast themes (screenshots)', async () => {
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const p = await h.open('lab', { theme, width: 1100, height: 760 });
      await p.send(lab.corruption);
      await p.send(lab.heatmap);
      await p.screenshot(`webview-lab-${theme}.png`);
      await p.page.click('#tab-heatmap');
      await p.screenshot(`webview-lab-heatmap-${theme}.png`);
      assert.deepEqual(await p.problems(), [], theme);
      await p.page.context().close();
    }
  });
});
