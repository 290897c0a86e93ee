import { clear, el } from '../shared/dom';

export interface Column<Row> {
  key: string;
  label: string;
  /** What the column sorts by; undefined sorts last whichever the direction. */
  value: (row: Row) => number | string | undefined;
  /** What the cell shows (defaults to the value as text). */
  cell?: (row: Row) => Node | string;
  numeric?: boolean;
}
export interface SortState {
  key: string;
  descending: boolean;
}

/** Compares two cell values; exported for the tests of sort order. */
export function compareValues(a: number | string | undefined, b: number | string | undefined, descending: boolean): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
  return descending ? -c : c;
}

/**
 * A plain <table> whose headers are buttons: a click, Enter or Space sorts by that column (again: the
 * other direction), and aria-sort tells a screen reader which. Plain rather than the toolkit's data grid:
 * its cells take text, not our failure notes, and its sort would still be ours.
 */
export function sortableTable<Row>(o: {
  caption: string;
  columns: Column<Row>[];
  sort: SortState;
  onSort: (s: SortState) => void;
  rowClass?: (row: Row) => string;
  emptyText: string;
}): { el: HTMLElement; render(rows: Row[], columns?: Column<Row>[]): void; sort(): SortState } {
  let sort = o.sort;
  let columns = o.columns;
  let rows: Row[] = [];
  const table = el('table', { className: 'grid' }, [el('caption', { className: 'visually-hidden', text: o.caption })]);
  const thead = el('thead');
  const tbody = el('tbody');
  table.append(thead, tbody);

  const draw = () => {
    clear(thead);
    const head = el('tr');
    for (const c of columns) {
      const active = c.key === sort.key;
      const th = el('th', { attrs: { scope: 'col', 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none' }, className: c.numeric ? 'num' : '' });
      const b = el('button', { className: 'sort', text: c.label, attrs: { type: 'button', 'data-key': c.key } });
      b.append(el('span', { className: 'sort-mark', text: active ? (sort.descending ? ' ▼' : ' ▲') : '', attrs: { 'aria-hidden': 'true' } }));
      b.addEventListener('click', () => {
        sort = { key: c.key, descending: c.key === sort.key ? !sort.descending : false };
        o.onSort(sort);
        draw();
        (thead.querySelector(`button[data-key="${CSS.escape(c.key)}"]`) as HTMLElement | null)?.focus();
      });
      th.append(b);
      head.append(th);
    }
    thead.append(head);

    clear(tbody);
    const column = columns.find((c) => c.key === sort.key);
    const sorted = column ? [...rows].sort((a, b) => compareValues(column.value(a), column.value(b), sort.descending)) : rows;
    for (const r of sorted) {
      const tr = el('tr', { className: o.rowClass?.(r) ?? '' });
      for (const c of columns) {
        const v = c.cell ? c.cell(r) : String(c.value(r) ?? '–');
        tr.append(el('td', { className: c.numeric ? 'num' : '' }, [v]));
      }
      tbody.append(tr);
    }
    if (sorted.length === 0) tbody.append(el('tr', {}, [el('td', { className: 'empty', text: o.emptyText, attrs: { colspan: String(columns.length) } })]));
  };
  draw();
  return {
    el: el('div', { className: 'table-wrap' }, [table]),
    render(next, nextColumns) {
      rows = next;
      if (nextColumns) columns = nextColumns;
      draw();
    },
    sort: () => sort,
  };
}
