import { Analysis } from '../semantic/analyzer';
import { AnySym, BodyModel, DescriptionSym, DeviceSym, FieldModel } from '../semantic/model';
import { SCALARS } from '../semantic/types';
import * as A from '../syntax/ast';
import { lex } from '../syntax/lexer';
import { BODY_KEYWORDS, DEVICE_KEYWORDS, FIELD_MODIFIERS, TOP_KEYWORDS } from '../syntax/parser';
import { T, Token } from '../syntax/tokens';
import { children } from './nodes';

/**
 * Completion that knows where it is: declaration keywords and snippets at the top level,
 * statements and fields in a body, types after `name:`, modifiers after a type, values in
 * expressions (earlier fields, constants, `version`, `property(…)`), members after a
 * dot, properties and devices in machine compat tables, attribute names after `@`.
 * It reads the tokens before the cursor (the tree may be broken while typing) and the
 * enclosing declaration from the error-tolerant tree.
 */
export type CompletionKind =
  | 'keyword' | 'type' | 'struct' | 'enum' | 'enumMember' | 'field' | 'property' | 'constant'
  | 'class' | 'module' | 'function' | 'snippet' | 'value';

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Text to insert when it differs from the label; `snippet` tells whether it has $1 tab stops. */
  insertText?: string;
  snippet?: boolean;
  /** The symbol behind the item, for documentation on resolve. */
  sym?: AnySym;
}

export interface CompletionResult {
  /** The range the items replace (the word being typed). */
  replace: A.Range;
  items: CompletionItem[];
}

const TYPE_FORMS: CompletionItem[] = [
  ...Object.entries(SCALARS).map(([name, s]) => ({ label: name, kind: 'type' as const, detail: `${s.size} byte${s.size === 1 ? '' : 's'} · ${s.info}` })),
  { label: 'bytes', kind: 'type', detail: 'raw buffer', insertText: 'bytes[${1:n}]', snippet: true },
  { label: 'bitmap', kind: 'type', detail: 'bitmap of n bits', insertText: 'bitmap[${1:nbits}]', snippet: true },
  { label: 'opaque', kind: 'type', detail: 'custom VMStateInfo', insertText: 'opaque "${1:info}" [${2:size}]', snippet: true },
  { label: 'list', kind: 'type', detail: 'QTAILQ of descriptions', insertText: 'list<${1:Element}>', snippet: true },
  { label: 'qlist', kind: 'type', detail: 'QLIST of descriptions', insertText: 'qlist<${1:Element}>', snippet: true },
  { label: 'tree', kind: 'type', detail: 'GTree', insertText: 'tree<${1:u64}, ${2:Value}>', snippet: true },
  { label: 'tmp', kind: 'type', detail: 'VMSTATE_WITH_TMP', insertText: 'tmp<${1:Description}>', snippet: true },
];

const TOP_SNIPPETS: CompletionItem[] = [
  { label: 'vmstate', kind: 'snippet', detail: 'new description', insertText: 'vmstate ${1:name} {\n    version ${2:1}\n    minimum_version ${3:1}\n\n    ${4:field}: ${5:u32}\n}', snippet: true },
  { label: 'device', kind: 'snippet', detail: 'new device', insertText: 'device ${1:name} {\n    state ${2:description}\n    property ${3:x-flag}: ${4:bool} = ${5:true}\n}', snippet: true },
  { label: 'machine', kind: 'snippet', detail: 'new machine type', insertText: 'machine "${1:pc-i440fx-7.1}" : "${2:pc-i440fx-7.2}" {\n    ${3:device}.${4:property} = ${5:false}\n}', snippet: true },
  { label: 'enum', kind: 'snippet', detail: 'new enum', insertText: 'enum ${1:Name}: ${2:u8} {\n    ${3:off},\n    ${4:on},\n}', snippet: true },
  { label: 'const', kind: 'snippet', detail: 'new constant', insertText: 'const ${1:NAME} = ${2:0}', snippet: true },
  { label: 'include', kind: 'snippet', detail: 'include a file', insertText: 'include "${1:file.vmsd}"', snippet: true },
];

const BODY_SNIPPETS: CompletionItem[] = [
  { label: 'subsection', kind: 'snippet', detail: 'new subsection', insertText: 'subsection ${1:name} needed (${2:property(${3:x-flag})}) {\n    version ${4:1}\n    ${5:field}: ${6:u32}\n}', snippet: true },
];

