import { Analysis } from '../semantic/analyzer';
import { AnySym } from '../semantic/model';
import { Range } from '../syntax/ast';
import { declarationOf, referencesTo, symbolAt } from './locate';

/**
 * Rename. A name that reaches the wire is not renamed silently: a description's or a
 * subsection's name that is also its wire name is refused (say `name "old"` first, then
 * the symbol is free to change), and renaming a field — the key of the self-describing
 * stream — or a machine type (sent in the configuration record) asks for confirmation.
 */
export interface PrepareRename {
  range: Range;
  placeholder: string;
}

export interface RenameResult {
  edits: Array<{ uri: string; range: Range; newText: string }>;
  /** Set when the rename changes what goes on the wire: the client should confirm. */
  confirm?: string;
}

export class RenameError extends Error {}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*$/;

function wireRefusal(sym: AnySym): string | undefined {
  if (sym.kind === 'vmstate' && !sym.decl.body?.items.some((i) => i.kind === 'WireName')) {
    return `\`${sym.name}\` is also the wire name of the description: renaming it changes the stream. Add \`name "${sym.name}"\` to keep the wire name, then rename.`;
  }
  if (sym.kind === 'subsection' && !sym.decl.body?.items.some((i) => i.kind === 'WireName')) {
    return `The subsection's wire name is \`${sym.body.wireName}\`: renaming it changes the stream, and QEMU's loader would reject the new name. Add \`name "${sym.body.wireName}"\` to keep it, then rename.`;
  }
  return undefined;
}

export function prepareRename(analysis: Analysis, uri: string, offset: number): PrepareRename {
  const at = symbolAt(analysis, uri, offset);
  if (!at) throw new RenameError('Nothing to rename here');
  const refusal = wireRefusal(at.sym);
  if (refusal) throw new RenameError(refusal);
  const text = analysis.files.get(uri)?.tree.text.slice(at.range.start, at.range.end) ?? '';
  const quoted = text.startsWith('"');
  return { range: quoted ? { start: at.range.start + 1, end: at.range.end - 1 } : at.range, placeholder: at.sym.name ?? '' };
}

export function rename(analysis: Analysis, uri: string, offset: number, newName: string): RenameResult {
  const at = symbolAt(analysis, uri, offset);
  if (!at) throw new RenameError('Nothing to rename here');
  const sym = at.sym;
  const refusal = wireRefusal(sym);
  if (refusal) throw new RenameError(refusal);
  if (newName === sym.name) return { edits: [] };
  const quotedTarget = sym.kind === 'machine';
  if (!quotedTarget && !IDENT.test(newName) && sym.kind !== 'field' && sym.kind !== 'device' && sym.kind !== 'property') {
    throw new RenameError(`\`${newName}\` is not a valid name`);
  }
  if (newName === 'true' || newName === 'false') throw new RenameError(`\`${newName}\` is a reserved word`);
  const clash = sameNamespace(analysis, sym).find((s) => s.name === newName);
  if (clash) throw new RenameError(`\`${newName}\` is already declared (${clash.kind} in ${clash.uri.slice(clash.uri.lastIndexOf('/') + 1)})`);

  const locations = [declarationOf(sym), ...referencesTo(analysis, sym)];
  const edits = locations.map((l) => {
    const src = analysis.files.get(l.uri)?.tree.text.slice(l.range.start, l.range.end) ?? '';
    // Quoted names stay quoted; identifiers that stop being identifiers get quotes.
    const newText = src.startsWith('"') || !IDENT.test(newName) ? JSON.stringify(newName) : newName;
    return { uri: l.uri, range: l.range, newText };
  });
  const result: RenameResult = { edits };
  if (sym.kind === 'field') result.confirm = `Field names are the keys of the self-describing stream: streams written with \`${sym.name}\` will not find \`${newName}\` unless you add \`alias ${sym.name}\`.`;
  if (sym.kind === 'machine') result.confirm = 'A machine type name is sent in the stream\'s configuration record and must match on both sides.';
  return result;
}

function sameNamespace(analysis: Analysis, sym: AnySym): Array<{ name?: string; kind: string; uri: string }> {
  switch (sym.kind) {
    case 'vmstate':
    case 'enum':
    case 'const':
      return [...analysis.descriptions, ...analysis.enums, ...analysis.consts];
    case 'device':
      return analysis.devices;
    case 'machine':
      return analysis.machines;
    case 'enumMember':
      return sym.owner.members;
    case 'property':
      return sym.owner.properties;
    case 'field':
      return sym.body.fields;
    case 'subsection':
      return sym.parent.subsections;
  }
}
