import { el } from '../shared/dom';

/**
 * One tooltip for the heatmap's tokens, the same for the token under the pointer and the focused one (a
 * native `title` shows on hover only). It sits just above its token, touching it, so the pointer can move
 * onto it; below when there is no room above; hidden while its token is scrolled out of view.
 */
export interface TokenTip {
  el: HTMLElement;
  show(anchor: HTMLElement, text: string): void;
  hide(): void;
  /** Follows the token after the text scrolled. */
  place(): void;
}

/** `frame` is the positioned box the tip is placed in; `viewport` the scrolling box its tokens live in. */
export function tokenTip(frame: HTMLElement, viewport: HTMLElement): TokenTip {
  const tip = el('div', { className: 'heat-tip', attrs: { role: 'tooltip' } });
  tip.hidden = true;
  let anchor: HTMLElement | undefined;

  const place = () => {
    if (!anchor) return;
    const a = anchor.getBoundingClientRect();
    const v = viewport.getBoundingClientRect();
    tip.hidden = a.bottom <= v.top || a.top >= v.bottom;
    if (tip.hidden) return;
    const f = frame.getBoundingClientRect();
    const above = a.top - f.top - tip.offsetHeight;
    tip.style.top = `${above >= 0 ? above : a.bottom - f.top}px`;
    tip.style.left = `${Math.max(0, Math.min(a.left - f.left, frame.clientWidth - tip.offsetWidth))}px`;
  };

  return {
    el: tip,
    show(target, text) {
      anchor = target;
      tip.textContent = text;
      tip.hidden = false;
      place();
    },
    hide() {
      anchor = undefined;
      tip.hidden = true;
    },
    place,
  };
}
