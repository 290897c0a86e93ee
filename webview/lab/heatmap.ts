/**
 * A whole file's text, each token's characters on its P(replaced) colour. The text between tokens
 * (spaces, newlines) stays plain text nodes, and the block keeps line breaks. Built once per message in
 * a fragment with one span per token and no per-token listeners or attributes beyond its colour, so
 * thousands of tokens render fast; the threshold only toggles a class.
 * Keyboard: the tokens are one tab stop (roving-focus.ts); the focused token is named for screen readers
 * and shows the same tip as the token under the pointer (token-tip.ts).
 */
import type { HeatmapToken } from '../../src/protocol';
import { el, fmt } from '../shared/dom';
import { heatClass } from '../shared/heat';
import { rovingFocus } from './roving-focus';
import { tokenTip } from './token-tip';

export interface HeatmapText {
  el: HTMLElement;
  show(text: string, tokens: readonly HeatmapToken[]): void;
  setThreshold(threshold: number): void;
  flaggedCount(): number;
}

const KEYS_HINT = 'Tab into the text, then ←/→ token by token, ↑/↓ line by line, Enter reveals the token in the editor, Escape hides its tip.';

export function heatmapText(onToken: (token: HeatmapToken) => void): HeatmapText {
  const hint = el('p', { className: 'muted heat-keys', text: KEYS_HINT, attrs: { id: 'heat-keys' } });
  const pre = el('pre', { className: 'heat-text mono', attrs: { role: 'group', 'aria-label': 'File text coloured by P(replaced)', 'aria-describedby': 'heat-keys' } });
  const frame = el('div', { className: 'heat-frame' }, [pre]);
  const tip = tokenTip(frame, pre);
  frame.append(tip.el);
  let shown: HeatmapToken[] = [];
  let spans: HTMLSpanElement[] = [];
  let threshold = 0.5;
  let flagged = 0;

  const label = (span: HTMLElement, i: number) => {
    const t = shown[i];
    span.setAttribute('aria-label', `${span.textContent}, P(replaced) ${fmt(t.p, 2)}${t.p > threshold ? ', above the threshold' : ''}`);
  };
  const roving = rovingFocus(pre, {
    // A button: a name is allowed on it, and Enter activates it, as here.
    entered: (span, i) => {
      span.setAttribute('role', 'button');
      label(span, i);
    },
    left: (span) => {
      span.removeAttribute('role');
      span.removeAttribute('aria-label');
    },
    activate: (i) => onToken(shown[i]),
  });

  const paint = () => {
    flagged = 0;
    for (let i = 0; i < spans.length; i++) {
      const on = shown[i].p > threshold;
      if (on) flagged++;
      // Only touch spans whose state changes: dragging the slider stays cheap on large files.
      if (spans[i].classList.contains('flagged') !== on) spans[i].classList.toggle('flagged', on);
    }
  };

  const indexAt = (target: EventTarget | null): number | undefined => {
    const i = target instanceof HTMLElement ? Number(target.dataset.i) : NaN;
    return Number.isInteger(i) && shown[i] ? i : undefined;
  };
  const showTip = (i: number) => tip.show(spans[i], `P(replaced) ${fmt(shown[i].p, 3)} · logit ${fmt(shown[i].logit, 2)}`);
  /** Off the tokens, the tip goes back to the focused token, if there is one. */
  const restTip = () => (pre.contains(document.activeElement) && spans[roving.current()] ? showTip(roving.current()) : tip.hide());

  pre.addEventListener('click', (e) => {
    const i = indexAt(e.target);
    if (i === undefined) return;
    roving.moveTo(i);
    onToken(shown[i]);
  });
  pre.addEventListener('mouseover', (e) => {
    const i = indexAt(e.target);
    if (i === undefined) restTip();
    else showTip(i);
  });
  frame.addEventListener('mouseleave', restTip);
  // Focus only ever lands on the stop.
  pre.addEventListener('focusin', () => showTip(roving.current()));
  pre.addEventListener('focusout', (e) => {
    if (!pre.contains(e.relatedTarget as Node | null)) tip.hide();
  });
  pre.addEventListener('scroll', tip.place);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') tip.hide();
  });

  return {
    el: el('div', {}, [hint, frame]),
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
      tip.hide();
      const hadFocus = pre.contains(document.activeElement); // before the old spans leave the document
      pre.replaceChildren(frag);
      shown = kept;
      spans = made;
      // Text without tokens still scrolls by keyboard; with tokens, the tokens are the one tab stop.
      if (made.length === 0 && text.length > 0) pre.tabIndex = 0;
      else pre.removeAttribute('tabindex');
      roving.reset(made, hadFocus);
      paint();
    },
    setThreshold(t) {
      threshold = t;
      paint();
      // The focused token's name says whether it is above the threshold.
      const stop = spans[roving.current()];
      if (stop) label(stop, roving.current());
    },
    flaggedCount: () => flagged,
  };
}