const ATTRIBUTES = ['deprecated', 'unstable', 'abstract', 'member', 'validate', 'pre_load', 'post_load', 'pre_save', 'post_save', 'priority'];

function isWordToken(t: Token | undefined): boolean {
  return !!t && (t.kind === T.Ident);
}

export function complete(analysis: Analysis, uri: string, offset: number): CompletionResult {
  const info = analysis.files.get(uri);
  const text = info?.tree.text ?? '';
  const tokens = lex(text).tokens.filter((t) => t.kind !== T.LineComment && t.kind !== T.BlockComment && t.kind !== T.DocComment && t.kind !== T.EOF);
  // The word under the cursor (being typed) and the tokens before it.
  let i = tokens.length;
  while (i > 0 && tokens[i - 1].start >= offset) i--;
  let replace: A.Range = { start: offset, end: offset };
  const cur = tokens[i - 1];
  if (cur && cur.end >= offset && (cur.kind === T.Ident || cur.kind === T.Int) && cur.start < offset) {
    replace = { start: cur.start, end: cur.end };
    i--;
  }
  // Inside a string or a comment: nothing to complete (but `include "`).
  const inString = tokens.find((t) => t.kind === T.String && t.start < offset && offset < t.end);
  if (inString || inComment(text, offset)) return { replace, items: [] };
  const before = tokens.slice(0, i);
  const prev = before[before.length - 1];
  const prev2 = before[before.length - 2];
  const word = (t: Token | undefined) => (t ? text.slice(t.start, t.end) : '');
  const sameLine = (t: Token | undefined) => !!t && !/[\n\r]/.test(text.slice(t.end, replace.start));

  const ctx = enclosing(analysis, uri, info?.tree.file, offset);
  const items: CompletionItem[] = [];
  const result = () => ({ replace, items: dedupe(items) });

  // `@` → attribute names.
  if (prev?.kind === T.At && prev.end === replace.start) {
    for (const a of ATTRIBUTES) items.push({ label: a, kind: 'keyword', detail: 'attribute' });
    return result();
  }

  // `X.` → members: enum members, fields of an embedded struct, properties of a device.
  if (prev?.kind === T.Dot && isWordToken(prev2)) {
    const name = word(prev2);
    const inProperty = before.length >= 4 && word(before[before.length - 4]) === 'property' && before[before.length - 3].kind === T.LParen;
    if (inProperty || ctx.kind === 'machine') {
      const dev = analysis.devices.find((d) => d.name === name);
      if (dev) for (const p of propertiesOf(analysis, dev, true)) items.push({ label: p.name, kind: 'property', detail: typeLabel(p), sym: p });
      return result();
    }
    const e = analysis.enums.find((x) => x.name === name);
    if (e) for (const m of e.members) items.push({ label: m.name, kind: 'enumMember', detail: String(m.value), sym: m });
    const f = ctx.body ? visibleFields(ctx.body, offset).find((x) => x.name === name) : undefined;
    if (f && (f.type.element.kind === 'struct' || f.type.element.kind === 'tmp')) {
      for (const g of f.type.element.description.body.fields) if (g.name) items.push({ label: g.name, kind: 'field', detail: typeOf(g), sym: g });
    }
    return result();
  }

  // `property(` → properties of the devices using this description, and device names.
  if (prev?.kind === T.LParen && word(prev2) === 'property') {
    const owner = ctx.body?.owner;
    const devices = owner ? devicesFor(owner) : [];
    for (const d of devices) for (const p of propertiesOf(analysis, d, false)) items.push({ label: p.name, kind: 'property', detail: `${d.name} · ${typeLabel(p)}`, sym: p });
    for (const d of analysis.devices) items.push({ label: d.name, kind: 'class', detail: 'device (then `.property`)', insertText: `${d.name}.`, sym: d });
    return result();
  }

  const scope = visibleTops(analysis, uri);

  if (ctx.kind === 'body' && ctx.body) {
    const body = ctx.body;
    // Type position: `name: |`
    if (prev?.kind === T.Colon && isWordToken(prev2) || prev?.kind === T.Colon && prev2?.kind === T.String) {
      items.push(...TYPE_FORMS);
      for (const s of scope) if (s.kind === 'vmstate' || s.kind === 'enum') items.push({ label: s.name, kind: s.kind === 'vmstate' ? 'struct' : 'enum', detail: s.kind === 'vmstate' ? `wire name ${s.body?.wireName}` : `enum: ${s.base}`, sym: s });
      return result();
    }
    // Type arguments: `list<|`, `tmp<|`, `tree<u64, |`
    if ((prev?.kind === T.Lt && ['list', 'qlist', 'tmp', 'tree'].includes(word(prev2))) || (prev?.kind === T.Comma && openAngle(before, text))) {
      if (word(prev2) === 'tree' && prev?.kind === T.Lt) items.push(...TYPE_FORMS.filter((x) => x.kind === 'type' && /^[ui]\d/.test(x.label)));
      for (const s of scope) if (s.kind === 'vmstate') items.push({ label: s.name, kind: 'struct', detail: `wire name ${s.body?.wireName}`, sym: s });
      return result();
    }
    const expr = expressionContext(before, text);
    if (expr) {
      valueItems(items, analysis, scope, body, offset, expr);
      return result();
    }
    // After a complete field type on the same line: modifiers.
    if (prev && sameLine(prev) && fieldTypeComplete(before, text)) {
      for (const m of FIELD_MODIFIERS) items.push({ label: m, kind: 'keyword', detail: 'field modifier', ...(m === 'if' ? { insertText: 'if (${1})', snippet: true } : {}) });
      return result();
    }
    if (prev && sameLine(prev) && prev.kind !== T.LBrace && prev.kind !== T.RBrace) return result();
    // Start of an item in a body.
    for (const k of BODY_KEYWORDS) {
      if (k === 'needed' && body.subsection) continue;
      items.push({ label: k, kind: 'keyword', detail: 'statement' });
    }
    items.push(...BODY_SNIPPETS);
    return result();
  }

  if (ctx.kind === 'device') {
    if (word(prev) === 'state' && sameLine(prev)) {
      for (const s of scope) if (s.kind === 'vmstate') items.push({ label: s.name, kind: 'struct', detail: `wire name ${s.body?.wireName}`, sym: s });
      return result();
    }
    if (prev?.kind === T.Colon && sameLine(prev)) {
      for (const t of ['bool', 'str', 'u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64']) items.push({ label: t, kind: 'type' });
      for (const s of scope) if (s.kind === 'enum') items.push({ label: s.name, kind: 'enum', sym: s });
      return result();
    }
    if (prev && sameLine(prev) && prev.kind !== T.LBrace) return result();
    for (const k of DEVICE_KEYWORDS) items.push({ label: k, kind: 'keyword' });
    return result();
  }

  if (ctx.kind === 'machine') {
    if (prev?.kind === T.Eq) {
      items.push({ label: 'true', kind: 'value' }, { label: 'false', kind: 'value' });
      return result();
    }
    if (prev && sameLine(prev) && prev.kind !== T.LBrace) return result();
    for (const d of scope) if (d.kind === 'device') items.push({ label: d.name, kind: 'class', detail: 'device', insertText: `${d.name}.`, sym: d });
    return result();
  }

  if (ctx.kind === 'top') {
    // `machine "x" : "|` and `device x : |`
    if (prev?.kind === T.Colon && prev2) {
      const kw = word(before[before.length - 3]);
      if (kw === 'device') for (const d of scope) if (d.kind === 'device') items.push({ label: d.name, kind: 'class', sym: d });
      if (kw === 'machine') for (const m of scope) if (m.kind === 'machine') items.push({ label: `"${m.name}"`, kind: 'module', sym: m });
      return result();
    }
    if (prev?.kind === T.Colon || prev?.kind === T.Eq) {
      const expr = expressionContext(before, text);
      if (prev.kind === T.Eq || expr) valueItems(items, analysis, scope, undefined, offset, { allowVersion: false });
      else for (const t of ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64']) items.push({ label: t, kind: 'type' });
      return result();
    }
    if (prev && sameLine(prev) && prev.kind !== T.RBrace) return result();
    for (const k of TOP_KEYWORDS) items.push({ label: k, kind: 'keyword' });
    items.push(...TOP_SNIPPETS);
    return result();
  }
  return result();
}

function inComment(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const line = text.slice(lineStart, offset);
  // A `//` outside a string on this line.
  let inStr = false;
  for (let k = 0; k < line.length; k++) {
    if (line[k] === '"') inStr = !inStr;
    if (!inStr && line[k] === '/' && line[k + 1] === '/') return true;
  }
  const open = text.lastIndexOf('/*', offset);
  if (open < 0) return false;
  const close = text.indexOf('*/', open + 2);
  return close < 0 || close >= offset;
}

interface Context {
  kind: 'top' | 'body' | 'device' | 'machine' | 'enum';
  body?: BodyModel;
}

/** The declaration whose `{ … }` holds the offset, and the semantic body for it. */
function enclosing(analysis: Analysis, uri: string, file: A.SourceFile | undefined, offset: number): Context {
  if (!file) return { kind: 'top' };
  // Descend like pathAt, but also into a body left open (`{` without `}` while typing):
  // it reaches up to the next sibling.
  const path: A.Node[] = [file];
  for (let node: A.Node = file; ; ) {
    const kids = children(node);
    let next: A.Node | undefined;
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k];
      if (c.start > offset) break;
      const block = (c as { body?: A.Block<unknown> }).body;
      const open = block && typeof block === 'object' && 'closed' in block && !block.closed && (k + 1 >= kids.length || offset < kids[k + 1].start);
      if (offset <= c.end || open) next = c;
    }
    if (!next) break;
    path.push(next);
    node = next;
  }
  for (let k = path.length - 1; k >= 0; k--) {
    const n = path[k];
    const block = (n as { body?: A.Range }).body;
    const inside = block && block.start < offset && (offset < block.end || !(block as A.Block<unknown>).closed);
    if (!inside) continue;
    if (n.kind === 'Vmstate' || n.kind === 'Subsection') return { kind: 'body', body: findBody(analysis, uri, n) };
    if (n.kind === 'Device') return { kind: 'device' };
    if (n.kind === 'Machine') return { kind: 'machine' };
    if (n.kind === 'Enum') return { kind: 'enum' };
  }
  return { kind: 'top' };
}

