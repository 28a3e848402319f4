import { Analysis } from '../semantic/analyzer';
import { BodyModel } from '../semantic/model';
import { formatSize } from '../semantic/size';
import { describeWireType } from '../semantic/types';
import { Range } from '../syntax/ast';
import { closestMatches } from '../util/names';

/**
 * Document symbols (the outline: descriptions with their fields and subsections, enums,
 * constants, devices with properties, machine types) and workspace symbols.
 */
export type SymbolKindName = 'struct' | 'field' | 'namespace' | 'enum' | 'enumMember' | 'constant' | 'class' | 'property' | 'module';

export interface OutlineSymbol {
  name: string;
  detail?: string;
  kind: SymbolKindName;
  /** The whole declaration. */
  range: Range;
  /** The name. */
  selectionRange: Range;
  deprecated?: boolean;
  children: OutlineSymbol[];
}

function bodySymbols(b: BodyModel): OutlineSymbol[] {
  const out: OutlineSymbol[] = [];
  for (const f of b.fields) {
    const decl = f.decl;
    out.push({
      name: f.name ?? 'unused',
      detail: f.name === undefined ? `${f.size ? formatSize(f.size) : '?'} bytes` : describeWireType(f.type.element) + (f.type.count ? '[…]' : ''),
      kind: 'field',
      range: { start: decl.start, end: decl.end },
      selectionRange: f.nameRange,
      deprecated: f.deprecated !== undefined,
      children: [],
    });
  }
  for (const s of b.subsections) {
    out.push({
      name: s.name,
      detail: s.body.wireName,
      kind: 'namespace',
      range: { start: s.decl.start, end: s.decl.end },
      selectionRange: s.nameRange,
      deprecated: s.deprecated !== undefined,
      children: bodySymbols(s.body),
    });
  }
  return out.sort((a, b2) => a.range.start - b2.range.start);
}

export function documentSymbols(analysis: Analysis, uri: string): OutlineSymbol[] {
  const out: OutlineSymbol[] = [];
  const mine = <T extends { uri: string }>(list: T[]) => list.filter((s) => s.uri === uri);
  for (const d of mine(analysis.descriptions)) {
    out.push({
      name: d.name,
      detail: `${d.body.wireName} v${d.body.version}`,
      kind: 'struct',
      range: { start: d.decl.start, end: d.decl.end },
      selectionRange: d.nameRange,
      deprecated: d.deprecated !== undefined,
      children: d.body ? bodySymbols(d.body) : [],
    });
  }
  for (const e of mine(analysis.enums)) {
    out.push({
      name: e.name, detail: e.base, kind: 'enum', range: { start: e.decl.start, end: e.decl.end }, selectionRange: e.nameRange,
      deprecated: e.deprecated !== undefined,
      children: e.members.map((m) => ({ name: m.name, detail: String(m.value), kind: 'enumMember' as const, range: { start: m.decl.start, end: m.decl.end }, selectionRange: m.nameRange, children: [] })),
    });
  }
  for (const c of mine(analysis.consts)) {
    out.push({ name: c.name, detail: c.value === undefined ? undefined : String(c.value), kind: 'constant', range: { start: c.decl.start, end: c.decl.end }, selectionRange: c.nameRange, children: [] });
  }
  for (const d of mine(analysis.devices)) {
    out.push({
      name: d.name, detail: d.state ? `state ${d.state.name}` : undefined, kind: 'class', range: { start: d.decl.start, end: d.decl.end }, selectionRange: d.nameRange,
      deprecated: d.deprecated !== undefined,
      children: d.properties.map((p) => ({ name: p.name, kind: 'property' as const, range: { start: p.decl.start, end: p.decl.end }, selectionRange: p.nameRange, children: [] })),
    });
  }
  for (const m of mine(analysis.machines)) {
    out.push({
      name: m.name, detail: m.parent ? `: ${m.parent.name}` : undefined, kind: 'module', range: { start: m.decl.start, end: m.decl.end },
      selectionRange: m.nameRange, deprecated: m.deprecated !== undefined, children: [],
    });
  }
  return out.sort((a, b) => a.range.start - b.range.start);
}

export interface WorkspaceSymbol {
  name: string;
  kind: SymbolKindName;
  uri: string;
  range: Range;
  container?: string;
}

/** Workspace symbols: top-level declarations whose name contains the query (case-insensitive), or is close to it. */
export function workspaceSymbols(analysis: Analysis, query: string, limit = 200): WorkspaceSymbol[] {
  const q = query.toLowerCase();
  const all: WorkspaceSymbol[] = [
    ...analysis.descriptions.map((s) => ({ name: s.name, kind: 'struct' as const, uri: s.uri, range: s.nameRange, container: s.body.wireName })),
    ...analysis.enums.map((s) => ({ name: s.name, kind: 'enum' as const, uri: s.uri, range: s.nameRange })),
    ...analysis.consts.map((s) => ({ name: s.name, kind: 'constant' as const, uri: s.uri, range: s.nameRange })),
    ...analysis.devices.map((s) => ({ name: s.name, kind: 'class' as const, uri: s.uri, range: s.nameRange })),
    ...analysis.machines.map((s) => ({ name: s.name, kind: 'module' as const, uri: s.uri, range: s.nameRange })),
  ];
  const hits = all.filter((s) => s.name.toLowerCase().includes(q));
  if (hits.length === 0 && q.length > 2) {
    const close = new Set(closestMatches(query, all.map((s) => s.name), 10));
    return all.filter((s) => close.has(s.name)).slice(0, limit);
  }
  return hits.sort((a, b) => a.name.length - b.name.length || a.name.localeCompare(b.name)).slice(0, limit);
}
