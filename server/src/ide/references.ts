import { Analysis } from '../semantic/analyzer';
import { Range } from '../syntax/ast';
import { declarationOf, referencesTo, symbolAt } from './locate';
import { Location } from './definition';

/** Find references: every use of the symbol at the offset (and its declaration if asked). */
export function references(analysis: Analysis, uri: string, offset: number, includeDeclaration: boolean): Location[] {
  const at = symbolAt(analysis, uri, offset);
  if (!at) return [];
  const out: Location[] = referencesTo(analysis, at.sym);
  if (includeDeclaration) {
    const d = declarationOf(at.sym);
    out.unshift({ uri: d.uri, range: d.range });
  }
  return out;
}

export interface Highlight {
  range: Range;
  kind: 'read' | 'write' | 'text';
}

/** Document highlight: the symbol's declaration (write) and uses (read) in this file. */
export function documentHighlights(analysis: Analysis, uri: string, offset: number): Highlight[] {
  const at = symbolAt(analysis, uri, offset);
  if (!at) return [];
  const out: Highlight[] = [];
  const d = declarationOf(at.sym);
  if (d.uri === uri) out.push({ range: d.range, kind: 'write' });
  for (const r of referencesTo(analysis, at.sym)) if (r.uri === uri) out.push({ range: r.range, kind: 'read' });
  return out.sort((a, b) => a.range.start - b.range.start);
}