function findBody(analysis: Analysis, uri: string, node: A.Node): BodyModel | undefined {
  for (const d of analysis.descriptions) {
    if (d.uri !== uri || !d.body) continue;
    if (d.decl === node) return d.body;
    const stack: BodyModel[] = [d.body];
    while (stack.length) {
      const b = stack.pop()!;
      for (const s of b.subsections) {
        if (s.decl === node) return s.body;
        stack.push(s.body);
      }
    }
  }
  return undefined;
}

/** Top-level declarations visible from the file (itself and its include closure). */
function visibleTops(analysis: Analysis, uri: string): Array<Exclude<AnySym, FieldModel>> {
  const visible = new Set(analysis.files.get(uri)?.visible ?? [uri]);
  const out: Array<Exclude<AnySym, FieldModel>> = [];
  for (const list of [analysis.descriptions, analysis.enums, analysis.consts, analysis.devices, analysis.machines] as Array<Array<Exclude<AnySym, FieldModel>>>) {
    for (const s of list) if (visible.has(s.uri)) out.push(s);
  }
  return out;
}

/** Fields an expression at `offset` may read: earlier fields of the body and its parents. */
function visibleFields(body: BodyModel, offset: number): FieldModel[] {
  const out: FieldModel[] = [];
  for (const f of body.fields) if (f.name !== undefined && f.decl.start < offset) out.push(f);
  for (let b = body.subsection?.parent; b; b = b.subsection?.parent) for (const f of b.fields) if (f.name !== undefined) out.push(f);
  return out;
}

