import { annotatedLines, CborLine, diagnosticLines, DiagnosticLine, parseCbor } from './cbor';
import { asciiChar, byteInfo, ByteMap, byteMap, BYTES_PER_ROW, caretMove, hexByte, hexToBytes, inNode, offsetLabel, rangeLabel, rowCount, sizeLabel } from './hex';
import { buildModel, carryOver, isExpanded, keyOf, Model, Node, nodeForPath, nodeForSources, revealNode, treeKey, visibleRows } from './model';
import type { Format, FormatSetting, FromWebview, PreviewOptions, PreviewResult, PreviewView, ToWebview } from './protocol';
import { Edit, editText, getAt, hexOf, parseEdit, showValue, valueParam } from './values';
import { VirtualList } from './vlist';

/**
 * The preview panel in the webview: toolbar (version, machine type, format), the
 * structure as a tree table (name, value, type, offsets and sizes in both formats, why
 * present or absent), the selected field's details with its value editor, and the QEMU
 * and CBOR bytes side by side as hex (with the CBOR item explained head by head and in
 * diagnostic notation). Selecting anywhere selects everywhere; the extension reveals
 * declarations and says where the editor's cursor is. The logic lives in the pure
 * modules next to this one; this file only draws and listens.
 */

const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);
const FORMATS: Format[] = ['qemu', 'cbor'];

// ---- state ----

interface Pane {
  format: Format;
  list: VirtualList;
  map?: ByteMap;
  bytes: Uint8Array;
  caret: number;
}

const st = {
  view: undefined as PreviewView | undefined,
  model: undefined as Model | undefined,
  /** The results the model was built from (the last ones with bytes). */
  good: undefined as PreviewView['results'] | undefined,
  error: undefined as { message: string; path?: string } | undefined,
  selected: undefined as Node | undefined,
  hovered: undefined as Node | undefined,
  overrides: new Map<string, boolean>(),
  showAbsent: true,
  rows: [] as Node[],
  edits: new Map<string, Edit>(),
  editErrors: new Map<string, string>(),
  opaque: {} as Record<string, boolean>,
  version: undefined as number | undefined,
  machine: undefined as string | undefined,
  format: undefined as FormatSetting | undefined,
  /** The value without edits, by description|version|machine: what edits are applied to. */
  pristine: undefined as { key: string; value: unknown } | undefined,
  cborLines: [] as CborLine[],
  diagLines: [] as DiagnosticLine[],
  cborTab: 'annotated' as 'annotated' | 'diagnostic',
  lineCaret: { annotated: -1, diagnostic: -1 },
  editing: undefined as { key: string; input: HTMLInputElement } | undefined,
};

// ---- DOM ----

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: Array<DomNode | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}
type DomNode = globalThis.Node;

const app = document.getElementById('app')!;
app.innerHTML = '';
const progress = el('div', { class: 'progress', 'aria-hidden': 'true' });
const title = el('h1', { id: 'title', class: 'title' });
const versionSel = el('select', { id: 'version', 'aria-label': 'Version' });
const machineSel = el('select', { id: 'machine', 'aria-label': 'Machine type' });
const formatSel = el('select', { id: 'format', 'aria-label': 'Formats shown' });
for (const [v, t] of [
  ['both', 'QEMU and CBOR'],
  ['qemu', 'QEMU wire only'],
  ['cbor', 'CBOR only'],
] as const)
  formatSel.append(el('option', { value: v, text: t }));
const absentBox = el('input', { id: 'show-absent', type: 'checkbox', checked: '' });
const resetBtn = el('button', { id: 'reset', type: 'button', class: 'secondary', title: 'Drop every edited value and opaque answer' }, 'Reset values');
const sizes = el('span', { id: 'sizes', class: 'sizes' });
const toolbar = el(
  'header',
  { class: 'toolbar', role: 'toolbar', 'aria-label': 'Preview options' },
  title,
  el('label', {}, 'Version ', versionSel),
  el('label', {}, 'Machine type ', machineSel),
  el('label', {}, 'Show ', formatSel),
  el('label', { class: 'check' }, absentBox, ' absent fields'),
  resetBtn,
  sizes,
);
const banner = el('div', { id: 'banner', class: 'banner', role: 'alert', hidden: '' });
const empty = el('div', { id: 'empty', class: 'empty', hidden: '' });
const cols = el('div', { class: 'grid-head', role: 'row' });
const headWrap = el('div', { class: 'head-wrap', 'aria-hidden': 'true' }, cols);
const tree = el('div', { id: 'tree', class: 'tree vlist', role: 'treegrid', tabindex: '0', 'aria-label': 'Structure: fields, elements and subsections' });
const details = el('section', { id: 'details', class: 'details', 'aria-label': 'Selected field', 'aria-live': 'polite' });
const hexQemu = el('div', { id: 'hex-qemu', class: 'hex vlist', role: 'grid', tabindex: '0', 'data-format': 'qemu', 'aria-label': 'QEMU wire bytes' });
const hexCbor = el('div', { id: 'hex-cbor', class: 'hex vlist', role: 'grid', tabindex: '0', 'data-format': 'cbor', 'aria-label': 'CBOR item bytes' });
const sizeQemu = el('span', { class: 'size', id: 'size-qemu' });
const sizeCbor = el('span', { class: 'size', id: 'size-cbor' });
const tabAnnotated = el('button', { id: 'tab-annotated', role: 'tab', type: 'button', 'aria-controls': 'cbor-annotated', 'aria-selected': 'true' }, 'Annotated hex');
const tabDiagnostic = el('button', { id: 'tab-diagnostic', role: 'tab', type: 'button', 'aria-controls': 'cbor-diagnostic', 'aria-selected': 'false', tabindex: '-1' }, 'Diagnostic notation');
const annotated = el('div', { id: 'cbor-annotated', class: 'lines vlist', role: 'listbox', tabindex: '0', 'aria-label': 'CBOR heads, one a line' });
const diagnostic = el('div', { id: 'cbor-diagnostic', class: 'lines vlist', role: 'listbox', tabindex: '0', 'aria-label': 'CBOR diagnostic notation', hidden: '' });
const paneQemu = el('section', { id: 'pane-qemu', class: 'pane', 'aria-label': 'QEMU wire format' }, el('h2', {}, 'QEMU wire ', sizeQemu), hexQemu);
const paneCbor = el(
  'section',
  { id: 'pane-cbor', class: 'pane', 'aria-label': 'CBOR item' },
  el('h2', {}, 'CBOR item ', sizeCbor),
  hexCbor,
  el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'CBOR explained' }, tabAnnotated, tabDiagnostic),
  annotated,
  diagnostic,
);
const live = el('div', { id: 'live', class: 'sr-only', 'aria-live': 'polite' });
/** Suggestions for the value editors (enum members, true/false). */
const suggestions = el('datalist', { id: 'value-options' });
const content = el('main', { id: 'content', class: 'content' }, el('section', { class: 'structure', 'aria-label': 'Structure' }, headWrap, tree), details, el('div', { class: 'panes' }, paneQemu, paneCbor));
app.append(progress, toolbar, banner, empty, content, live, suggestions);

