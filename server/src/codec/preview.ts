import { Analysis } from '../semantic/analyzer';
import { BodyModel, FieldModel, SubsectionModel } from '../semantic/model';
import { WireType } from '../semantic/types';
import { closestMatches } from '../util/names';
import { DecodeError, EncodeError, hexBytes } from './bytes';
import { writeCfSection } from './cf';
import { StreamSection } from './stream';
import { defaultValue, JsonData, machineOptions, parseJson, Presence, ValueError, valueFromJson, valueToJsonData } from './values';
import { Annotation, BodyValue, decode, encode, FieldValue, ownValue, showValue, typeName } from './vmstate';

/**
 * The bytes of one description's state, annotated: what QEMU 7.2 writes for the section
 * (the vmstate body: fields then subsections, no section header or footer), or the
 * section item a self-describing stream (docs/cf-format.md) carries for it — from a value
 * given as JSON or from the defaults under a machine type, with the reasons each field
 * and subsection is there or not. Pure: the editor preview and `vmsd encode` share it.
 */
export interface PreviewRequest {
  analysis: Analysis;
  /** A description by name (or wire name), or a body model. */
  description: string | BodyModel;
  /** Default: the description's version. */
  version?: number;
  /** Machine type whose compat entries set the properties. Default: the newest (no parent), or none. */
  machine?: string;
  /** The value in its JSON form (values.ts): parsed data, or the JSON text. Default: the defaults. */
  value?: unknown;
  format: 'qemu' | 'cbor';
  /** Answers for opaque tests (ValueOptions.opaque). */
  opaque?: Record<string, boolean>;
  /** Which annotations to return (sorted by start, enclosing ranges first); default all. */
  page?: { offset: number; limit: number };
}

export interface PreviewAnnotation {
  /** Byte range of the value in `bytes`. */
  start: number;
  end: number;
  /** Codec path: `hpet.timer[0].config`, `hpet/offset`; for CBOR header entries the key (`idstr`). */
  path: string;
  kind: Annotation['kind'];
  type: string;
  value?: string;
  /** CBOR only: the byte range of the map key before the value. */
  key?: { start: number; end: number };
  /**
   * Where the value sits in `value` (its JSON form): `["fields", "timer", 1, "fields",
   * "config"]`, `["subsections", "offset"]`. Unique where paths are not (a subsection of
   * a description embedded in an array has one path for every element), the same in
   * both formats; none for CBOR header entries.
   */
  at?: Array<string | number>;
  /** Index into `sources`: the declaration of the field (of an element: its array field) or subsection. */
  source?: number;
  /** How the value can be edited in `value`: an integer of `type` (`timer`: 64 bits), a bool, a double, an enum member (`enums[type]`), hex bytes of the same length. */
  edit?: EditKind;
}

export type EditKind = 'int' | 'bool' | 'f64' | 'enum' | 'hex';

/** A declaration the preview's annotations and presence entries point at. */
export interface PreviewSource {
  kind: 'description' | 'field' | 'subsection';
  /** The field (`unused[0]` for padding), subsection or description name. */
  name: string;
  uri: string;
  /** The whole declaration, as offsets in its file. */
  start: number;
  end: number;
  /** Its name: what revealing it selects. */
  nameStart: number;
  nameEnd: number;
}

/** Presence, with where the field or subsection is (or would be) in `value` and its declaration. */
export interface PreviewPresence extends Presence {
  /** As PreviewAnnotation.at; `[]` for the section itself. */
  at?: Array<string | number>;
  source?: number;
}

