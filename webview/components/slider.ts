import { el } from '../shared/dom';

/** The toolkit has no slider: a native range input, styled with VS Code's colours in components.css. */
export interface Slider {
  el: HTMLElement;
  value(): number;
  set(v: number): void;
}

export function slider(o: { label: string; min: number; max: number; step: number; value: number; format: (v: number) => string; onInput: (v: number) => void }): Slider {
  const input = el('input', { className: 'slider', attrs: { type: 'range', min: String(o.min), max: String(o.max), step: String(o.step), 'aria-label': o.label } });
  input.value = String(o.value);
  const out = el('output', { className: 'slider-value', text: o.format(o.value) });
  const show = () => {
    const v = Number(input.value);
    out.textContent = o.format(v);
    input.setAttribute('aria-valuetext', o.format(v));
  };
  input.addEventListener('input', () => {
    show();
    o.onInput(Number(input.value));
  });
  show();
  const wrap = el('label', { className: 'field slider-field' }, [el('span', { className: 'field-label', text: o.label }), input, out]);
  return {
    el: wrap,
    value: () => Number(input.value),
    set: (v) => {
      input.value = String(v);
      show();
    },
  };
}