const treeList = new VirtualList(tree, renderRow, paintTree, 400);
const panes: Record<Format, Pane> = {
  qemu: { format: 'qemu', list: new VirtualList(hexQemu, (i) => renderHexRow('qemu', i), () => paintHex('qemu'), 64), bytes: new Uint8Array(), caret: -1 },
  cbor: { format: 'cbor', list: new VirtualList(hexCbor, (i) => renderHexRow('cbor', i), () => paintHex('cbor'), 64), bytes: new Uint8Array(), caret: -1 },
};
const annotatedList = new VirtualList(annotated, (i) => renderLine('annotated', i), () => paintLines('annotated'), 400);
const diagnosticList = new VirtualList(diagnostic, (i) => renderLine('diagnostic', i), () => paintLines('diagnostic'), 400);

// ---- helpers ----

function primary(): PreviewResult | undefined {
  return st.good?.qemu ?? st.good?.cbor;
}

function enums(): PreviewResult['enums'] {
  return primary()?.enums ?? {};
}

function reveal(n: Node | undefined, focus: boolean): void {
  if (n?.source !== undefined) post({ kind: 'reveal', source: n.source, focus });
}

function announce(text: string): void {
  live.textContent = text;
}

function nodeSummary(n: Node): string {
  const r = n.ranges.qemu ?? n.ranges.cbor;
  const v = showValue(n.edit, n.type, n.value, enums());
  return `${n.path || n.label}${n.type ? ` (${n.type})` : ''}${v ? ` = ${v}` : ''}${r ? `, bytes ${r.start} to ${r.end}` : n.present ? '' : ', absent'}`;
}

function presenceText(n: Node): string {
  const p = n.presence;
  if (!p) return '';
  if (!p.present) return `absent: ${p.detail}`;
  return p.reason === 'always' ? '' : p.detail;
}

/** What a value without edits depends on: the description, version, machine type and opaque answers. */
function valueKey(): string {
  const p = primary();
  return p ? JSON.stringify([p.description, p.version, p.machine, st.opaque]) : '';
}

/** An error message without the path it starts with (it is shown at that path). */
function bare(message: string, path: string): string {
  return message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
}

// ---- options → extension ----

function sendOptions(): void {
  const p = primary() ?? st.view?.results.qemu ?? st.view?.results.cbor;
  if (!p) return;
  const base = st.pristine?.key === valueKey() ? st.pristine.value : p.value;
  const { value, dropped } = valueParam(st.edits.values(), base);
  for (const d of dropped) st.edits.delete(keyOfEdit(d));
  const options: PreviewOptions = { description: p.description };
  if (st.version !== undefined) options.version = st.version;
  if (st.machine !== undefined) options.machine = st.machine;
  if (st.format !== undefined) options.format = st.format;
  if (value !== undefined) options.value = value;
  if (Object.keys(st.opaque).length) options.opaque = { ...st.opaque };
  if (st.edits.size) options.edits = [...st.edits.values()];
  post({ kind: 'options', options });
  document.body.classList.add('busy');
}

function keyOfEdit(e: Edit): string {
  for (const [k, v] of st.edits) if (v === e) return k;
  return '';
}

// ---- updates from the extension ----