export interface PreviewResult {
  /** The description's name and wire name. */
  description: string;
  wireName: string;
  format: 'qemu' | 'cbor';
  version: number;
  /** Versions the description can be written at: minimum_version .. version. */
  versions: number[];
  /** The machine type used (null: none, property defaults). */
  machine: string | null;
  /** Every machine type of the descriptions. */
  machines: string[];
  /** The bytes of the chosen format, lowercase hex, two digits a byte ('' on error). */
  bytes: string;
  sizes: { qemu: number; cbor: number };
  annotations: PreviewAnnotation[];
  /** Annotations in all (the page is a slice of them). */
  annotationsTotal: number;
  /** The value used, as JSON data (integers beyond ±2^53 as decimal strings). */
  value: JsonData | null;
  presence: PreviewPresence[];
  /** Declarations the annotations and presence entries name by index (`source`). */
  sources: PreviewSource[];
  /** Index into `sources` of the description previewed. */
  declaration: number;
  /** The members of the enums of the fields (for values shown and edited by name), by enum name. */
  enums: Record<string, { base: string; members: Array<{ name: string; value: string }> }>;
  /** Paths the given value lacked, filled with defaults. */
  defaulted: string[];
  /** Why no bytes could be made: a bad value (with its path), an unknown machine type or version. */
  error?: { message: string; path?: string };
}

/** The description of that name (or wire name); a ValueError with a did-you-mean when none. */
export function findDescription(analysis: Analysis, name: string): BodyModel {
  const d = analysis.descriptions.find((x) => x.name === name) ?? analysis.descriptions.find((x) => x.body.wireName === name);
  if (d) return d.body;
  const close = closestMatches(name, analysis.descriptions.map((x) => x.name));
  throw new ValueError('description', `expected a description${close.length ? ` (did you mean ${close.map((c) => `\`${c}\``).join(' or ')}?)` : ''}, found \`${name}\``);
}

/** The section a preview stands for in a stream: `full`, id 0, idstr the wire name, instance 0. */
export function previewSection(body: BodyModel, value: BodyValue, version: number, length: number): StreamSection {
  return { type: 'full', id: 0, idstr: body.wireName, instance: 0, version, start: 0, end: length, value };
}

/** Throws only for an unknown description; every other problem is the result's `error`. */
export function preview(req: PreviewRequest): PreviewResult {
  const body = typeof req.description === 'string' ? findDescription(req.analysis, req.description) : req.description;
  const version = req.version ?? body.version;
  const versions: number[] = [];
  for (let v = body.minimumVersion; v <= body.version; v++) versions.push(v);
  const out: PreviewResult = {
    description: body.owner.name,
    wireName: body.wireName,
    format: req.format,
    version,
    versions,
    machine: null,
    machines: req.analysis.machines.map((m) => m.name),
    bytes: '',
    sizes: { qemu: 0, cbor: 0 },
    annotations: [],
    annotationsTotal: 0,
    value: null,
    presence: [],
    sources: [],
    declaration: 0,
    enums: {},
    defaulted: [],
  };
  const places = new Places(out);
  out.declaration = places.source(body.owner);
  try {
    const mo = machineOptions(req.analysis, req.machine);
    out.machine = mo.machine ?? null;
    const opts = { ...mo, opaque: req.opaque };
    const built = req.value === undefined ? defaultValue(body, version, opts) : valueFromJson(typeof req.value === 'string' ? parseJson(req.value) : req.value, body, version, opts);
    out.value = valueToJsonData(built.value);
    places.body(body, built.value, body.wireName, []);
    out.presence = places.presence(built.presence);
    out.defaulted = built.defaulted;
    const qemu = encode(body, built.value, version, built.codec);
    const decoded = decode(body, qemu, version, built.codec);
    if (decoded.end !== qemu.length) throw new EncodeError(`${body.wireName}: the encoded value reads back as ${decoded.end} of its ${qemu.length} bytes`);
    const cbor = writeCfSection(previewSection(body, built.value, version, qemu.length));
    out.sizes = { qemu: qemu.length, cbor: cbor.length };
    const bytes = req.format === 'qemu' ? qemu : cbor;
    out.bytes = hexBytes(bytes);
    const all = places.annotations(req.format === 'qemu' ? sorted(decoded.annotations) : cborAnnotations(cbor, body, built.value, version));
    out.annotationsTotal = all.length;
    out.annotations = req.page ? all.slice(Math.max(0, req.page.offset), Math.max(0, req.page.offset) + Math.max(0, req.page.limit)) : all;
  } catch (e) {
    if (e instanceof ValueError) out.error = { message: e.message, path: e.path };
    else if (e instanceof DecodeError) out.error = { message: e.message, path: e.path };
    else if (e instanceof EncodeError) out.error = { message: e.message };
    else throw e;
  }
  return out;
}

