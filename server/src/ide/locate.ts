import { Analysis } from '../semantic/analyzer';
import { AnySym, BodyModel } from '../semantic/model';
import { Range } from '../syntax/ast';

/**
 * What sits at an offset: a reference to a symbol, or a symbol's own name. Every editor
 * feature starts here. Offsets are UTF-16 code units; a cursor right after a name still
 * touches it (`hpet|`).
 */
export interface SymbolAt {
  kind: 'reference' | 'declaration';
  range: Range;
  sym: AnySym;
}

export interface Declaration {
  uri: string;
  range: Range;
  sym: AnySym;
}

const declarationIndex = new WeakMap<Analysis, Map<string, Declaration[]>>();

/** Every named declaration of the workspace (top level and nested), by file, in source order. */
export function declarations(analysis: Analysis): Map<string, Declaration[]> {
  let index = declarationIndex.get(analysis);
  if (index) return index;
  index = new Map();
  const add = (sym: AnySym) => {
    if (!('nameRange' in sym) || (sym.kind === 'field' && sym.name === undefined)) return;
    let list = index!.get(sym.uri);
    if (!list) index!.set(sym.uri, (list = []));
    list.push({ uri: sym.uri, range: plain(sym.nameRange), sym });
  };
  const body = (b: BodyModel) => {
    for (const f of b.fields) add(f);
    for (const s of b.subsections) {
      add(s);
      body(s.body);
    }
  };
  for (const d of analysis.descriptions) {
    add(d);
    if (d.body) body(d.body);
  }
  for (const e of analysis.enums) {
    add(e);
    for (const m of e.members) add(m);
  }
  for (const c of analysis.consts) add(c);
  for (const d of analysis.devices) {
    add(d);
    for (const p of d.properties) add(p);
  }
  for (const m of analysis.machines) add(m);
  for (const list of index.values()) list.sort((a, b) => a.range.start - b.range.start);
  declarationIndex.set(analysis, index);
  return index;
}

/** Ranges leave the ide layer as plain {start, end} (never syntax nodes). */
export function plain(r: Range): Range {
  return { start: r.start, end: r.end };
}

function touches(r: Range, offset: number): boolean {
  return r.start <= offset && offset <= r.end;
}

export function symbolAt(analysis: Analysis, uri: string, offset: number): SymbolAt | undefined {
  // References are narrower than declarations, and `a.b.c` has one per segment.
  let best: SymbolAt | undefined;
  for (const r of analysis.references.get(uri) ?? []) {
    if (touches(r.range, offset) && (!best || r.range.end - r.range.start < best.range.end - best.range.start)) {
      best = { kind: 'reference', range: plain(r.range), sym: r.sym };
    }
  }
  if (best) return best;
  for (const d of declarations(analysis).get(uri) ?? []) {
    if (touches(d.range, offset)) return { kind: 'declaration', range: d.range, sym: d.sym };
  }
  return undefined;
}

/** Where a symbol is declared. */
export function declarationOf(sym: AnySym): Declaration {
  return { uri: sym.uri, range: plain(sym.nameRange), sym };
}

/** Every use of a symbol, over all files, in file then source order. */
export function referencesTo(analysis: Analysis, sym: AnySym): Array<{ uri: string; range: Range }> {
  const out: Array<{ uri: string; range: Range }> = [];
  for (const [uri, refs] of [...analysis.references].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (const r of refs) if (r.sym === sym) out.push({ uri, range: plain(r.range) });
  }
  return out.sort((a, b) => a.uri.localeCompare(b.uri) || a.range.start - b.range.start);
}