function update(view: PreviewView): void {
  const p = view.results.qemu ?? view.results.cbor;
  if (!p) return;
  const prev = primary();
  if (!prev || prev.description !== p.description) {
    // Another description: its own versions, values and answers.
    st.edits.clear();
    st.editErrors.clear();
    st.opaque = {};
    st.version = undefined;
    st.machine = undefined;
    st.overrides.clear();
    st.selected = undefined;
    st.pristine = undefined;
    st.good = undefined;
    for (const f of FORMATS) panes[f].caret = -1;
    // Coming back to a description: the panel's edits and answers for it, as the extension kept them.
    if (view.options?.description === p.description) {
      st.opaque = { ...(view.options.opaque ?? {}) };
      for (const e of view.options.edits ?? []) st.edits.set(keyOf(e.at), e);
    }
  }
  st.view = view;
  if (view.options?.description === p.description) {
    st.version = view.options.version;
    st.machine = view.options.machine;
    st.format = view.options.format;
  }
  st.error = p.error;
  // A value the server refused makes no bytes: the last state that encoded stays in view.
  if (!p.error || !st.good) {
    st.good = view.results;
    const old = st.selected;
    st.model = buildModel(view.results);
    st.selected = carryOver(st.model, old);
    st.hovered = undefined;
    if (!p.error && view.options?.value === undefined) st.pristine = { key: valueKey(), value: p.value };
    for (const f of FORMATS) {
      const r = view.results[f];
      panes[f].bytes = r ? hexToBytes(r.bytes) : new Uint8Array();
      panes[f].map = r ? byteMap(st.model, f) : undefined;
      if (panes[f].caret >= panes[f].bytes.length) panes[f].caret = panes[f].bytes.length - 1;
    }
    st.cborLines = [];
    st.diagLines = [];
    const cb = panes.cbor.bytes;
    if (view.results.cbor && cb.length) {
      try {
        const item = parseCbor(cb);
        st.cborLines = annotatedLines(cb, item);
        st.diagLines = diagnosticLines(cb, item);
      } catch (e) {
        st.diagLines = [{ depth: 0, text: `(not decoded: ${(e as Error).message})`, start: -1, end: -1 }];
      }
    }
  }
  // An edit of a field the chosen version or machine type does not send is dropped, and the value asked again.
  if (p.error?.path && / expected no `/.test(p.error.message)) {
    const gone = [...st.edits].find(([, e]) => e.path === p.error!.path);
    if (gone) {
      st.edits.delete(gone[0]);
      announce(`${gone[1].path}: edit dropped (${p.error.message.replace(/^[^:]*: /, '')})`);
      sendOptions();
      return;
    }
  }
  // An edit the server refused stays, with the message at its field.
  st.editErrors.clear();
  if (p.error?.path) {
    const n = st.model && nodeForPath(st.model, p.error.path);
    if (n) st.editErrors.set(n.key, p.error.message);
  }
  document.body.classList.remove('busy');
  empty.hidden = true;
  content.hidden = false;
  toolbar.hidden = false;
  renderAll();
}

function renderAll(): void {
  const p = primary();
  const v = st.view;
  if (!p || !v || !st.model) return;
  title.textContent = `${p.description}`;
  title.title = `${p.description} (wire name ${p.wireName}) in ${v.file}`;
  // Version and machine type as the results were made.
  versionSel.replaceChildren(...p.versions.map((x) => el('option', { value: String(x), text: x === p.versions[p.versions.length - 1] ? `${x} (current)` : String(x) })));
  versionSel.value = String(st.version ?? p.version);
  versionSel.disabled = p.versions.length < 2;
  const machines = p.machines.length ? p.machines : [];
  machineSel.replaceChildren(...(machines.length ? machines.map((m) => el('option', { value: m, text: m })) : [el('option', { value: '', text: '(no machine types)' })]));
  machineSel.value = st.machine ?? p.machine ?? '';
  machineSel.disabled = !machines.length;
  formatSel.value = v.format;
  resetBtn.disabled = !st.edits.size && !Object.keys(st.opaque).length;
  sizes.textContent = `QEMU ${sizeLabel(p.sizes.qemu)} · CBOR ${sizeLabel(p.sizes.cbor)}${v.truncated ? ' · annotations cut' : ''}`;
  sizeQemu.textContent = sizeLabel(p.sizes.qemu);
  sizeCbor.textContent = sizeLabel(p.sizes.cbor);
  paneQemu.hidden = !v.results.qemu;
  paneCbor.hidden = !v.results.cbor;
  document.body.dataset.format = v.format;
  // Errors: the server's, at the top (and at their field), the stale state below.
  if (st.error) showBanner(`${st.error.message}${st.good !== v.results ? ' — showing the last state that encoded.' : ''}`, false);
  else hideBanner();
  renderHead();
  renderTree();
  for (const f of FORMATS) {
    panes[f].list.setCount(rowCount(panes[f].bytes.length));
  }
  annotatedList.setCount(st.cborLines.length);
  diagnosticList.setCount(st.diagLines.length);
  renderDetails();
}

function showBanner(text: string, retry: boolean): void {
  banner.replaceChildren(el('span', { class: 'message', text }));
  if (retry) {
    const b = el('button', { type: 'button', id: 'retry' }, 'Retry');
    b.addEventListener('click', () => post({ kind: 'retry' }));
    banner.append(b);
  }
  banner.hidden = false;
}

function hideBanner(): void {
  banner.hidden = true;
  banner.replaceChildren();
}

// ---- the tree table ----

function columns(): string[] {
  const c = ['name', 'value', 'type'];
  if (st.good?.qemu) c.push('qemu-off', 'qemu-size');
  if (st.good?.cbor) c.push('cbor-off', 'cbor-size');
  c.push('why');
  return c;
}

const HEADS: Record<string, [string, string]> = {
  name: ['Name', 'Field, element or subsection'],
  value: ['Value', 'The sample value (F2 or double click to edit)'],
  type: ['Type', 'Wire type'],
  'qemu-off': ['QEMU', 'Offset in the QEMU wire bytes'],
  'qemu-size': ['Size', 'Bytes in the QEMU wire format'],
  'cbor-off': ['CBOR', 'Offset in the CBOR item'],
  'cbor-size': ['Size', 'Bytes in the CBOR item'],
  why: ['Present / absent because', 'Why it is sent or not at this version and machine type'],
};
const WIDTHS: Record<string, string> = { name: 'minmax(13em, 2fr)', value: 'minmax(9em, 1.6fr)', type: 'minmax(6em, 0.8fr)', 'qemu-off': '5.5em', 'qemu-size': '3.5em', 'cbor-off': '5.5em', 'cbor-size': '3.5em', why: 'minmax(12em, 2.4fr)' };

function renderHead(): void {
  const c = columns();
  const template = c.map((x) => WIDTHS[x]).join(' ');
  tree.style.setProperty('--cols', template);
  cols.style.setProperty('--cols', template);
  cols.replaceChildren(...c.map((x) => el('span', { class: `cell ${x}`, text: HEADS[x][0], title: HEADS[x][1] })));
}

function renderTree(): void {
  if (!st.model) return;
  st.rows = visibleRows(st.model, st.overrides, st.showAbsent);
  tree.setAttribute('aria-rowcount', String(st.rows.length));
  treeList.setCount(st.rows.length);
}

function renderRow(i: number): HTMLElement {
  const n = st.rows[i];
  const row = el('div', { class: 'row', role: 'row', id: `row-${i}`, 'data-key': n.key, 'data-path': n.path, 'aria-level': String(n.depth + 1), 'aria-rowindex': String(i + 1) });
  if (n.children.length) row.setAttribute('aria-expanded', String(isExpanded(n, st.overrides)));
  if (!n.present) row.classList.add('absent');
  if (n.colour !== undefined) row.dataset.colour = String(n.colour);
  const name = el('span', { role: 'gridcell', class: 'cell name' });
  name.style.paddingLeft = `${n.depth * 14 + 4}px`;
  const twisty = el('span', { class: 'twisty', 'aria-hidden': 'true', text: n.children.length ? (isExpanded(n, st.overrides) ? '▾' : '▸') : '' });
  name.append(twisty, el('span', { class: `swatch${n.colour !== undefined ? ` c${n.colour}` : ''}`, 'aria-hidden': 'true' }), el('span', { class: 'label', text: n.label }));
  if (n.kind === 'subsection') name.append(el('span', { class: 'badge', text: 'subsection' }));
  if (n.kind === 'unused') name.append(el('span', { class: 'badge', text: 'unused' }));
  const cells: HTMLElement[] = [name];
  const edit = st.edits.get(n.key);
  const err = st.editErrors.get(n.key);
  const value = el('span', { role: 'gridcell', class: 'cell value' });
  if (err) {
    value.classList.add('error');
    value.append(el('span', { class: 'typed', text: edit?.text ?? '' }), el('span', { class: 'error-text', text: ` ⚠ ${bare(err, n.path)}` }));
    value.title = err;
  } else {
    const shownValue = n.present ? showValue(n.edit, n.type, n.value, enums()) : '';
    value.textContent = shownValue;
    value.title = shownValue;
    if (edit) value.classList.add('edited');
  }
  if (n.edit && n.present) value.classList.add('editable');
  cells.push(value);
  cells.push(el('span', { role: 'gridcell', class: 'cell type', text: n.kind === 'root' ? `version ${primary()?.version ?? ''}` : (n.type ?? '') }));
  for (const f of FORMATS) {
    if (!st.good?.[f]) continue;
    const r = n.ranges[f];
    cells.push(el('span', { role: 'gridcell', class: `cell num ${f}-off`, text: r ? String(r.start) : '' }));
    cells.push(el('span', { role: 'gridcell', class: `cell num ${f}-size`, text: r ? String(r.end - r.start) : '' }));
  }
  const why = presenceText(n);
  cells.push(el('span', { role: 'gridcell', class: `cell why${n.presence ? ` reason-${n.presence.reason}` : ''}`, text: why, title: n.presence?.detail ?? '' }));
  row.append(...cells);
  if (st.editing?.key === n.key) {
    value.replaceChildren(st.editing.input);
    if (err) value.append(el('span', { class: 'error-text', text: ' ⚠', title: err }));
    queueMicrotask(() => st.editing?.input.focus());
  }
  return row;
}

function paintTree(): void {
  for (const [i, row] of treeList.rows()) {
    const n = st.rows[i];
    const sel = n === st.selected;
    row.classList.toggle('selected', sel);
    row.setAttribute('aria-selected', String(sel));
    row.classList.toggle('hovered', n === st.hovered);
  }
  const i = st.selected ? st.rows.indexOf(st.selected) : -1;
  if (i >= 0) tree.setAttribute('aria-activedescendant', `row-${i}`);
  else tree.removeAttribute('aria-activedescendant');
}

function toggle(n: Node): void {
  st.overrides.set(n.key, !isExpanded(n, st.overrides));
  renderTree();
}

// ---- hex ----

function renderHexRow(f: Format, r: number): HTMLElement {
  const pane = panes[f];
  const b = pane.bytes;
  const start = r * BYTES_PER_ROW;
  const end = Math.min(b.length, start + BYTES_PER_ROW);
  const row = el('div', { class: 'hrow', role: 'row' });
  const hex = el('span', { class: 'bytes' });
  const ascii = el('span', { class: 'ascii', 'aria-hidden': 'true' });
  for (let o = start; o < end; o++) {
    const info = pane.map && st.model ? byteInfo(st.model, pane.map, o) : { role: 'none' as const };
    const cls = `b ${info.role}${'colour' in info && info.colour !== undefined ? ` c${info.colour}` : ''}`;
    const cell = el('span', { class: cls, role: 'gridcell', id: `${f}-b-${o}`, 'data-offset': String(o), text: hexByte(b[o]) });
    if (info.node) cell.dataset.path = info.node.path;
    hex.append(cell);
    ascii.append(el('span', { class: `a ${cls.slice(2)}`, 'data-offset': String(o), text: asciiChar(b[o]) }));
  }
  row.append(el('span', { class: 'off', role: 'rowheader', text: offsetLabel(start, b.length) }), hex, ascii);
  return row;
}

function paintHex(f: Format): void {
  const pane = panes[f];
  const sel = st.selected;
  const hov = st.hovered;
  for (const row of pane.list.rows().values()) {
    for (const c of row.querySelectorAll<HTMLElement>('[data-offset]')) {
      const o = Number(c.dataset.offset);
      c.classList.toggle('sel', inNode(sel, f, o) && sel?.kind !== 'root');
      c.classList.toggle('hov', inNode(hov, f, o) && hov?.kind !== 'root');
      c.classList.toggle('caret', o === pane.caret);
    }
  }
  if (pane.caret >= 0 && document.getElementById(`${f}-b-${pane.caret}`)) pane.list.container.setAttribute('aria-activedescendant', `${f}-b-${pane.caret}`);
  else pane.list.container.removeAttribute('aria-activedescendant');
}

function nodeAtByte(f: Format, o: number): Node | undefined {
  const map = panes[f].map;
  if (!map || !st.model || o < 0 || o >= map.length) return undefined;
  return byteInfo(st.model, map, o).node;
}

function byteTitle(f: Format, o: number): string {
  const map = panes[f].map;
  if (!map || !st.model) return '';
  const info = byteInfo(st.model, map, o);
  const at = `offset ${o} (0x${o.toString(16)})`;
  if (info.marker) return `${at}: CBOR header ${info.marker.path} = ${info.marker.value ?? ''}`;
  if (!info.node) return at;
  const what = info.role === 'key' ? 'map key of ' : info.role === 'frame' ? (f === 'qemu' ? 'header of ' : 'CBOR head of ') : '';
  return `${at}: ${what}${nodeSummary(info.node)}`;
}

// ---- CBOR lines ----

function renderLine(which: 'annotated' | 'diagnostic', i: number): HTMLElement {
  const row = el('div', { class: 'line', role: 'option', id: `${which}-line-${i}` });
  if (which === 'annotated') {
    const l = st.cborLines[i];
    row.dataset.start = String(l.start);
    row.dataset.end = String(l.end);
    const hex = el('span', { class: 'lhex', text: l.hex });
    hex.style.paddingLeft = `${l.depth * 2}ch`;
    row.append(hex, el('span', { class: 'lcomment', text: `# ${l.comment}` }));
  } else {
    const l = st.diagLines[i];
    row.dataset.start = String(l.start);
    row.dataset.end = String(l.end);
    const t = el('span', { class: 'ltext', text: l.text });
    t.style.paddingLeft = `${l.depth * 2}ch`;
    row.append(t);
  }
  return row;
}

