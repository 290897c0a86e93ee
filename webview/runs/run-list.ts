import type { RunSummary } from '../../src/protocol';
import { checkbox } from '../components/checkbox';
import { clear, el } from '../shared/dom';

/** The runs with a checkbox each (which to chart), the run's colour on the charts, and a button showing its config. */
export function runList(o: { colourOf: (runDir: string) => string; onSelect: (runDirs: string[]) => void; onShowConfig: (runDir: string) => void }) {
  const list = el('ul', { className: 'run-list', attrs: { 'aria-label': 'Runs' } });
  let selected: string[] = [];
  let runs: RunSummary[] = [];
  const draw = () => {
    clear(list);
    if (runs.length === 0) list.append(el('li', { className: 'empty-state', text: 'No runs yet: start one with “ELECTRA: Start Pretraining” or the CLI.' }));
    for (const r of runs) {
      const box = checkbox({
        label: r.name,
        checked: selected.includes(r.runDir),
        ariaLabel: `Chart run ${r.name} (${r.status})`,
        onChange: (on) => {
          selected = on ? [...selected.filter((d) => d !== r.runDir), r.runDir] : selected.filter((d) => d !== r.runDir);
          o.onSelect(selected);
        },
      });
      const config = el('button', { className: 'link-button', text: 'config', attrs: { type: 'button', 'aria-label': `Show the config of ${r.name}` } });
      config.addEventListener('click', () => o.onShowConfig(r.runDir));
      list.append(
        el('li', { className: 'run', attrs: { 'data-run': r.runDir, title: r.runDir } }, [
          swatch(o.colourOf(r.runDir)),
          box.el,
          el('span', { className: `run-status status-${r.status}`, text: r.status }),
          config,
        ]),
      );
    }
  };
  // The colour is a CSS variable of the theme: set through the CSSOM (the panel's CSP allows no style attribute).
  const swatch = (colour: string) => {
    const s = el('span', { className: 'run-swatch', attrs: { 'aria-hidden': 'true' } });
    s.style.background = colour;
    return s;
  };
  draw();
  return {
    el: list,
    show(next: RunSummary[], sel: string[]) {
      runs = next;
      selected = sel;
      draw();
    },
  };
}
