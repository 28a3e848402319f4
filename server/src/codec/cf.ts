import { decodeMultiple, Encoder, setSizeLimits } from 'cbor-x';
import { DecodeError, EncodeError } from './bytes';
import { CF_FORMAT, CF_MAGIC, CF_VERSION, isCf } from './cf-magic';
import { ConfigSubsection, RamRecord, Stream, StreamRecord, StreamSection } from './stream';
import { validVmdesc } from './vmdesc';
import { BodyValue, FieldValue } from './vmstate';

/**
 * The self-describing stream (docs/cf-format.md): a CBOR sequence of a header item, one
 * item per section or command, and an EOF item, keyed by field names. Written from a
 * decoded QEMU stream and read back into the same model, so QEMU → CBOR → QEMU gives
 * the same bytes; readable by any CBOR tool with no description at all.
 */
export { CF_FORMAT, CF_VERSION, isCf } from './cf-magic';
const MAGIC = CF_MAGIC;

// compat-and-formats.md §4: plain maps, no record extension, no tag on byte strings.
const encoder = new Encoder({ useRecords: false, variableMapSize: true, tagUint8Array: false, mapsAsObjects: true });


export function writeCf(s: Stream): Uint8Array {
  if (s.shallow) throw new EncodeError('the stream was decoded shallow (without its RAM pages) and cannot be written');
  const items: unknown[] = [];
  items.push({
    format: CF_FORMAT,
    format_version: CF_VERSION,
    qemu_stream_version: 3,
    ...(s.configuration ? { machine: s.machine ?? '', configuration: s.configuration.map(configItem) } : {}),
    footers: s.footers,
  });
  for (const r of s.records) items.push(r.kind === 'command' ? { record: 'command', command: r.command, data: r.data } : sectionItem(r.section));
  // A conformed stream's vmdesc describes its writer, not these sections: not carried on.
  const vmdesc = s.rewriteVmdesc ? undefined : vmdescText(s.trailer);
  items.push({ record: 'eof', ...(vmdesc !== undefined ? { vmdesc } : { trailer: s.rewriteVmdesc ? new Uint8Array() : s.trailer }) });
  const parts = items.map((x) => encoder.encode(x) as Uint8Array);
  const out = new Uint8Array(MAGIC.length + parts.reduce((n, p) => n + p.length, 0));
  out.set(MAGIC, 0);
  let at = MAGIC.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * One section item exactly as writeCf writes it in a stream (the CBOR map, without the
 * file magic): previews show what a self-describing stream would carry for a section.
 */
export function writeCfSection(s: StreamSection): Uint8Array {
  return new Uint8Array(encoder.encode(sectionItem(s)) as Uint8Array); // a copy: cbor-x reuses its buffer
}

function configItem(c: ConfigSubsection): Record<string, unknown> {
  return { name: c.name, version: c.version, ...(c.capabilities ? { capabilities: c.capabilities } : {}), ...(c.uuid ? { uuid: c.uuid } : {}), ...(c.pageBits !== undefined ? { page_bits: c.pageBits } : {}) };
}

function sectionItem(x: StreamSection): Record<string, unknown> {
  const item: Record<string, unknown> = { record: 'section', type: x.type, id: x.id };
  if (x.idstr !== undefined) Object.assign(item, { idstr: x.idstr, instance: x.instance, version: x.version });
  if (x.ramRecords) item.ram = x.ramRecords.map(ramItem);
  else if (x.value) Object.assign(item, { schema: x.byVmdesc ? 'vmdesc' : 'vmsd', ...bodyItem(x.value) });
  return item;
}

function ramItem(r: RamRecord): Record<string, unknown> {
  const item: Record<string, unknown> = { addr: int(r.addr), flags: r.flags };
  if (r.block !== undefined) item.block = r.block;
  if (r.blocks) item.blocks = r.blocks.map((b) => ({ name: b.name, used: int(b.used), ...(b.addr !== undefined ? { addr: int(b.addr) } : {}) }));
  if (r.fill !== undefined) item.fill = r.fill;
  if (r.data) item.data = r.data;
  return item;
}

function bodyItem(v: BodyValue): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(v.fields)) fields[k] = fieldItem(f);
  const subs = Object.entries(v.subsections);
  const item: Record<string, unknown> = v.version !== undefined ? { version: v.version, fields } : { fields };
  if (subs.length) item.subsections = Object.fromEntries(subs.map(([k, s]) => [k, bodyItem(s)]));
  return item;
}

function fieldItem(f: FieldValue): unknown {
  if (typeof f === 'bigint') return int(f);
  if (Array.isArray(f)) return f.map(fieldItem);
  if (f && typeof f === 'object' && !(f instanceof Uint8Array)) return bodyItem(f);
  return f;
}

/**
 * Integers in their shortest CBOR form. cbor-x writes a number up to 32 bits as an
 * integer of the fitting width, but a larger one as a float; a bigint always as an 8-byte
 * integer — the shortest form from 2^32 on.
 */
