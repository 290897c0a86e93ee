import { clear, el } from '../shared/dom';
import { spinner } from './progress';

/** One line at the top of a page: what the host is doing, its last error, and ignored messages. */
export interface StatusLine {
  el: HTMLElement;
  busy(message: string): void;
  error(message: string): void;
  done(): void;
  malformed(): void;
}

export function statusLine(): StatusLine {
  const line = el('div', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
  const notice = el('div', { className: 'notice', attrs: { role: 'status', 'aria-live': 'polite' } });
  notice.hidden = true;
  let ignored = 0;
  const show = (kind: string, children: (Node | string)[]) => {
    clear(line);
    line.className = `status ${kind}`;
    line.append(...children);
    line.hidden = children.length === 0;
  };
  show('', []);
  return {
    el: el('div', { className: 'status-area' }, [line, notice]),
    busy: (m) => show('busy', [spinner(m), el('span', { text: m })]),
    error: (m) => show('error', [el('span', { className: 'status-icon', text: '⚠', attrs: { 'aria-hidden': 'true' } }), el('span', { text: m })]),
    done: () => show('', []),
    malformed: () => {
      ignored++;
      notice.hidden = false;
      notice.textContent = ignored === 1 ? 'Ignored a malformed message.' : `Ignored ${ignored} malformed messages.`;
    },
  };
}