function paintLines(which: 'annotated' | 'diagnostic'): void {
  const list = which === 'annotated' ? annotatedList : diagnosticList;
  const r = st.selected && st.selected.kind !== 'root' ? st.selected.ranges.cbor : undefined;
  const k = st.selected?.keyRange;
  const within = (s: number) => s >= 0 && ((r && s >= r.start && s < r.end) || (k && s >= k.start && s < k.end));
  for (const [i, row] of list.rows()) {
    const s = Number(row.dataset.start);
    row.classList.toggle('sel', !!within(s));
    row.setAttribute('aria-selected', String(i === st.lineCaret[which]));
    row.classList.toggle('caret', i === st.lineCaret[which]);
  }
  const c = st.lineCaret[which];
  if (c >= 0 && document.getElementById(`${which}-line-${c}`)) list.container.setAttribute('aria-activedescendant', `${which}-line-${c}`);
  else list.container.removeAttribute('aria-activedescendant');
}

function lineIndexFor(which: 'annotated' | 'diagnostic', n: Node): number {
  const r = n.keyRange ?? n.ranges.cbor;
  if (!r) return -1;
  const lines = which === 'annotated' ? st.cborLines : st.diagLines;
  return lines.findIndex((l) => l.start >= r.start && l.start < Math.max(r.end, r.start + 1));
}

