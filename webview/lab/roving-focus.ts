/**
 * One tab stop for a long run of inline items (a file's tokens) instead of one per item: only the current
 * item is focusable (tabindex 0) and keys move it. Nothing is set on the other items and there is one
 * listener on the container, so thousands of items render as fast as plain spans.
 * Keys: ←/→ the previous/next item; ↑/↓ the nearest item on the line above/below as laid out (items wrap
 * like text); Home/End the first/last; Enter/Space activate (as a click does).
 */
export interface RovingFocus {
  /** New items: the stop stays at the same position when it still exists (else the first), and takes the focus
   *  when `hadFocus` (the caller knows: the old items may already be out of the document). */
  reset(items: readonly HTMLElement[], hadFocus?: boolean): void;
  /** Makes item `index` the stop and focuses it. */
  moveTo(index: number): void;
  /** The stop's index (0 when there are no items). */
  current(): number;
}

export interface RovingOptions {
  /** An item became the stop: give it what a focused item needs (a role, a name). */
  entered: (item: HTMLElement, index: number) => void;
  /** It stopped being the stop: take that away again. */
  left: (item: HTMLElement) => void;
  activate: (index: number) => void;
}

export function rovingFocus(container: HTMLElement, o: RovingOptions): RovingFocus {
  let items: readonly HTMLElement[] = [];
  let stop = 0;

  const setStop = (index: number) => {
    const old = items[stop];
    if (old && index !== stop) {
      old.removeAttribute('tabindex');
      o.left(old);
    }
    stop = index;
    const item = items[stop];
    if (!item) return;
    item.tabIndex = 0;
    o.entered(item, stop);
  };
  const moveTo = (index: number) => {
    if (!items[index]) return;
    setStop(index);
    items[index].focus();
  };

  container.addEventListener('keydown', (e) => {
    if (e.target !== items[stop] || e.altKey || e.ctrlKey || e.metaKey) return;
    let next: number | undefined;
    switch (e.key) {
      case 'ArrowRight': next = Math.min(items.length - 1, stop + 1); break;
      case 'ArrowLeft': next = Math.max(0, stop - 1); break;
      case 'ArrowDown': next = nearestOnAdjacentLine(items, stop, 1) ?? stop; break;
      case 'ArrowUp': next = nearestOnAdjacentLine(items, stop, -1) ?? stop; break;
      case 'Home': next = 0; break;
      case 'End': next = items.length - 1; break;
      case 'Enter':
      case ' ':
        e.preventDefault(); // Space would scroll
        o.activate(stop);
        return;
      default:
        return;
    }
    e.preventDefault(); // the keys would scroll the container too
    moveTo(next);
  });

  return {
    reset(next, hadFocus = false) {
      items = next;
      stop = stop < items.length ? stop : 0;
      // The old stop is gone with its items; only the new one needs its tabindex.
      if (items[stop]) {
        items[stop].tabIndex = 0;
        o.entered(items[stop], stop);
        if (hadFocus) items[stop].focus();
      }
    },
    moveTo,
    current: () => stop,
  };
}

/**
 * The item on the next line (dir 1) or previous line (dir -1), as laid out, whose centre is nearest the
 * item `from`'s; undefined on the first/last line. Reads layout only for the items between `from` and the
 * end of that line, so it costs a line's worth however long the file.
 */
function nearestOnAdjacentLine(items: readonly HTMLElement[], from: number, dir: 1 | -1): number | undefined {
  const here = items[from].getBoundingClientRect();
  const x = here.left + here.width / 2;
  let lineTop: number | undefined;
  let best: number | undefined;
  let bestDistance = Infinity;
  for (let i = from + dir; i >= 0 && i < items.length; i += dir) {
    const r = items[i].getBoundingClientRect();
    if (lineTop === undefined) {
      const onAnotherLine = dir > 0 ? r.top >= here.bottom - 1 : r.bottom <= here.top + 1;
      if (!onAnotherLine) continue;
      lineTop = r.top;
    } else if (Math.abs(r.top - lineTop) > 1) {
      break; // past the adjacent line
    }
    const distance = Math.abs(r.left + r.width / 2 - x);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}
