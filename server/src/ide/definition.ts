import { Analysis } from '../semantic/analyzer';
import { Range } from '../syntax/ast';
import { declarationOf, plain, symbolAt } from './locate';

/** Go to definition: the declaration of the name at the offset (itself on a declaration). */
export interface Location {
  uri: string;
  range: Range;
}

export function definition(analysis: Analysis, uri: string, offset: number): Location | undefined {
  const at = symbolAt(analysis, uri, offset);
  if (!at) return undefined;
  const d = declarationOf(at.sym);
  return { uri: d.uri, range: d.range };
}

/** Go to type definition: from a field to the description or enum it is made of. */
export function typeDefinition(analysis: Analysis, uri: string, offset: number): Location | undefined {
  const at = symbolAt(analysis, uri, offset);
  if (!at) return undefined;
  const s = at.sym;
  if (s.kind === 'field') {
    const e = s.type.element;
    const target = e.kind === 'struct' || e.kind === 'tmp' ? e.description : e.kind === 'enum' ? e.enum : e.kind === 'list' && e.element.kind === 'struct' ? e.element.description : undefined;
    return target ? { uri: target.uri, range: plain(target.nameRange) } : undefined;
  }
  if (s.kind === 'device' && s.state) return { uri: s.state.uri, range: plain(s.state.nameRange) };
  if (s.kind === 'property' && s.type.kind === 'enum') return { uri: s.type.enum.uri, range: plain(s.type.enum.nameRange) };
  if (s.kind === 'enumMember') return { uri: s.owner.uri, range: plain(s.owner.nameRange) };
  return undefined;
}
