import type { AnnotationKind, JsonValue, StreamAnnotation } from './protocol';

/**
 * The decoded state tree of one section, without the DOM. Items arrive a level (and a
 * chunk) at a time — from the server's annotations (`page.parent`), or from a section's
 * JSON value when the stream has no byte offsets (CBOR) — and the model flattens what is
 * expanded into rows for a virtual list. A node with more than CHUNK children shows them
 * in groups (`[0 … 99]`), so e1000's 32768 MAC registers are 328 rows until opened.
 */

export const CHUNK = 100;
export const ROOT = '';

export interface TreeItem {
  /** Unique in the tree: the annotation's index, or a generated key for JSON values. */
  key: string;
  label: string;
  kind: AnnotationKind;
  type?: string;
  value?: string;
  /** The bytes it covers in the file (annotation trees). */
  start?: number;
  end?: number;
  path?: string;
  /** How many children it has (loaded or not). */
  children: number;
}

interface RowBase {
  key: string;
  depth: number;
  /** The key of the item whose children this row belongs to (ROOT at the top). */
  parent: string;
  /** The index of the row above it in the tree (its item or group), -1 at the top. */
  parentRow: number;
}

export type TreeRow =
  | (RowBase & { kind: 'item'; item: TreeItem; nth: number; expanded: boolean; siblings: number })
  | (RowBase & { kind: 'group'; from: number; to: number; expanded: boolean })
  | (RowBase & { kind: 'loading'; from: number; to: number; error?: string });

/** A slice of some item's children that is shown but not loaded yet. */
export interface MissingChildren {
  parent: string;
  offset: number;
  limit: number;
}

export function groupKey(parent: string, group: number): string {
  return `${parent}#${group}`;
}

export class TreeModel {
  private readonly kids = new Map<string, Array<TreeItem | undefined>>();
  private readonly counts = new Map<string, number>();
  private readonly items = new Map<string, TreeItem>();
  private readonly where = new Map<string, { parent: string; nth: number }>();
  private readonly failures = new Map<string, string>();
  readonly expanded = new Set<string>();
  selected: string | undefined;

  constructor(rootCount?: number) {
    if (rootCount !== undefined) this.counts.set(ROOT, rootCount);
  }

  /** How many children an item (or ROOT) has, if known. */
  count(key: string): number | undefined {
    return this.counts.get(key);
  }

  setCount(key: string, n: number): void {
    this.counts.set(key, n);
  }

  item(key: string): TreeItem | undefined {
    return this.items.get(key);
  }

  /** Where an item sits: its parent's key and its place among the parent's children. */
  placeOf(key: string): { parent: string; nth: number } | undefined {
    return this.where.get(key);
  }

  /** Children `offset`… of `parent` have arrived. */
  setChildren(parent: string, offset: number, items: readonly TreeItem[]): void {
    let list = this.kids.get(parent);
    if (!list) this.kids.set(parent, (list = []));
    items.forEach((it, i) => {
      list[offset + i] = it;
      this.items.set(it.key, it);
      this.where.set(it.key, { parent, nth: offset + i });
      if (!this.counts.has(it.key)) this.counts.set(it.key, it.children);
    });
    for (let i = offset; i < offset + items.length; i++) this.failures.delete(`${parent}@${i - (i % CHUNK)}`);
  }

  /** Children `offset`… of `parent` could not be loaded. */
  setFailed(parent: string, offset: number, message: string): void {
    this.failures.set(`${parent}@${offset - (offset % CHUNK)}`, message);
  }

  isExpandable(key: string): boolean {
    return (this.counts.get(key) ?? 0) > 0;
  }

  toggle(key: string): void {
    if (this.expanded.has(key)) this.expanded.delete(key);
    else this.expanded.add(key);
  }

  /**
   * Opens what leads to an item: each ancestor (top first: `chain` is the item's parents
   * and then the item, each with its place) and the groups holding them.
   */
  reveal(chain: ReadonlyArray<{ key: string; parent: string; nth: number }>): void {
    chain.forEach((c, i) => {
      if ((this.counts.get(c.parent) ?? 0) > CHUNK) this.expanded.add(groupKey(c.parent, Math.floor(c.nth / CHUNK)));
      if (i < chain.length - 1) this.expanded.add(c.key);
    });
  }