// ---- where each annotation and presence entry sits in the value, and its declaration ----

interface Place {
  at: Array<string | number>;
  source: number;
  edit?: EditKind;
}

/**
 * Walks a built value with its descriptions in the order the codec and the value builder
 * go (fields, their elements and embedded bodies, then subsections), and gives each
 * annotation and presence entry, matched by path in that order, its place in the JSON
 * value, its declaration and how it can be edited.
 */
class Places {
  private readonly sourceIndex = new Map<object, number>();
  private readonly byPath = new Map<string, Place[]>();
  private readonly presenceByPath = new Map<string, Place[]>();

  constructor(private readonly out: PreviewResult) {}

  source(m: FieldModel | SubsectionModel | BodyModel['owner']): number {
    let i = this.sourceIndex.get(m);
    if (i !== undefined) return i;
    const kind = m.kind === 'vmstate' ? 'description' : m.kind;
    const name = m.kind === 'field' ? (m.name ?? `unused[${m.body.fields.filter((f) => f.name === undefined).indexOf(m)}]`) : m.name;
    i = this.out.sources.push({ kind, name, uri: m.uri, start: m.decl.start, end: m.decl.end, nameStart: m.nameRange.start, nameEnd: m.nameRange.end }) - 1;
    this.sourceIndex.set(m, i);
    return i;
  }

  private add(map: Map<string, Place[]>, path: string, p: Place): void {
    const l = map.get(path);
    if (l) l.push(p);
    else map.set(path, [p]);
  }

  body(body: BodyModel, value: BodyValue, path: string, at: Array<string | number>, depth = 0): void {
    if (depth > 64) return;
    let unused = 0;
    for (const f of body.fields) {
      const name = f.name ?? `unused[${unused++}]`;
      const fpath = `${path}.${name}`;
      const fat = [...at, 'fields', name];
      const source = this.source(f);
      this.add(this.presenceByPath, fpath, { at: fat, source });
      const v = ownValue(value.fields, name);
      if (v === undefined) continue;
      this.add(this.byPath, fpath, { at: fat, source, edit: this.editOf(f.type.element, v) });
      this.field(f, f.type.element, v, fpath, fat, source, depth);
    }
    for (const s of body.subsections) {
      const sat = [...at, 'subsections', s.name];
      const source = this.source(s);
      this.add(this.presenceByPath, s.body.wireName, { at: sat, source });
      const sv = ownValue(value.subsections, s.name);
      if (!sv) continue;
      this.add(this.byPath, s.body.wireName, { at: sat, source });
      this.body(s.body, sv, s.body.wireName, sat, depth + 1);
    }
  }

  private field(f: FieldModel, el: WireType, v: FieldValue, path: string, at: Array<string | number>, source: number, depth: number): void {
    if (v instanceof Uint8Array || v === null) return;
    if (isBody(v)) {
      if (el.kind === 'struct' || el.kind === 'tmp') this.body(el.description.body, v, path, at, depth + 1);
      return;
    }
    if (!Array.isArray(v)) return;
    const inner = el.kind === 'list' ? el.element : el;
    v.forEach((x, i) => {
      const epath = `${path}[${i}]`;
      const eat = [...at, i];
      this.add(this.byPath, epath, { at: eat, source, edit: x === null ? undefined : this.editOf(inner, x) });
      if (!isBody(x)) return;
      if (inner.kind === 'struct' || inner.kind === 'tmp') this.body(inner.description.body, x, epath, eat, depth + 1);
      else if (el.kind === 'tree') {
        // Nodes {fields: {key, value}}: a description key, and the value's description.
        const key = ownValue(x.fields, 'key');
        const val = ownValue(x.fields, 'value');
        if (el.key.kind === 'struct' && isBody(key)) this.body(el.key.description.body, key, `${epath}.key`, [...eat, 'fields', 'key'], depth + 1);
        if (el.value.kind === 'struct' && isBody(val)) this.body(el.value.description.body, val, `${epath}.value`, [...eat, 'fields', 'value'], depth + 1);
      }
    });
  }

