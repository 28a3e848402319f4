import { Diagnostic } from '../diagnostics/diagnostic';
import { Analysis } from '../semantic/analyzer';
import { BodyModel, FieldModel } from '../semantic/model';
import * as A from '../syntax/ast';

/**
 * Code actions: a quick fix for every diagnostic with an obvious one (a misspelt name, a
 * missing include, struct, enum or constant, `since` above the version, a missing `}`,
 * an unused declaration), and refactors on a selection (move fields into a new
 * subsection gated by a new property; add `since` and bump the version).
 */
export interface WorkspaceEditPart {
  uri: string;
  range: A.Range;
  newText: string;
}

export interface CodeAction {
  title: string;
  kind: 'quickfix' | 'refactor.rewrite' | 'refactor.extract';
  /** The diagnostics this action fixes. */
  diagnostics?: Diagnostic[];
  edits: WorkspaceEditPart[];
  isPreferred?: boolean;
}

export function codeActions(analysis: Analysis, uri: string, range: A.Range, diagnostics: Diagnostic[]): CodeAction[] {
  const info = analysis.files.get(uri);
  if (!info) return [];
  const text = info.tree.text;
  const out: CodeAction[] = [];
  for (const d of diagnostics) out.push(...fixesFor(analysis, uri, text, d));
  out.push(...refactors(analysis, uri, text, range));
  return out;
}

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export function lineEnd(text: string, offset: number): number {
  const n = text.indexOf('\n', offset);
  return n < 0 ? text.length : n + 1;
}

export function indentAt(text: string, offset: number): string {
  const s = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(s))![0];
}

function fixesFor(analysis: Analysis, uri: string, text: string, d: Diagnostic): CodeAction[] {
  const out: CodeAction[] = [];
  const range = { start: d.start, end: d.end };
  const fix = (title: string, edits: WorkspaceEditPart[], isPreferred = false) => out.push({ title, kind: 'quickfix', diagnostics: [d], edits, isPreferred });
  const word = text.slice(d.start, d.end);

  // "Did you mean": one fix per suggestion, the first preferred.
  for (const [i, s] of (d.data?.suggestions ?? []).entries()) {
    const quoted = word.startsWith('"');
    fix(`Change to \`${s}\``, [{ uri, range, newText: quoted ? JSON.stringify(s) : s }], i === 0);
  }

  switch (d.code) {
    case 'VL107': {
      const include = d.data?.include;
      if (typeof include === 'string') fix(`Add \`include "${include}"\``, [insertInclude(analysis, uri, text, include)], true);
      break;
    }
    case 'VL100': {
      const kind = d.data?.kind;
      const name = word;
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) break;
      const end = { start: text.length, end: text.length };
      const sep = text.endsWith('\n') ? '\n' : '\n\n';
      if (kind === 'type') {
        fix(`Create description \`${name}\``, [{ uri, range: end, newText: `${sep}vmstate ${name} {\n    version 1\n}\n` }]);
        fix(`Create enum \`${name}\``, [{ uri, range: end, newText: `${sep}enum ${name}: u8 {\n    off,\n    on,\n}\n` }]);
      } else if (kind === 'value') {
        fix(`Create constant \`${name}\``, [{ uri, range: { start: declarationStart(analysis, uri, d.start), end: declarationStart(analysis, uri, d.start) }, newText: `const ${name} = 0\n\n` }]);
      }
      break;
    }
    case 'VL300': {
      const v = d.data?.version;
      if (typeof v === 'number') {
        const body = bodyAt(analysis, uri, d.start);
        if (body) fix(`Bump the version to ${v}`, [versionEdit(uri, text, body, v)], true);
      }
      break;
    }
    case 'VL200':
      if (d.data?.fix === 'compare-nonzero') fix('Compare with 0', [{ uri, range, newText: `${text.slice(d.start, d.end)} != 0` }], true);
      break;
    case 'VL011':
      fix('Insert the missing `}`', [{ uri, range: { start: d.start, end: d.start }, newText: '\n}' }], true);
      break;
    case 'VL500':
    case 'VL502': {
      const decl = declarationAt(analysis, uri, d.start);
      if (decl) fix(d.code === 'VL502' ? 'Remove the unused include' : 'Remove the unused declaration', [{ uri, range: wholeLines(text, decl), newText: '' }]);
      break;
    }
  }
  return out;
}

function wholeLines(text: string, r: A.Range): A.Range {
  // Take the doc comment lines above too, and one blank line after.
  let start = lineStart(text, r.start);
  let end = lineEnd(text, r.end);
  if (text.slice(end, end + 1) === '\n') end++;
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    if (/^\s*\/\/\//.test(text.slice(prev, start))) start = prev;
    else break;
  }
  return { start, end };
}

function insertInclude(analysis: Analysis, uri: string, text: string, path: string): WorkspaceEditPart {
  const items = analysis.files.get(uri)!.tree.file.items;
  const lastInclude = [...items].reverse().find((i) => i.kind === 'Include');
  if (lastInclude) return { uri, range: { start: lineEnd(text, lastInclude.end), end: lineEnd(text, lastInclude.end) }, newText: `include "${path}"\n` };
  // After the leading comment block, if any.
  const first = items[0];
  const at = first ? (first.doc ? first.doc.start : first.start) : text.length;
  const s = lineStart(text, at);
  return { uri, range: { start: s, end: s }, newText: `include "${path}"\n\n` };
}

