import { customEl } from '../shared/dom';
import { useToolkit } from './toolkit';

export interface Checkbox {
  el: HTMLElement;
  checked(): boolean;
  set(checked: boolean): void;
}

export function checkbox(o: { label: string; checked: boolean; onChange: (checked: boolean) => void; ariaLabel?: string }): Checkbox {
  useToolkit('checkbox');
  const c = customEl('vscode-checkbox', { text: o.label }) as HTMLElement & { checked: boolean };
  if (o.ariaLabel) c.setAttribute('aria-label', o.ariaLabel);
  // FAST checkboxes also fire change when set from code; report only what the user changed.
  let last = o.checked;
  c.checked = o.checked;
  c.addEventListener('change', () => {
    if (c.checked === last) return;
    last = c.checked;
    o.onChange(c.checked);
  });
  return {
    el: c,
    checked: () => c.checked,
    set: (v) => {
      last = v;
      c.checked = v;
    },
  };
}