  private editOf(el: WireType, v: FieldValue): EditKind | undefined {
    if (v instanceof Uint8Array) return 'hex';
    if (Array.isArray(v) || v === null || isBody(v)) return undefined;
    if (el.kind === 'enum') {
      this.out.enums[el.enum.name] ??= { base: el.enum.base, members: el.enum.members.map((m) => ({ name: m.name, value: String(m.value) })) };
      return 'enum';
    }
    if (el.kind !== 'scalar') return undefined;
    return el.name === 'bool' ? 'bool' : el.name === 'f64' ? 'f64' : 'int';
  }

  /** The annotations with their places (matched by path, in order; CBOR header entries have none). */
  annotations(as: PreviewAnnotation[]): PreviewAnnotation[] {
    const taken = new Map<string, number>();
    // In place: the annotations are this preview's own copies.
    for (const a of as) {
      if (a.kind === 'marker') continue;
      const n = taken.get(a.path) ?? 0;
      const p = this.byPath.get(a.path)?.[n];
      if (!p) continue;
      taken.set(a.path, n + 1);
      a.at = p.at;
      a.source = p.source;
      if (p.edit) a.edit = p.edit;
    }
    return as;
  }

  presence(ps: Presence[]): PreviewPresence[] {
    const taken = new Map<string, number>();
    return ps.map((x) => {
      if (x.kind === 'section') return { ...x, at: [], source: this.out.declaration };
      const n = taken.get(x.path) ?? 0;
      const p = this.presenceByPath.get(x.path)?.[n];
      if (!p) return { ...x };
      taken.set(x.path, n + 1);
      return { ...x, at: p.at, source: p.source };
    });
  }
}

/** Enclosing ranges before what they contain: start ↑, end ↓, shorter paths first. */
function sorted(as: Annotation[]): PreviewAnnotation[] {
  return as
    .map((a) => ({ ...a }))
    .sort((a, b) => a.start - b.start || b.end - a.end || a.path.length - b.path.length);
}

// ---- CBOR: where each key and value of a section item lies ----

interface CborNode {
  start: number;
  end: number;
  major: number;
  items?: CborNode[];
  entries?: Array<{ key: CborNode; text?: string; value: CborNode }>;
}

/** A minimal walk of one CBOR item (definite lengths, as writeCf writes), keeping offsets. */
function cborNode(b: Uint8Array, pos: number, depth: number): CborNode {
  if (depth > 200) throw new DecodeError('CBOR nested too deep', pos, '');
  if (pos >= b.length) throw new DecodeError('CBOR item cut short', pos, '');
  const ib = b[pos];
  const major = ib >> 5;
  const ai = ib & 31;
  let p = pos + 1;
  let arg = 0;
  if (ai < 24) arg = ai;
  else if (ai <= 27) {
    const n = 1 << (ai - 24);
    if (p + n > b.length) throw new DecodeError('CBOR item cut short', pos, '');
    for (let i = 0; i < n; i++) arg = arg * 256 + b[p + i];
    p += n;
  } else throw new DecodeError(`CBOR additional information ${ai} is not written by writeCf`, pos, '');
  switch (major) {
    case 0:
    case 1:
    case 7:
      return { start: pos, end: p, major };
    case 2:
    case 3:
      return { start: pos, end: p + arg, major };
    case 4: {
      const items: CborNode[] = [];
      for (let i = 0; i < arg; i++) {
        const x = cborNode(b, p, depth + 1);
        items.push(x);
        p = x.end;
      }
      return { start: pos, end: p, major, items };
    }
    case 5: {
      const entries: NonNullable<CborNode['entries']> = [];
      for (let i = 0; i < arg; i++) {
        const key = cborNode(b, p, depth + 1);
        const value = cborNode(b, key.end, depth + 1);
        entries.push({ key, text: key.major === 3 ? textOf(b, key) : undefined, value });
        p = value.end;
      }
      return { start: pos, end: p, major, entries };
    }
    default: {
      // A tag (cbor-x may tag big integers): its content follows.
      const inner = cborNode(b, p, depth + 1);
      return { start: pos, end: inner.end, major };
    }
  }
}

