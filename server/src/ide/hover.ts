import { Analysis } from '../semantic/analyzer';
import { AnySym, BodyModel, DescriptionSym, FieldModel, PropertyType, SubsectionModel, Value } from '../semantic/model';
import { utf8Length } from '../semantic/layout';
import { formatSize, isStatic, Size } from '../semantic/size';
import { describeWireType, infoName, SCALARS, isScalarName } from '../semantic/types';
import * as A from '../syntax/ast';
import { symbolAt } from './locate';
import { nodeAt } from './nodes';

/**
 * Hover: what a name means on the wire. For a field, its type, QEMU info, wire size and
 * offset, and when it is sent; for a description, its wire name, versions, size and the
 * devices it belongs to; for a subsection, its wire name and `needed` condition.
 */
export interface HoverResult {
  range: A.Range;
  /** Markdown. */
  contents: string;
}

export function hover(analysis: Analysis, uri: string, offset: number): HoverResult | undefined {
  const at = symbolAt(analysis, uri, offset);
  if (at) return { range: at.range, contents: describe(analysis, at.sym) };
  // Built-in scalar types are not symbols.
  const tree = analysis.files.get(uri)?.tree;
  const node = tree && (nodeAt(tree.file, offset, (n) => n.kind === 'NamedType') as A.NamedType | undefined);
  if (node && isScalarName(node.name.text) && !node.name.quoted) {
    const s = SCALARS[node.name.text];
    return { range: node.name, contents: `${code(node.name.text)}\n${s.doc}\n\nWire size: ${s.size} byte${s.size === 1 ? '' : 's'} · QEMU info \`${s.info}\`` };
  }
  return undefined;
}

function code(s: string): string {
  return '```vmsd\n' + s + '\n```';
}

function source(analysis: Analysis, uri: string, r: A.Range | undefined): string {
  const text = analysis.files.get(uri)?.tree.text ?? '';
  return r ? text.slice(r.start, r.end).replace(/\s+/g, ' ') : '';
}

function bytes(s: Size | undefined): string {
  if (!s) return '?';
  const t = formatSize(s);
  return isStatic(s) ? `${t} byte${s.constant === 1 ? '' : 's'}` : t;
}

function value(v: Value | undefined): string {
  return v === undefined ? '' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function docOf(s: { doc?: A.Doc }): string {
  return s.doc ? `\n\n---\n\n${s.doc.text}` : '';
}

function deprecation(s: { deprecated?: string }): string {
  return s.deprecated !== undefined ? `\n\n**Deprecated**${s.deprecated ? `: ${s.deprecated}` : ''}` : '';
}

function versions(b: BodyModel): string {
  return `version ${b.version} · minimum_version ${b.minimumVersion}`;
}

function propertyType(t: PropertyType): string {
  return t.kind === 'int' ? t.name : t.kind === 'enum' ? t.enum.name : t.kind === 'error' ? '?' : t.kind;
}

export function describe(analysis: Analysis, sym: AnySym): string {
  switch (sym.kind) {
    case 'vmstate':
      return describeDescription(sym);
    case 'subsection':
      return describeSubsection(analysis, sym);
    case 'field':
      return describeField(analysis, sym);
    case 'enum':
      return (
        code(`enum ${sym.name}: ${sym.base}`) +
        `\n\n${sym.members.map((m) => `\`${m.name}\` = ${m.value}`).join(' · ')}\n\nWire size: ${SCALARS[sym.base].size} byte${SCALARS[sym.base].size === 1 ? '' : 's'}` +
        deprecation(sym) +
        docOf(sym)
      );
    case 'enumMember':
      return code(`${sym.owner.name}.${sym.name} = ${sym.value}`) + deprecation(sym) + docOf(sym);
    case 'const':
      return code(`const ${sym.name}${sym.type ? `: ${sym.type}` : ''} = ${value(sym.value)}`) + deprecation(sym) + docOf(sym);
    case 'device': {
      const lines = [code(`device ${sym.name}${sym.parent ? ` : ${sym.parent.name}` : ''}`)];
      if (sym.state) lines.push(`State: \`${sym.state.name}\` (wire name \`${sym.state.body.wireName}\`)${sym.inheritedState ? ', inherited' : ''}`);
      else lines.push('No migration state of its own');
      if (sym.properties.length) lines.push(`Properties: ${sym.properties.map((p) => `\`${p.name}\``).join(', ')}`);
      return lines.join('\n\n') + deprecation(sym) + docOf(sym);
    }
    case 'property':
      return (
        code(`property ${sym.owner.name}.${sym.name}: ${propertyType(sym.type)}${sym.default !== undefined ? ` = ${value(sym.default)}` : ''}`) +
        deprecation(sym) +
        docOf(sym)
      );
    case 'machine': {
      const lines = [code(`machine "${sym.name}"${sym.parent ? ` : "${sym.parent.name}"` : ''}`)];
      const chain: string[] = [];
      for (let m = sym.parent, guard = 0; m && guard < 100; m = m.parent, guard++) chain.push(m.name);
      if (chain.length) lines.push(`Inherits ${chain.map((c) => `\`${c}\``).join(' → ')}`);
      if (sym.compat.length) lines.push(`Compat entries: ${sym.compat.map((c) => `\`${c.device?.name ?? '?'}.${c.property?.name ?? '?'} = ${value(c.value)}\``).join(', ')}`);
      return lines.join('\n\n') + deprecation(sym) + docOf(sym);
    }
  }
}

function describeDescription(d: DescriptionSym): string {
  const b = d.body;
  const lines = [code(`vmstate ${d.name}`), `Wire name \`${b.wireName}\` · ${versions(b)}`];
  if (b.fieldsSize) lines.push(`Wire size: ${bytes(b.totalSize ?? b.fieldsSize)}`);
  if (b.subsections.length) lines.push(`Subsections: ${b.subsections.map((s) => `\`${s.body.wireName}\``).join(', ')}`);
  if (d.devices.length) lines.push(`State of ${d.devices.map((x) => `\`${x.name}\``).join(', ')}`);
  else if (d.embeddedBy.length) lines.push(`Embedded in ${[...new Set(d.embeddedBy.map((f) => f.body.owner.name))].map((n) => `\`${n}\``).join(', ')}`);
  return lines.join('\n\n') + deprecation(d) + docOf(d);
}

function describeSubsection(analysis: Analysis, s: SubsectionModel): string {
  const lines = [code(`subsection ${s.name}`), `Wire name \`${s.body.wireName}\` · ${versions(s.body)}`];
  const n = s.decl.needed;
  if (!n) lines.push('Sent always (no `needed`)');
  else if (n.kind === 'OpaqueCondition') lines.push(`Sent when: ${n.reason?.value ?? '?'} (opaque)`);
  else lines.push(`Sent when: \`${source(analysis, s.uri, n.expr)}\``);
  if (s.body.totalSize) lines.push(`Wire size when sent: ${bytes(s.body.totalSize)} (header ${2 + utf8Length(s.body.wireName) + 4} bytes included)`);
  return lines.join('\n\n') + deprecation(s) + docOf(s);
}

