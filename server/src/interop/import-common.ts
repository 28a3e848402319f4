import { format } from '../format/formatter';
import { BODY_KEYWORDS, FIELD_MODIFIERS, parse, TYPE_KEYWORDS } from '../syntax/parser';
import { SCALARS } from '../semantic/types';

/** What the importers (`vmsd import vmdesc`, `vmsd import qemu-dump`) share. */
export interface ImportedFile {
  name: string;
  text: string;
}

const RESERVED_TYPE_NAMES = new Set<string>([...Object.keys(SCALARS), ...TYPE_KEYWORDS]);
const KEYWORD_FIELDS = new Set<string>([...BODY_KEYWORDS, ...FIELD_MODIFIERS]);
/** An identifier of the language (§1): hyphens inside, not at the ends. */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*$/;

/** A description identifier for a wire name, unique among `taken` (which it joins). */
export function identFor(wireName: string, taken: Set<string>): string {
  let base = wireName.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^-+|-+$/g, '').replace(/-(?![A-Za-z0-9_])/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
  if (RESERVED_TYPE_NAMES.has(base)) base = `${base}_state`;
  let ident = base;
  for (let n = 2; taken.has(ident); n++) ident = `${base}_${n}`;
  taken.add(ident);
  return ident;
}

/** A field (or device) name as written: quoted when not an identifier or when a keyword. */
export function fieldName(n: string): string {
  return IDENT.test(n) && !KEYWORD_FIELDS.has(n) ? n : JSON.stringify(n);
}

/** Names made unique within one body: the second `x` is `x#2`, and so on. */
export function uniqueNames(): (name: string) => string {
  const names = new Map<string, number>();
  return (n) => {
    const seen = names.get(n) ?? 0;
    names.set(n, seen + 1);
    return seen === 0 ? n : `${n}#${seen + 1}`;
  };
}

/** The formatter's layout when the text parses (it always should); the text as built otherwise. */
export function canonical(text: string): string {
  const tree = parse(text);
  return (tree.diagnostics.length === 0 && format(tree)) || text;
}
