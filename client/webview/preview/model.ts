import type { Annotation, EditKind, Format, JsonPath, Presence, PreviewResult } from './protocol';

/**
 * The structure of a preview as a tree: the description, its fields, array elements,
 * embedded descriptions and subsections — present ones with their byte ranges in each
 * format, absent ones with the reason. Built from the presence entries (every field and
 * subsection in declaration order) and the annotations of both formats, matched by their
 * place in the value (`at`), so a node links the QEMU bytes, the CBOR bytes, the
 * declaration and the value. Pure: no DOM.
 */

export type NodeKind = 'root' | 'field' | 'element' | 'unused' | 'subsection';

export interface ByteRange {
  start: number;
  end: number;
}

export interface Node {
  /** Unique, readable, stable across updates: `.timer[1].config`, `/offset.hpet_offset`; '' for the root. */
  key: string;
  at: JsonPath;
  /** `config`, `[1]`, `offset` (a subsection). */
  label: string;
  /** The codec path (`hpet.timer[1].config`, `hpet/offset`); not unique. */
  path: string;
  kind: NodeKind;
  type?: string;
  /** The value as the server shows it (integers in decimal, bytes in hex). */
  value?: string;
  edit?: EditKind;
  source?: number;
  ranges: Partial<Record<Format, ByteRange>>;
  /** CBOR: the range of the map key naming it. */
  keyRange?: ByteRange;
  presence?: Presence;
  /** In the encoded state (false: an absent field or subsection, shown with its reason). */
  present: boolean;
  parent?: Node;
  children: Node[];
  depth: number;
  /** Preorder index in Model.nodes. */
  index: number;
  /** Leaves with bytes get a colour (0..COLOURS-1), the same in both formats. */
  colour?: number;
}

export interface Model {
  description: string;
  wireName: string;
  root: Node;
  /** Preorder. */
  nodes: Node[];
  byKey: Map<string, Node>;
  /** Codec path → nodes (several for subsections of an embedded description in an array). */
  byPath: Map<string, Node[]>;
  /** CBOR header entries (`record`, `idstr` …) and anything without a place, by format. */
  markers: Partial<Record<Format, Annotation[]>>;
  sizes: Partial<Record<Format, number>>;
}

export const COLOURS = 6;

/** A node's key from its place in the value: fields `.name`, subsections `/name`, elements `[i]`. */
export function keyOf(at: JsonPath): string {
  let k = '';
  for (let i = 0; i < at.length; i++) {
    const s = at[i];
    if (typeof s === 'number') k += `[${s}]`;
    else if ((s === 'fields' || s === 'subsections') && i + 1 < at.length) k += (s === 'fields' ? '.' : '/') + String(at[++i]);
    else k += `.${s}`;
  }
  return k;
}

/** The place of each tree level of `at`: ['fields', 'timer', 1] → [['fields', 'timer'], ['fields', 'timer', 1]]. */
function levels(at: JsonPath): JsonPath[] {
  const out: JsonPath[] = [];
  let i = 0;
  while (i < at.length) {
    i += typeof at[i] === 'number' ? 1 : at[i] === 'fields' || at[i] === 'subsections' ? 2 : 1;
    out.push(at.slice(0, Math.min(i, at.length)));
  }
  return out;
}

function labelOf(at: JsonPath): string {
  const last = at[at.length - 1];
  return typeof last === 'number' ? `[${last}]` : String(last);
}

function kindOf(at: JsonPath): NodeKind {
  const last = at[at.length - 1];
  if (typeof last === 'number') return 'element';
  if (at[at.length - 2] === 'subsections') return 'subsection';
  return typeof last === 'string' && /^unused\[\d+\]$/.test(last) ? 'unused' : 'field';
}

/** The tree of one preview: `results` of one request in each format shown (at least one). */
export function buildModel(results: Partial<Record<Format, PreviewResult>>): Model {
  const primary = results.qemu ?? results.cbor;
  if (!primary) throw new Error('buildModel: no result');
  const root: Node = { key: '', at: [], label: primary.description, path: primary.wireName, kind: 'root', source: primary.declaration, ranges: {}, present: true, children: [], depth: 0, index: 0 };
  const byKey = new Map<string, Node>([['', root]]);
  const markers: Model['markers'] = {};
  const sizes: Model['sizes'] = {};

  const ensure = (at: JsonPath): Node => {
    const key = keyOf(at);
    const hit = byKey.get(key);
    if (hit) return hit;
    const lv = levels(at);
    const parent = lv.length > 1 ? ensure(lv[lv.length - 2]) : root;
    const n: Node = { key, at, label: labelOf(at), path: '', kind: kindOf(at), ranges: {}, present: true, parent, children: [], depth: parent.depth + 1, index: -1 };
    parent.children.push(n);
    byKey.set(key, n);
    return n;
  };

  // Every field and subsection, present or not, in declaration order.
  for (const p of primary.presence) {
    if (!p.at) continue;
    if (p.kind === 'section') {
      root.presence = p;
      continue;
    }
    const n = ensure(p.at);
    n.presence = p;
    n.present = p.present;
    n.path = p.path;
    if (p.source !== undefined) n.source = p.source;
  }
  for (const format of ['qemu', 'cbor'] as const) {
    const r = results[format];
    if (!r) continue;
    const size = r.bytes.length / 2;
    sizes[format] = size;
    root.ranges[format] = { start: 0, end: size };
    const ms: Annotation[] = (markers[format] = []);
    for (const a of r.annotations) {
      if (a.kind === 'marker' || !a.at) {
        ms.push(a);
        continue;
      }
      const n = ensure(a.at);
      n.ranges[format] = { start: a.start, end: a.end };
      if (a.key) n.keyRange = a.key;
      n.present = true;
      n.path ||= a.path;
      n.type ??= a.type;
      if (a.kind === 'unused' || a.kind === 'subsection' || a.kind === 'element') n.kind = a.kind;
      if (a.value !== undefined && format === (results.qemu ? 'qemu' : 'cbor')) n.value = a.value;
      else n.value ??= a.value;
      if (a.edit) n.edit = a.edit;
      if (a.source !== undefined) n.source ??= a.source;
    }
  }

  // Preorder, depths, paths of nodes only the place names (tree nodes' key/value), ranges of
  // nodes without an annotation of their own (a list item) from their children, colours.
  const nodes: Node[] = [];
  const byPath = new Map<string, Node[]>();
  let colour = 0;
  const visit = (n: Node, depth: number) => {
    n.index = nodes.length;
    n.depth = depth;
    nodes.push(n);
    if (!n.path && n.parent) n.path = n.parent.path + (n.kind === 'element' ? n.label : `.${n.label}`);
    const l = byPath.get(n.path);
    if (l) l.push(n);
    else byPath.set(n.path, [n]);
    for (const c of n.children) {
      if (c.source === undefined && c.kind === 'element' && n.source !== undefined) c.source = n.source;
      visit(c, depth + 1);
    }
    for (const f of ['qemu', 'cbor'] as const) {
      if (n.ranges[f]) continue;
      const rs = n.children.map((c) => c.ranges[f]).filter((r): r is ByteRange => !!r);
      if (rs.length) n.ranges[f] = rs.reduce((a, r) => ({ start: Math.min(a.start, r.start), end: Math.max(a.end, r.end) }));
    }
    if (n.present && n.kind !== 'root' && !n.children.some((c) => c.present) && (n.ranges.qemu || n.ranges.cbor)) n.colour = colour++ % COLOURS;
  };
  visit(root, 0);
  return { description: primary.description, wireName: primary.wireName, root, nodes, byKey, byPath, markers, sizes };
}

