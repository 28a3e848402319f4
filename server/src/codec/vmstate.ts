import { Analysis } from '../semantic/analyzer';
import { BodyModel, FieldModel, PropertySym } from '../semantic/model';
import { infoName, INT_RANGES, IntName, SCALARS, valueRange, WireType } from '../semantic/types';
import * as A from '../syntax/ast';
import { DecodeError, hexBytes, Reader, Writer } from './bytes';
import type { VmdescBody, VmdescField } from './vmdesc';

/**
 * The vmstate encoding of one description (QEMU 7.2, qemu-wire.md §5): fields in order,
 * each present by its version or test, arrays without counts on the wire, embedded
 * descriptions at their own version, then the subsections that are sent, each as
 * `0x05, len, name, be32 version, body`. decode() also returns an annotation for every
 * byte range (field, element, subsection header) for previews and annotated dumps.
 */
export type FieldValue = bigint | boolean | number | Uint8Array | null | FieldValue[] | BodyValue;

export interface BodyValue {
  fields: Record<string, FieldValue>;
  /** Subsections that were (or are to be) sent, by their name in the description. */
  subsections: Record<string, BodyValue>;
  /**
   * A subsection sent at another version than its description's (an older QEMU's): that
   * version, so that it is written back the same. Absent otherwise.
   */
  version?: number;
}

/**
 * A field or subsection by name, own properties only: field names are the description's
 * (or the stream's vmdesc's), and `constructor` or `toString` are names like any other.
 */
export function ownValue<T>(o: Record<string, T>, name: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(o, name) ? o[name] : undefined;
}

/** Sets a field or subsection by name; `__proto__` too is a plain key here. */
export function setValue<T>(o: Record<string, T>, name: string, v: T): void {
  if (name === '__proto__') Object.defineProperty(o, name, { value: v, enumerable: true, writable: true, configurable: true });
  else o[name] = v;
}

export interface Annotation {
  start: number;
  end: number;
  /** `hpet.timer[2].config`, `fw_cfg/dma` … */
  path: string;
  kind: 'field' | 'element' | 'unused' | 'subsection' | 'marker';
  type: string;
  /** The value, shown (integers in decimal, bytes in hex, long ones cut). */
  value?: string;
}

export interface CodecOptions {
  analysis: Analysis;
  /** Values of device properties (`property(p)`); defaults are used for the rest. */
  properties?: Map<PropertySym, bigint | boolean | string>;
  /** Decides a field test written `if opaque "…"` (QEMU evaluates it on its own state). */
  opaqueTest?: (field: FieldModel, path: string) => boolean;
  /** Whether an element of a NULL-able pointer array is NULL (QEMU decides from its own pointers). */
  isNull?: (field: FieldModel, index: number, path: string) => boolean;
  /** false: no annotations (a decode for values only: the text and JSON dumps, transcoding). */
  annotate?: boolean;
}

export interface Decoded {
  value: BodyValue;
  end: number;
  annotations: Annotation[];
}

/** Nesting of embedded descriptions and subsections a stream may ask for. */
const MAX_DEPTH = 64;
/**
 * Array elements that take no byte (a description whose fields are all absent) a decode
 * accepts: each costs a loop turn but no input, so a count read from the stream could
 * otherwise spin for 2^31 turns, or 2^62 in an array of such arrays.
 */
const MAX_EMPTY_ELEMENTS = 1 << 16;

export function decode(body: BodyModel, bytes: Uint8Array, version: number, opts: CodecOptions, start = 0, path = body.wireName): Decoded {
  const r = new Reader(bytes, start);
  const annotations: Annotation[] | undefined = opts.annotate === false ? undefined : [];
  const value = new Decoder(r, annotations, opts).body(body, version, path, 0, undefined);
  return { value, end: r.pos, annotations: annotations ?? [] };
}

export function encode(body: BodyModel, value: BodyValue, version: number, opts: CodecOptions): Uint8Array {
  const w = new Writer();
  new Encoder(w, opts).body(body, value, version, body.wireName, 0, undefined);
  return w.finish();
}

