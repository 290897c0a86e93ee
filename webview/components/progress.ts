import { customEl, el } from '../shared/dom';
import { useToolkit } from './toolkit';

/** An indeterminate spinner (determinate toolkit rings set a style attribute, which our CSP refuses). */
export function spinner(label: string): HTMLElement {
  useToolkit('progressRing');
  return customEl('vscode-progress-ring', { attrs: { 'aria-label': label } });
}

/** Determinate progress: a native <progress>, which screen readers announce with its value. */
export function progressBar(label: string): { el: HTMLElement; set(done: number, total: number): void } {
  const bar = el('progress', { attrs: { 'aria-label': label, max: '1', value: '0' } });
  const text = el('span', { className: 'progress-text' });
  return {
    el: el('span', { className: 'progress' }, [bar, text]),
    set(done, total) {
      bar.max = Math.max(1, total);
      bar.value = Math.min(done, bar.max);
      text.textContent = `${done}/${total}`;
    },
  };
}