// ---- details of the selection ----

function renderDetails(): void {
  const n = st.selected;
  const p = primary();
  if (!n || !p || !st.model) {
    details.replaceChildren(el('p', { class: 'hint', text: 'Select a field in the table or a byte in the hex view. Enter reveals its declaration; F2 or a double click edits its value.' }));
    return;
  }
  const out: Array<HTMLElement> = [];
  const head = el('div', { class: 'dhead' }, el('strong', { class: 'dpath', text: n.path || n.label }), el('span', { class: 'dtype', text: n.type ? ` ${n.type}` : '' }));
  if (n.source !== undefined) {
    const src = p.sources[n.source];
    const b = el('button', { type: 'button', class: 'link', id: 'reveal', title: 'Reveal the declaration in the editor (Enter)' }, `${src.uri.replace(/^.*\//, '')}:${src.nameRange.start.line + 1}:${src.nameRange.start.character + 1}`);
    b.addEventListener('click', () => reveal(n, true));
    head.append(' — ', b);
  }
  out.push(head);
  const ranges: string[] = [];
  for (const f of FORMATS) {
    const r = n.ranges[f];
    if (r && st.good?.[f]) ranges.push(`${f === 'qemu' ? 'QEMU' : 'CBOR'} bytes ${rangeLabel(r)}${f === 'cbor' && n.keyRange ? `, key at ${n.keyRange.start}` : ''}`);
  }
  if (ranges.length) out.push(el('div', { class: 'dline', text: ranges.join(' · ') }));
  const err = st.editErrors.get(n.key);
  if (err && !(n.edit && n.present)) out.push(el('div', { class: 'dline error-text', role: 'alert', text: err }));
  if (n.presence) {
    const pr = n.presence;
    const line = el('div', { class: `dline presence ${pr.present ? 'present' : 'absent'}`, text: `${pr.present ? 'Present' : 'Absent'} (${pr.reason}): ${pr.detail}` });
    out.push(line);
    if (pr.reason === 'opaque') {
      const box = el('input', { type: 'checkbox', id: 'opaque-answer' });
      box.checked = st.opaque[pr.path] ?? pr.present;
      box.addEventListener('change', () => {
        st.opaque[pr.path] = box.checked;
        sendOptions();
      });
      out.push(el('label', { class: 'dline check' }, box, ` Assume the opaque test holds for ${pr.path}`));
    }
  }
  if (n.present && n.value !== undefined) {
    const extra: string[] = [showValue(n.edit, n.type, n.value, enums())];
    if (n.edit === 'int' && /^-?\d+$/.test(n.value)) extra.push(hexOf(BigInt(n.value), n.type));
    out.push(el('div', { class: 'dline', text: `Value ${[...new Set(extra)].join(' = ')}${st.edits.has(n.key) ? ' (edited)' : ''}` }));
  }
  if (n.edit && n.present) out.push(valueEditor(n));
  details.replaceChildren(...out);
}