function describeField(analysis: Analysis, f: FieldModel): string {
  const decl = f.decl;
  const head = decl.kind === 'Field' ? source(analysis, f.uri, { start: decl.start, end: decl.end }) : source(analysis, f.uri, decl);
  const lines = [code(head)];
  const t = f.type;
  const facts: string[] = [];
  facts.push(`QEMU info \`${infoName(t)}\``);
  if (f.size) facts.push(`size ${bytes(f.size)}`);
  if (f.offset) facts.push(`offset ${formatSize(f.offset)}`);
  lines.push(facts.join(' · '));
  const where = f.body.subsection ? `subsection \`${f.body.wireName}\`` : `\`${f.body.owner.name}\``;
  if (f.condition?.kind === 'ExprCondition') lines.push(`Sent when \`${source(analysis, f.uri, f.condition.expr)}\` holds (QEMU ignores the version then)`);
  else if (f.condition?.kind === 'OpaqueCondition') lines.push(`Sent when: ${f.condition.reason?.value ?? '?'} (opaque test)`);
  else if (f.since !== undefined) lines.push(`Sent from version ${f.since} of ${where} (current: ${f.body.version})`);
  if (t.element.kind === 'struct' || t.element.kind === 'tmp') {
    const d = t.element.description;
    lines.push(`Embeds \`${d.name}\` (wire name \`${d.body.wireName}\`, ${t.element.kind === 'struct' && t.element.version !== undefined ? `version ${t.element.version} given` : `its own version ${d.body.version}, never sent`})`);
  }
  if (t.count?.kind === 'field') lines.push(`Count from field \`${t.count.field.name}\`${t.count.factor !== 1 ? ` × ${t.count.factor}` : ''}`);
  if (t.count?.kind === 'property') lines.push(`Count from property \`${t.count.property.owner.name}.${t.count.property.name}\`${t.count.factor !== 1 ? ` × ${t.count.factor}` : ''}`);
  if (t.nullable) lines.push('NULL elements are sent as the single byte 0x30');
  if (t.check === 'equal') lines.push('On load the value must equal the destination\'s own');
  if (t.check === 'le') lines.push('On load the value must be between 0 and the destination\'s own');
  if (f.default !== undefined) lines.push(`Default when absent: ${value(f.default)}`);
  if (f.aliases.length) lines.push(`Previously named ${f.aliases.map((a) => `\`${a}\``).join(', ')}`);
  if (f.name !== undefined && t.element.kind !== 'error') lines.push(`Type: ${describeWireType(t.element)}`);
  return lines.join('\n\n') + deprecation(f) + docOf(f);
}
