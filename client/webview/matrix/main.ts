import type { FromExtension, FromWebview, MatrixRow, MatrixView, Verdict } from './protocol';

/**
 * The compatibility matrix panel: a row per description, a column per direction; each
 * cell has the worst verdict in words and a strip with one mark per machine type. The
 * verdict filter and the text filter narrow the rows; the selected row's runs of machine
 * types and their reasons show below the table.
 *
 * Keyboard: the table is one tab stop (roving tabindex). ↑/↓, Home/End, PageUp/PageDown
 * move the selection; Enter opens the description's source; `/` goes to the text filter,
 * Escape from it back to the table. Colours are the theme's (media/matrix.css); every
 * verdict is also written, never shown by colour alone.
 */
const vscode = acquireVsCodeApi<State>();

interface State {
  filter: Record<Verdict, boolean>;
  text: string;
  selected?: string;
}

const VERDICTS: Verdict[] = ['error', 'warning', 'ok'];
const WORDS: Record<Verdict, string> = { error: 'error', warning: 'warning', ok: 'ok' };
const LABELS: Record<Verdict, string> = { error: 'Errors', warning: 'Warnings', ok: 'OK' };

let view: MatrixView | undefined;
let state: State = vscode.getState() ?? { filter: { error: true, warning: true, ok: true }, text: '' };
let shown: MatrixRow[] = [];

const app = document.getElementById('app')!;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function post(m: FromWebview): void {
  vscode.postMessage(m);
}

function save(): void {
  vscode.setState(state);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function visibleRows(v: MatrixView): MatrixRow[] {
  const text = state.text.trim().toLowerCase();
  return v.rows.filter((r) => state.filter[r.worst] && (!text || r.description.toLowerCase().includes(text)));
}

function render(): void {
  if (!view) {
    app.replaceChildren(el('p', { class: 'empty' }, 'Waiting for the check…'));
    return;
  }
  const v = view;
  const header = el(
    'header',
    {},
    el('h1', {}, `Compatibility against ${v.baseline}`),
    el(
      'p',
      { class: 'summary' },
      `${plural(v.rows.length, 'description')} × ${plural(v.machines.length, 'machine type')} × ${v.directions.length} directions. ` +
        `Findings in Problems: ${plural(v.findings.errors, 'error')}, ${plural(v.findings.warnings, 'warning')}` +
        (v.findings.others ? `, ${v.findings.others} other` : '') +
        (v.suppressed ? `; ${v.suppressed} suppressed` : '') +
        '.',
    ),
  );

  const toolbar = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Filter' });
  for (const verdict of VERDICTS) {
    const b = el('button', { type: 'button', class: `filter v-${verdict}`, 'aria-pressed': String(state.filter[verdict]), title: `Show descriptions whose worst verdict is ${WORDS[verdict]}` }, el('span', { class: `dot v-${verdict}`, 'aria-hidden': 'true' }), `${LABELS[verdict]} (${v.counts[verdict]})`);
    b.addEventListener('click', () => {
      state.filter[verdict] = !state.filter[verdict];
      save();
      render();
      (document.querySelector(`button.filter.v-${verdict}`) as HTMLElement | null)?.focus();
    });
    toolbar.append(b);
  }
  const search = el('input', { type: 'search', id: 'text-filter', placeholder: 'Filter descriptions (/)', 'aria-label': 'Filter descriptions by name', value: state.text });
  search.addEventListener('input', () => {
    state.text = search.value;
    save();
    renderTable();
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || e.key === 'ArrowDown') {
      e.preventDefault();
      focusSelected();
    }
  });
  toolbar.append(search);

  const machines = el('details', { class: 'machines' }, el('summary', {}, `Machine types (${v.machines.length}), oldest first`), el('p', {}, v.machines.join(', ')));
  app.replaceChildren(header, toolbar, machines, el('div', { id: 'table-host' }), el('section', { id: 'details', 'aria-live': 'polite', 'aria-label': 'Details of the selected description' }));
  renderTable();
}

