import { customEl } from '../shared/dom';
import { useToolkit } from './toolkit';

export interface ButtonOptions {
  label: string;
  onClick: () => void;
  primary?: boolean;
  /** When the visible label alone does not say what the button acts on. */
  ariaLabel?: string;
  disabled?: boolean;
}
export interface Button {
  el: HTMLElement;
  setDisabled(disabled: boolean): void;
}

export function button(o: ButtonOptions): Button {
  useToolkit('button');
  const b = customEl('vscode-button', { text: o.label, attrs: { appearance: o.primary ? 'primary' : 'secondary' } });
  if (o.ariaLabel) b.setAttribute('aria-label', o.ariaLabel);
  const setDisabled = (d: boolean) => b.toggleAttribute('disabled', d);
  setDisabled(o.disabled ?? false);
  // The toolkit's button is form-associated and handles Enter/Space itself, firing click.
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) o.onClick();
  });
  return { el: b, setDisabled };
}
