import { attr, cls, h, text } from './dom';
import { decodedByText, errorReason, errorText, formatCount, formatSize, hexOffset, locationText, machineText, ramRows, sectionLabel, sectionName, sectionSize } from './format';
import { BYTES_PER_ROW, byteChar, byteHex, byteRole, ByteContext, formatOffset, moveCursor, offsetDigits, paintAnnotations, parseHex, rowCount, rowOf, sectionAt, tone } from './hex-layout';
import { PageCache, pagesFor } from './page-cache';
import type { DecodeParams, DecodeResult, DescriptionLocation, FromExtension, FromWebview, SectionSummary, StreamAnnotation } from './protocol';
import { DecodeRpc, ServerError } from './rpc';
import { chainTo, CHUNK, itemOfAnnotation, JsonTreeSource, parentKeyOf, ROOT, sectionPath, TreeModel, treeKey, TreeRow } from './tree-model';
import { VirtualView } from './virtual-view';

/**
 * The migration stream viewer's page: the sections list, the decoded state tree of the
 * selected section, the annotated hex of the file, the RAM summary and decode errors.
 * Everything is asked of the language server a page at a time (rpc.ts, through the
 * extension); only the rows on screen are in the DOM (virtual-view.ts).
 *
 * Hooks for end-to-end tests: `#app[data-state=ready]` once decoded (`data-revision`
 * changes on every new decode); section rows `.section-row[data-index][data-idstr]`;
 * `#section-filter` filters them; tree rows `.tree-row[data-path][data-start][data-end]`
 * with `.tree-value`; hex bytes `.hex-byte[data-offset]` (`.selected` for the selection).
 */

const SECTION_PAGE = 100;
const HEX_PAGE = 1024;
const LIST_ROW = 22;
const TREE_ROW = 22;
const HEX_ROW = 20;

interface HexPage {
  start: number;
  end: number;
  bytes: Uint8Array;
  annotations: StreamAnnotation[];
  /** Per byte: the innermost annotation (index into `annotations`), or -1. */
  paint: Int32Array;
  sections: SectionSummary[];
}

export interface SavedState {
  filter?: string;
  section?: { index: number; idstr?: string };
  machine?: string;
  descriptionsFrom?: 'workspace' | 'none';
  cursor?: number;
  /** The tree's selection: re-selected by its path at its first byte after a new decode. */
  treePath?: string;
  treeStart?: number;
}

class Stale extends Error {
  constructor() {
    super('stale');
  }
}

type TreeSource = { kind: 'annotations'; section: number; path: string } | { kind: 'json'; source: JsonTreeSource } | { kind: 'none'; message: string };

export class StreamViewer {
  private readonly rpc: DecodeRpc;
  private fileName = '';
  private machineSetting = '';
  /** The setting named a machine type the workspace lacks: decoded without it. */
  private settingRefused = '';
  private machineChoice: string | undefined;
  private descriptionsFrom: 'workspace' | 'none' = 'workspace';
  private filter = '';
  /** What to re-select after the next decode. */
  private restore: SavedState | undefined;

  private generation = 0;
  private revision: number | undefined;
  private summary: DecodeResult | undefined;
  private firstRecord = 0;
  private sectionsTotal = 0;
  /** Sections in the stream (sectionsTotal counts those the filter lets through). */
  private allSections = 0;
  private listActive = 0;
  private selected: SectionSummary | undefined;
  private types: Record<string, DescriptionLocation> = {};

  private tree = new TreeModel(0);
  private treeSource: TreeSource = { kind: 'none', message: 'Select a section.' };
  private treeRows: TreeRow[] = [];
  private treeActive = 0;
  private readonly treeLoading = new Set<string>();

  private cursor = 0;
  private selection: { start: number; end: number } | undefined;

  private readonly sectionPages: PageCache<SectionSummary[]>;
  private readonly hexPages: PageCache<HexPage>;

