import { FieldModel } from '../semantic/model';
import { DecodeError, EncodeError, latin1, latin1Bytes, Reader, Writer } from './bytes';
import { Annotation, BodyValue, FieldValue, ownValue, setValue, showValue } from './vmstate';

/**
 * The vmdesc: the JSON QEMU appends to a stream (qemu-wire.md §9), naming every field
 * it sent with its type and size. With no .vmsd description, a device section is decoded
 * by it: integers by their type, structs and subsections nested, everything else kept
 * as bytes. Encoding by the same vmdesc gives the section back byte for byte.
 */
export interface VmdescDevice {
  name: string;
  instance_id: number;
  vmsd_name?: string;
  version?: number;
  fields?: VmdescField[];
  subsections?: VmdescBody[];
  size?: number;
}
export interface VmdescBody {
  vmsd_name: string;
  version: number;
  fields?: VmdescField[];
  subsections?: VmdescBody[];
}
export interface VmdescField {
  name: string;
  type?: string;
  size: number;
  array_len?: number;
  /** An element of an array QEMU could not fold into `array_len`. */
  index?: number;
  /** tmp and vstruct fields: the description written into the field's own entry. */
  vmsd_name?: string;
  version?: number;
  struct?: VmdescBody;
  fields?: VmdescField[];
  subsections?: VmdescBody[];
}

/**
 * Decides `if opaque` tests from a device's vmdesc: the field was sent when the vmdesc
 * lists its C member (repeated names carry a `[n]` suffix there) with the same size.
 */
export function vmdescOpaqueTest(desc: VmdescDevice): (f: FieldModel) => boolean {
  let sent: Set<string> | undefined; // built on the first test: most descriptions have none
  const walk = (into: Set<string>, fields: VmdescField[] | undefined, subs: VmdescBody[] | undefined): Set<string> => {
    for (const f of fields ?? []) {
      const member = f.name.replace(/\[\d+\]$/, '');
      into.add(`${member}:${f.size * (f.array_len ?? 1)}`).add(member);
      walk(into, f.struct?.fields ?? f.fields, [...(f.struct?.subsections ?? []), ...(f.subsections ?? [])]);
    }
    for (const s of subs ?? []) walk(into, s.fields, s.subsections);
    return into;
  };
  return (f) => {
    sent ??= walk(new Set(), desc.fields, desc.subsections);
    const member = f.member ?? f.name ?? '';
    const size = f.size && f.size.terms.size === 0 && f.size.unknown.length === 0 ? f.size.constant : undefined;
    return sent.has(size === undefined ? member : `${member}:${size}`);
  };
}

/** Bytes a vmdesc device entry says its section holds (qemu-wire.md §9). */
export function vmdescSize(d: VmdescDevice | VmdescBody): number {
  let n = 0;
  if ('size' in d && typeof d.size === 'number' && !('fields' in d && d.fields)) return d.size;
  for (const f of d.fields ?? []) n += f.size * (f.array_len ?? 1);
  for (const s of d.subsections ?? []) n += 2 + s.vmsd_name.length + 4 + vmdescSize(s);
  return n;
}

/** Integer types by vmdesc type name (vmstate-types.c's VMStateInfo names): bytes, signed. */
const INTEGERS: Record<string, [number, boolean]> = {
  int8: [1, true], int16: [2, true], int32: [4, true], int64: [8, true],
  uint8: [1, false], uint16: [2, false], uint32: [4, false], uint64: [8, false],
  'int32 equal': [4, true], 'int32 le': [4, true], 'uint8 equal': [1, false], 'uint16 equal': [2, false],
  'uint32 equal': [4, false], 'uint64 equal': [8, false], timer: [8, true], bool: [1, false],
};

/** Elements a zero-sized vmdesc field may claim: each costs a loop turn but no input byte. */
const MAX_EMPTY_ELEMENTS = 1 << 16;
const MAX_DEPTH = 64;

/**
 * Zero-sized elements the current decode may still take, over all its arrays: one field's
 * MAX_EMPTY_ELEMENTS times another's inside it would be 2^32 turns (decodes are synchronous).
 */
let emptyLeft = 0;

export function decodeByVmdesc(desc: VmdescDevice, r: Reader, path: string, annotate = true): { value: BodyValue; annotations: Annotation[] } {
  const annotations: Annotation[] | undefined = annotate ? [] : undefined;
  emptyLeft = MAX_EMPTY_ELEMENTS;
  const value = body(desc.fields, desc.subsections, r, path, annotations, 0);
  return { value, annotations: annotations ?? [] };
}