function devicesFor(d: DescriptionSym, seen = new Set<DescriptionSym>()): DeviceSym[] {
  if (seen.has(d)) return [];
  seen.add(d);
  const out = [...d.devices];
  for (const f of d.embeddedBy) for (const x of devicesFor(f.body.owner, seen)) if (!out.includes(x)) out.push(x);
  return out;
}

function propertiesOf(analysis: Analysis, dev: DeviceSym, subclasses: boolean) {
  const out = [];
  for (let d: DeviceSym | undefined = dev, guard = 0; d && guard < 64; d = d.parent, guard++) out.push(...d.properties);
  if (subclasses) {
    for (const sub of analysis.devices) for (let d = sub.parent, g = 0; d && g < 64; d = d.parent, g++) if (d === dev) out.push(...sub.properties);
  }
  return out;
}

function typeLabel(p: { type: { kind: string; name?: string; enum?: { name: string } } }): string {
  return p.type.kind === 'int' ? p.type.name! : p.type.kind === 'enum' ? p.type.enum!.name : p.type.kind;
}

function typeOf(f: FieldModel): string {
  const e = f.type.element;
  return e.kind === 'scalar' ? e.name : e.kind === 'enum' ? e.enum.name : e.kind === 'struct' ? e.description.name : e.kind;
}

