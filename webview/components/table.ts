import { clear, el } from '../shared/dom';

export interface Column<Row> {
  key: string;
  label: string;
  /** What the column sorts by; undefined sorts last whichever the direction. */
  value: (row: Row) => number | string | undefined;
  /** What the cell shows (defaults to the value as text). */
  cell?: (row: Row) => Node | string;
  numeric?: boolean;
  /** The header's tooltip (the words in full and the raw id behind a short label). */
  tip?: string;
  /** A heading over this and the neighbouring columns of the same group (a second header row above). */
  group?: string;
  /** Stays in view when the table scrolls sideways: the row's name (leading columns only). */
  sticky?: boolean;
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

/** The row of group headings: one cell spanning each run of columns with the same group (blank for none). */
function groupRow<Row>(columns: Column<Row>[]): HTMLElement {
  const tr = el('tr', { className: 'group-row' });
  for (let i = 0; i < columns.length; ) {
    let j = i + 1;
    const sticky = columns[i].sticky === true;
    // Ungrouped leading (sticky) columns share one blank cell, which stays with them.
    while (j < columns.length && columns[j].group === columns[i].group && (columns[j].sticky === true) === sticky) j++;
    tr.append(el('th', { className: ['group', sticky ? 'sticky' : ''].filter(Boolean).join(' '), text: columns[i].group ?? '', attrs: { colspan: String(j - i), scope: 'colgroup' } }));
    i = j;
  }
  return tr;
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

  const cls = (c: Column<Row>) => {
    const lastSticky = columns.filter((x) => x.sticky).at(-1);
    return [c.numeric ? 'num' : '', c.sticky ? 'sticky' : '', c === lastSticky ? 'sticky-last' : ''].filter(Boolean).join(' ');
  };
  const draw = () => {
    clear(thead);
    if (columns.some((c) => c.group)) thead.append(groupRow(columns));
    const head = el('tr');
    for (const c of columns) {
      const active = c.key === sort.key;
      const th = el('th', { attrs: { scope: 'col', 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none', ...(c.tip ? { title: c.tip } : {}) }, className: cls(c) });
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
        tr.append(el('td', { className: cls(c) }, [v]));
      }
      tbody.append(tr);
    }
    if (sorted.length === 0) tbody.append(el('tr', {}, [el('td', { className: 'empty', text: o.emptyText, attrs: { colspan: String(columns.length) } })]));
    placeSticky();
  };
  /**
   * Sticky columns sit side by side: each one's `left` is the width of those before it, measured (the widths
   * follow the content), so they are placed again whenever the table's size changes.
   */
  const placeSticky = () => {
    const heads = [...thead.querySelectorAll<HTMLElement>('tr:last-child th')];
    let left = 0;
    columns.forEach((c, i) => {
      if (!c.sticky || !heads[i]) return;
      for (const cell of table.querySelectorAll<HTMLElement>(`tr > :nth-child(${i + 1}).sticky`)) cell.style.left = `${left}px`;
      left += heads[i].offsetWidth;
    });
    const lead = thead.querySelector<HTMLElement>('tr.group-row > th.sticky');
    if (lead) lead.style.left = '0px';
  };
  new ResizeObserver(placeSticky).observe(table);
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