function body(fields: VmdescField[] | undefined, subs: VmdescBody[] | undefined, r: Reader, path: string, out: Annotation[] | undefined, depth: number): BodyValue {
  if (depth > MAX_DEPTH) throw new DecodeError(`the vmdesc nests deeper than ${MAX_DEPTH} levels`, r.pos, path);
  const v: BodyValue = { fields: {}, subsections: {} };
  const repeats = repeated(fields);
  const seen = new Map<string, number>();
  for (const f of fields ?? []) {
    // QEMU lists each element of an array of structs as its own entry with the same name.
    const n = seen.get(f.name) ?? 0;
    seen.set(f.name, n + 1);
    const fpath = repeats.has(f.name) ? `${path}.${f.name}[${n}]` : `${path}.${f.name}`;
    const start = r.pos;
    let x: FieldValue;
    if (f.array_len === undefined) x = element(f, r, fpath, out, depth);
    else {
      checkCount(f, r, fpath);
      const items: FieldValue[] = [];
      for (let i = 0; i < f.array_len; i++) {
        const at = r.pos;
        items.push(element(f, r, `${fpath}[${i}]`, out, depth));
        if (r.pos === at && --emptyLeft < 0) throw new DecodeError(`the vmdesc claims more than ${MAX_EMPTY_ELEMENTS} elements of no bytes (\`${f.name}\` has ${f.array_len})`, at, `${fpath}[${i}]`);
      }
      x = items;
      out?.push({ start, end: r.pos, path: fpath, kind: 'field', type: `${f.type ?? 'bytes'}[${f.array_len}]` });
    }
    // Own properties: the names come from the stream (`constructor`, `__proto__` are names too).
    if (!repeats.has(f.name)) setValue(v.fields, f.name, x);
    else if (n === 0) setValue(v.fields, f.name, [x]);
    else (ownValue(v.fields, f.name) as FieldValue[]).push(x);
  }
  for (const s of subs ?? []) {
    const start = r.pos;
    const spath = `${path}/${s.vmsd_name}`;
    if (r.u8(spath, 'a subsection marker 0x05') !== 0x05) throw new DecodeError(`the vmdesc lists subsection \`${s.vmsd_name}\` here, the stream has no subsection marker`, start, spath);
    const n = r.u8(spath, 'the subsection name length');
    const name = latin1(r.take(n, spath, 'the subsection name'));
    if (name !== s.vmsd_name) throw new DecodeError(`expected subsection \`${s.vmsd_name}\` (from the vmdesc), found \`${name}\``, start, spath);
    const version = Number(r.int(4, false, spath, 'the subsection version'));
    if (version !== s.version) throw new DecodeError(`subsection \`${name}\` has version ${version}, the vmdesc says ${s.version}`, start, spath);
    out?.push({ start, end: r.pos, path: spath, kind: 'subsection', type: 'subsection', value: `version ${version}` });
    setValue(v.subsections, s.vmsd_name, body(s.fields, s.subsections, r, spath, out, depth + 1));
  }
  return v;
}

/** Names listed more than once in one body: their values are lists, one entry each. */
function repeated(fields: VmdescField[] | undefined): Set<string> {
  const once = new Set<string>();
  const more = new Set<string>();
  for (const f of fields ?? []) (once.has(f.name) ? more : once).add(f.name);
  return more;
}

function checkCount(f: VmdescField, r: Reader, path: string): void {
  const n = f.array_len!;
  if (!Number.isSafeInteger(n) || n < 0) throw new DecodeError(`the vmdesc gives field \`${f.name}\` the array length ${n}`, r.pos, path);
  if (f.size > 0 && !f.struct) r.need(f.size * n, `${n} elements of ${f.size} bytes`, path);
  else if (n > MAX_EMPTY_ELEMENTS && n > r.remaining) throw new DecodeError(`the vmdesc claims ${n} elements for \`${f.name}\`, more than the data can hold`, r.pos, path);
}

function element(f: VmdescField, r: Reader, path: string, out: Annotation[] | undefined, depth: number): FieldValue {
  const start = r.pos;
  const struct = f.struct ?? (f.fields || f.subsections ? { vmsd_name: f.name, version: 0, fields: f.fields, subsections: f.subsections } : undefined);
  if (struct) {
    const v = body(struct.fields, struct.subsections, r, path, out, depth + 1);
    out?.push({ start, end: r.pos, path, kind: 'field', type: struct.vmsd_name });
    return v;
  }
  if (!Number.isSafeInteger(f.size) || f.size < 0) throw new DecodeError(`the vmdesc gives field \`${f.name}\` the size ${f.size}`, r.pos, path);
  const int = f.type !== undefined ? INTEGERS[f.type] : undefined;
  let v: FieldValue;
  if (int && int[0] === f.size) {
    const x = r.int(int[0], int[1], path, `${f.type} ${f.name}`);
    v = f.type === 'bool' && x <= 1n ? x === 1n : int[0] === 8 ? x : Number(x);
  } else v = r.take(f.size, path, `${f.size} bytes of ${f.type ?? 'data'} ${f.name}`);
  out?.push({ start, end: r.pos, path, kind: 'field', type: f.type ?? 'bytes', value: showValue(v) });
  return v;
}