/**
 * encode(), and the vmdesc entry QEMU 7.2 writes beside the bytes (qemu-wire.md §9,
 * migration/vmstate.c vmstate_save_state_v): `vmsd_name`, `version`, `fields` with
 * each field's C name (made unique as `name[i]` when the description lists it twice),
 * QEMU's info name and the bytes written, arrays folded to `array_len` when QEMU can
 * fold them, else one entry per element with its `index`, and the subsections sent.
 */
export function encodeWithVmdesc(body: BodyModel, value: BodyValue, version: number, opts: CodecOptions): { bytes: Uint8Array; vmdesc: VmdescBody } {
  const w = new Writer();
  const vmdesc = {} as VmdescBody;
  new Encoder(w, opts).body(body, value, version, body.wireName, 0, undefined, vmdesc);
  return { bytes: w.finish(), vmdesc };
}

/** A field's name in the vmdesc: its C member, with `[i]` when the member appears more than once. */
function vmdescName(body: BodyModel, f: FieldModel): string {
  const member = (x: FieldModel) => x.member ?? x.name ?? 'unused';
  const m = member(f);
  const same = body.fields.filter((x) => member(x) === m);
  return same.length > 1 ? `${m}[${same.indexOf(f)}]` : m;
}

/** QEMU's vmsd_can_compress: no test of its own, and for a struct, none inside and no subsections. */
function canFold(f: FieldModel, seen = new Set<BodyModel>()): boolean {
  if (f.condition) return false;
  const el = f.type.element;
  if (el.kind !== 'struct' || el.version !== undefined) return true;
  const b = el.description.body;
  if (seen.has(b)) return true;
  seen.add(b);
  return b.subsections.length === 0 && b.fields.every((x) => canFold(x, seen));
}

// ---- evaluation of conditions and counts against decoded values ----

export interface Scope {
  body: BodyModel;
  values: Record<string, FieldValue>;
  version: number;
  parent?: Scope;
}

function constants(analysis: Analysis): Map<string, bigint | boolean> {
  const cache = constantCache.get(analysis);
  if (cache) return cache;
  const m = new Map<string, bigint | boolean>();
  for (const [uri, refs] of analysis.references) {
    for (const ref of refs) {
      const s = ref.sym;
      if (s.kind === 'const' && s.value !== undefined) m.set(`${uri}#${ref.range.start}`, s.value);
      if (s.kind === 'enumMember') m.set(`${uri}#${ref.range.start}`, s.value);
    }
  }
  constantCache.set(analysis, m);
  return m;
}
const constantCache = new WeakMap<Analysis, Map<string, bigint | boolean>>();

export function propertyValue(opts: CodecOptions, p: PropertySym): bigint | boolean | string | undefined {
  return opts.properties?.get(p) ?? p.default;
}