  /** The rows of what is expanded, and the slices of children they still need. */
  rows(): { rows: TreeRow[]; missing: MissingChildren[] } {
    const rows: TreeRow[] = [];
    const missing: MissingChildren[] = [];
    const emit = (parent: string, from: number, to: number, depth: number, parentRow: number, siblings: number): void => {
      const list = this.kids.get(parent);
      let gap = -1;
      const flush = (i: number) => {
        if (gap < 0) return;
        const error = this.failures.get(`${parent}@${gap - (gap % CHUNK)}`);
        rows.push({ kind: 'loading', key: `${parent}@${gap}`, parent, depth, parentRow, from: gap, to: i, ...(error !== undefined ? { error } : {}) });
        if (error === undefined) missing.push({ parent, offset: gap, limit: i - gap });
        gap = -1;
      };
      for (let i = from; i < to; i++) {
        const it = list?.[i];
        if (!it) {
          if (gap < 0) gap = i;
          continue;
        }
        flush(i);
        const expanded = this.expanded.has(it.key) && (this.counts.get(it.key) ?? 0) > 0;
        rows.push({ kind: 'item', key: it.key, item: it, depth, parent, parentRow, nth: i, expanded, siblings });
        if (expanded) visit(it.key, depth + 1, rows.length - 1);
      }
      flush(to);
    };
    const visit = (parent: string, depth: number, parentRow: number): void => {
      const count = this.counts.get(parent) ?? 0;
      if (count <= CHUNK) {
        emit(parent, 0, count, depth, parentRow, count);
        return;
      }
      for (let g = 0; g * CHUNK < count; g++) {
        const key = groupKey(parent, g);
        const from = g * CHUNK;
        const to = Math.min(count, from + CHUNK);
        const expanded = this.expanded.has(key);
        rows.push({ kind: 'group', key, parent, depth, parentRow, from, to, expanded });
        if (expanded) emit(parent, from, to, depth + 1, rows.length - 1, count);
      }
    };
    visit(ROOT, 0, -1);
    // Whole chunks: one request per chunk that still lacks something.
    const chunks = new Map<string, MissingChildren>();
    for (const m of missing) {
      for (let o = m.offset - (m.offset % CHUNK); o < m.offset + m.limit; o += CHUNK) {
        const count = this.counts.get(m.parent) ?? 0;
        chunks.set(`${m.parent}@${o}`, { parent: m.parent, offset: o, limit: Math.min(CHUNK, count - o) });
      }
    }
    return { rows, missing: [...chunks.values()] };
  }
}

/** The label of a node under its parent: the part of its path after the parent's. */
export function relativeLabel(parentPath: string, path: string): string {
  if (path.length > parentPath.length && path.startsWith(parentPath)) {
    const c = path[parentPath.length];
    if (c === '.') return path.slice(parentPath.length + 1);
    if (c === '[' || c === '/') return path.slice(parentPath.length);
  }
  return path;
}

/**
 * The path a section's top-level annotations continue: its idstr (`0000:00:02.0/e1000`),
 * or the vmsd name at its end when the paths use that (`piix4_pm/memhp`).
 */
export function sectionPath(idstr: string | undefined, firstPath?: string): string {
  if (idstr === undefined) return '';
  if (firstPath === undefined || firstPath.startsWith(idstr)) return idstr;
  return idstr.slice(idstr.lastIndexOf('/') + 1);
}

export function itemOfAnnotation(a: StreamAnnotation, parentPath: string): TreeItem {
  return {
    key: String(a.index),
    label: relativeLabel(parentPath, a.path),
    kind: a.kind,
    type: a.type,
    ...(a.value !== undefined ? { value: a.value } : {}),
    start: a.start,
    end: a.end,
    path: a.path,
    children: a.children,
  };
}

