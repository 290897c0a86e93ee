import type { LabToWebview } from '../../src/protocol';
import { button } from '../components/button';
import { el } from '../shared/dom';
import { heatmapText } from './heatmap';

type Heatmap = Extract<LabToWebview, { type: 'heatmap' }>;

export function heatmapTab(actions: { refresh: () => void; reveal: (uri: string, start: number, end: number) => void }) {
  const heading = el('div', { className: 'source muted', text: 'No heatmap yet: Refresh scores the active editor.' });
  const summary = el('div', { className: 'muted', attrs: { 'aria-live': 'polite' } });
  let uri = '';
  const text = heatmapText((t) => uri && actions.reveal(uri, t.start, t.end));
  let total = 0;
  const describe = () => {
    summary.textContent = total ? `${total} tokens, ${text.flaggedCount()} above the threshold` : '';
  };
  return {
    el: el('section', { className: 'tab-body', attrs: { 'aria-label': 'Heatmap' } }, [
      el('div', { className: 'toolbar' }, [button({ label: 'Refresh', onClick: actions.refresh, ariaLabel: 'Score the active editor again' }).el, heading, summary]),
      text.el,
    ]),
    show(m: Heatmap) {
      uri = m.source.uri;
      heading.textContent = `${m.source.fileName} · ${m.checkpoint}`;
      text.show(m.text, m.tokens);
      total = m.tokens.length;
      describe();
    },
    setThreshold(t: number) {
      text.setThreshold(t);
      describe();
    },
  };
}
