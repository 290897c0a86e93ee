import type { LabToWebview } from '../../src/protocol';
import { button } from '../components/button';
import { el } from '../shared/dom';
import { alignedView } from './aligned';

type RunSamples = Extract<LabToWebview, { type: 'runSamples' }>;

export function samplesTab(actions: { load: () => void; moved: (index: number) => void }) {
  let current: RunSamples | undefined;
  let index = 0;
  const position = el('span', { className: 'position', text: 'No samples loaded.', attrs: { 'aria-live': 'polite' } });
  const run = el('div', { className: 'source muted' });
  const aligned = alignedView('Logged sample tokens');
  const step = (delta: number) => {
    if (!current || current.samples.length === 0) return;
    index = Math.max(0, Math.min(current.samples.length - 1, index + delta));
    draw();
    actions.moved(index);
  };
  const prev = button({ label: '◀ Prev', onClick: () => step(-1), ariaLabel: 'Previous sample' });
  const next = button({ label: 'Next ▶', onClick: () => step(1), ariaLabel: 'Next sample' });
  const draw = () => {
    const n = current?.samples.length ?? 0;
    prev.setDisabled(index <= 0);
    next.setDisabled(index >= n - 1);
    if (!current || n === 0) {
      position.textContent = current ? 'This run has no logged samples yet.' : 'No samples loaded.';
      aligned.show([]);
      return;
    }
    const s = current.samples[index];
    position.textContent = `step ${s.step} · row ${s.row} · sample ${index + 1} of ${n}`;
    aligned.show(s.tokens);
  };
  draw();
  return {
    el: el('section', { className: 'tab-body', attrs: { 'aria-label': 'Run samples' } }, [
      el('div', { className: 'toolbar' }, [button({ label: 'Load run samples', ariaLabel: 'Load the samples this run logged (the newest run when none is shown)', onClick: actions.load }).el, prev.el, position, next.el]),
      run,
      aligned.el,
    ]),
    show(m: RunSamples, at: number) {
      current = m;
      index = Math.max(0, Math.min(at, m.samples.length - 1));
      run.textContent = m.runDir;
      draw();
    },
    setThreshold: aligned.setThreshold,
  };
}