function int(v: bigint): number | bigint {
  return v >= -0x100000000n && v <= 0xffffffffn ? Number(v) : v;
}

/** The vmdesc JSON when the trailer is exactly `0x06, be32 length, JSON`. */
function vmdescText(t: Uint8Array): string | undefined {
  if (t.length < 5 || t[0] !== 0x06) return undefined;
  const len = ((t[1] << 24) >>> 0) + (t[2] << 16) + (t[3] << 8) + t[4];
  if (len !== t.length - 5) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(t.subarray(5));
    return new TextEncoder().encode(text).length === len ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a self-describing stream back into the stream model (values with bigint integers). */
export function readCf(bytes: Uint8Array): Stream {
  if (!isCf(bytes)) throw new DecodeError(`not a ${CF_FORMAT} stream (it starts without the CBOR tag 55799)`, 0, '');
  let items: unknown[];
  try {
    // Every element costs at least a byte: a declared count beyond the input is refused
    // before cbor-x allocates for it.
    const limit = Math.max(16, bytes.length);
    setSizeLimits({ maxArraySize: limit, maxMapSize: limit, maxObjectSize: limit });
    items = (decodeMultiple(bytes.subarray(MAGIC.length)) as unknown[] | undefined) ?? [];
  } catch (e) {
    // cbor-x says where the item it failed in starts, and which items it had read.
    const x = e as Error & { lastPosition?: number; values?: unknown[] };
    const pos = typeof x.lastPosition === 'number' ? x.lastPosition : 0;
    throw new DecodeError(`malformed CBOR: ${x.message}`, MAGIC.length + pos, `item ${x.values?.length ?? 0}`);
  }
  const at = (i: number) => `item ${i}`;
  checkTrees(items);
  const header = items[0] as Record<string, unknown> | undefined;
  if (!isMap(header) || header.format !== CF_FORMAT) throw new DecodeError(`the first item is not a ${CF_FORMAT} header`, MAGIC.length, at(0));
  if (typeof header.format_version !== 'string' || header.format_version.split('.')[0] !== CF_VERSION.split('.')[0]) {
    throw new DecodeError(`format version ${String(header.format_version)} is not readable by this version (${CF_VERSION})`, MAGIC.length, at(0));
  }
  const out: Stream = { capabilities: [], footers: header.footers === true, sections: [], records: [], eof: -1, trailer: new Uint8Array() };
  if (header.configuration !== undefined) {
    out.machine = str(header.machine, at(0), 'machine');
    out.configuration = list(header.configuration, at(0), 'configuration').map((c, j) => {
      const m = map(c, at(0), `configuration[${j}]`);
      const sub: ConfigSubsection = { name: str(m.name, at(0), 'name'), version: num(m.version, at(0), 'version') };
      if (m.capabilities !== undefined) out.capabilities.push(...(sub.capabilities = list(m.capabilities, at(0), 'capabilities').map((x) => str(x, at(0), 'capability'))));
      if (m.uuid !== undefined) sub.uuid = bin(m.uuid, at(0), 'uuid');
      if (m.page_bits !== undefined) sub.pageBits = num(m.page_bits, at(0), 'page_bits');
      return sub;
    });
  }
  let ended = false;
  for (let i = 1; i < items.length; i++) {
    const m = map(items[i], at(i), 'the item');
    if (ended) throw new DecodeError('items after the EOF item', 0, at(i));
    if (m.record === 'command') out.records.push({ kind: 'command', command: num(m.command, at(i), 'command'), data: bin(m.data, at(i), 'data') });
    else if (m.record === 'section') {
      const s = readSection(m, at(i));
      out.sections.push(s);
      out.records.push({ kind: 'section', section: s } as StreamRecord);
    } else if (m.record === 'eof') {
      ended = true;
      if (typeof m.vmdesc === 'string') {
        const json = new TextEncoder().encode(m.vmdesc);
        out.trailer = new Uint8Array(5 + json.length);
        out.trailer[0] = 0x06;
        new DataView(out.trailer.buffer).setUint32(1, json.length);
        out.trailer.set(json, 5);
        try {
          const json: unknown = JSON.parse(m.vmdesc);
          if (validVmdesc(json)) out.vmdesc = json.devices;
        } catch {
          // Kept as text: a vmdesc QEMU cannot parse is not ours to fix.
        }
      } else if (m.trailer !== undefined) out.trailer = bin(m.trailer, at(i), 'trailer');
    } else throw new DecodeError(`unknown record \`${String(m.record)}\``, 0, at(i));
  }
  if (!ended) throw new DecodeError('the stream ends without its EOF item (truncated?)', bytes.length, at(items.length));
  return out;
}

function readSection(m: Record<string, unknown>, where: string): StreamSection {
  const type = m.type;
  if (type !== 'start' && type !== 'part' && type !== 'end' && type !== 'full') throw new DecodeError(`unknown section type \`${String(type)}\``, 0, where);
  const s: StreamSection = { type, id: num(m.id, where, 'id'), start: -1, end: -1 };
  if (type === 'start' || type === 'full') {
    s.idstr = str(m.idstr, where, 'idstr');
    s.instance = num(m.instance, where, 'instance');
    s.version = num(m.version, where, 'version');
  }
  if (m.ram !== undefined) {
    s.ramRecords = list(m.ram, where, 'ram').map((x) => {
      const r = map(x, where, 'a RAM record');
      const rec: RamRecord = { addr: big(r.addr, where, 'addr'), flags: num(r.flags, where, 'flags') };
      if (r.block !== undefined) rec.block = str(r.block, where, 'block');
      if (r.blocks !== undefined) {
        rec.blocks = list(r.blocks, where, 'blocks').map((b) => {
          const bm = map(b, where, 'a block');
          return { name: str(bm.name, where, 'name'), used: big(bm.used, where, 'used'), ...(bm.addr !== undefined ? { addr: big(bm.addr, where, 'addr') } : {}) };
        });
      }
      if (r.fill !== undefined) rec.fill = num(r.fill, where, 'fill');
      if (r.data !== undefined) rec.data = bin(r.data, where, 'data');
      return rec;
    });
    s.ram = { zero: s.ramRecords.filter((r) => r.fill !== undefined).length, pages: s.ramRecords.filter((r) => r.data).length };
  } else if (m.fields !== undefined) {
    s.value = readBody(m, where, s.idstr ?? '', 0);
    s.byVmdesc = m.schema === 'vmdesc';
  }
  return s;
}

const MAX_DEPTH = 64;

/** `subsection`: the map may say the version it was sent at (a section item's `version` is its header's). */
function readBody(m: Record<string, unknown>, where: string, path: string, depth: number, subsection = false): BodyValue {
  if (depth > MAX_DEPTH) throw new DecodeError(`values nest deeper than ${MAX_DEPTH} levels`, 0, `${where} ${path}`);
  const v: BodyValue = { fields: {}, subsections: {} };
  if (subsection && m.version !== undefined) v.version = num(m.version, where, `${path} version`);
  for (const [k, f] of Object.entries(map(m.fields, where, `${path} fields`))) v.fields[k] = readField(f, where, `${path}.${k}`, depth);
  if (m.subsections !== undefined) for (const [k, s] of Object.entries(map(m.subsections, where, `${path} subsections`))) v.subsections[k] = readBody(map(s, where, `${path}/${k}`), where, `${path}/${k}`, depth + 1, true);
  return v;
}

/**
 * CBOR value sharing (tags 28 and 29, which cbor-x reads) lets a few bytes make a cycle,
 * or a value that a walk meets 2^n times: every array and map of an item must be its own.
 */
function checkTrees(items: unknown[]): void {
  const seen = new Set<object>();
  const stack: Array<[unknown, number]> = items.map((x, i) => [x, i]);
  while (stack.length) {
    const [x, i] = stack.pop()!;
    if (!x || typeof x !== 'object' || ArrayBuffer.isView(x)) continue;
    if (seen.has(x)) throw new DecodeError('expected a tree of values, found one used twice (CBOR value sharing, tags 28/29)', MAGIC.length, `item ${i}`);
    seen.add(x);
    for (const y of Array.isArray(x) ? x : Object.values(x)) stack.push([y, i]);
  }
}

function readField(f: unknown, where: string, path: string, depth: number): FieldValue {
  // Arrays of arrays count too (a body is at most MAX_DEPTH deep, with an array at each level).
  if (depth > 3 * MAX_DEPTH) throw new DecodeError(`values nest deeper than ${3 * MAX_DEPTH} levels`, 0, `${where} ${path}`);
  if (typeof f === 'number') {
    if (!Number.isInteger(f)) return f; // a float field
    return BigInt(f);
  }
  if (typeof f === 'bigint' || typeof f === 'boolean' || f === null || f instanceof Uint8Array) return f;
  if (Array.isArray(f)) return f.map((x, i) => readField(x, where, `${path}[${i}]`, depth + 1));
  if (isMap(f)) return readBody(f, where, path, depth + 1);
  throw new DecodeError(`unexpected ${typeof f} value`, 0, `${where} ${path}`);
}

function isMap(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Uint8Array);
}
function map(x: unknown, where: string, what: string): Record<string, unknown> {
  if (!isMap(x)) throw new DecodeError(`${what}: expected a map`, 0, where);
  return x;
}
function list(x: unknown, where: string, what: string): unknown[] {
  if (!Array.isArray(x)) throw new DecodeError(`${what}: expected an array`, 0, where);
  return x;
}
function str(x: unknown, where: string, what: string): string {
  if (typeof x !== 'string') throw new DecodeError(`${what}: expected a text string`, 0, where);
  return x;
}
function num(x: unknown, where: string, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw new DecodeError(`${what}: expected an integer`, 0, where);
  return x;
}
function big(x: unknown, where: string, what: string): bigint {
  if (typeof x === 'bigint') return x;
  return BigInt(num(x, where, what));
}
function bin(x: unknown, where: string, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new DecodeError(`${what}: expected a byte string`, 0, where);
  return x;
}
