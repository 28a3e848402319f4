import { Diagnostic } from '../diagnostics/diagnostic';
import { Analysis } from '../semantic/analyzer';
import { MachineSym } from '../semantic/model';
import { bodyAt, CodeAction, indentAt, lineEnd, lineStart, moveToSubsection, versionEdit, WorkspaceEditPart } from './code-actions';

/**
 * Quick fixes for compatibility findings (VSnnn diagnostics against a baseline; their
 * `data` carries what the engine knew: the removed field's size and index, the stub of a
 * removed subsection, the gating property, the machine types both sides know).
 */
export function compatActions(analysis: Analysis, uri: string, diagnostics: Diagnostic[]): CodeAction[] {
  const info = analysis.files.get(uri);
  if (!info) return [];
  const text = info.tree.text;
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    const data = d.data ?? {};
    const fix = (title: string, edits: WorkspaceEditPart[], isPreferred = false, kind: CodeAction['kind'] = 'quickfix') => out.push({ title, kind, diagnostics: [d], edits, isPreferred });
    const known = Array.isArray(data.knownMachines) ? (data.knownMachines as string[]) : [];
    switch (d.code) {
      case 'VS011': {
        const body = bodyAt(analysis, uri, d.start);
        const field = body?.fields.find((f) => f.nameRange.start <= d.start && d.start <= f.nameRange.end);
        if (!body || !field) break;
        // Preferred: a subsection that older machine types do not send keeps both directions working.
        const move = moveToSubsection(analysis, uri, text, body, [field], (prop) => compatEntries(analysis, body.owner.devices.map((x) => x.name), prop, 'false', known));
        fix(`Move \`${field.name}\` into a new subsection, off for the machine types the old side knows`, move.edits, true);
        const v = body.version + 1;
        fix(`Add \`since ${v}\` and bump the version to ${v} (breaks new→old)`, [versionEdit(uri, text, body, v), { uri, range: { start: field.decl.end, end: field.decl.end }, newText: ` since ${v}` }]);
        break;
      }
      case 'VS010': {
        const body = bodyAt(analysis, uri, d.start);
        const size = data.size;
        const index = data.index;
        if (!body || typeof size !== 'number' || typeof index !== 'number') break;
        const next = body.fields[index];
        const last = body.fields[body.fields.length - 1];
        const at = next ? lineStart(text, next.decl.doc ? next.decl.doc.start : next.decl.start) : last ? lineEnd(text, last.decl.end) : undefined;
        if (at === undefined) break;
        const indent = next ? indentAt(text, next.decl.start) : last ? indentAt(text, last.decl.start) : '    ';
        fix(`Keep \`unused ${size}\` where \`${String(data.field)}\` was`, [{ uri, range: { start: at, end: at }, newText: `${indent}unused ${size}\n` }], true);
        break;
      }
      case 'VS031': {
        const body = bodyAt(analysis, uri, d.start);
        const stub = data.stub;
        if (!body || typeof stub !== 'string') break;
        const block = body.subsection ? body.subsection.decl.body : body.owner.decl.body;
        if (!block || !block.closed) break;
        const close = block.end - 1;
        const indent = indentAt(text, body.subsection ? body.subsection.decl.start : body.owner.decl.start) + '    ';
        const at = lineStart(text, close);
        const inline = at <= block.start; // `{ }` on one line
        const stubText = stub.split('\n').map((l) => indent + l).join('\n');
        fix(
          `Restore subsection \`${String(data.subsection)}\` as a stub that reads and discards it`,
          [inline ? { uri, range: { start: close, end: close }, newText: `\n${stubText}\n` } : { uri, range: { start: at, end: at }, newText: `\n${stubText}\n` }],
          true,
        );
        break;
      }
      case 'VS040': {
        const { device, property, value } = data;
        if (typeof device !== 'string' || typeof property !== 'string' || typeof value !== 'string') break;
        const edits = compatEntries(analysis, [device], property, value, known);
        if (edits.length) fix(`Set \`${device}.${property} = ${value}\` for the machine types the old side knows`, edits, true);
        break;
      }
    }
  }
  return out;
}

/**
 * Compat entries `device.prop = value` for every machine type in `known`: written on the
 * newest of them only where the older ones inherit from it (a machine type's parent is the
 * next newer one), so the table reads as QEMU's hw_compat arrays do.
 */
function compatEntries(analysis: Analysis, devices: string[], prop: string, value: string, known: string[]): WorkspaceEditPart[] {
  const set = new Set(known);
  const machines = analysis.machines.filter((m) => set.has(m.name));
  const inSet = new Set(machines);
  const roots = machines.filter((m) => {
    const seen = new Set<MachineSym>();
    for (let p = m.parent; p && !seen.has(p); p = p.parent) {
      seen.add(p);
      if (inSet.has(p)) return false;
    }
    return true;
  });
  const edits: WorkspaceEditPart[] = [];
  for (const m of roots) {
    const block = m.decl.body;
    const text = analysis.files.get(m.uri)?.tree.text ?? '';
    if (!block || !block.closed) continue;
    const entries = devices.map((d) => `    ${d}.${prop} = ${value}`).join('\n');
    const close = block.end - 1;
    if (block.items.length === 0) edits.push({ uri: m.uri, range: { start: block.start, end: block.end }, newText: `{\n${entries}\n}` });
    else edits.push({ uri: m.uri, range: { start: lineStart(text, close), end: lineStart(text, close) }, newText: `${entries}\n` });
  }
  return edits;
}
