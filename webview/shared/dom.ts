/**
 * Building nodes. Data only ever reaches the page as textContent or attribute values, never as markup,
 * so a token like `<img onerror=…>` shows as text.
 */
export interface ElOptions {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElOptions = {}, children: (Node | string)[] = []): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), options, children);
}

/** A custom element (the toolkit's, whose tag names the DOM typings do not know). */
export function customEl(tag: string, options: ElOptions = {}, children: (Node | string)[] = []): HTMLElement {
  return fill(document.createElement(tag), options, children);
}

function fill<E extends HTMLElement>(node: E, o: ElOptions, children: (Node | string)[]): E {
  if (o.className) node.className = o.className;
  if (o.text !== undefined) node.textContent = o.text;
  if (o.attrs) for (const [k, v] of Object.entries(o.attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toExponential(1);
  if (Number.isInteger(x)) return String(x);
  return x.toFixed(digits);
}

/** Enter and Space activate an element that is not a native button (tokens in a grid of spans). */
export function onActivate(node: HTMLElement, action: (e: Event) => void): void {
  node.addEventListener('click', action);
  node.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      action(e);
    }
  });
}
