import { customEl } from '../shared/dom';
import { useToolkit } from './toolkit';

export interface TabSpec<Id extends string> {
  id: Id;
  label: string;
  panel: HTMLElement;
}

/** Tabs with their panels; the toolkit handles arrow keys, Home/End and the ARIA tab roles. */
export function tabs<Id extends string>(specs: TabSpec<Id>[], active: Id, onChange: (id: Id) => void): { el: HTMLElement; select(id: Id): void } {
  useToolkit('panels');
  const panels = customEl('vscode-panels', { attrs: { 'aria-label': 'Views', activeid: `tab-${active}` } }) as HTMLElement & { activeid: string };
  for (const s of specs) panels.append(customEl('vscode-panel-tab', { text: s.label, attrs: { id: `tab-${s.id}` } }));
  for (const s of specs) panels.append(customEl('vscode-panel-view', { attrs: { id: `view-${s.id}` } }, [s.panel]));
  const ids = new Set<string>(specs.map((s) => s.id));
  panels.addEventListener('change', (e) => {
    // Only the tabs' own change, not a checkbox's or dropdown's bubbling up from inside a panel.
    if (e.target !== panels) return;
    const id = String(panels.activeid ?? '').replace(/^tab-/, '');
    if (ids.has(id)) onChange(id as Id);
  });
  return { el: panels, select: (id) => (panels.activeid = `tab-${id}`) };
}
