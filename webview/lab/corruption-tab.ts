import type { LabToWebview } from '../../src/protocol';
import { button } from '../components/button';
import { el } from '../shared/dom';
import { alignedView } from './aligned';

type Corruption = Extract<LabToWebview, { type: 'corruption' }>;

export function corruptionTab(actions: { resample: () => void; reveal: (uri: string, start: number, end: number) => void }) {
  const heading = el('div', { className: 'source muted', text: 'No sample yet: run “Corrupt Selection” on an editor, or Resample.' });
  const resample = button({ label: 'Resample', primary: true, onClick: actions.resample, ariaLabel: 'Resample with a new seed' });
  const aligned = alignedView('Corruption sample tokens');
  const note = el('div', { className: 'muted note' });
  return {
    el: el('section', { className: 'tab-body', attrs: { 'aria-label': 'Corruption sample' } }, [
      el('div', { className: 'toolbar' }, [resample.el, heading]),
      aligned.el,
      note,
    ]),
    show(m: Corruption, seed: number) {
      heading.textContent = `${m.source.fileName} · seed ${seed} · ${m.checkpoint}`;
      note.textContent = m.result.truncated ? 'The passage was longer than the model’s window; the sample covers its start.' : '';
      aligned.show(m.result.tokens, (i) => {
        const t = m.result.tokens[i];
        actions.reveal(m.source.uri, t.start, t.end);
      });
    },
    setThreshold: aligned.setThreshold,
  };
}