/** The key of an annotation's parent in the tree. */
export function parentKeyOf(a: Pick<StreamAnnotation, 'parent'>): string {
  return a.parent < 0 ? ROOT : String(a.parent);
}

/**
 * The chain from the top of the tree down to annotation `target`, from annotations that
 * include all its ancestors (the server's range answers do), or undefined when one is missing.
 */
export function chainTo(target: StreamAnnotation, known: ReadonlyMap<number, StreamAnnotation>): StreamAnnotation[] | undefined {
  const chain: StreamAnnotation[] = [target];
  for (let a = target; a.parent >= 0; ) {
    const p = known.get(a.parent);
    if (!p) return undefined;
    chain.unshift(p);
    a = p;
  }
  return chain;
}

/**
 * Children of JSON values (`{fields, subsections}`, arrays, scalars), for sections whose
 * stream carries no byte offsets. Keys are generated; the values are kept to expand later.
 */
export class JsonTreeSource {
  private readonly nodes = new Map<string, JsonValue>();
  private next = 0;

  constructor(root: JsonValue) {
    this.nodes.set(ROOT, root);
  }

  count(key: string): number {
    return entriesOf(this.nodes.get(key) ?? null).length;
  }

  children(key: string, offset: number, limit: number): TreeItem[] {
    const entries = entriesOf(this.nodes.get(key) ?? null).slice(offset, offset + limit);
    return entries.map(([label, kind, v]) => {
      const k = `j${this.next++}`;
      this.nodes.set(k, v);
      const n = entriesOf(v).length;
      return { key: k, label, kind, children: n, ...(n === 0 || v === null ? { value: scalarText(v) } : {}) };
    });
  }
}

function entriesOf(v: JsonValue): Array<[string, AnnotationKind, JsonValue]> {
  if (Array.isArray(v)) return v.map((x, i) => [`[${i}]`, 'element', x]);
  if (v === null || typeof v !== 'object') return [];
  const o = v as Record<string, JsonValue>;
  const fields = o.fields;
  const subs = o.subsections;
  if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
    const out: Array<[string, AnnotationKind, JsonValue]> = Object.entries(fields).map(([k, x]) => [k, 'field', x]);
    if (subs && typeof subs === 'object' && !Array.isArray(subs)) for (const [k, x] of Object.entries(subs)) out.push([`/${k}`, 'subsection', x]);
    return out;
  }
  return Object.entries(o).map(([k, x]) => [k, 'field', x]);
}

function scalarText(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length > 66 ? `${v.slice(0, 64)}… (${v.length / 2} bytes)` : v;
  if (typeof v === 'object') return Array.isArray(v) ? '[]' : '{}';
  return String(v);
}

export type TreeAction = { move: number } | { toggle: string } | { activate: number } | null;

/** What a key does in the tree: move the active row, open or close a node, or select the row. */
export function treeKey(rows: readonly TreeRow[], index: number, key: string, pageRows: number): TreeAction {
  const last = rows.length - 1;
  if (last < 0) return null;
  const i = Math.max(0, Math.min(last, index));
  const row = rows[i];
  const open = (row.kind === 'item' && row.item.children > 0) || row.kind === 'group';
  const expanded = row.kind !== 'loading' && row.expanded;
  switch (key) {
    case 'ArrowDown':
      return { move: Math.min(last, i + 1) };
    case 'ArrowUp':
      return { move: Math.max(0, i - 1) };
    case 'PageDown':
      return { move: Math.min(last, i + pageRows) };
    case 'PageUp':
      return { move: Math.max(0, i - pageRows) };
    case 'Home':
      return { move: 0 };
    case 'End':
      return { move: last };
    case 'ArrowRight':
      if (open && !expanded) return { toggle: row.key };
      if (open && expanded && i < last) return { move: i + 1 };
      return null;
    case 'ArrowLeft':
      if (open && expanded) return { toggle: row.key };
      return row.parentRow >= 0 ? { move: row.parentRow } : null;
    case 'Enter':
    case ' ':
      return row.kind === 'group' ? { toggle: row.key } : { activate: i };
    default:
      return null;
  }
}
