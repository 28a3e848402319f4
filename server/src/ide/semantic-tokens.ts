import { Analysis } from '../semantic/analyzer';
import { AnySym } from '../semantic/model';
import { isScalarName } from '../semantic/types';
import { Range } from '../syntax/ast';
import { BODY_KEYWORDS, DEVICE_KEYWORDS, FIELD_MODIFIERS, TOP_KEYWORDS, TYPE_KEYWORDS } from '../syntax/parser';
import { T } from '../syntax/tokens';
import { declarations } from './locate';

/**
 * Semantic tokens: every token classified by what it means (a description, a field, a
 * property, a built-in type, a keyword in its place), with modifiers for declarations,
 * deprecation and constants. Returned in editor terms (offsets); the protocol layer
 * encodes them.
 */
export const TOKEN_TYPES = [
  'keyword', 'type', 'struct', 'enum', 'enumMember', 'property', 'variable', 'class', 'namespace',
  'string', 'number', 'comment', 'operator', 'decorator', 'function',
] as const;
export const TOKEN_MODIFIERS = ['declaration', 'deprecated', 'readonly', 'defaultLibrary', 'documentation'] as const;

export type TokenType = (typeof TOKEN_TYPES)[number];
export type TokenModifier = (typeof TOKEN_MODIFIERS)[number];

export interface SemanticToken {
  start: number;
  end: number;
  type: TokenType;
  modifiers: TokenModifier[];
}

const KEYWORDS = new Set<string>([...TOP_KEYWORDS, ...BODY_KEYWORDS, ...FIELD_MODIFIERS, ...DEVICE_KEYWORDS, ...TYPE_KEYWORDS, 'true', 'false', 'version', 'str']);

function symType(sym: AnySym): TokenType {
  switch (sym.kind) {
    case 'vmstate':
      return 'struct';
    case 'enum':
      return 'enum';
    case 'enumMember':
      return 'enumMember';
    case 'const':
      return 'variable';
    case 'device':
      return 'class';
    case 'property':
    case 'field':
      return 'property';
    case 'subsection':
    case 'machine':
      return 'namespace';
  }
}

export function semanticTokens(analysis: Analysis, uri: string, range?: Range): SemanticToken[] {
  const info = analysis.files.get(uri);
  if (!info) return [];
  const text = info.tree.text;
  // Names that resolved (references and declarations) by start offset.
  const named = new Map<number, { end: number; sym: AnySym; declaration: boolean }>();
  for (const r of analysis.references.get(uri) ?? []) named.set(r.range.start, { end: r.range.end, sym: r.sym, declaration: false });
  for (const d of declarations(analysis).get(uri) ?? []) named.set(d.range.start, { end: d.range.end, sym: d.sym, declaration: true });

  const out: SemanticToken[] = [];
  const tokens = info.tree.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (range && (t.end < range.start || t.start > range.end)) continue;
    const n = named.get(t.start);
    if (n) {
      const mods: TokenModifier[] = [];
      if (n.declaration) mods.push('declaration');
      if (n.sym.deprecated !== undefined) mods.push('deprecated');
      if (n.sym.kind === 'const' || n.sym.kind === 'enumMember') mods.push('readonly');
      out.push({ start: t.start, end: n.end, type: symType(n.sym), modifiers: mods });
      continue;
    }
    switch (t.kind) {
      case T.LineComment:
      case T.BlockComment:
        out.push({ start: t.start, end: t.end, type: 'comment', modifiers: [] });
        break;
      case T.DocComment:
        out.push({ start: t.start, end: t.end, type: 'comment', modifiers: ['documentation'] });
        break;
      case T.String:
        out.push({ start: t.start, end: t.end, type: 'string', modifiers: [] });
        break;
      case T.Int:
        out.push({ start: t.start, end: t.end, type: 'number', modifiers: [] });
        break;
      case T.At: {
        // `@name` of an attribute (not `Desc @ 2`): a decorator.
        const next = tokens[i + 1];
        if (next && next.kind === T.Ident && next.start === t.end) {
          out.push({ start: t.start, end: next.end, type: 'decorator', modifiers: [] });
          i++;
        } else out.push({ start: t.start, end: t.end, type: 'operator', modifiers: [] });
        break;
      }
      case T.Ident: {
        const word = text.slice(t.start, t.end);
        const next = tokens[i + 1];
        if (isScalarName(word)) out.push({ start: t.start, end: t.end, type: 'type', modifiers: ['defaultLibrary'] });
        else if ((word === 'property' || word === 'opaque') && next?.kind === T.LParen && next.start === t.end) {
          out.push({ start: t.start, end: t.end, type: 'function', modifiers: ['defaultLibrary'] });
        } else if (KEYWORDS.has(word) && next?.kind !== T.Colon) out.push({ start: t.start, end: t.end, type: 'keyword', modifiers: [] });
        break;
      }
      case T.Eq:
      case T.EqEq:
      case T.BangEq:
      case T.Bang:
      case T.AmpAmp:
      case T.PipePipe:
      case T.Amp:
      case T.Pipe:
      case T.Caret:
      case T.Tilde:
      case T.Plus:
      case T.Minus:
      case T.Star:
      case T.Slash:
      case T.Percent:
      case T.Question:
        out.push({ start: t.start, end: t.end, type: 'operator', modifiers: [] });
        break;
    }
  }
  return out;
}
