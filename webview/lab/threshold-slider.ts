import { slider } from '../components/slider';

/**
 * The Lab's threshold slider, which is the setting electraLab.heatmap.threshold: the host sends the
 * setting (`fromHost`), and the value the user settles on goes to the host (`onSettled`) — never the value
 * the host just sent, and never the same value twice, so neither side echoes the other. Dragging recounts
 * on every move (`onInput`) but settles once, on release.
 */
export function thresholdSlider(o: { value: number; onInput: (v: number) => void; onSettled: (v: number) => void }) {
  /** The last value the host and the page agreed on: sent by the host, or posted to it. */
  let agreed: number | undefined;
  const control = slider({
    label: 'Threshold',
    min: 0,
    max: 1,
    step: 0.01,
    value: o.value,
    format: (v) => v.toFixed(2),
    onInput: o.onInput,
    onChange: (v) => {
      if (v === agreed) return;
      agreed = v;
      o.onSettled(v);
    },
  });
  return {
    el: control.el,
    fromHost(v: number) {
      agreed = v;
      control.set(v);
    },
  };
}
