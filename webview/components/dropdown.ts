import { customEl, el } from '../shared/dom';
import { useToolkit } from './toolkit';

export interface Dropdown<V extends string> {
  el: HTMLElement;
  value(): V;
}

export function dropdown<V extends string>(o: { label: string; options: { value: V; label: string }[]; value: V; onChange: (v: V) => void }): Dropdown<V> {
  useToolkit('dropdown');
  const d = customEl('vscode-dropdown', { attrs: { 'aria-label': o.label } }) as HTMLElement & { value: string };
  for (const opt of o.options) {
    const option = customEl('vscode-option', { text: opt.label, attrs: { value: opt.value } });
    if (opt.value === o.value) option.setAttribute('selected', '');
    d.append(option);
  }
  const known = new Set<string>(o.options.map((x) => x.value));
  const current = (): V => (known.has(d.value) ? (d.value as V) : o.value);
  d.addEventListener('change', () => o.onChange(current()));
  const wrap = el('label', { className: 'field' }, [el('span', { className: 'field-label', text: o.label }), d]);
  return { el: wrap, value: current };
}