export function evaluate(e: A.Expr, scope: Scope, opts: CodecOptions, at: { offset: number; path: string }): bigint | boolean {
  const uri = scope.body.owner.uri;
  const fail = (msg: string): never => {
    throw new DecodeError(msg, at.offset, at.path);
  };
  const asInt = (v: bigint | boolean) => (typeof v === 'bigint' ? v : fail('expected an integer'));
  const asBool = (v: bigint | boolean) => (typeof v === 'boolean' ? v : fail('expected a boolean'));
  switch (e.kind) {
    case 'Int':
      return e.value ?? fail('bad integer');
    case 'Bool':
      return e.value;
    case 'Paren':
      return e.expr ? evaluate(e.expr, scope, opts, at) : fail('empty expression');
    case 'VersionRef':
      return BigInt(scope.version);
    case 'OpaqueExpr':
      return fail(`the condition depends on state the stream does not carry: ${e.reason?.value ?? ''}`);
    case 'NameRef': {
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        if (Object.prototype.hasOwnProperty.call(s.values, e.name.text)) return scalarOf(s.values[e.name.text], fail);
      }
      const c = constants(opts.analysis).get(`${uri}#${e.name.start}`);
      return c ?? fail(`\`${e.name.text}\` has no value here`);
    }
    case 'Member': {
      const c = constants(opts.analysis).get(`${uri}#${e.path[e.path.length - 1].start}`);
      if (c !== undefined) return c;
      let v: FieldValue | undefined;
      for (let s: Scope | undefined = scope; s && v === undefined; s = s.parent) if (Object.prototype.hasOwnProperty.call(s.values, e.path[0].text)) v = s.values[e.path[0].text];
      for (const n of e.path.slice(1)) {
        if (!v || typeof v !== 'object' || !('fields' in v)) return fail(`\`${n.text}\` is not readable here`);
        v = ownValue(v.fields, n.text);
      }
      return v === undefined ? fail('no value') : scalarOf(v, fail);
    }
    case 'Property': {
      const ref = opts.analysis.references.get(uri)?.find((x) => e.property && x.range.start === e.property.start && x.sym.kind === 'property');
      const p = ref?.sym.kind === 'property' ? ref.sym : undefined;
      const v = p ? propertyValue(opts, p) : undefined;
      if (v === undefined || typeof v === 'string') return fail(`property \`${e.property?.text}\` has no value`);
      return v;
    }
    case 'Unary': {
      const o = e.operand ? evaluate(e.operand, scope, opts, at) : fail('missing operand');
      return e.op === '!' ? !asBool(o) : e.op === '-' ? -asInt(o) : ~asInt(o);
    }
    case 'Binary': {
      const l = evaluate(e.left, scope, opts, at);
      if (e.op === '&&' && l === false) return false;
      if (e.op === '||' && l === true) return true;
      const r = e.right ? evaluate(e.right, scope, opts, at) : fail('missing operand');
      switch (e.op) {
        case '&&':
        case '||':
          return asBool(r);
        case '==':
          return l === r;
        case '!=':
          return l !== r;
      }
      const a = asInt(l);
      const b = asInt(r);
      switch (e.op) {
        case '<': return a < b;
        case '<=': return a <= b;
        case '>': return a > b;
        case '>=': return a >= b;
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return b === 0n ? fail('division by zero') : a / b;
        case '%': return b === 0n ? fail('division by zero') : a % b;
        case '&': return a & b;
        case '|': return a | b;
        case '^': return a ^ b;
        case '<<': return b < 0n || b > 127n ? fail('shift out of range') : a << b;
        case '>>': return b < 0n || b > 127n ? fail('shift out of range') : a >> b;
      }
      return fail('unknown operator');
    }
    case 'StringExpr':
    case 'ErrorExpr':
      return fail('not a value');
  }
}

function scalarOf(v: FieldValue, fail: (m: string) => never): bigint | boolean {
  if (typeof v === 'bigint' || typeof v === 'boolean') return v;
  return fail('the field is not a single integer or bool');
}

export function exists(f: FieldModel, scope: Scope, opts: CodecOptions, at: { offset: number; path: string }): boolean {
  const c = f.condition;
  if (c?.kind === 'OpaqueCondition') {
    if (!opts.opaqueTest) throw new DecodeError(`field test \`${c.reason?.value ?? ''}\` cannot be decided from the stream; supply it`, at.offset, at.path);
    return opts.opaqueTest(f, at.path);
  }
  if (c?.kind === 'ExprCondition' && c.expr) {
    const v = evaluate(c.expr, scope, opts, at);
    if (typeof v !== 'boolean') throw new DecodeError('the field test is not a boolean', at.offset, at.path);
    return v;
  }
  return f.since === undefined || f.since <= scope.version;
}

/** Elements (bytes for buffers, bits for bitmaps) of a field, from its count. */
export function countOf(f: FieldModel, scope: Scope, opts: CodecOptions, at: { offset: number; path: string }): number | undefined {
  const c = f.type.count;
  if (!c) return undefined;
  switch (c.kind) {
    case 'fixed':
      return c.value;
    case 'unknown':
      throw new DecodeError('the description gives no usable count for this field', at.offset, at.path);
    case 'field': {
      let v: FieldValue | undefined;
      for (let s: Scope | undefined = scope; s && v === undefined; s = s.parent) if (c.field.name && Object.prototype.hasOwnProperty.call(s.values, c.field.name)) v = s.values[c.field.name];
      // Not sent at this version: the receiver counts with what pre_load set, the field's `default` (language.md §3.5).
      if (v === undefined && typeof c.field.default === 'bigint') v = c.field.default;
      if (typeof v !== 'bigint') throw new DecodeError(`count field \`${c.field.name}\` has no value here`, at.offset, at.path);
      return checkedCount(v * BigInt(c.factor), at);
    }
    case 'property': {
      const v = propertyValue(opts, c.property);
      if (typeof v !== 'bigint') throw new DecodeError(`property \`${c.property.name}\` gives no count`, at.offset, at.path);
      return checkedCount(v * BigInt(c.factor), at);
    }
  }
}