/** Inside `( … )` after needed/if, `[ … ]` of a type, or after since/version/=…: an expression. */
function expressionContext(before: Token[], text: string): { allowVersion: boolean } | undefined {
  let depth = 0;
  for (let k = before.length - 1; k >= 0; k--) {
    const t = before[k];
    if (t.kind === T.RParen || t.kind === T.RBracket) depth++;
    else if (t.kind === T.LParen || t.kind === T.LBracket) {
      if (depth === 0) {
        if (t.kind === T.LBracket) return { allowVersion: false };
        const w = k > 0 ? text.slice(before[k - 1].start, before[k - 1].end) : '';
        if (w === 'needed') return { allowVersion: false };
        if (w === 'if') return { allowVersion: true };
        return { allowVersion: true }; // a parenthesised sub-expression: same rules as outside
      }
      depth--;
    } else if (t.kind === T.LBrace || t.kind === T.RBrace) return undefined;
    else if (depth === 0 && t.kind === T.Ident) {
      const w = text.slice(t.start, t.end);
      if (k === before.length - 1 && (w === 'since' || w === 'version' || w === 'minimum_version' || w === 'unused' || w === 'default')) return { allowVersion: false };
    }
    if (depth === 0 && k < before.length - 1 && /[\n\r]/.test(text.slice(t.end, before[k + 1].start))) {
      // Across a line break only inside brackets.
      return undefined;
    }
  }
  return undefined;
}

/** `name: type` complete on this line (the last tokens form a type). */
function fieldTypeComplete(before: Token[], text: string): boolean {
  // Find `ident :` on the current line before the last token.
  let depth = 0;
  for (let k = before.length - 1; k >= 1; k--) {
    const t = before[k];
    if (t.kind === T.RBracket || t.kind === T.Gt || t.kind === T.RParen) depth++;
    else if (t.kind === T.LBracket || t.kind === T.Lt || t.kind === T.LParen) depth--;
    if (/[\n\r]/.test(text.slice(t.end, before[Math.min(k + 1, before.length - 1)].start)) && k < before.length - 1) return false;
    if (depth === 0 && t.kind === T.Colon && (before[k - 1].kind === T.Ident || before[k - 1].kind === T.String)) return k < before.length - 1;
  }
  return false;
}

function openAngle(before: Token[], text: string): boolean {
  for (let k = before.length - 1; k >= 0; k--) {
    const t = before[k];
    if (t.kind === T.Gt) return false;
    if (t.kind === T.Lt) return k > 0 && text.slice(before[k - 1].start, before[k - 1].end) === 'tree';
    if (t.kind === T.LBrace || t.kind === T.RBrace || t.kind === T.Colon) return false;
  }
  return false;
}

function valueItems(items: CompletionItem[], analysis: Analysis, scope: Array<Exclude<AnySym, FieldModel>>, body: BodyModel | undefined, offset: number, expr: { allowVersion: boolean }): void {
  if (body) for (const f of visibleFields(body, offset)) items.push({ label: f.name!, kind: 'field', detail: typeOf(f), sym: f });
  for (const s of scope) {
    if (s.kind === 'const') items.push({ label: s.name, kind: 'constant', detail: s.value === undefined ? undefined : String(s.value), sym: s });
    if (s.kind === 'enum') items.push({ label: s.name, kind: 'enum', detail: 'enum (then `.member`)', sym: s });
  }
  if (body && expr.allowVersion) items.push({ label: 'version', kind: 'keyword', detail: 'the version being read or written' });
  if (body) {
    items.push({ label: 'property', kind: 'function', detail: 'a device property', insertText: 'property(${1})', snippet: true });
    items.push({ label: 'opaque', kind: 'function', detail: 'a test on state the stream does not carry', insertText: 'opaque("${1:why}")', snippet: true });
  }
  items.push({ label: 'true', kind: 'value' }, { label: 'false', kind: 'value' });
  void analysis;
}

function dedupe(items: CompletionItem[]): CompletionItem[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = `${i.kind}:${i.label}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