/** The section bytes for a value decoded by the same vmdesc. */
export function encodeByVmdesc(desc: VmdescDevice, value: BodyValue): Uint8Array {
  const w = new Writer();
  encodeBody(desc.fields, desc.subsections, value, w, desc.name);
  return w.finish();
}

function encodeBody(fields: VmdescField[] | undefined, subs: VmdescBody[] | undefined, v: BodyValue, w: Writer, path: string): void {
  const repeats = repeated(fields);
  const seen = new Map<string, number>();
  for (const f of fields ?? []) {
    const n = seen.get(f.name) ?? 0;
    seen.set(f.name, n + 1);
    let x = ownValue(v.fields, f.name);
    let fpath = `${path}.${f.name}`;
    if (repeats.has(f.name)) {
      if (!Array.isArray(x)) throw new EncodeError(`${fpath}: expected one value for each of its entries`);
      x = x[n];
      fpath += `[${n}]`;
    }
    if (f.array_len === undefined) encodeElement(f, x, w, fpath);
    else {
      if (!Array.isArray(x) || x.length !== f.array_len) throw new EncodeError(`${fpath}: expected ${f.array_len} elements`);
      x.forEach((e, i) => encodeElement(f, e, w, `${fpath}[${i}]`));
    }
  }
  for (const s of subs ?? []) {
    const name = latin1Bytes(s.vmsd_name);
    w.u8(0x05);
    w.u8(name.length);
    w.bytes(name);
    w.int(BigInt(s.version), 4);
    encodeBody(s.fields, s.subsections, ownValue(v.subsections, s.vmsd_name) ?? { fields: {}, subsections: {} }, w, `${path}/${s.vmsd_name}`);
  }
}

function encodeElement(f: VmdescField, x: FieldValue | undefined, w: Writer, path: string): void {
  const struct = f.struct ?? (f.fields || f.subsections ? { vmsd_name: f.name, version: 0, fields: f.fields, subsections: f.subsections } : undefined);
  if (struct) {
    if (!x || typeof x !== 'object' || !('fields' in x)) throw new EncodeError(`${path}: expected a struct value`);
    encodeBody(struct.fields, struct.subsections, x, w, path);
  } else if (x instanceof Uint8Array) {
    if (x.length !== f.size) throw new EncodeError(`${path}: expected ${f.size} bytes, got ${x.length}`);
    w.bytes(x);
  } else if (typeof x === 'boolean') w.u8(x ? 1 : 0);
  else if (typeof x === 'bigint' || (typeof x === 'number' && Number.isSafeInteger(x))) w.int(BigInt(x), f.size);
  else throw new EncodeError(`${path}: no value`);
}

/**
 * JSON text as QEMU's JSONWriter writes the vmdesc: `", "` and `": "` between items,
 * non-ASCII escaped (the same bytes as Python's json.dumps, which analyze-migration.py's
 * readers are used to).
 */
export function vmdescText(doc: unknown): string {
  const str = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const out = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
    if (typeof v === 'bigint') return v.toString();
    if (Array.isArray(v)) return `[${v.map(out).join(', ')}]`;
    if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).map(([k, x]) => `${str(k)}: ${out(x)}`).join(', ')}}`;
    return 'null';
  };
  return out(doc);
}

/** Whether parsed JSON has the shape QEMU writes (every name a string, every size a count). */
export function validVmdesc(json: unknown): json is { devices: VmdescDevice[] } {
  const isCount = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  const obj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  const body = (b: unknown, depth: number): boolean => {
    if (!obj(b) || depth > MAX_DEPTH) return false;
    if (b.fields !== undefined && !(Array.isArray(b.fields) && b.fields.every((f) => field(f, depth + 1)))) return false;
    return b.subsections === undefined || (Array.isArray(b.subsections) && b.subsections.every((s) => obj(s) && typeof s.vmsd_name === 'string' && isCount(s.version) && body(s, depth + 1)));
  };
  const field = (f: unknown, depth: number): boolean =>
    obj(f) && typeof f.name === 'string' && isCount(f.size) && (f.array_len === undefined || isCount(f.array_len)) && (f.type === undefined || typeof f.type === 'string') &&
    (f.struct === undefined || (obj(f.struct) && typeof f.struct.vmsd_name === 'string' && body(f.struct, depth + 1))) && body(f, depth);
  return obj(json) && Array.isArray(json.devices) && json.devices.every((d) => obj(d) && typeof d.name === 'string' && isCount(d.instance_id) && body(d, 0));
}