function checkedCount(v: bigint, at: { offset: number; path: string }): number {
  if (v < 0n || v > 0x7fffffffn) throw new DecodeError(`count ${v} is out of range`, at.offset, at.path);
  return Number(v);
}

export function typeName(t: WireType): string {
  switch (t.kind) {
    case 'scalar':
      return t.name;
    case 'enum':
      return t.enum.name;
    case 'struct':
    case 'tmp':
      return t.description.name;
    case 'opaque':
      return `opaque "${t.info}"`;
    default:
      return t.kind;
  }
}

/**
 * Whether an element of `f` may take no byte: a description (at the version it is read
 * with) without a field that is always there and always takes a byte.
 */
function mayBeEmpty(f: FieldModel, el: WireType, depth = 0): boolean {
  if (el.kind !== 'struct' && el.kind !== 'tmp') return false;
  if (depth > 8) return true;
  const version = el.kind === 'tmp' ? (f.since ?? 0) : (el.version ?? el.description.body.version);
  return !el.description.body.fields.some((x) => {
    if (x.condition || (x.since !== undefined && x.since > version)) return false;
    const c = x.type.count;
    if (c && (c.kind !== 'fixed' || c.value === 0)) return false;
    const e = x.type.element;
    if (e.kind === 'bytes' || e.kind === 'bitmap' || e.kind === 'opaque') return c !== undefined;
    return !mayBeEmpty(x, e, depth + 1); // scalars, enums, lists (their end marker), trees (their count)
  });
}

// ---- decoder ----

class Decoder {
  /** Elements decoded so far that took no byte (MAX_EMPTY_ELEMENTS). */
  private empty = 0;

  constructor(
    private readonly r: Reader,
    private readonly notes: Annotation[] | undefined,
    private readonly opts: CodecOptions,
  ) {}

  body(body: BodyModel, version: number, path: string, depth: number, parent: Scope | undefined): BodyValue {
    if (depth > MAX_DEPTH) throw new DecodeError(`nesting deeper than ${MAX_DEPTH}`, this.r.pos, path);
    // QEMU's checks, in its words (vmstate_load_state).
    if (version > body.version) throw new DecodeError(`expected a version up to ${body.version}, found ${version} (QEMU: "${body.wireName}: incoming version_id ${version} is too new for local version_id ${body.version}")`, this.r.pos, path);
    if (version < body.minimumVersion) throw new DecodeError(`expected a version of at least ${body.minimumVersion}, found ${version} (QEMU: "${body.wireName}: incoming version_id ${version} is too old for local minimum version_id  ${body.minimumVersion}")`, this.r.pos, path);
    const value: BodyValue = { fields: {}, subsections: {} };
    const scope: Scope = { body, values: value.fields, version, parent };
    let unusedIndex = 0;
    for (const f of body.fields) {
      const name = f.name ?? `unused[${unusedIndex++}]`;
      const fpath = `${path}.${name}`;
      const at = { offset: this.r.pos, path: fpath };
      if (!exists(f, scope, this.opts, at)) continue;
      const start = this.r.pos;
      const v = this.field(f, scope, fpath, depth);
      setValue(value.fields, name, v);
      this.notes?.push({ start, end: this.r.pos, path: fpath, kind: f.name === undefined ? 'unused' : 'field', type: typeName(f.type.element), value: showValue(v) });
    }
    // Subsections: while the next byte is 0x05 and the name is this description's.
    for (;;) {
      // QEMU peeks the marker, the length and the name; anything short is not a subsection
      // (a 0x05 may be the first byte of the parent's next field, the last of the data).
      if (this.r.peek() !== 0x05 || this.r.remaining < 2) break;
      const save = this.r.pos;
      const len = this.r.bytes[save + 1];
      if (len < body.wireName.length + 1 || this.r.remaining - 2 < len) break;
      const name = new TextDecoder().decode(this.r.bytes.subarray(save + 2, save + 2 + len));
      if (!name.startsWith(body.wireName)) break; // not ours: the parent's subsection, or the footer check will say
      this.r.pos = save + 2 + len;
      const sub = body.subsections.find((s) => s.body.wireName === name);
      if (!sub) throw new DecodeError(`expected one of the subsections of \`${body.wireName}\` (${body.subsections.map((s) => s.body.wireName).join(', ') || 'it has none'}), found \`${name}\` (QEMU: "load of migration failed: No such file or directory")`, save, path);
      const subVersion = Number(this.r.int(4, false, path, 'the subsection version')) & 0xff; // QEMU keeps it in a u8
      this.notes?.push({ start: save, end: this.r.pos, path: name, kind: 'subsection', type: 'subsection', value: `version ${subVersion}` });
      const sv = this.body(sub.body, subVersion, name, depth + 1, scope);
      if (subVersion !== sub.body.version) sv.version = subVersion; // an older sender's: written back the same
      setValue(value.subsections, sub.name, sv);
    }
    return value;
  }

