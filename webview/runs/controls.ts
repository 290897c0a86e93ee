import { checkbox } from '../components/checkbox';
import { el } from '../shared/dom';
import { SMOOTHING } from './smoothing';
import { X_AXES, type XAxis } from './x-axis';

export interface ChartControlsState {
  axis: XAxis;
  smoothing: string;
  showRaw: boolean;
}

/** Native selects (the toolkit's dropdown cannot hide an option): x axis, smoothing, and the logged points toggle. */
export function chartControls(initial: ChartControlsState, onChange: (s: ChartControlsState) => void) {
  const state = { ...initial };
  const axis = el('select', { className: 'native-select', attrs: { 'aria-label': 'X axis', 'data-control': 'x-axis' } });
  for (const a of X_AXES) axis.append(el('option', { text: a.label, attrs: { value: a.id, title: a.title } }));
  axis.value = state.axis;
  const smoothing = el('select', { className: 'native-select', attrs: { 'aria-label': 'Smoothing', 'data-control': 'smoothing', title: 'Exponential moving average of each curve; the logged points stay visible, faint' } });
  for (const s of SMOOTHING) smoothing.append(el('option', { text: s.label, attrs: { value: s.label } }));
  smoothing.value = state.smoothing;
  const raw = checkbox({ label: 'logged points', checked: state.showRaw, ariaLabel: 'Show the logged points under smoothed curves', onChange: (on) => {
    state.showRaw = on;
    onChange({ ...state });
  } });
  axis.addEventListener('change', () => {
    state.axis = axis.value as XAxis;
    onChange({ ...state });
  });
  smoothing.addEventListener('change', () => {
    state.smoothing = smoothing.value;
    raw.el.hidden = smoothing.value === 'none';
    onChange({ ...state });
  });
  raw.el.hidden = state.smoothing === 'none';
  const field = (label: string, control: HTMLElement) => el('label', { className: 'field' }, [el('span', { className: 'field-label', text: label }), control]);
  return {
    el: el('div', { className: 'toolbar chart-controls' }, [field('X axis', axis), field('Smoothing', smoothing), raw.el]),
    /** Offers only the axes the charted runs can give; the axis to draw on: the chosen one, else step (the choice
     *  is kept, for when runs that have it are checked again). */
    offer(available: (a: XAxis) => boolean): XAxis {
      for (const option of axis.options) option.hidden = option.disabled = !available(option.value as XAxis);
      const drawn = available(state.axis) ? state.axis : 'step';
      axis.value = drawn;
      return drawn;
    },
  };
}
