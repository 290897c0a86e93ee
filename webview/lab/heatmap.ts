/**
 * A whole file's text, each token's characters on its P(replaced) colour. The text between tokens
 * (spaces, newlines) stays plain text nodes, and the block keeps line breaks. Built once per message in
 * a fragment with one span per token and no per-token listeners, so thousands of tokens render fast;
 * the threshold only toggles a class.
 */
import type { HeatmapToken } from '../../src/protocol';
import { el, fmt } from '../shared/dom';
import { heatClass } from '../shared/heat';

export interface HeatmapText {
  el: HTMLElement;
  show(text: string, tokens: readonly HeatmapToken[]): void;
  setThreshold(threshold: number): void;
  flaggedCount(): number;
}

export function heatmapText(onToken: (token: HeatmapToken) => void): HeatmapText {
  const pre = el('pre', { className: 'heat-text mono', attrs: { tabindex: '0', 'aria-label': 'File text coloured by P(replaced)' } });
  let shown: HeatmapToken[] = [];
  let spans: HTMLSpanElement[] = [];
  let threshold = 0.5;
  let flagged = 0;

  const paint = () => {
    flagged = 0;
    for (let i = 0; i < spans.length; i++) {
      const on = shown[i].p > threshold;
      if (on) flagged++;
      // Only touch spans whose state changes: dragging the slider stays cheap on large files.
      if (spans[i].classList.contains('flagged') !== on) spans[i].classList.toggle('flagged', on);
    }
  };

  const tokenAt = (target: EventTarget | null): HeatmapToken | undefined => {
    const i = target instanceof HTMLElement ? Number(target.dataset.i) : NaN;
    return Number.isInteger(i) ? shown[i] : undefined;
  };
  pre.addEventListener('click', (e) => {
    const t = tokenAt(e.target);
    if (t) onToken(t);
  });
  // Tooltips are set on first hover rather than on every span up front.
  pre.addEventListener('mouseover', (e) => {
    const t = tokenAt(e.target);
    if (t && !(e.target as HTMLElement).title) (e.target as HTMLElement).title = `P(replaced) ${fmt(t.p, 3)} · logit ${fmt(t.logit, 2)}`;
  });

  return {
    el: pre,
    show(text, tokens) {
      const frag = document.createDocumentFragment();
      const kept: HeatmapToken[] = [];
      const made: HTMLSpanElement[] = [];
      let cursor = 0;
      for (const t of tokens) {
        // Overlapping spans (sliding-window leftovers) would repeat text; keep the first.
        if (t.start < cursor || t.end > text.length) continue;
        if (t.start > cursor) frag.append(text.slice(cursor, t.start));
        const span = document.createElement('span');
        span.className = heatClass(t.p);
        span.dataset.i = String(kept.length);
        span.textContent = text.slice(t.start, t.end);
        frag.append(span);
        kept.push(t);
        made.push(span);
        cursor = t.end;
      }
      if (cursor < text.length) frag.append(text.slice(cursor));
      pre.replaceChildren(frag);
      shown = kept;
      spans = made;
      paint();
    },
    setThreshold(t) {
      threshold = t;
      paint();
    },
    flaggedCount: () => flagged,
  };
}
