import type { RunSummary } from '../../src/protocol';
import { clear, el } from '../shared/dom';

/** run.json as a key/value table; nested values as compact JSON text. */
export function configTable(onOpen: (runDir: string) => void) {
  const title = el('h2', { text: 'Config' });
  const open = el('button', { className: 'link-button', text: 'open run.json', attrs: { type: 'button' } });
  const body = el('tbody');
  const table = el('table', { className: 'grid kv', attrs: { 'aria-label': 'Run configuration' } }, [body]);
  let runDir = '';
  open.addEventListener('click', () => runDir && onOpen(runDir));
  open.hidden = true;
  return {
    el: el('section', { className: 'config' }, [el('div', { className: 'config-head' }, [title, open]), table]),
    show(run: RunSummary | undefined) {
      clear(body);
      runDir = run?.runDir ?? '';
      open.hidden = !run;
      title.textContent = run ? `Config: ${run.name}` : 'Config';
      if (!run) {
        body.append(el('tr', {}, [el('td', { className: 'empty', text: 'Select a run to see its config.' })]));
        return;
      }
      for (const [k, v] of Object.entries(run.config)) {
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        body.append(el('tr', {}, [el('th', { text: k, attrs: { scope: 'row' } }), el('td', { className: 'mono', text: text ?? '' })]));
      }
    },
  };
}