  // DOM
  private readonly app: HTMLElement;
  private readonly toolbar = h('div', { id: 'toolbar', class: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Stream' } });
  private readonly fileInfo = h('span', { id: 'file-info', class: 'file-info' });
  private readonly machineSelect = h('select', { id: 'machine-select', attrs: { 'aria-label': 'Machine type whose compat properties apply' } });
  private readonly descriptionsSelect = h('select', { id: 'descriptions-select', attrs: { 'aria-label': 'Decode device sections with' } });
  private readonly machineInfo = h('span', { id: 'machine-info', class: 'muted' });
  private readonly reloadButton = h('button', { id: 'reload', text: 'Reload', attrs: { type: 'button', title: 'Decode the stream again' } });
  private readonly banner = h('div', { id: 'banner', class: 'banner', attrs: { role: 'alert' } });
  private readonly notice = h('div', { id: 'notice', class: 'notice', attrs: { role: 'status' } });
  private readonly filterInput = h('input', { id: 'section-filter', attrs: { type: 'search', placeholder: 'Filter sections (idstr)', 'aria-label': 'Filter sections by idstr', spellcheck: 'false' } });
  private readonly listCount = h('span', { id: 'section-count', class: 'muted' });
  private readonly list = h('div', { id: 'sections', class: 'list', attrs: { role: 'listbox', tabindex: '0', 'aria-label': 'Sections' } });
  private readonly listEmpty = h('div', { id: 'sections-empty', class: 'empty' });
  private readonly ramButton = h('button', { id: 'ram-button', class: 'link', attrs: { type: 'button' } });
  private readonly sectionInfo = h('div', { id: 'section-info', class: 'section-info', attrs: { 'aria-live': 'polite' } });
  private readonly treeEl = h('div', { id: 'tree', class: 'tree', attrs: { role: 'tree', tabindex: '0', 'aria-label': 'Decoded state of the section' } });
  private readonly treeEmpty = h('div', { id: 'tree-empty', class: 'empty' });
  private readonly ramPanel = h('div', { id: 'ram-summary', class: 'ram', attrs: { role: 'region', 'aria-label': 'RAM summary' } });
  private readonly hexInfo = h('div', { id: 'hex-info', class: 'hex-info', attrs: { 'aria-live': 'polite' } });
  private readonly hexEl = h('div', { id: 'hex', class: 'hex', attrs: { role: 'grid', tabindex: '0', 'aria-readonly': 'true', 'aria-label': 'Bytes of the stream' } });

  private readonly listView: VirtualView;
  private readonly treeView: VirtualView;
  private readonly hexView: VirtualView;
  private digits = 8;

  constructor(
    root: HTMLElement,
    private readonly post: (m: FromWebview) => void,
    saved: SavedState | undefined,
    private readonly save: (s: SavedState) => void,
  ) {
    this.app = root;
    this.rpc = new DecodeRpc(post);
    this.filter = saved?.filter ?? '';
    this.machineChoice = saved?.machine;
    this.descriptionsFrom = saved?.descriptionsFrom ?? 'workspace';
    this.restore = saved;

    this.sectionPages = new PageCache<SectionSummary[]>({
      capacity: 50,
      load: async (page) => (await this.ask({ sections: { offset: page * SECTION_PAGE, limit: SECTION_PAGE, filter: this.filter }, page: { limit: 0 } })).sections,
      onChange: () => this.listView.refresh(),
    });
    this.hexPages = new PageCache<HexPage>({
      capacity: 256,
      concurrency: 3,
      load: async (page) => hexPage(await this.ask({ sections: { limit: 0 }, page: { range: { start: page * HEX_PAGE, end: (page + 1) * HEX_PAGE }, limit: 20000 }, bytes: { start: page * HEX_PAGE, length: HEX_PAGE } })),
      onChange: () => {
        this.hexView.refresh();
        this.describeCursor();
      },
    });

    this.build();
    this.listView = new VirtualView({
      container: this.list,
      rowHeight: LIST_ROW,
      create: () => sectionRow(),
      render: (row, el) => this.renderSection(row, el),
      onWindow: (first, end) => this.sectionPages.want(pagesFor(first, end, SECTION_PAGE)),
    });
    this.treeView = new VirtualView({ container: this.treeEl, rowHeight: TREE_ROW, create: () => treeRow(), render: (row, el) => this.renderTreeRow(row, el) });
    this.hexView = new VirtualView({
      container: this.hexEl,
      rowHeight: HEX_ROW,
      create: () => hexRow(),
      render: (row, el) => this.renderHexRow(row, el),
      onWindow: (first, end) => this.hexPages.want(pagesFor(first * BYTES_PER_ROW, end * BYTES_PER_ROW, HEX_PAGE)),
    });
    this.wire();
    this.setState('starting');
  }

  /** Messages from the extension. */
  receive(m: FromExtension): void {
    if (this.rpc.receive(m)) return;
    if (m.kind === 'init') {
      this.fileName = m.fileName;
      this.machineSetting = m.machineSetting;
      void this.load();
    } else if (m.kind === 'refresh') {
      if (m.machineSetting !== this.machineSetting) this.settingRefused = '';
      this.machineSetting = m.machineSetting;
      this.reload();
    }
  }

  // ---- requests ----

  private machine(): string | undefined {
    if (this.machineChoice) return this.machineChoice;
    if (this.machineSetting && this.machineSetting !== this.settingRefused) return this.machineSetting;
    return undefined;
  }

  private base(): DecodeParams {
    const m = this.machine();
    return { descriptionsFrom: this.descriptionsFrom, values: false, ...(m ? { machine: m } : {}) };
  }

  /** A request in the current decode: stale answers throw Stale; a new revision starts over. */
  private async ask(params: DecodeParams): Promise<DecodeResult> {
    const generation = this.generation;
    const r = await this.rpc.request({ ...this.base(), ...params });
    if (generation !== this.generation) throw new Stale();
    if (this.revision !== undefined && r.revision !== this.revision) {
      this.reload();
      throw new Stale();
    }
    Object.assign(this.types, r.types);
    return r;
  }

  /** Decodes again, keeping what is selected. */
  private reload(): void {
    const item = this.tree.selected ? this.tree.item(this.tree.selected) : undefined;
    this.restore = {
      ...this.restore,
      section: this.selected ? { index: this.selected.index, ...(this.selected.idstr !== undefined ? { idstr: this.selected.idstr } : {}) } : undefined,
      cursor: this.cursor,
      ...(item?.path !== undefined && item.start !== undefined ? { treePath: item.path, treeStart: item.start } : { treePath: undefined, treeStart: undefined }),
    };
    void this.load();
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    this.revision = undefined;
    this.sectionPages.clear();
    this.hexPages.clear();
    this.types = {};
    this.setState('loading');
    text(this.notice, `Decoding ${this.fileName}…`);
    let r: DecodeResult;
    try {
      r = await this.ask({ sections: { offset: 0, limit: SECTION_PAGE }, page: { limit: 0 }, bytes: { start: 0, length: HEX_PAGE } });
      this.allSections = r.sectionsPage.total;
      this.sectionsTotal = r.sectionsPage.total;
      this.sectionPages.put(0, r.sections);
      if (this.filter) {
        const f = await this.ask({ sections: { offset: 0, limit: SECTION_PAGE, filter: this.filter }, page: { limit: 0 } });
        this.sectionsTotal = f.sectionsPage.total;
        this.sectionPages.put(0, f.sections);
      }
    } catch (e) {
      if (e instanceof Stale || generation !== this.generation) return;
      if (e instanceof ServerError && e.code === -32602 && /defines no machine type/.test(e.message) && !this.machineChoice && this.machineSetting && this.settingRefused !== this.machineSetting) {
        this.settingRefused = this.machineSetting;
        void this.load();
        return;
      }
      this.fail(e instanceof Error ? e.message : String(e));
      return;
    }
    this.revision = r.revision;
    this.summary = r;
    if (r.bytes) this.hexPages.put(0, hexPage(r));
    const first = r.bytes?.sections.find((s) => s.index === 0);
    this.firstRecord = first ? first.recordStart : r.sections[0]?.index === 0 ? r.sections[0].recordStart : 0;
    this.digits = offsetDigits(r.size);
    this.renderToolbar();
    this.renderBanner();
    this.renderRamButton();
    this.listView.setCount(this.sectionsTotal);
    this.listView.refresh();
    this.renderListEmpty();
    this.hexView.setCount(rowCount(r.size));
    this.hexView.refresh();
    text(this.notice, this.settingRefused ? `The vmsd.machine setting names ${this.settingRefused}, which the workspace's descriptions do not define: decoded without it.` : '');
    this.app.dataset.revision = String(r.revision);

    const restore = this.restore;
    this.restore = undefined;
    this.selected = undefined;
    this.tree = new TreeModel(0);
    this.showTree({ kind: 'none', message: this.sectionsTotal ? 'Select a section.' : '' });
    if (restore?.cursor !== undefined) this.cursor = Math.min(restore.cursor, Math.max(0, r.size - 1));
    const want = restore?.section;
    if (want) {
      const s = await this.sectionByIndex(want.index).catch(() => undefined);
      if (generation !== this.generation) return;
      if (s && s.idstr === want.idstr) {
        await this.selectSection(s, { hex: restore?.treeStart === undefined, focus: false });
        if (restore?.treeStart !== undefined) await this.activateByte(restore.treeStart, restore.treePath);
      }
    } else if (r.error) {
      this.cursor = r.error.offset;
      this.hexView.reveal(rowOf(r.error.offset), 'center');
    }
    if (generation === this.generation) this.setState('ready');
    this.persist();
  }

  private async sectionByIndex(index: number): Promise<SectionSummary | undefined> {
    const r = await this.ask({ sections: { offset: index, limit: 1 }, page: { limit: 0 } });
    return r.sections[0];
  }

  private fail(message: string): void {
    this.setState('error');
    text(this.notice, '');
    this.banner.replaceChildren(h('span', { text: `The stream could not be opened: ${message}` }), ' ', this.retryButton());
    this.banner.hidden = false;
  }

  private retryButton(): HTMLButtonElement {
    const b = h('button', { text: 'Retry', attrs: { type: 'button' } });
    b.addEventListener('click', () => void this.load());
    return b;
  }

  private setState(state: 'starting' | 'loading' | 'ready' | 'error'): void {
    this.app.dataset.state = state;
    attr(this.app, 'aria-busy', state === 'loading' ? 'true' : undefined);
  }

  private persist(): void {
    const item = this.tree.selected ? this.tree.item(this.tree.selected) : undefined;
    this.save({
      filter: this.filter,
      ...(this.selected ? { section: { index: this.selected.index, ...(this.selected.idstr !== undefined ? { idstr: this.selected.idstr } : {}) } } : {}),
      ...(this.machineChoice ? { machine: this.machineChoice } : {}),
      descriptionsFrom: this.descriptionsFrom,
      cursor: this.cursor,
      ...(item?.path !== undefined && item.start !== undefined ? { treePath: item.path, treeStart: item.start } : {}),
    });
  }

  // ---- layout ----

  private build(): void {
    const descOptions: Array<[string, string]> = [
      ['workspace', "the workspace's descriptions"],
      ['none', "the stream's vmdesc only"],
    ];
    for (const [v, label] of descOptions) this.descriptionsSelect.append(h('option', { text: label, attrs: { value: v } }));
    this.descriptionsSelect.value = this.descriptionsFrom;
    this.filterInput.value = this.filter;
    this.toolbar.append(
      this.fileInfo,
      h('label', { class: 'field', text: 'Machine ' }, this.machineSelect),
      this.machineInfo,
      h('label', { class: 'field', text: 'Decode with ' }, this.descriptionsSelect),
      this.reloadButton,
    );
    this.banner.hidden = true;
    const listHeader = h(
      'div',
      { class: 'list-header', attrs: { 'aria-hidden': 'true' } },
      h('span', { class: 'c-index', text: '#' }),
      h('span', { class: 'c-type', text: 'Type' }),
      h('span', { class: 'c-id', text: 'Id' }),
      h('span', { class: 'c-name', text: 'Section' }),
      h('span', { class: 'c-inst', text: 'Inst' }),
      h('span', { class: 'c-ver', text: 'Ver' }),
      h('span', { class: 'c-off', text: 'Offset' }),
      h('span', { class: 'c-size', text: 'Size' }),
      h('span', { class: 'c-by', text: 'Decoded by' }),
    );
    const sectionsPane = h(
      'section',
      { id: 'sections-pane', class: 'pane', attrs: { 'aria-label': 'Sections' } },
      h('div', { class: 'pane-head' }, this.filterInput, this.listCount),
      listHeader,
      this.list,
      this.listEmpty,
      h('div', { class: 'pane-foot' }, this.ramButton),
    );
    const treePane = h('section', { id: 'tree-pane', class: 'pane', attrs: { 'aria-label': 'Decoded state' } }, this.sectionInfo, this.treeEl, this.treeEmpty, this.ramPanel);
    const hexPane = h('section', { id: 'hex-pane', class: 'pane', attrs: { 'aria-label': 'Annotated hex' } }, this.hexInfo, this.hexEl);
    this.ramPanel.hidden = true;
    this.app.replaceChildren(this.toolbar, this.banner, this.notice, h('div', { class: 'panes' }, sectionsPane, treePane, hexPane));
  }

  private wire(): void {
    this.reloadButton.addEventListener('click', () => this.reload());
    this.machineSelect.addEventListener('change', () => {
      this.machineChoice = this.machineSelect.value || undefined;
      this.reload();
    });
    this.descriptionsSelect.addEventListener('change', () => {
      this.descriptionsFrom = this.descriptionsSelect.value === 'none' ? 'none' : 'workspace';
      this.reload();
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.filterInput.addEventListener('input', () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void this.applyFilter(this.filterInput.value.trim()), 150);
    });
    this.filterInput.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'Enter') {
        e.preventDefault();
        this.list.focus();
      }
    });
    this.ramButton.addEventListener('click', () => this.showRam());

