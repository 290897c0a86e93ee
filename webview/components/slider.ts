import { el } from '../shared/dom';

/** The toolkit has no slider: a native range input, styled with VS Code's colours in components.css. */
export interface Slider {
  el: HTMLElement;
  value(): number;
  /** Sets the value without onInput or onChange: those are the user's moves. */
  set(v: number): void;
}

export interface SliderOptions {
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  format: (v: number) => string;
  /** Every move, while dragging too. */
  onInput: (v: number) => void;
  /** The value the user settled on: the pointer released, or a key pressed (the DOM's `change`). */
  onChange?: (v: number) => void;
}

export function slider(o: SliderOptions): Slider {
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
  if (o.onChange) {
    const onChange = o.onChange;
    input.addEventListener('change', () => onChange(Number(input.value)));
  }
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