/** Whether a node starts expanded: the description, subsections, and what has few children. */
export function expandedByDefault(n: Node): boolean {
  if (n.kind === 'root' || n.kind === 'subsection') return true;
  return n.children.length > 0 && n.children.length <= 16 && n.depth < 4;
}

export function isExpanded(n: Node, overrides: ReadonlyMap<string, boolean>): boolean {
  return overrides.get(n.key) ?? expandedByDefault(n);
}

/** The rows a tree shows: preorder, below expanded nodes only, absent ones unless hidden. */
export function visibleRows(model: Model, overrides: ReadonlyMap<string, boolean>, showAbsent: boolean): Node[] {
  const out: Node[] = [];
  const walk = (n: Node) => {
    if (!n.present && !showAbsent) return;
    out.push(n);
    if (n.children.length && isExpanded(n, overrides)) for (const c of n.children) walk(c);
  };
  walk(model.root);
  return out;
}

/** The overrides that make `n` visible: its ancestors expanded. */
export function revealNode(n: Node, overrides: Map<string, boolean>): void {
  for (let p = n.parent; p; p = p.parent) if (!isExpanded(p, overrides)) overrides.set(p.key, true);
}

/**
 * The node for the declarations under the editor's cursor (innermost first): the
 * selected node when it is one of them (so an element stays selected), else the first
 * present node of the innermost declaration that has one, else an absent one.
 */
export function nodeForSources(model: Model, sources: readonly number[], current?: Node): Node | undefined {
  for (const s of sources) {
    if (current && current.source === s && current.kind !== 'root') return current;
    const hits = model.nodes.filter((n) => n.source === s && n.kind !== 'root');
    if (hits.length) return hits.find((n) => n.present) ?? hits[0];
    if (s === model.root.source) return model.root;
  }
  return undefined;
}

/** The node a codec path names (an error's path): the first with it, else the nearest enclosing. */
export function nodeForPath(model: Model, path: string | undefined): Node | undefined {
  if (path === undefined) return undefined;
  for (let p = path; p; ) {
    const hit = model.byPath.get(p)?.[0];
    if (hit) return hit;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['), p.lastIndexOf('/'));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return undefined;
}

/** The same node in a newer model (after an update), by key, else its nearest ancestor there. */
export function carryOver(model: Model, old: Node | undefined): Node | undefined {
  for (let n = old; n; n = n.parent) {
    const hit = model.byKey.get(n.key);
    if (hit) return hit;
  }
  return undefined;
}

/** Moves in a tree's rows by key (ARIA treegrid keys): the row to select, or a node to expand/collapse. */
export function treeKey(rows: readonly Node[], current: Node | undefined, key: string, overrides: ReadonlyMap<string, boolean>, page: number): { select?: Node; toggle?: Node } {
  if (!rows.length) return {};
  const i = current ? rows.indexOf(current) : -1;
  const at = (j: number) => rows[Math.max(0, Math.min(rows.length - 1, j))];
  switch (key) {
    case 'ArrowDown':
      return { select: at(i + 1) };
    case 'ArrowUp':
      return { select: at(i < 0 ? 0 : i - 1) };
    case 'PageDown':
      return { select: at(i + page) };
    case 'PageUp':
      return { select: at(i - page) };
    case 'Home':
      return { select: rows[0] };
    case 'End':
      return { select: rows[rows.length - 1] };
    case 'ArrowRight':
      if (!current) return { select: rows[0] };
      if (current.children.length && !isExpanded(current, overrides)) return { toggle: current };
      if (current.children.length) return { select: at(i + 1) };
      return {};
    case 'ArrowLeft':
      if (!current) return { select: rows[0] };
      if (current.children.length && isExpanded(current, overrides)) return { toggle: current };
      return current.parent ? { select: current.parent } : {};
    default:
      return {};
  }
}