  private field(f: FieldModel, scope: Scope, path: string, depth: number): FieldValue {
    const at = { offset: this.r.pos, path };
    const n = countOf(f, scope, this.opts, at);
    const el = f.type.element;
    if (el.kind === 'bytes') return this.r.take(n ?? 0, path, 'buffer bytes');
    if (el.kind === 'bitmap') return this.r.take(Math.ceil((n ?? 0) / 64) * 8, path, 'bitmap words');
    if (el.kind === 'opaque') {
      if (n === undefined) throw new DecodeError(`opaque "${el.info}" has no known size; only the stream's own description can decode it`, this.r.pos, path);
      return this.r.take(n, path, `opaque "${el.info}"`);
    }
    if (n === undefined) return this.element(f, el, path, depth, scope);
    // Elements take a byte or more, but for descriptions that may send nothing (counted below).
    const slack = mayBeEmpty(f, el) ? MAX_EMPTY_ELEMENTS : 0;
    if (n > this.r.remaining + slack) throw new DecodeError(`${n} elements cannot fit in the ${this.r.remaining} bytes left`, this.r.pos, path);
    const out: FieldValue[] = [];
    for (let i = 0; i < n; i++) {
      const epath = `${path}[${i}]`;
      const start = this.r.pos;
      if (f.type.nullable && this.opts.isNull?.(f, i, epath)) {
        const b = this.r.u8(epath, 'the NULL marker 0x30');
        if (b !== 0x30) throw new DecodeError(`expected the NULL marker 0x30, found 0x${b.toString(16)}`, start, epath);
        out.push(null);
      } else out.push(this.element(f, el, epath, depth, scope));
      if (this.r.pos === start && ++this.empty > MAX_EMPTY_ELEMENTS) {
        throw new DecodeError(`expected at most ${MAX_EMPTY_ELEMENTS} elements of no bytes in a section, found more (count ${n})`, start, epath);
      }
      this.notes?.push({ start, end: this.r.pos, path: epath, kind: 'element', type: typeName(el), value: showValue(out[i]) });
    }
    return out;
  }