function declarationStart(analysis: Analysis, uri: string, offset: number): number {
  const items = analysis.files.get(uri)!.tree.file.items;
  const item = items.find((i) => i.start <= offset && offset <= i.end);
  const s = item ? (item.doc ? item.doc.start : item.start) : 0;
  return lineStart(analysis.files.get(uri)!.tree.text, s);
}

function declarationAt(analysis: Analysis, uri: string, offset: number): A.Range | undefined {
  const items = analysis.files.get(uri)!.tree.file.items;
  return items.find((i) => i.start <= offset && offset <= i.end);
}

/** The innermost description or subsection body at an offset. */
export function bodyAt(analysis: Analysis, uri: string, offset: number): BodyModel | undefined {
  let found: BodyModel | undefined;
  for (const d of analysis.descriptions) {
    if (d.uri !== uri || !d.body || offset < d.decl.start || offset > d.decl.end) continue;
    found = d.body;
    const stack = [d.body];
    while (stack.length) {
      const b = stack.pop()!;
      for (const s of b.subsections) {
        if (offset >= s.decl.start && offset <= s.decl.end) {
          found = s.body;
          stack.push(s.body);
        }
      }
    }
  }
  return found;
}

function bodyItems(body: BodyModel): A.BodyItem[] {
  return (body.subsection ? body.subsection.decl.body?.items : body.owner.decl.body?.items) ?? [];
}

/** Set `version N` in a body: edit the statement, or add one at the top of the body. */
export function versionEdit(uri: string, text: string, body: BodyModel, v: number): WorkspaceEditPart {
  const stmt = bodyItems(body).find((i): i is A.VersionStmt => i.kind === 'Version');
  if (stmt?.value) return { uri, range: { start: stmt.value.start, end: stmt.value.end }, newText: String(v) };
  const block = body.subsection ? body.subsection.decl.body : body.owner.decl.body;
  const first = bodyItems(body)[0];
  const indent = first ? indentAt(text, first.start) : '    ';
  const at = block ? block.start + 1 : 0;
  return { uri, range: { start: at, end: at }, newText: `\n${indent}version ${v}` };
}

function refactors(analysis: Analysis, uri: string, text: string, range: A.Range): CodeAction[] {
  const out: CodeAction[] = [];
  const body = bodyAt(analysis, uri, range.start);
  if (!body) return out;
  const selected = body.fields.filter((f) => f.decl.start < range.end && f.decl.end > range.start);
  // Move the selected fields into a new subsection gated by a new property.
  if (selected.length && selected.every((f) => f.decl.kind === 'Field' || f.decl.kind === 'Unused') && range.end > range.start) {
    out.push(moveToSubsection(analysis, uri, text, body, selected));
  }
  // On one field without `since`: add `since version+1` and bump the version.
  const at = body.fields.find((f) => f.decl.start <= range.start && range.start <= f.decl.end);
  if (at && at.since === undefined && at.condition === undefined) {
    const v = body.version + 1;
    out.push({
      title: `Add \`since ${v}\` and bump the version to ${v}`,
      kind: 'refactor.rewrite',
      edits: [versionEdit(uri, text, body, v), { uri, range: { start: at.decl.end, end: at.decl.end }, newText: ` since ${v}` }],
    });
  }
  return out;
}

/**
 * Move fields into a new subsection gated by a new bool property (default on), declared on
 * the devices whose state this is; `more` adds edits that need the property's name (the
 * compat entries of older machine types).
 */
export function moveToSubsection(analysis: Analysis, uri: string, text: string, body: BodyModel, fields: FieldModel[], more?: (prop: string) => WorkspaceEditPart[]): CodeAction {
  const first = fields[0];
  const last = fields[fields.length - 1];
  const cut = { start: lineStart(text, first.decl.doc ? first.decl.doc.start : first.decl.start), end: lineEnd(text, last.decl.end) };
  const indent = indentAt(text, first.decl.start);
  const moved = text
    .slice(cut.start, cut.end)
    .split('\n')
    .map((l) => (l.trim() ? '    ' + l : l))
    .join('\n');
  const name = `${first.name ?? 'extra'}_state`.replace(/[^A-Za-z0-9_]/g, '_');
  const prop = `x-migrate-${name.replace(/_/g, '-')}`;
  const block = body.subsection ? body.subsection.decl.body : body.owner.decl.body;
  const close = block && block.closed ? block.end - 1 : text.length;
  const insertAt = lineStart(text, close);
  const sub = `\n${indent}subsection ${name} needed (property(${prop})) {\n${indent}    version 1\n${moved.endsWith('\n') ? moved : moved + '\n'}${indent}}\n`;
  const edits: WorkspaceEditPart[] = [
    { uri, range: cut, newText: '' },
    { uri, range: { start: insertAt, end: insertAt }, newText: sub },
  ];
  // Declare the property on the devices whose state this is.
  for (const dev of body.owner.devices) {
    const b = dev.decl.body;
    if (!b) continue;
    const devText = analysis.files.get(dev.uri)?.tree.text ?? '';
    const where = b.closed ? lineStart(devText, b.end - 1) : devText.length;
    edits.push({ uri: dev.uri, range: { start: where, end: where }, newText: `    property ${prop}: bool = true\n` });
  }
  if (more) edits.push(...more(prop));
  return { title: `Move ${fields.length === 1 ? 'the field' : `${fields.length} fields`} into a new subsection`, kind: 'refactor.extract', edits };
}
