import { Analysis } from '../semantic/analyzer';
import { BodyModel, FieldModel } from '../semantic/model';
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
  presence: Presence[];
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
    defaulted: [],
  };
  try {
    const mo = machineOptions(req.analysis, req.machine);
    out.machine = mo.machine ?? null;
    const opts = { ...mo, opaque: req.opaque };
    const built = req.value === undefined ? defaultValue(body, version, opts) : valueFromJson(typeof req.value === 'string' ? parseJson(req.value) : req.value, body, version, opts);
    out.value = valueToJsonData(built.value);
    out.presence = built.presence;
    out.defaulted = built.defaulted;
    const qemu = encode(body, built.value, version, built.codec);
    const decoded = decode(body, qemu, version, built.codec);
    if (decoded.end !== qemu.length) throw new EncodeError(`${body.wireName}: the encoded value reads back as ${decoded.end} of its ${qemu.length} bytes`);
    const cbor = writeCfSection(previewSection(body, built.value, version, qemu.length));
    out.sizes = { qemu: qemu.length, cbor: cbor.length };
    const bytes = req.format === 'qemu' ? qemu : cbor;
    out.bytes = hexBytes(bytes);
    const all = req.format === 'qemu' ? sorted(decoded.annotations) : cborAnnotations(cbor, body, built.value, version);
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