    // Sections: click or keys; the active row is the listbox's active descendant.
    this.list.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.section-row');
      if (!row?.dataset.row) return;
      this.listActive = Number(row.dataset.row);
      this.list.focus();
      this.selectListRow(this.listActive);
    });
    this.list.addEventListener('keydown', (e) => {
      const n = this.sectionsTotal;
      if (!n) return;
      const page = this.listView.page;
      const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
      let next: number | undefined;
      if (e.key in moves) next = this.listActive + moves[e.key];
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = n - 1;
      else if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.selectListRow(this.listActive);
        return;
      } else return;
      e.preventDefault();
      this.listActive = Math.max(0, Math.min(n - 1, next));
      this.listView.reveal(this.listActive);
      this.listView.refresh();
      this.selectListRow(this.listActive);
    });

    // Tree.
    this.treeEl.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      const row = target.closest<HTMLElement>('.tree-row');
      if (!row?.dataset.row) return;
      const i = Number(row.dataset.row);
      const link = target.closest<HTMLElement>('.type-link');
      if (link?.dataset.type && this.types[link.dataset.type]) {
        this.open(this.types[link.dataset.type]);
        return;
      }
      this.treeActive = i;
      this.treeEl.focus();
      const r = this.treeRows[i];
      if (!r) return;
      if (target.closest('.twisty') || r.kind === 'group') this.toggleTree(r.key);
      else this.selectTreeRow(i, true);
    });
    this.treeEl.addEventListener('dblclick', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.tree-row');
      const r = row?.dataset.row ? this.treeRows[Number(row.dataset.row)] : undefined;
      if (r && r.kind === 'item' && r.item.children) this.toggleTree(r.key);
    });
    this.treeEl.addEventListener('keydown', (e) => {
      if (e.key === 'F12') {
        const r = this.treeRows[this.treeActive];
        const loc = r?.kind === 'item' && r.item.type ? this.types[r.item.type] : undefined;
        if (loc) {
          e.preventDefault();
          this.open(loc);
        }
        return;
      }
      const action = treeKey(this.treeRows, this.treeActive, e.key, this.treeView.page);
      if (!action) return;
      e.preventDefault();
      if ('move' in action) {
        this.treeActive = action.move;
        this.treeView.reveal(action.move);
        this.selectTreeRow(action.move, true);
      } else if ('toggle' in action) this.toggleTree(action.toggle);
      else this.selectTreeRow(action.activate, true);
    });

    // Hex: click a byte, or move the cursor with keys; Enter selects what the byte belongs to.
    this.hexEl.addEventListener('click', (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-offset]');
      if (!cell?.dataset.offset || cell.classList.contains('hex-row')) return;
      this.cursor = Number(cell.dataset.offset);
      this.hexEl.focus();
      void this.activateByte(this.cursor);
    });
    this.hexEl.addEventListener('keydown', (e) => {
      const size = this.summary?.size ?? 0;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        void this.activateByte(this.cursor);
        return;
      }
      const next = moveCursor(this.cursor, e.key, size, this.hexView.page, e.ctrlKey || e.metaKey);
      if (next === null) return;
      e.preventDefault();
      this.cursor = next;
      this.hexView.reveal(rowOf(next));
      this.hexView.refresh();
      this.describeCursor();
      this.persist();
    });
  }

  private open(location: DescriptionLocation): void {
    this.post({ kind: 'open', location });
  }

  // ---- toolbar, banner ----

  private renderToolbar(): void {
    const r = this.summary!;
    const parts = [this.fileName || r.file, formatSize(r.size), r.format === 'cbor' ? 'self-describing (CBOR) stream' : 'QEMU stream'];
    if (r.header) parts.push(`${formatCount(this.allSections)} sections`, r.header.vmdesc ? `vmdesc: ${r.header.vmdescDevices} devices` : 'no vmdesc');
    if (r.header?.capabilities.length) parts.push(`capabilities: ${r.header.capabilities.join(', ')}`);
    if (r.commands) parts.push(`${r.commands} commands`);
    text(this.fileInfo, parts.join(' · '));
    this.fileInfo.title = r.file;

    const current = this.machine();
    const streamMachine = r.header?.machine;
    const options: Array<[string, string]> = [['', streamMachine ? `the stream's (${streamMachine})` : 'default']];
    for (const m of r.machines) options.push([m, m]);
    if (current && !r.machines.includes(current)) options.push([current, current]);
    this.machineSelect.replaceChildren(...options.map(([v, label]) => h('option', { text: label, attrs: { value: v } })));
    this.machineSelect.value = this.machineChoice ?? (current && current === this.machineSetting ? current : '');
    text(this.machineInfo, `compat: ${machineText(r, current, this.machineSetting)}${r.decodedWith === 'vmdesc' ? ' · decoded by the vmdesc' : ''}`);
    this.descriptionsSelect.value = this.descriptionsFrom;
  }

  private renderBanner(): void {
    const e = this.summary?.error;
    if (!e) {
      this.banner.hidden = true;
      this.banner.replaceChildren();
      return;
    }
    const goto = h('button', { id: 'error-goto', text: 'Show', attrs: { type: 'button', title: 'Show the failing bytes' } });
    goto.addEventListener('click', () => void this.gotoError());
    const after =
      this.summary!.decodedWith === 'vmdesc' && this.descriptionsFrom === 'workspace'
        ? " The sections are listed as the stream's own vmdesc decodes them."
        : this.summary!.sections.length === 0
          ? ' Nothing could be decoded; the bytes are still shown.'
          : '';
    const hint = !this.summary!.header?.machine && this.summary!.machines.length && !this.machine() ? ' The stream names no machine type (QEMU before 2.4): choosing one above may fix it.' : '';
    this.banner.replaceChildren(h('span', { class: 'error-text', text: errorText(e, e.path || undefined) + after + hint }), ' ', goto);
    this.banner.hidden = false;
  }

  private async gotoError(): Promise<void> {
    const e = this.summary?.error;
    if (!e) return;
    if (e.section !== undefined) {
      const s = await this.sectionByIndex(e.section).catch(() => undefined);
      if (s) await this.selectSection(s, { hex: false, focus: false });
    }
    this.cursor = e.offset;
    this.selection = { start: e.offset, end: e.offset + 1 };
    this.hexView.reveal(rowOf(e.offset), 'center');
    this.hexView.refresh();
    this.describeCursor();
    this.hexEl.focus();
  }

  private renderRamButton(): void {
    const ram = this.summary?.ram;
    this.ramButton.hidden = !ram;
    if (ram) text(this.ramButton, `RAM: ${ram.blocks.length} blocks, ${formatCount(ram.pages)} pages, ${formatCount(ram.zeroPages)} zero pages`);
  }

  private renderListEmpty(): void {
    const none = this.sectionsTotal === 0;
    this.listEmpty.hidden = !none;
    text(this.listEmpty, none ? (this.filter ? `No section matches “${this.filter}”.` : this.summary?.error ? 'No sections: the stream does not decode (see the error above).' : 'No sections.') : '');
    text(this.listCount, this.filter ? `${formatCount(this.sectionsTotal)} match` : `${formatCount(this.sectionsTotal)} sections`);
  }

  private async applyFilter(filter: string): Promise<void> {
    if (filter === this.filter) return;
    this.filter = filter;
    this.sectionPages.clear();
    this.listActive = 0;
    try {
      const r = await this.ask({ sections: { offset: 0, limit: SECTION_PAGE, filter }, page: { limit: 0 } });
      if (filter !== this.filter) return;
      this.sectionsTotal = r.sectionsPage.total;
      this.sectionPages.put(0, r.sections);
    } catch {
      return;
    }
    this.listView.setCount(this.sectionsTotal);
    this.listView.scrollTo(0);
    this.listView.refresh();
    this.renderListEmpty();
    this.persist();
  }

  // ---- sections list ----

  private sectionAtRow(row: number): SectionSummary | undefined {
    return this.sectionPages.get(Math.floor(row / SECTION_PAGE))?.[row % SECTION_PAGE];
  }

  private rowOfSection(index: number): number | undefined {
    if (!this.filter) return index;
    for (const p of this.sectionPages.loaded()) {
      const i = this.sectionPages.get(p)!.findIndex((s) => s.index === index);
      if (i >= 0) return p * SECTION_PAGE + i;
    }
    return undefined;
  }

  private renderSection(row: number, el: HTMLElement): void {
    const s = this.sectionAtRow(row);
    const active = row === this.listActive;
    el.id = `section-row-${row}`;
    el.dataset.row = String(row);
    if (active) attr(this.list, 'aria-activedescendant', el.id);
    attr(el, 'aria-setsize', String(this.sectionsTotal));
    attr(el, 'aria-posinset', String(row + 1));
    const cells = el.children as HTMLCollectionOf<HTMLElement>;
    if (!s) {
      cls(el, `section-row loading${active ? ' active' : ''}`);
      delete el.dataset.index;
      delete el.dataset.idstr;
      attr(el, 'aria-selected', 'false');
      attr(el, 'aria-label', 'loading');
      for (let i = 0; i < cells.length; i++) text(cells[i], i === 3 ? '…' : '');
      return;
    }
    const error = this.summary?.error?.section === s.index ? errorReason(this.summary.error) : undefined;
    const selected = this.selected?.index === s.index;
    cls(el, `section-row by-${s.decodedBy ?? 'none'}${selected ? ' selected' : ''}${active ? ' active' : ''}${error ? ' has-error' : ''}`);
    el.dataset.index = String(s.index);
    el.dataset.type = s.type;
    if (s.idstr !== undefined) el.dataset.idstr = s.idstr;
    else delete el.dataset.idstr;
    attr(el, 'aria-selected', selected ? 'true' : 'false');
    attr(el, 'aria-label', sectionLabel(s, error));
    el.title = error ? `Decode error: ${error}` : '';
    text(cells[0], String(s.index));
    text(cells[1], s.type);
    text(cells[2], String(s.id));
    text(cells[3], `${error ? '⚠ ' : ''}${sectionName(s)}`);
    text(cells[4], s.instance === undefined ? '' : String(s.instance));
    text(cells[5], s.version === undefined ? '' : String(s.version));
    text(cells[6], s.recordStart < 0 ? '—' : formatOffset(s.recordStart, this.digits));
    text(cells[7], sectionSize(s));
    text(cells[8], decodedByText(s));
  }

  private selectListRow(row: number): void {
    const s = this.sectionAtRow(row);
    if (s) void this.selectSection(s, { hex: true, focus: false });
  }

  /** Shows a section: its tree (loaded a level at a time), its bytes in the hex view. */
  private async selectSection(s: SectionSummary, how: { hex: boolean; focus: boolean }): Promise<void> {
    const same = this.selected?.index === s.index && (this.treeSource.kind !== 'none' || s.decodedBy === 'ram');
    this.selected = s;
    const row = this.rowOfSection(s.index);
    if (row !== undefined) {
      this.listActive = row;
      this.listView.reveal(row);
    }
    this.listView.refresh();
    this.renderSectionInfo();
    if (how.hex && s.recordStart >= 0) {
      this.selection = { start: s.recordStart, end: s.recordEnd };
      this.cursor = s.start;
      this.hexView.reveal(rowOf(s.recordStart), 'start');
      this.hexView.refresh();
      this.describeCursor();
    }
    if (same) {
      // Back from the RAM summary to the section's tree.
      if (s.decodedBy !== 'ram' && !this.ramPanel.hidden) {
        this.ramPanel.hidden = true;
        this.treeEl.hidden = this.treeSource.kind === 'none';
        this.treeEmpty.hidden = this.treeSource.kind !== 'none';
      }
      this.persist();
      return;
    }
    if (s.decodedBy === 'ram') {
      this.tree = new TreeModel(0);
      this.treeSource = { kind: 'none', message: '' };
      this.showRam();
      this.persist();
      return;
    }
    if (s.annotations > 0) {
      this.tree = new TreeModel();
      this.showTree({ kind: 'annotations', section: s.index, path: s.idstr ?? '' });
      await this.loadTreeChildren(ROOT, 0);
    } else if (s.decodedBy) {
      // No byte offsets (a CBOR stream): the tree of the section's value.
      try {
        const r = await this.ask({ values: true, page: { section: s.index, limit: 0 } });
        if (this.selected !== s) return;
        const v = r.values.find((x) => x.section === s.index)?.value ?? null;
        const source = new JsonTreeSource(v);
        this.tree = new TreeModel(source.count(ROOT));
        this.showTree({ kind: 'json', source });
      } catch {
        return;
      }
    } else {
      this.tree = new TreeModel(0);
      this.showTree({ kind: 'none', message: 'This section was not decoded.' });
    }
    this.persist();
    if (how.focus) this.treeEl.focus();
  }

  private renderSectionInfo(): void {
    const s = this.selected;
    if (!s) {
      this.sectionInfo.replaceChildren();
      return;
    }
    const bits: Array<Node | string> = [h('strong', { text: sectionName(s) }), ` ${s.type}, id ${s.id}`];
    if (s.instance !== undefined) bits.push(`, instance ${s.instance}`);
    if (s.version !== undefined) bits.push(`, version ${s.version}`);
    if (s.start >= 0) bits.push(`, data ${hexOffset(s.start)}–${hexOffset(s.end)} (${formatSize(s.end - s.start)})`);
    bits.push(' · ');
    if (s.decodedBy === 'description' && s.description) {
      const d = s.description;
      const link = h('button', { id: 'description-link', class: 'link', text: `${d.name} (${locationText(d)})`, attrs: { type: 'button', title: `Open the description ${d.name}`, 'data-uri': d.uri } });
      link.addEventListener('click', () => this.open(d));
      bits.push('decoded by the description ', link);
    } else if (s.decodedBy === 'vmdesc') bits.push("decoded by the stream's vmdesc (no description in the workspace)");
    else if (s.decodedBy === 'ram') bits.push(`RAM: ${decodedByText(s)}`);
    else bits.push('not decoded');
    const e = this.summary?.error;
    if (e && e.section === s.index) bits.push(h('div', { class: 'error-text', text: errorText(e) }));
    this.sectionInfo.replaceChildren(...bits);
  }

  // ---- RAM ----

  private showRam(): void {
    const ram = this.summary?.ram;
    this.treeEl.hidden = true;
    this.treeEmpty.hidden = true;
    this.ramPanel.hidden = false;
    const s = this.selected?.decodedBy === 'ram' ? this.selected : undefined;
    const children: Array<Node | string> = [];
    if (s?.ram) children.push(h('p', { text: `This ${s.type} record: ${formatCount(s.ram.pages)} pages, ${formatCount(s.ram.zeroPages)} zero pages (${formatSize(s.end - s.start)} on the wire).` }));
    if (!ram) children.push(h('p', { text: 'The stream has no RAM sections.' }));
    else {
      const head = h('tr', {}, ...['Block', 'Size', 'Pages', 'Zero pages', 'Sent as pages'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })));
      const body = ramRows(ram).map((r, i, all) => h('tr', { class: i === all.length - 1 ? 'total' : '' }, h('th', { text: r.name, attrs: { scope: 'row' } }), h('td', { text: r.size }), h('td', { text: r.pages }), h('td', { text: r.zeroPages }), h('td', { text: r.sent })));
      children.push(h('table', {}, h('caption', { text: 'RAM blocks: pages sent with their data and zero pages (the pages themselves are not listed)' }), h('thead', {}, head), h('tbody', {}, ...body)));
    }
    this.ramPanel.replaceChildren(...children);
  }

  // ---- tree ----

  private showTree(source: TreeSource): void {
    this.treeSource = source;
    this.treeLoading.clear();
    this.treeActive = 0;
    this.ramPanel.hidden = true;
    this.treeEl.hidden = source.kind === 'none';
    this.treeEmpty.hidden = source.kind !== 'none';
    text(this.treeEmpty, source.kind === 'none' ? source.message : '');
    this.renderTree();
    this.treeView.scrollTo(0);
  }

  private renderTree(): void {
    const { rows, missing } = this.tree.rows();
    this.treeRows = rows;
    this.treeActive = Math.min(this.treeActive, Math.max(0, rows.length - 1));
    this.treeView.setCount(rows.length);
    this.treeView.refresh();
    const src = this.treeSource;
    if (src.kind === 'json') {
      if (missing.length) {
        for (const m of missing) this.tree.setChildren(m.parent, m.offset, src.source.children(m.parent, m.offset, m.limit));
        this.renderTree();
      }
    } else if (src.kind === 'annotations') for (const m of missing) void this.loadTreeChildren(m.parent, m.offset);
  }

  private async loadTreeChildren(parent: string, offset: number): Promise<void> {
    const src = this.treeSource;
    if (src.kind !== 'annotations') return;
    const key = `${parent}@${offset}`;
    if (this.treeLoading.has(key)) return;
    this.treeLoading.add(key);
    const tree = this.tree;
    try {
      const r = await this.ask({ page: { section: src.section, parent: parent === ROOT ? -1 : Number(parent), offset, limit: CHUNK } });
      if (tree !== this.tree) return;
      if (parent === ROOT && tree.count(ROOT) === undefined) tree.setCount(ROOT, r.page.total);
      const parentPath = parent === ROOT ? sectionPath(src.path, r.annotations[0]?.path) : (tree.item(parent)?.path ?? '');
      tree.setChildren(parent, offset, r.annotations.map((a) => itemOfAnnotation(a, parentPath)));
    } catch (e) {
      if (e instanceof Stale || tree !== this.tree) return;
      tree.setFailed(parent, offset, e instanceof Error ? e.message : String(e));
    } finally {
      this.treeLoading.delete(key);
    }
    if (tree === this.tree) this.renderTree();
  }

  private toggleTree(key: string): void {
    this.tree.toggle(key);
    this.renderTree();
    const i = this.treeRows.findIndex((r) => r.key === key);
    if (i >= 0) this.treeActive = i;
  }

  private selectTreeRow(i: number, syncHex: boolean): void {
    const r = this.treeRows[i];
    if (!r) return;
    this.treeActive = i;
    if (r.kind !== 'item') {
      this.treeView.refresh();
      return;
    }
    this.tree.selected = r.key;
    this.treeView.refresh();
    if (syncHex && r.item.start !== undefined && r.item.end !== undefined) {
      this.selection = { start: r.item.start, end: r.item.end };
      this.cursor = r.item.start;
      this.hexView.reveal(rowOf(r.item.start), 'center');
      this.hexView.refresh();
      this.describeCursor();
    }
    this.persist();
  }

  private renderTreeRow(row: number, el: HTMLElement): void {
    const r = this.treeRows[row];
    if (!r) return;
    const active = row === this.treeActive;
    el.id = `tree-row-${row}`;
    el.dataset.row = String(row);
    if (active) attr(this.treeEl, 'aria-activedescendant', el.id);
    el.style.paddingLeft = `${4 + r.depth * 14}px`;
    const [twisty, label, type, value] = Array.from(el.children) as HTMLElement[];
    attr(el, 'aria-level', String(r.depth + 1));
    if (r.kind === 'item') {
      const it = r.item;
      const selected = this.tree.selected === it.key;
      cls(el, `tree-row kind-${it.kind}${selected ? ' selected' : ''}${active ? ' active' : ''}`);
      attr(el, 'aria-selected', selected ? 'true' : 'false');
      attr(el, 'aria-expanded', it.children ? String(r.expanded) : undefined);
      attr(el, 'aria-setsize', String(r.siblings));
      attr(el, 'aria-posinset', String(r.nth + 1));
      el.dataset.key = it.key;
      setData(el, 'path', it.path);
      setData(el, 'start', it.start === undefined ? undefined : String(it.start));
      setData(el, 'end', it.end === undefined ? undefined : String(it.end));
      text(twisty, it.children ? (r.expanded ? '▾' : '▸') : '');
      text(label, it.label);
      const link = it.type !== undefined && this.types[it.type] !== undefined;
      cls(type, link ? 'tree-type type-link' : 'tree-type');
      setData(type, 'type', link ? it.type : undefined);
      type.title = link ? `Open the description ${it.type} (F12)` : '';
      text(type, it.type ?? '');
      text(value, it.value !== undefined ? it.value : it.children && !r.expanded ? `${formatCount(it.children)} ${it.children === 1 ? 'item' : 'items'}` : '');
      const place = it.start !== undefined && it.end !== undefined ? ` at ${hexOffset(it.start)}, ${it.end - it.start} bytes` : '';
      attr(el, 'aria-label', `${it.label}${it.type ? `, ${it.type}` : ''}${it.value !== undefined ? ` = ${it.value}` : ''}${place}`);
      return;
    }
    delete el.dataset.key;
    setData(el, 'path', undefined);
    setData(el, 'start', undefined);
    setData(el, 'end', undefined);
    setData(type, 'type', undefined);
    attr(el, 'aria-setsize', undefined);
    attr(el, 'aria-posinset', undefined);
    attr(el, 'aria-selected', 'false');
    cls(type, 'tree-type');
    text(type, '');
    if (r.kind === 'group') {
      cls(el, `tree-row group${active ? ' active' : ''}`);
      attr(el, 'aria-expanded', String(r.expanded));
      text(twisty, r.expanded ? '▾' : '▸');
      text(label, `[${r.from} … ${r.to - 1}]`);
      text(value, '');
      attr(el, 'aria-label', `items ${r.from} to ${r.to - 1}`);
    } else {
      cls(el, `tree-row loading${r.error ? ' failed' : ''}${active ? ' active' : ''}`);
      attr(el, 'aria-expanded', undefined);
      text(twisty, '');
      text(label, r.error ? `could not load: ${r.error}` : 'loading…');
      text(value, '');
      attr(el, 'aria-label', r.error ? `could not load: ${r.error}` : 'loading');
    }
  }

  /**
   * Selects what a byte belongs to: its section, and in the tree its innermost annotation
   * (or the one of that path among those covering it), revealed.
   */
  private async activateByte(offset: number, preferPath?: string): Promise<void> {
    this.cursor = offset;
    this.hexView.refresh();
    this.describeCursor();
    const page = await this.hexPageAt(offset);
    if (!page) return;
    const i = page.paint[offset - page.start];
    let target = i >= 0 ? page.annotations[i] : undefined;
    if (preferPath) target = page.annotations.find((a) => a.path === preferPath && a.start <= offset && offset <= a.end) ?? target;
    const section = target ? page.sections.find((s) => s.index === target!.section) : sectionAt(page.sections, offset);
    if (!section) {
      this.selection = { start: offset, end: offset + 1 };
      this.hexView.refresh();
      this.describeCursor();
      return;
    }
    if (this.selected?.index !== section.index || this.treeSource.kind === 'none') await this.selectSection(section, { hex: false, focus: false });
    if (!target || this.treeSource.kind !== 'annotations' || this.treeSource.section !== section.index) {
      this.selection = { start: section.recordStart, end: section.recordEnd };
      this.hexView.refresh();
      this.describeCursor();
      this.persist();
      return;
    }
    const known = new Map(page.annotations.filter((a) => a.section === section.index).map((a) => [a.index, a]));
    const chain = chainTo(target, known);
    if (!chain) return;
    // The chain's items are known already: put them in, open their parents, select.
    let parentPath = sectionPath(section.idstr, chain[0].path);
    for (const a of chain) {
      this.tree.setChildren(parentKeyOf(a), a.nth, [itemOfAnnotation(a, parentPath)]);
      parentPath = a.path;
    }
    this.tree.reveal(chain.map((a) => ({ key: String(a.index), parent: parentKeyOf(a), nth: a.nth })));
    this.tree.selected = String(target.index);
    this.renderTree();
    const row = this.treeRows.findIndex((r) => r.key === String(target!.index));
    if (row >= 0) {
      this.treeActive = row;
      this.treeView.reveal(row, 'center');
      this.treeView.refresh();
    }
    this.selection = { start: target.start, end: target.end };
    this.hexView.refresh();
    this.describeCursor();
    this.persist();
  }

  private async hexPageAt(offset: number): Promise<HexPage | undefined> {
    const n = Math.floor(offset / HEX_PAGE);
    const have = this.hexPages.get(n);
    if (have) return have;
    try {
      const page = hexPage(await this.ask({ sections: { limit: 0 }, page: { range: { start: n * HEX_PAGE, end: (n + 1) * HEX_PAGE }, limit: 20000 }, bytes: { start: n * HEX_PAGE, length: HEX_PAGE } }));
      this.hexPages.put(n, page);
      this.hexView.refresh();
      return page;
    } catch {
      return undefined;
    }
  }

  // ---- hex ----

  private renderHexRow(row: number, el: HTMLElement): void {
    const size = this.summary?.size ?? 0;
    const start = row * BYTES_PER_ROW;
    const page = this.hexPages.get(Math.floor(start / HEX_PAGE));
    el.dataset.offset = String(start);
    const [off, bytes, ascii] = Array.from(el.children) as HTMLElement[];
    text(off, formatOffset(start, this.digits));
    const ctx: ByteContext = { header: this.summary?.header ?? null, firstRecord: this.firstRecord, sections: page?.sections ?? [] };
    const sel = this.selection;
    const err = this.summary?.error?.offset;
    for (let i = 0; i < BYTES_PER_ROW; i++) {
      const o = start + i;
      const b = bytes.children[i] as HTMLElement;
      const c = ascii.children[i] as HTMLElement;
      if (o >= size) {
        cls(b, 'hex-byte none');
        cls(c, 'hex-char none');
        text(b, '  ');
        text(c, ' ');
        delete b.dataset.offset;
        delete c.dataset.offset;
        b.removeAttribute('id');
        attr(b, 'aria-label', undefined);
        continue;
      }
      b.dataset.offset = String(o);
      c.dataset.offset = String(o);
      b.id = `hex-byte-${o}`;
      let classes: string;
      let label: string;
      if (!page) {
        classes = 'hex-byte pending';
        text(b, '··');
        text(c, ' ');
        label = `${hexOffset(o)}: loading`;
      } else {
        const v = page.bytes[o - page.start];
        const ai = page.paint[o - page.start];
        const a = ai >= 0 ? page.annotations[ai] : undefined;
        const role = byteRole(o, a, ctx);
        classes = `hex-byte role-${role}${a ? ` tone-${tone(a)}` : ''}${v === 0 ? ' zero' : ''}`;
        text(b, byteHex(v));
        text(c, byteChar(v));
        label = `${hexOffset(o)}: ${byteHex(v)}${a ? `, ${a.path}` : `, ${role}`}`;
      }
      if (sel && o >= sel.start && o < sel.end) classes += ' selected';
      if (o === this.cursor) classes += ' cursor';
      if (err === o) classes += ' error';
      cls(b, classes);
      cls(c, classes.replace('hex-byte', 'hex-char'));
      attr(b, 'aria-label', label);
      attr(b, 'aria-selected', sel && o >= sel.start && o < sel.end ? 'true' : undefined);
      if (o === this.cursor) attr(this.hexEl, 'aria-activedescendant', b.id);
    }
  }

  /** The status line under the hex view: the byte under the cursor and what it belongs to. */
  private describeCursor(): void {
    const o = this.cursor;
    const page = this.hexPages.get(Math.floor(o / HEX_PAGE));
    if (!this.summary) return;
    const parts = [`${hexOffset(o)}`];
    if (page && o < page.end) {
      const v = page.bytes[o - page.start];
      parts.push(`byte ${byteHex(v)}`);
      const ai = page.paint[o - page.start];
      const a = ai >= 0 ? page.annotations[ai] : undefined;
      const s = sectionAt(page.sections, o);
      if (a) parts.push(`${a.path} (${a.type}${a.value !== undefined ? ` = ${a.value}` : ''}, ${hexOffset(a.start)}+${a.end - a.start})`);
      else parts.push(byteRole(o, undefined, { header: this.summary.header, firstRecord: this.firstRecord, sections: page.sections }));
      if (s && !a) parts.push(`in ${sectionName(s)}`);
    }
    const sel = this.selection;
    if (sel && sel.end > sel.start) parts.push(`selection ${hexOffset(sel.start)}–${hexOffset(sel.end)} (${formatCount(sel.end - sel.start)} bytes)`);
    const err = this.summary.error;
    if (err && err.offset === o) parts.push(`decode error: ${errorReason(err)}`);
    text(this.hexInfo, parts.join(' · '));
  }
}