function textOf(b: Uint8Array, node: CborNode): string {
  const ai = b[node.start] & 31;
  const headLen = ai < 24 ? 1 : 1 + (1 << (ai - 24));
  return new TextDecoder().decode(b.subarray(node.start + headLen, node.end));
}

function isBody(v: FieldValue | undefined): v is BodyValue {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && typeof (v as BodyValue).fields === 'object';
}

function entry(n: CborNode, key: string): CborNode | undefined {
  return n.entries?.find((e) => e.text === key)?.value;
}

/** Annotations of a section item: its header entries, then every field, element and subsection (keys and values). */
export function cborAnnotations(item: Uint8Array, body: BodyModel, value: BodyValue, version: number): PreviewAnnotation[] {
  const root = cborNode(item, 0, 0);
  const out: PreviewAnnotation[] = [];
  const header: Record<string, string> = { record: 'section', type: 'full', id: '0', idstr: body.wireName, instance: '0', version: String(version), schema: 'vmsd' };
  for (const e of root.entries ?? []) {
    if (e.text === undefined || e.text === 'fields' || e.text === 'subsections') continue;
    out.push({ start: e.value.start, end: e.value.end, key: { start: e.key.start, end: e.key.end }, path: e.text, kind: 'marker', type: 'section', value: header[e.text] });
  }
  bodyAnnotations(root, body, value, body.wireName, out);
  return out;
}

function bodyAnnotations(node: CborNode, body: BodyModel, value: BodyValue, path: string, out: PreviewAnnotation[]): void {
  const byName = new Map<string, FieldModel>();
  let unused = 0;
  for (const f of body.fields) byName.set(f.name ?? `unused[${unused++}]`, f);
  for (const e of entry(node, 'fields')?.entries ?? []) {
    const name = e.text ?? '';
    const f = byName.get(name);
    const v = ownValue(value.fields, name);
    if (!f || v === undefined) continue;
    const fpath = `${path}.${name}`;
    out.push({ start: e.value.start, end: e.value.end, key: { start: e.key.start, end: e.key.end }, path: fpath, kind: f.name === undefined ? 'unused' : 'field', type: typeName(f.type.element), value: showValue(v) });
    fieldAnnotations(e.value, f.type.element, v, fpath, out);
  }
  for (const e of entry(node, 'subsections')?.entries ?? []) {
    const s = body.subsections.find((x) => x.name === e.text);
    const sv = e.text !== undefined ? ownValue(value.subsections, e.text) : undefined;
    if (!s || !sv) continue;
    out.push({ start: e.value.start, end: e.value.end, key: { start: e.key.start, end: e.key.end }, path: s.body.wireName, kind: 'subsection', type: 'subsection', value: `version ${s.body.version}` });
    bodyAnnotations(e.value, s.body, sv, s.body.wireName, out);
  }
}

function fieldAnnotations(node: CborNode, el: WireType, v: FieldValue, path: string, out: PreviewAnnotation[]): void {
  if (el.kind === 'bytes' || el.kind === 'bitmap' || el.kind === 'opaque') return;
  if (isBody(v)) {
    if (el.kind === 'struct' || el.kind === 'tmp') bodyAnnotations(node, el.description.body, v, path, out);
    return;
  }
  if (!Array.isArray(v) || !node.items) return;
  const inner = el.kind === 'list' ? el.element : el;
  v.forEach((x, i) => {
    const n = node.items![i];
    if (!n) return;
    const epath = `${path}[${i}]`;
    out.push({ start: n.start, end: n.end, path: epath, kind: 'element', type: typeName(inner), value: x === null ? 'NULL' : showValue(x) });
    if (isBody(x) && (inner.kind === 'struct' || inner.kind === 'tmp')) bodyAnnotations(n, inner.description.body, x, epath, out);
  });
}