/** The details' value editor: the same commit as the table's in-place editor. */
function valueEditor(n: Node): HTMLElement {
  const input = editorInput(n, 'detail-value');
  const apply = el('button', { type: 'button', id: 'apply-value' }, 'Apply');
  apply.addEventListener('click', () => commit(n, input.value));
  const revert = el('button', { type: 'button', class: 'secondary', id: 'revert-value' }, 'Default');
  revert.disabled = !st.edits.has(n.key);
  revert.addEventListener('click', () => revertEdit(n));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      commit(n, input.value);
    }
  });
  const err = st.editErrors.get(n.key);
  const box = el('div', { class: 'editor' }, el('label', { for: 'detail-value', text: 'Sample value ' }), input, apply, revert);
  if (err) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'value-error');
    box.append(el('div', { class: 'input-error', id: 'value-error', role: 'alert', text: err }));
  }
  return box;
}

function editorInput(n: Node, id: string): HTMLInputElement {
  const p = primary();
  const json = p ? getAt(p.value, n.at) : undefined;
  const pending = st.edits.get(n.key);
  const input = el('input', { id, class: 'value-input', type: 'text', spellcheck: 'false', 'aria-label': `Value of ${n.path}` });
  input.value = pending && st.editErrors.has(n.key) ? pending.text : editText(n.edit!, n.type ?? '', n.value, json, enums());
  const hint = n.edit === 'enum' ? (enums()[n.type ?? '']?.members ?? []).map((m) => m.name) : n.edit === 'bool' ? ['true', 'false'] : [];
  if (hint.length) {
    suggestions.replaceChildren(...hint.map((h) => el('option', { value: h })));
    input.setAttribute('list', suggestions.id);
  }
  input.placeholder = n.edit === 'int' ? 'decimal or 0x…' : n.edit === 'hex' ? 'hex bytes' : '';
  return input;
}

function commit(n: Node, text: string): void {
  const p = primary();
  const json = p ? getAt(p.value, n.at) : undefined;
  const bytes = n.edit === 'hex' && typeof json === 'string' ? json.length / 2 : undefined;
  const parsed = parseEdit(n.edit!, n.type ?? '', text, enums(), bytes);
  if (!parsed.ok) {
    st.editErrors.set(n.key, parsed.message);
    announce(`${n.path}: ${parsed.message}`);
    renderDetails();
    if (st.editing?.key === n.key) {
      st.editing.input.setAttribute('aria-invalid', 'true');
      st.editing.input.title = parsed.message;
    }
    treeList.refresh();
    return;
  }
  st.editErrors.delete(n.key);
  st.edits.set(n.key, { at: n.at, path: n.path, json: parsed.json, text });
  stopEditing(false);
  sendOptions();
  renderDetails();
  treeList.refresh();
}