function renderTable(): void {
  const v = view!;
  shown = visibleRows(v);
  if (state.selected === undefined || !shown.some((r) => r.description === state.selected)) state.selected = shown[0]?.description;
  const host = document.getElementById('table-host')!;
  if (!shown.length) {
    host.replaceChildren(el('p', { class: 'empty' }, v.rows.length ? 'No description matches the filter.' : 'The baseline and the workspace share no description.'));
    renderDetails();
    return;
  }
  const table = el('table', { class: 'matrix', role: 'grid', 'aria-label': `Verdicts against ${v.baseline}`, 'aria-rowcount': String(shown.length + 1) });
  const headRow = el('tr', { role: 'row' }, el('th', { scope: 'col', role: 'columnheader' }, 'Description'));
  for (const d of v.directions) headRow.append(el('th', { scope: 'col', role: 'columnheader' }, d));
  table.append(el('thead', {}, headRow));
  const body = el('tbody');
  shown.forEach((r, i) => {
    const selected = r.description === state.selected;
    const tr = el('tr', { role: 'row', 'data-description': r.description, 'aria-rowindex': String(i + 2), 'aria-selected': String(selected), tabindex: selected ? '0' : '-1', class: `row v-${r.worst}` });
    tr.append(el('th', { scope: 'row', role: 'rowheader' }, el('span', { class: `badge v-${r.worst}` }, WORDS[r.worst]), ' ', el('span', { class: 'name' }, r.description)));
    for (const c of r.cells) {
      const td = el('td', { role: 'gridcell' });
      if (c.worst === null) td.append(el('span', { class: 'none' }, 'not compared'));
      else {
        const bad = c.verdicts.filter((x) => x !== null && x !== 'ok').length;
        const compared = c.verdicts.filter((x) => x !== null).length;
        td.append(el('span', { class: `verdict v-${c.worst}` }, c.worst === 'ok' ? `ok (${compared})` : `${WORDS[c.worst]} in ${bad} of ${compared}`));
        const strip = el('span', { class: 'strip', 'aria-hidden': 'true' });
        c.verdicts.forEach((x, mi) => strip.append(el('span', { class: `mark v-${x ?? 'none'}`, title: `${v.machines[mi]}: ${x ?? 'not compared'}` })));
        td.append(strip);
      }
      tr.append(td);
    }
    tr.addEventListener('click', () => select(r.description, false));
    tr.addEventListener('dblclick', () => post({ kind: 'reveal', description: r.description }));
    body.append(tr);
  });
  table.append(body);
  table.addEventListener('keydown', onTableKey);
  host.replaceChildren(table);
  renderDetails();
}

function renderDetails(): void {
  const details = document.getElementById('details');
  if (!details || !view) return;
  const r = shown.find((x) => x.description === state.selected);
  if (!r) {
    details.replaceChildren();
    return;
  }
  const parts: Node[] = [el('h2', {}, r.description)];
  for (const c of r.cells) {
    parts.push(el('h3', {}, c.direction));
    if (!c.runs.length) {
      parts.push(el('p', { class: 'none' }, 'Not compared for any machine type.'));
      continue;
    }
    const list = el('ul', { class: 'runs' });
    for (const run of c.runs) {
      const reasons = run.reasons.length ? run.reasons.join('; ') : '—';
      list.append(el('li', {}, el('span', { class: `badge v-${run.verdict}` }, WORDS[run.verdict]), ' ', el('span', { class: 'machines-run' }, run.machines), ': ', reasons));
    }
    parts.push(list);
  }
  const open = el('button', { type: 'button', class: 'reveal' }, 'Open the description (Enter)');
  open.addEventListener('click', () => post({ kind: 'reveal', description: r.description }));
  parts.push(open);
  details.replaceChildren(...parts);
}

function select(description: string, focus: boolean): void {
  state.selected = description;
  save();
  for (const tr of Array.from(document.querySelectorAll<HTMLTableRowElement>('tr.row'))) {
    const on = tr.dataset.description === description;
    tr.setAttribute('aria-selected', String(on));
    tr.tabIndex = on ? 0 : -1;
    if (on && focus) {
      tr.focus();
      tr.scrollIntoView({ block: 'nearest' });
    }
  }
  renderDetails();
}

function focusSelected(): void {
  const tr = Array.from(document.querySelectorAll<HTMLTableRowElement>('tr.row')).find((x) => x.dataset.description === state.selected);
  tr?.focus();
}

function onTableKey(e: KeyboardEvent): void {
  const i = shown.findIndex((r) => r.description === state.selected);
  const page = Math.max(1, Math.floor(window.innerHeight / 32) - 1);
  let next = i;
  switch (e.key) {
    case 'ArrowDown':
      next = Math.min(shown.length - 1, i + 1);
      break;
    case 'ArrowUp':
      next = Math.max(0, i - 1);
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = shown.length - 1;
      break;
    case 'PageDown':
      next = Math.min(shown.length - 1, i + page);
      break;
    case 'PageUp':
      next = Math.max(0, i - page);
      break;
    case 'Enter':
      if (state.selected) post({ kind: 'reveal', description: state.selected });
      e.preventDefault();
      return;
    default:
      return;
  }
  e.preventDefault();
  if (shown[next]) select(shown[next].description, true);
}

document.addEventListener('keydown', (e) => {
  if (e.key === '/' && !(e.target instanceof HTMLInputElement)) {
    e.preventDefault();
    document.getElementById('text-filter')?.focus();
  }
});

window.addEventListener('message', (e: MessageEvent<FromExtension>) => {
  const m = e.data;
  if (m?.kind === 'matrix') {
    view = m.view;
    render();
  }
});

render();
post({ kind: 'ready' });