  private element(f: FieldModel, el: WireType, path: string, depth: number, scope: Scope): FieldValue {
    switch (el.kind) {
      case 'scalar': {
        const s = SCALARS[el.name];
        if (el.name === 'bool') return this.r.u8(path, 'a bool') !== 0;
        if (el.name === 'f64') return this.r.f64(path);
        return this.r.int(s.size, !!s.signed || el.name === 'timer', path, el.name);
      }
      case 'enum': {
        const s = SCALARS[el.enum.base];
        return this.r.int(s.size, !!s.signed, path, el.enum.name);
      }
      case 'struct':
        return this.body(el.description.body, el.version ?? el.description.body.version, path, depth + 1, undefined);
      case 'tmp':
        // QEMU's get_tmp loads with the field's version (0 for VMSTATE_WITH_TMP), as lists do.
        return this.body(el.description.body, f.since ?? 0, path, depth + 1, undefined);
      case 'list': {
        const items: FieldValue[] = [];
        for (let i = 0; ; i++) {
          const marker = this.r.u8(path, 'a list marker (1: element, 0: end)');
          if (marker === 0) break;
          if (marker !== 1) throw new DecodeError(`expected a list marker 0 or 1, found ${marker}`, this.r.pos - 1, path);
          if (el.element.kind !== 'struct') throw new DecodeError('list elements must be descriptions', this.r.pos, path);
          items.push(this.body(el.element.description.body, f.since ?? 0, `${path}[${i}]`, depth + 1, undefined));
        }
        return items;
      }
      case 'tree': {
        // get_gtree: be32 node count, then per node 0x01, key, value; then 0x00.
        const at = this.r.pos;
        const count = Number(this.r.int(4, false, path, 'the tree node count'));
        if (count > this.r.remaining) throw new DecodeError(`expected at most ${this.r.remaining} tree nodes in the bytes left, found the count ${count}`, at, path);
        const nodes: FieldValue[] = [];
        for (let i = 0; ; i++) {
          const marker = this.r.u8(path, 'a tree node marker (1: node, 0: end)');
          if (marker === 0) break;
          if (marker !== 1) throw new DecodeError(`expected a tree node marker 0 or 1, found ${marker}`, this.r.pos - 1, path);
          if (i >= count) throw new DecodeError(`the tree has more nodes than its count ${count} (QEMU fails: "inconsistent stream when loading the tree")`, this.r.pos - 1, path);
          const npath = `${path}[${i}]`;
          const key = this.treeKey(el.key, `${npath}.key`, f.since ?? 0, depth);
          if (el.value.kind !== 'struct') throw new DecodeError('tree values must be descriptions', this.r.pos, npath);
          const value = this.body(el.value.description.body, f.since ?? 0, `${npath}.value`, depth + 1, undefined);
          nodes.push({ fields: { key, value }, subsections: {} });
        }
        if (nodes.length !== count) throw new DecodeError(`expected ${count} tree nodes, found ${nodes.length} (QEMU fails: "inconsistent stream when loading the tree")`, this.r.pos - 1, path);
        return nodes;
      }
      default:
        throw new DecodeError(`${el.kind} fields are not decoded yet`, this.r.pos, path);
    }
  }

  /** A direct key is the integer as 8 bytes (QEMU sends the pointer value); else a description. */
  private treeKey(key: WireType, path: string, version: number, depth: number): FieldValue {
    if (key.kind === 'struct') return this.body(key.description.body, version, path, depth + 1, undefined);
    const signed = key.kind === 'scalar' ? !!SCALARS[key.name].signed : key.kind === 'enum' ? !!SCALARS[key.enum.base].signed : false;
    return this.r.int(8, signed, path, 'a tree key (8 bytes)');
  }
}

/** A value the type can hold; anything else would be silently cut to the width. */
function inRange(v: bigint, type: string, offset: number, path: string): bigint {
  const r = type === 'timer' || type in INT_RANGES ? valueRange(type as IntName | 'timer') : undefined;
  if (r && (v < r.min || v > r.max)) throw new DecodeError(`expected a ${type} (${r.min} to ${r.max}), found ${v}`, offset, path);
  return v;
}

/** What a value is, for "found …" in errors. */
function shape(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'NULL';
  if (typeof v === 'bigint' || typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `${v.length} elements`;
  if (typeof v === 'object') return 'a map without "fields"';
  return typeof v;
}

function isBody(x: FieldValue | undefined): x is BodyValue {
  return !!x && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Uint8Array) && typeof x.fields === 'object' && !!x.fields;
}