function revertEdit(n: Node): void {
  st.edits.delete(n.key);
  st.editErrors.delete(n.key);
  sendOptions();
}

function startEditing(n: Node): void {
  if (!n.edit || !n.present) return;
  stopEditing(false);
  const input = editorInput(n, 'cell-value');
  input.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Enter') {
      e.preventDefault();
      commit(n, input.value);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      stopEditing(true);
    }
  });
  input.addEventListener('blur', () => {
    // Leaving the cell keeps what was typed only when it was applied.
    setTimeout(() => {
      if (st.editing?.input === input && document.activeElement !== input) stopEditing(false);
    }, 0);
  });
  st.editing = { key: n.key, input };
  treeList.refresh();
  input.select();
}

function stopEditing(refocus: boolean): void {
  if (!st.editing) return;
  st.editing = undefined;
  treeList.refresh();
  if (refocus) tree.focus();
}

// ---- selection ----

interface SelectHow {
  reveal?: 'no' | 'quiet' | 'focus';
  /** Where the selection came from: that view is not scrolled. */
  from?: 'tree' | Format | 'annotated' | 'diagnostic' | 'cursor';
}

function select(n: Node | undefined, how: SelectHow = {}): void {
  st.selected = n;
  if (n) {
    const before = st.overrides.size;
    revealNode(n, st.overrides);
    if (st.overrides.size !== before || (!st.showAbsent && !n.present)) {
      if (!n.present && !st.showAbsent) {
        st.showAbsent = true;
        absentBox.checked = true;
      }
      renderTree();
    }
    if (how.from !== 'tree') treeList.scrollTo(st.rows.indexOf(n), true);
    for (const f of FORMATS) {
      const r = n.ranges[f];
      const pane = panes[f];
      if (!r || !st.good?.[f] || n.kind === 'root') continue;
      if (how.from !== f && !inNode(n, f, pane.caret)) pane.caret = Math.min(r.start, pane.bytes.length - 1);
      if (how.from !== f && pane.caret >= 0) pane.list.scrollTo(Math.floor(pane.caret / BYTES_PER_ROW), true);
    }
    for (const which of ['annotated', 'diagnostic'] as const) {
      if (how.from === which) continue;
      const i = lineIndexFor(which, n);
      if (i >= 0) {
        st.lineCaret[which] = i;
        (which === 'annotated' ? annotatedList : diagnosticList).scrollTo(i, true);
      }
    }
    announce(nodeSummary(n));
    if (how.reveal && how.reveal !== 'no') reveal(n, how.reveal === 'focus');
  }
  paintAll();
  renderDetails();
}

function hover(n: Node | undefined): void {
  if (n === st.hovered) return;
  st.hovered = n;
  paintAll();
}

function paintAll(): void {
  paintTree();
  for (const f of FORMATS) paintHex(f);
  paintLines('annotated');
  paintLines('diagnostic');
}

// ---- events: toolbar ----

versionSel.addEventListener('change', () => {
  st.version = Number(versionSel.value);
  sendOptions();
});
machineSel.addEventListener('change', () => {
  st.machine = machineSel.value || undefined;
  sendOptions();
});
formatSel.addEventListener('change', () => {
  st.format = formatSel.value as FormatSetting;
  sendOptions();
});
absentBox.addEventListener('change', () => {
  st.showAbsent = absentBox.checked;
  renderTree();
});
resetBtn.addEventListener('click', () => {
  st.edits.clear();
  st.editErrors.clear();
  st.opaque = {};
  sendOptions();
});

// ---- events: tree ----

function rowNode(target: EventTarget | null): Node | undefined {
  const row = (target as HTMLElement | null)?.closest?.('.row') as HTMLElement | null;
  return row ? st.model?.byKey.get(row.dataset.key ?? '') : undefined;
}

tree.addEventListener('click', (e) => {
  const n = rowNode(e.target);
  if (!n) return;
  if ((e.target as HTMLElement).classList.contains('twisty')) {
    toggle(n);
    return;
  }
  if ((e.target as HTMLElement).closest('.value-input')) return;
  select(n, { reveal: 'quiet', from: 'tree' });
});
tree.addEventListener('dblclick', (e) => {
  const n = rowNode(e.target);
  if (n && (e.target as HTMLElement).closest('.cell.value')) startEditing(n);
  else if (n?.children.length) toggle(n);
});
tree.addEventListener('mouseover', (e) => hover(rowNode(e.target)));
tree.addEventListener('mouseleave', () => hover(undefined));
tree.addEventListener('scroll', () => {
  headWrap.scrollLeft = tree.scrollLeft;
});
tree.addEventListener('keydown', (e) => {
  if (!st.model || st.editing) return;
  const n = st.selected;
  if (e.key === 'Enter') {
    e.preventDefault();
    reveal(n, true);
    return;
  }
  if (e.key === 'F2' && n) {
    e.preventDefault();
    startEditing(n);
    return;
  }
  if (e.key === ' ' && n?.children.length) {
    e.preventDefault();
    toggle(n);
    return;
  }
  const move = treeKey(st.rows, n && st.rows.includes(n) ? n : undefined, e.key, st.overrides, treeList.pageRows);
  if (move.toggle) {
    e.preventDefault();
    toggle(move.toggle);
    paintAll();
  } else if (move.select) {
    e.preventDefault();
    select(move.select, { from: 'tree' });
    treeList.scrollTo(st.rows.indexOf(move.select));
    paintTree();
  }
});