function setData(el: HTMLElement, key: string, value: string | undefined): void {
  if (value === undefined) delete el.dataset[key];
  else if (el.dataset[key] !== value) el.dataset[key] = value;
}

function hexPage(r: DecodeResult): HexPage {
  const b = r.bytes!;
  return { start: b.start, end: b.end, bytes: parseHex(b.hex), annotations: r.annotations, paint: paintAnnotations(b.start, b.end, r.annotations), sections: b.sections };
}

function sectionRow(): HTMLElement {
  const el = h('div', { class: 'section-row', attrs: { role: 'option' } });
  for (const c of ['c-index', 'c-type', 'c-id', 'c-name', 'c-inst', 'c-ver', 'c-off', 'c-size', 'c-by']) el.append(h('span', { class: c }));
  return el;
}

function treeRow(): HTMLElement {
  return h(
    'div',
    { class: 'tree-row', attrs: { role: 'treeitem' } },
    h('span', { class: 'twisty', attrs: { 'aria-hidden': 'true' } }),
    h('span', { class: 'tree-label' }),
    h('span', { class: 'tree-type' }),
    h('span', { class: 'tree-value' }),
  );
}

function hexRow(): HTMLElement {
  const bytes = h('span', { class: 'hex-bytes' });
  const ascii = h('span', { class: 'hex-ascii', attrs: { 'aria-hidden': 'true' } });
  for (let i = 0; i < BYTES_PER_ROW; i++) {
    bytes.append(h('span', { class: 'hex-byte', attrs: { role: 'gridcell' } }));
    ascii.append(h('span', { class: 'hex-char' }));
  }
  return h('div', { class: 'hex-row', attrs: { role: 'row' } }, h('span', { class: 'hex-off', attrs: { role: 'rowheader' } }), bytes, ascii);
}