/** A field value as annotations show it: scalars in decimal, bytes in hex (32 at most). */
export function showValue(v: FieldValue): string | undefined {
  if (typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (v instanceof Uint8Array) return hexBytes(v, 32);
  if (v === null) return 'NULL';
  return undefined;
}

// ---- encoder ----

class Encoder {
  constructor(
    private readonly w: Writer,
    private readonly opts: CodecOptions,
  ) {}

  /** `vd`, when given, receives the vmdesc of what is written (encodeWithVmdesc). */
  body(body: BodyModel, value: BodyValue, version: number, path: string, depth: number, parent: Scope | undefined, vd?: VmdescBody): void {
    if (depth > MAX_DEPTH) throw new DecodeError(`nesting deeper than ${MAX_DEPTH}`, this.w.length, path);
    if (vd) Object.assign(vd, { vmsd_name: body.wireName, version, fields: [] });
    // Conditions and counts see what the decoder will have loaded: the fields written so far
    // (a later field of a subsection may share a name with the parent field meant).
    const scope: Scope = { body, values: {}, version, parent };
    let unusedIndex = 0;
    for (const f of body.fields) {
      const name = f.name ?? `unused[${unusedIndex++}]`;
      const fpath = `${path}.${name}`;
      const at = { offset: this.w.length, path: fpath };
      if (!exists(f, scope, this.opts, at)) continue;
      const v = ownValue(value.fields, name);
      if (v === undefined) throw new DecodeError(`expected a value for \`${name}\` (present at version ${version}), found none`, this.w.length, fpath);
      this.field(f, v, scope, fpath, depth, vd && { list: vd.fields!, name: vmdescName(body, f) });
      setValue(scope.values, name, v);
    }
    for (const s of body.subsections) {
      const sv = ownValue(value.subsections, s.name);
      if (!sv) continue;
      const name = new TextEncoder().encode(s.body.wireName);
      this.w.u8(0x05);
      this.w.u8(name.length);
      this.w.bytes(name);
      const sversion = sv.version ?? s.body.version;
      if (!Number.isInteger(sversion) || sversion < s.body.minimumVersion || sversion > s.body.version) {
        throw new DecodeError(`expected a version of \`${s.body.wireName}\` from ${s.body.minimumVersion} to ${s.body.version}, found ${sversion}`, this.w.length, s.body.wireName);
      }
      this.w.int(BigInt(sversion), 4);
      let sd: VmdescBody | undefined;
      if (vd) (vd.subsections ??= []).push((sd = {} as VmdescBody));
      this.body(s.body, sv, sversion, s.body.wireName, depth + 1, scope, sd);
    }
  }

  private field(f: FieldModel, v: FieldValue, scope: Scope, path: string, depth: number, vd?: { list: VmdescField[]; name: string }): void {
    const el = f.type.element;
    const n = countOf(f, scope, this.opts, { offset: this.w.length, path });
    const type = f.name === undefined ? 'unused_buffer' : infoName(f.type);
    if (el.kind === 'bytes' || el.kind === 'bitmap' || el.kind === 'opaque') {
      if (!(v instanceof Uint8Array)) throw new DecodeError(`expected bytes, found ${shape(v)}`, this.w.length, path);
      const want = el.kind === 'bitmap' ? Math.ceil((n ?? 0) / 64) * 8 : n;
      if (want !== undefined && v.length !== want) throw new DecodeError(`expected ${want} bytes, found ${v.length}`, this.w.length, path);
      this.w.bytes(v);
      vd?.list.push({ name: vd.name, type, size: v.length });
      return;
    }
    // One vmdesc entry per element QEMU describes: all of them, or the first of a folded array.
    const entry = (i: number, count: number, fold: boolean): VmdescField | undefined => {
      if (!vd || (fold && i > 0)) return undefined;
      const e = { name: vd.name, ...(count > 1 ? (fold ? { array_len: count } : { index: i }) : {}), type } as VmdescField;
      vd.list.push(e);
      return e;
    };
    if (n === undefined) {
      const start = this.w.length;
      const e = entry(0, 1, false);
      this.element(f, el, v, path, depth, e);
      if (e) e.size = this.w.length - start;
      return;
    }
    if (!Array.isArray(v) || v.length !== n) throw new DecodeError(`expected ${n} elements, found ${shape(v)}`, this.w.length, path);
    const fold = canFold(f);
    v.forEach((x, i) => {
      const start = this.w.length;
      const e = entry(i, n, fold);
      if (x === null) {
        this.w.u8(0x30);
        if (e?.type === 'struct') e.struct = {} as VmdescBody; // QEMU opened the struct, then wrote the marker instead
      } else this.element(f, el, x, `${path}[${i}]`, depth, e);
      if (e) e.size = this.w.length - start;
    });
  }

  private element(f: FieldModel, el: WireType, v: FieldValue, path: string, depth: number, e?: VmdescField): void {
    switch (el.kind) {
      case 'scalar': {
        if (el.name === 'bool') return this.w.u8(v ? 1 : 0);
        if (el.name === 'f64') return this.w.f64(Number(v));
        // Integers come as bigints from our decoder, as numbers from CBOR and JSON readers.
        if (typeof v !== 'bigint' && !Number.isSafeInteger(v)) throw new DecodeError(`expected an integer for ${el.name}, found ${shape(v)}`, this.w.length, path);
        return this.w.int(inRange(BigInt(v as bigint | number), el.name, this.w.length, path), SCALARS[el.name].size);
      }
      case 'enum':
        if (typeof v !== 'bigint' && !Number.isSafeInteger(v)) throw new DecodeError(`expected an integer, found ${shape(v)}`, this.w.length, path);
        return this.w.int(inRange(BigInt(v as bigint | number), el.enum.base, this.w.length, path), SCALARS[el.enum.base].size);
      case 'struct':
      case 'tmp':
        if (!isBody(v)) throw new DecodeError(`expected a description value {fields, subsections}, found ${shape(v)}`, this.w.length, path);
        // VMS_STRUCT nests its description under "struct"; tmp and vstruct write it into the field's entry.
        return this.body(el.description.body, v, el.kind === 'struct' && el.version !== undefined ? el.version : el.description.body.version, path, depth + 1, undefined, e && (el.kind === 'struct' && el.version === undefined ? (e.struct = {} as VmdescBody) : (e as unknown as VmdescBody)));
      case 'list': {
        const elementBody = el.element.kind === 'struct' ? el.element.description.body : undefined;
        if (!Array.isArray(v) || !elementBody) throw new DecodeError(`expected a list of description values, found ${shape(v)}`, this.w.length, path);
        v.forEach((x, i) => {
          if (!isBody(x)) throw new DecodeError(`expected a description value, found ${shape(x)}`, this.w.length, `${path}[${i}]`);
          this.w.u8(1);
          this.body(elementBody, x, elementBody.version, `${path}[${i}]`, depth + 1, undefined);
        });
        this.w.u8(0);
        return;
      }
      case 'tree': {
        if (!Array.isArray(v)) throw new DecodeError(`expected a list of tree nodes {key, value}, found ${shape(v)}`, this.w.length, path);
        const valueBody = el.value.kind === 'struct' ? el.value.description.body : undefined;
        if (!valueBody) throw new DecodeError('tree values must be descriptions', this.w.length, path);
        this.w.int(BigInt(v.length), 4);
        v.forEach((node, i) => {
          const npath = `${path}[${i}]`;
          const key = isBody(node) ? node.fields.key : undefined;
          const value = isBody(node) ? node.fields.value : undefined;
          if (key === undefined || !isBody(value)) throw new DecodeError(`expected a tree node {key, value}, found ${shape(node)}`, this.w.length, npath);
          this.w.u8(1);
          if (el.key.kind === 'struct') {
            if (!isBody(key)) throw new DecodeError(`expected a description value, found ${shape(key)}`, this.w.length, `${npath}.key`);
            this.body(el.key.description.body, key, el.key.description.body.version, `${npath}.key`, depth + 1, undefined);
          } else {
            if (typeof key !== 'bigint' && !Number.isSafeInteger(key)) throw new DecodeError(`expected an integer, found ${shape(key)}`, this.w.length, `${npath}.key`);
            this.w.int(BigInt(key as bigint | number), 8);
          }
          this.body(valueBody, value, valueBody.version, `${npath}.value`, depth + 1, undefined);
        });
        this.w.u8(0);
        return;
      }
      default:
        throw new DecodeError(`${el.kind} fields are not encoded yet`, this.w.length, path);
    }
  }
}