// ---- events: hex panes ----

for (const f of FORMATS) {
  const c = panes[f].list.container;
  const offsetOf = (t: EventTarget | null) => {
    const cell = (t as HTMLElement | null)?.closest?.('[data-offset]') as HTMLElement | null;
    return cell ? Number(cell.dataset.offset) : -1;
  };
  c.addEventListener('click', (e) => {
    const o = offsetOf(e.target);
    if (o < 0) return;
    panes[f].caret = o;
    c.focus();
    select(nodeAtByte(f, o), { reveal: 'quiet', from: f });
  });
  c.addEventListener('mouseover', (e) => {
    const o = offsetOf(e.target);
    if (o < 0) return;
    (e.target as HTMLElement).title = byteTitle(f, o);
    hover(nodeAtByte(f, o));
  });
  c.addEventListener('mouseleave', () => hover(undefined));
  c.addEventListener('keydown', (e) => {
    const pane = panes[f];
    if (e.key === 'Enter') {
      e.preventDefault();
      reveal(st.selected, true);
      return;
    }
    const next = pane.caret < 0 && pane.bytes.length && e.key.startsWith('Arrow') ? 0 : caretMove(pane.caret, e.key, pane.bytes.length, pane.list.pageRows, e.ctrlKey || e.metaKey);
    if (next === undefined) return;
    e.preventDefault();
    pane.caret = next;
    pane.list.scrollTo(Math.floor(next / BYTES_PER_ROW));
    select(nodeAtByte(f, next), { from: f });
    announce(byteTitle(f, next));
  });
}

// ---- events: CBOR lines ----

for (const [which, list] of [
  ['annotated', annotatedList],
  ['diagnostic', diagnosticList],
] as const) {
  const c = list.container;
  const lines = () => (which === 'annotated' ? st.cborLines : st.diagLines);
  const pick = (i: number, how: SelectHow) => {
    const l = lines()[i];
    if (!l) return;
    st.lineCaret[which] = i;
    list.scrollTo(i);
    if (l.start >= 0) select(nodeAtByte('cbor', l.start), how);
    else paintLines(which);
  };
  c.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest('.line') as HTMLElement | null;
    if (!row) return;
    c.focus();
    pick(Number(row.id.replace(/^.*-/, '')), { reveal: 'quiet', from: which });
  });
  c.addEventListener('keydown', (e) => {
    const cur = st.lineCaret[which];
    const n = lines().length;
    let next: number | undefined;
    if (e.key === 'ArrowDown') next = Math.min(n - 1, cur + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, cur - 1);
    else if (e.key === 'PageDown') next = Math.min(n - 1, cur + list.pageRows);
    else if (e.key === 'PageUp') next = Math.max(0, cur - list.pageRows);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Enter') {
      e.preventDefault();
      reveal(st.selected, true);
      return;
    }
    if (next === undefined || next < 0) return;
    e.preventDefault();
    pick(next, { from: which });
  });
}

function showTab(which: 'annotated' | 'diagnostic'): void {
  st.cborTab = which;
  annotated.hidden = which !== 'annotated';
  diagnostic.hidden = which !== 'diagnostic';
  tabAnnotated.setAttribute('aria-selected', String(which === 'annotated'));
  tabDiagnostic.setAttribute('aria-selected', String(which === 'diagnostic'));
  tabAnnotated.tabIndex = which === 'annotated' ? 0 : -1;
  tabDiagnostic.tabIndex = which === 'diagnostic' ? 0 : -1;
  const list = which === 'annotated' ? annotatedList : diagnosticList;
  list.measure();
  list.refresh();
  // Hidden, it could not scroll to the selection.
  if (st.lineCaret[which] >= 0) list.scrollTo(st.lineCaret[which], true);
}
tabAnnotated.addEventListener('click', () => showTab('annotated'));
tabDiagnostic.addEventListener('click', () => showTab('diagnostic'));
for (const t of [tabAnnotated, tabDiagnostic]) {
  t.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    const next = st.cborTab === 'annotated' ? 'diagnostic' : 'annotated';
    showTab(next);
    (next === 'annotated' ? tabAnnotated : tabDiagnostic).focus();
  });
}

// ---- messages ----

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  switch (m.kind) {
    case 'update':
      update(m.view);
      break;
    case 'empty':
      document.body.classList.remove('busy');
      st.view = undefined;
      content.hidden = true;
      toolbar.hidden = true;
      hideBanner();
      empty.hidden = false;
      empty.replaceChildren(el('p', { text: m.message }), el('p', { class: 'hint', text: 'The preview follows the cursor: put it inside a `vmstate` declaration.' }));
      break;
    case 'failure':
      document.body.classList.remove('busy');
      showBanner(m.message, true);
      break;
    case 'busy':
      document.body.classList.toggle('busy', m.busy);
      break;
    case 'cursor': {
      if (!st.model) break;
      const n = nodeForSources(st.model, m.sources, st.selected);
      if (n && n !== st.selected) select(n, { from: 'cursor' });
      break;
    }
  }
});

renderDetails();
content.hidden = true;
toolbar.hidden = true;
empty.hidden = false;
empty.replaceChildren(el('p', { text: 'Loading the preview…' }));
post({ kind: 'ready' });
