import type { CheckpointRef } from '../../src/protocol';
import { checkbox } from '../components/checkbox';
import { clear, el } from '../shared/dom';

/** Checkpoints as checkboxes, grouped by run (a fieldset per run, steps in order). */
export function checkpointPicker(onChange: (selected: string[]) => void) {
  const box = el('div', { className: 'picker', attrs: { role: 'group', 'aria-label': 'Checkpoints to evaluate' } });
  let selected = new Set<string>();
  return {
    el: box,
    show(checkpoints: readonly CheckpointRef[], chosen: readonly string[]) {
      const known = new Set(checkpoints.map((c) => c.dir));
      selected = new Set(chosen.filter((d) => known.has(d)));
      clear(box);
      if (checkpoints.length === 0) box.append(el('div', { className: 'empty-state', text: 'No checkpoints found in the workspace’s runs.' }));
      const byRun = new Map<string, CheckpointRef[]>();
      for (const c of checkpoints) byRun.set(c.run, [...(byRun.get(c.run) ?? []), c]);
      for (const [run, refs] of byRun) {
        const group = el('fieldset', { className: 'run-group' }, [el('legend', { text: run || '(outside a run)' })]);
        for (const c of [...refs].sort((a, b) => a.step - b.step)) {
          const cb = checkbox({
            label: `step ${c.step}`,
            checked: selected.has(c.dir),
            ariaLabel: `${run} step ${c.step}`,
            onChange: (on) => {
              if (on) selected.add(c.dir);
              else selected.delete(c.dir);
              onChange([...selected]);
            },
          });
          cb.el.setAttribute('data-dir', c.dir);
          cb.el.title = c.dir;
          group.append(cb.el);
        }
        box.append(group);
      }
      return [...selected];
    },
  };
}
