/**
 * A corruption sample token by token: each token is a column of original / masked input / generator's
 * sample / its probability / the discriminator's P(replaced), so the rows line up across the sample.
 * Used by the Corruption and Run samples tabs.
 */
import type { CorruptionToken } from '../../src/protocol';
import { clear, el, fmt, onActivate } from '../shared/dom';
import { heatClass } from '../shared/heat';
import { confusion, outcome, type Counts } from './counts';

const ROWS = ['original', 'masked input', 'generator sample', 'sample prob', 'D: P(replaced)'];
const OUTCOME_TEXT = { tp: 'replaced, caught', fp: 'original, flagged', fn: 'replaced, missed', tn: 'original, passed', none: '' } as const;

export interface AlignedView {
  el: HTMLElement;
  show(tokens: readonly CorruptionToken[], onToken?: (index: number) => void): void;
  setThreshold(threshold: number): void;
}

export function alignedView(label: string): AlignedView {
  const counts = el('div', { className: 'counts', attrs: { 'aria-live': 'polite' } });
  const flow = el('div', { className: 'aligned', attrs: { role: 'list', 'aria-label': label } });
  let tokens: readonly CorruptionToken[] = [];
  let columns: HTMLElement[] = [];
  let threshold = 0.5;

  const key = () =>
    el('div', { className: 'tok key', attrs: { 'aria-hidden': 'true' } }, ROWS.map((r) => el('span', { className: 'cell', text: r })));

  const paintOutcomes = () => {
    columns.forEach((col, i) => {
      const o = outcome(tokens[i], threshold);
      col.dataset.outcome = o;
      col.classList.toggle('flagged-col', o === 'tp' || o === 'fp');
      col.setAttribute('aria-label', describe(tokens[i], i, o));
    });
    renderCounts(counts, confusion(tokens, threshold), threshold);
  };

  return {
    el: el('div', { className: 'aligned-view' }, [counts, flow]),
    show(next, onToken) {
      tokens = next;
      clear(flow);
      flow.append(key());
      columns = next.map((t, i) => {
        const col = el('div', { className: `tok${t.replaced ? ' replaced' : ''}${t.selected ? ' selected' : ''}`, attrs: { role: 'listitem', 'data-index': String(i) } }, [
          el('span', { className: 'cell orig', text: t.original }),
          el('span', { className: `cell masked${t.input === t.original ? ' same' : ''}`, text: t.input }),
          el('span', { className: `cell sample${t.replaced ? ' is-replaced' : ''}${t.sampled === t.original ? ' same' : ''}`, text: t.sampled }),
          el('span', { className: 'cell prob', text: t.selected && t.sampleProb !== undefined ? fmt(t.sampleProb, 2) : '' }),
          el('span', { className: `cell p ${heatClass(t.p)}`, text: t.p === undefined ? '–' : fmt(t.p, 2) }),
        ]);
        if (onToken) {
          col.tabIndex = 0;
          col.classList.add('clickable');
          onActivate(col, () => onToken(i));
        }
        return col;
      });
      flow.append(...columns);
      paintOutcomes();
    },
    setThreshold(t) {
      threshold = t;
      paintOutcomes();
    },
  };
}

function describe(t: CorruptionToken, i: number, o: keyof typeof OUTCOME_TEXT): string {
  const parts = [`token ${i + 1}: ${t.original}`];
  if (t.selected) parts.push(`masked as ${t.input}`);
  if (t.replaced) parts.push(`generator wrote ${t.sampled}${t.sampleProb !== undefined ? ` (probability ${fmt(t.sampleProb, 2)})` : ''}`);
  if (t.p !== undefined) parts.push(`P(replaced) ${fmt(t.p, 2)}`);
  if (OUTCOME_TEXT[o]) parts.push(OUTCOME_TEXT[o]);
  return parts.join(', ');
}

function renderCounts(box: HTMLElement, c: Counts, threshold: number): void {
  clear(box);
  const item = (cls: string, name: string, n: number, hint: string) =>
    el('span', { className: `count ${cls}`, attrs: { title: hint, 'data-count': cls } }, [el('span', { className: 'count-name', text: name }), el('span', { className: 'count-n', text: String(n) })]);
  const precision = c.truePositives + c.falsePositives ? c.truePositives / (c.truePositives + c.falsePositives) : undefined;
  const recall = c.truePositives + c.falseNegatives ? c.truePositives / (c.truePositives + c.falseNegatives) : undefined;
  box.append(
    el('span', { className: 'muted', text: `at P > ${threshold.toFixed(2)}:` }),
    item('tp', 'TP', c.truePositives, 'replaced tokens the discriminator caught'),
    item('fp', 'FP', c.falsePositives, 'original tokens it flagged'),
    item('fn', 'FN', c.falseNegatives, 'replaced tokens it missed'),
    item('tn', 'TN', c.trueNegatives, 'original tokens it passed'),
    el('span', { className: 'muted', text: `precision ${fmt(precision, 2)} · recall ${fmt(recall, 2)}` }),
  );
}
