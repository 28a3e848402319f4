import { latin1Bytes } from './bytes';
import type { Stream, StreamSection } from './stream';
import { encodeByVmdesc, VmdescBody, VmdescDevice, VmdescField } from './vmdesc';

/**
 * `vmsd decode --format analyze-migration`: the JSON QEMU's scripts/analyze-migration.py
 * prints with `-d state` (qemu-tools.md §1.4), byte for byte. The script reads device
 * sections by the stream's vmdesc only, so this does too, with the script's rules rather
 * than our decoder's: integer types by its table (`uint8 equal` and `uint16 equal` are
 * signed there), timers and every unlisted type as hex bytes, `tmp`/`vstruct` bodies
 * unopened, compressed arrays unfolded, repeated names overwriting in place. RAM shows
 * only its block sizes. Where the script would stop with an exception, this throws
 * AnalyzeMigrationError instead of guessing at output that does not exist.
 *
 * Deliberately more lenient than the script in one way: configuration subsections
 * (capabilities, UUID) are skipped, as newer scripts do for streams whose vmdesc
 * describes them; the script version this mirrors fails on them ("Unknown section type: 5")
 * although they never show in its output.
 */
export class AnalyzeMigrationError extends Error {}

/** A value as Python's json module sees it; dicts keep insertion order, as OrderedDict does. */
type PyValue = string | boolean | Field | PyValue[] | PyDict;
type PyDict = Map<string, PyValue>;

/** A field's bytes, formatted only when written: as hex bytes, or as an (un)signed integer. */
class Field {
  constructor(
    readonly src: Uint8Array,
    readonly at: number,
    readonly len: number,
    readonly kind: Kind,
  ) {}
}
/** How the script reads a field, by its vmdesc type. */
const enum Kind {
  Hex,
  Uint,
  Int,
  Bool,
  Struct,
  Capability,
}

/** A vmdesc field as QEMU writes it: arrays that cannot be compressed carry `index`. */
type ScriptField = VmdescField & { index?: unknown };

const fail = (message: string): never => {
  throw new AnalyzeMigrationError(message);
};

/**
 * Why analyze-migration.py finds no vmdesc in these bytes, or undefined when it finds
 * one. Its search: in the last 10 MiB, the last NUL byte, the first `{` after it, and
 * 0x06 five bytes before that `{`. Streams without a vmdesc (machine types ≤ 2.2,
 * postcopy, device-state files) fail there.
 */
export function analyzeMigrationVmdescProblem(bytes: Uint8Array): string | undefined {
  const from = Math.max(0, bytes.length - 10 * 1024 * 1024);
  const nul = bytes.lastIndexOf(0);
  const brace = bytes.indexOf(0x7b, nul >= from ? nul : bytes.length - 1);
  if (brace >= 5 && bytes[brace - 5] === 0x06) return undefined;
  return 'the stream has no vmdesc (QEMU writes none for machine types up to pc-i440fx-2.2, in postcopy and for device-state saves); analyze-migration.py reads device sections only by it and fails on such a stream';
}

/**
 * The script's `-d state` output for a decoded stream, trailing newline included.
 * `source` is the QEMU stream the model was decoded from (device sections are then read
 * from its bytes); without it (a CBOR stream) they are rebuilt from their vmdesc values.
 */
export function analyzeMigration(stream: Stream, source?: Uint8Array): string {
  return new TextDecoder().decode(analyzeMigrationBytes(stream, source)); // ASCII: any decoder will do
}

/** The same output as bytes (ASCII), for writing out without a round trip through a string. */
export function analyzeMigrationBytes(stream: Stream, source?: Uint8Array): Uint8Array {
  if (!stream.vmdesc) fail('the stream has no vmdesc; analyze-migration.py reads device sections only by it');
  const devices = new Map<string, VmdescDevice>();
  for (const d of stream.vmdesc!) devices.set(`${d.name}\0${d.instance_id}`, d);
  if (devices.has('ram\x000')) fail('the vmdesc describes a device `ram` 0, which analyze-migration.py would read as RAM');

  // Section id → what the script prints for it, in first-seen order (an OrderedDict).
  const out = new Map<number, { key: string; value?: PyValue; device?: Device }>();
  const ram = new Map<number, PyDict>(); // section id → block sizes
  let deviceIndex = 0;
  for (const rec of stream.records) {
    if (rec.kind === 'command') {
      // Newer scripts skip SWITCHOVER_START (QEMU ≥ 10.0); anything else stops them all.
      if (rec.command !== 11 || rec.data.length) fail(`analyze-migration.py cannot read COMMAND records (command ${rec.command})`);
      continue;
    }
    const x = rec.section;
    if (x.ramRecords) {
      let sizes = ram.get(x.id);
      if (x.type === 'start' || x.type === 'full') {
        if (x.instance !== 0) fail(`RAM section with instance ${String(x.instance)}: analyze-migration.py knows only \`ram\` 0`);
        if (x.version !== 4) fail(`Unknown RAM version ${String(x.version)}`);
        sizes = new Map();
        ram.set(x.id, sizes);
        replace(out, x.id, { key: sectionKey(x), value: new Map([['section sizes', sizes]]) });
      }
      if (!sizes) fail(`section ${x.id} continues no RAM section`);
      for (const r of x.ramRecords) {
        for (const b of r.blocks ?? []) sizes!.set(scriptString(b.name, 'RAM block name'), '0x' + b.used.toString(16).padStart(16, '0'));
        if (r.block !== undefined) scriptString(r.block, 'RAM block name');
      }
      continue;
    }
    if (x.type !== 'start' && x.type !== 'full') fail(`section ${x.id} is a continuation of a device section, which analyze-migration.py cannot read`);
    const positional = stream.vmdesc![deviceIndex++];
    const key = sectionKey(x);
    const idstr = x.idstr ?? '';
    const desc = devices.get(`${idstr}\0${x.instance}`) ?? fail(`analyze-migration.py finds no vmdesc entry for section \`${idstr}\` instance ${String(x.instance)}`);
    replace(out, x.id, { key, device: { c: new Cursor(sectionBytes(x, positional, source), idstr), desc, idstr } });
  }

  const w = new Ascii();
  if (out.size === 0) w.text('{}');
  else {
    w.text('{');
    let first = true;
    for (const e of out.values()) {
      w.key(e.key, 0, first);
      first = false;
      if (e.device) emitDevice(e.device, w);
      else dump(e.value!, 1, w);
    }
    w.end(0);
    w.text('}');
  }
  w.text('\n');
  return w.finish();
}

interface Device {
  c: Cursor;
  desc: VmdescDevice;
  idstr: string;
}

/** A section id seen again keeps its place and takes the new value; the old one was still read. */
function replace(out: Map<number, { key: string; value?: PyValue; device?: Device }>, id: number, e: { key: string; value?: PyValue; device?: Device }): void {
  const old = out.get(id)?.device;
  if (old) emitDevice(old, new Ascii());
  out.set(id, e);
}

function emitDevice(d: Device, w: Ascii): void {
  emitBody(d.c, d.desc, d.idstr, 1, w);
  const { c } = d;
  if (c.pos !== c.bytes.length) fail(`analyze-migration.py would read ${c.pos} bytes of section \`${d.idstr}\` by its vmdesc entry, the stream has ${c.bytes.length}`);
}

/** `"<idstr> (<section id>)"`: the script names sections by idstr and section id, not instance. */
function sectionKey(x: StreamSection): string {
  return `${scriptString(x.idstr ?? '', 'idstr')} (${x.id})`;
}

function sectionBytes(x: StreamSection, positional: VmdescDevice | undefined, source: Uint8Array | undefined): Uint8Array {
  if (source && x.start >= 0 && x.end <= source.length && x.start <= x.end) return source.subarray(x.start, x.end);
  if (!x.value) fail(`section \`${x.idstr}\` carries no value`);
  if (!x.byVmdesc || !positional || positional.name !== x.idstr) {
    fail(`section \`${x.idstr}\` was decoded with a .vmsd description, not by the stream's vmdesc; transcode it without -d to use --format analyze-migration`);
  }
  return encodeByVmdesc(positional!, x.value!);
}

/**
 * Names the script reads from the stream (idstr, subsection and block names): u8 length
 * read as *signed*, so 128 bytes or more fail; zero fails too; the bytes must be UTF-8.
 */
function scriptString(name: string, what: string): string {
  const b = latin1Bytes(name);
  if (b.length === 0 || b.length > 127) fail(`analyze-migration.py cannot read a ${what} of ${b.length} bytes (\`${name}\`)`);
  for (const x of b) if (x > 0x7f) return utf8(b, name, what);
  return name;
}

function utf8(b: Uint8Array, name: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return fail(`analyze-migration.py cannot read a ${what} that is not UTF-8 (\`${name}\`)`);
  }
}

class Cursor {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly section: string,
  ) {}

  /** Skips `n` bytes, returning where they start. */
  skip(n: number, what: () => string): number {
    if (n > this.bytes.length - this.pos) fail(`analyze-migration.py would read ${what()} past the end of section \`${this.section}\``);
    const at = this.pos;
    this.pos += n;
    return at;
  }
}

/** The script's reader table (not QEMU's signedness: `uint8 equal`, `uint16 equal` are signed there); any other type is hex. */
const KINDS = new Map<string | undefined, Kind>([
  ...['int8', 'int16', 'int32', 'int64', 'int32 equal', 'int32 le', 'int64 equal', 'uint8 equal', 'uint16 equal'].map((t) => [t, Kind.Int] as const),
  ...['uint8', 'uint16', 'uint32', 'uint64', 'uint32 equal'].map((t) => [t, Kind.Uint] as const),
  ['bool', Kind.Bool],
  ['struct', Kind.Struct],
  ['capability', Kind.Capability],
]);

const MAX_DEPTH = 64;

/**
 * Whether a body's keys are all distinct (index runs contiguous from 0): then its output
 * can be written while reading. Otherwise the script's dict semantics (a repeated name
 * overwrites in place, index lists grow wherever they are) need the whole dict first.
 */
function simple(body: VmdescDevice | VmdescBody): boolean {
  let known = simpleCache.get(body);
  if (known !== undefined) return known;
  known = Array.isArray(body.fields);
  const names = new Set<string>();
  const fields = (body.fields ?? []) as ScriptField[];
  for (let i = 0; known && i < fields.length; i++) {
    const f = fields[i];
    const continues = f.array_len === undefined && typeof f.index === 'number' && f.index > 0 && fields[i - 1]?.name === f.name && fields[i - 1].index === f.index - 1;
    if (continues) continue;
    if (names.has(f.name) || (f.array_len === undefined && f.index !== undefined && f.index !== 0)) known = false;
    names.add(f.name);
  }
  for (const sub of body.subsections ?? []) {
    if (names.has(sub.vmsd_name)) known = false;
    names.add(sub.vmsd_name);
  }
  simpleCache.set(body, known);
  return known;
}
const simpleCache = new WeakMap<object, boolean>();

/** Reads a body and writes its dict at once (or via the dict when it is not simple()). */
function emitBody(c: Cursor, body: VmdescDevice | VmdescBody, path: string, depth: number, w: Ascii): void {
  if (depth > MAX_DEPTH) fail(`the vmdesc nests deeper than ${MAX_DEPTH} levels`);
  if (!simple(body)) return dump(readBody(c, body, path, depth), depth, w);
  const fields = body.fields as ScriptField[];
  const subs = body.subsections ?? [];
  if (fields.length === 0 && subs.length === 0) return w.text('{}');
  w.text('{');
  let first = true;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    w.key(f.name, depth, first);
    first = false;
    if (f.array_len === undefined && f.index === undefined) {
      emitField(c, f, path, depth + 1, w);
      continue;
    }
    // A list: the unfolded compressed array, or the run of entries with an index.
    let n = 1;
    if (f.array_len !== undefined) n = Math.max(1, f.array_len);
    else while (i + n < fields.length && fields[i + n].name === f.name && fields[i + n].array_len === undefined) n++;
    w.text('[');
    for (let j = 0; j < n; j++) {
      w.item(depth + 1, j === 0);
      emitField(c, f.array_len !== undefined ? f : fields[i + j], path, depth + 2, w);
    }
    w.end(depth + 1);
    w.text(']');
    if (f.array_len === undefined) i += n - 1;
  }
  for (const s of subs) {
    const name = subsectionHeader(c, s);
    if (name !== s.vmsd_name) fail(`subsection \`${name}\` where the vmdesc lists \`${s.vmsd_name}\``);
    w.key(name, depth, first);
    first = false;
    emitBody(c, s, `${path}/${name}`, depth + 1, w);
  }
  w.end(depth);
  w.text('}');
}

function emitField(c: Cursor, f: ScriptField, path: string, depth: number, w: Ascii): void {
  const kind = KINDS.get(f.type) ?? Kind.Hex;
  if (kind === Kind.Struct) {
    if (!f.struct) fail(`${path}.${f.name}: a struct field without "struct" in the vmdesc`);
    return emitBody(c, f.struct!, `${path}.${f.name}`, depth, w);
  }
  const at = leaf(c, f, kind, path);
  if (kind === Kind.Hex) w.hex(c.bytes, at, f.size);
  else if (kind === Kind.Bool) w.text(c.bytes[at] !== 0 ? 'true' : 'false');
  else w.int(c.bytes, at, f.size, kind === Kind.Int);
}

/** `0x05, u8 len, name, be32 version`: the name, as the script reads it. */
function subsectionHeader(c: Cursor, s: VmdescBody): string {
  const at = c.pos;
  const marker = c.pos < c.bytes.length ? c.bytes[c.pos] : -1;
  if (marker !== 0x05) fail(`Subsection ${s.vmsd_name} not found in section \`${c.section}\` at its byte ${at}`);
  c.pos++;
  const len = c.bytes[c.skip(1, () => 'a subsection name length')];
  const from = c.skip(len, () => 'a subsection name');
  const name = scriptString(String.fromCharCode(...c.bytes.subarray(from, from + len)), 'subsection name');
  c.skip(4, () => 'a subsection version');
  return name;
}

/** A device body, struct or subsection: fields in vmdesc order, then the listed subsections. */
function readBody(c: Cursor, body: VmdescDevice | VmdescBody, path: string, depth: number): PyDict {
  if (depth > MAX_DEPTH) fail(`the vmdesc nests deeper than ${MAX_DEPTH} levels`);
  if (!Array.isArray(body.fields)) fail(`${path}: the vmdesc entry has no "fields", which analyze-migration.py requires`);
  const out: PyDict = new Map();
  for (const f of body.fields as ScriptField[]) {
    if (f.array_len !== undefined) {
      // Unfolded into one entry per element; a length below 1 still gives one.
      const n = Math.max(1, f.array_len);
      for (let i = 0; i < n; i++) put(out, f.name, i, readField(c, f, path, depth), path);
    } else put(out, f.name, f.index, readField(c, f, path, depth), path);
  }
  for (const s of body.subsections ?? []) {
    const name = subsectionHeader(c, s);
    out.set(name, readBody(c, s, `${path}/${name}`, depth + 1));
  }
  return out;
}

/** Fields with an index collect into a list that must grow one by one; others overwrite in place. */
function put(out: PyDict, name: string, index: unknown, value: PyValue, path: string): void {
  if (index === undefined) {
    out.set(name, value);
    return;
  }
  let list = out.get(name);
  if (list === undefined) out.set(name, (list = []));
  if (!Array.isArray(list) || typeof index !== 'number' || list.length !== index) {
    fail(`${path}.${name}: internal index of data field unmatched (analyze-migration.py stops here)`);
  }
  (list as PyValue[]).push(value);
}

function readField(c: Cursor, f: ScriptField, path: string, depth: number): PyValue {
  const kind = KINDS.get(f.type) ?? Kind.Hex;
  if (kind === Kind.Struct) {
    if (!f.struct) fail(`${path}.${f.name}: a struct field without "struct" in the vmdesc`);
    return readBody(c, f.struct!, `${path}.${f.name}`, depth + 1);
  }
  const at = leaf(c, f, kind, path);
  return kind === Kind.Bool ? c.bytes[at] !== 0 : new Field(c.bytes, at, f.size, kind);
}

/** Where a leaf field's `size` bytes start; fails where the script would. */
function leaf(c: Cursor, f: ScriptField, kind: Kind, path: string): number {
  if (kind === Kind.Capability) fail(`${path}.${f.name}: analyze-migration.py cannot print a capability field`);
  const size = f.size;
  if (size > c.bytes.length - c.pos) fail(`analyze-migration.py would read ${size} bytes of ${path}.${f.name} past the end of section \`${c.section}\``);
  if (size === 0 && kind !== Kind.Hex) fail(`${path}.${f.name}: analyze-migration.py cannot read ${kind === Kind.Bool ? 'a bool' : 'an integer'} of 0 bytes`);
  const at = c.pos;
  c.pos += size;
  return at;
}

/** Lower-case hex digits of each byte value, as character codes. */
const HI = Uint8Array.from({ length: 256 }, (_, i) => '0123456789abcdef'.charCodeAt(i >> 4));
const LO = Uint8Array.from({ length: 256 }, (_, i) => '0123456789abcdef'.charCodeAt(i & 15));

/**
 * The output as bytes: with ensure_ascii every character the script prints is ASCII,
 * and one buffer decoded once is far cheaper than a megabyte of small strings. The
 * separators, indentation and quoted keys are cached as bytes: a run that prints tens of
 * thousands of fields does little per field but copy.
 */
class Ascii {
  private buf = new Uint8Array(1 << 16);
  private n = 0;
  /** By depth: key → `\n<indent>"key": ` (first entry) and `,\n<indent>"key": `. */
  private readonly keys: Array<Map<string, [Uint8Array, Uint8Array]>> = [];
  /** By depth: `\n<indent>`, `,\n<indent>` before list items, `\n<indent>` before a closer. */
  private readonly items: Array<[Uint8Array, Uint8Array]> = [];
  private readonly ends: Uint8Array[] = [];

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  /** ASCII text only (callers escape first). */
  text(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.n++] = s.charCodeAt(i);
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  key(k: string, depth: number, first: boolean): void {
    const byKey = (this.keys[depth] ??= new Map());
    let b = byKey.get(k);
    if (!b) {
      const t = '\n' + ' '.repeat(4 * depth + 4) + pyString(k) + ': ';
      b = [ascii(t), ascii(',' + t)];
      byKey.set(k, b);
    }
    this.bytes(b[first ? 0 : 1]);
  }

  item(depth: number, first: boolean): void {
    const b = (this.items[depth] ??= [ascii('\n' + ' '.repeat(4 * depth + 4)), ascii(',\n' + ' '.repeat(4 * depth + 4))]);
    this.bytes(b[first ? 0 : 1]);
  }

  /** The newline and indentation before a closing bracket. */
  end(depth: number): void {
    this.bytes((this.ends[depth] ??= ascii('\n' + ' '.repeat(4 * depth))));
  }

  /** Python's `" ".join("{0:02x}".format(c) for c in data)`, quoted. */
  hex(src: Uint8Array, at: number, len: number): void {
    this.room(len * 3 + 2);
    const buf = this.buf;
    let n = this.n;
    buf[n++] = 0x22;
    for (let i = at; i < at + len; i++) {
      if (i > at) buf[n++] = 0x20;
      buf[n++] = HI[src[i]];
      buf[n++] = LO[src[i]];
    }
    buf[n++] = 0x22;
    this.n = n;
  }

  /** `"0x<digits>"`, zero-padded to the width; negatives (signed types) add ` (<decimal>)`. */
  int(src: Uint8Array, at: number, len: number, signed: boolean): void {
    this.room(len * 2 + 4);
    const buf = this.buf;
    let n = this.n;
    buf[n++] = 0x22;
    buf[n++] = 0x30;
    buf[n++] = 0x78;
    for (let i = at; i < at + len; i++) {
      buf[n++] = HI[src[i]];
      buf[n++] = LO[src[i]];
    }
    if (signed && src[at] >= 0x80) {
      this.n = n;
      let v = 0n;
      for (let i = at; i < at + len; i++) v = (v << 8n) | BigInt(src[i]);
      this.text(` (${v - (1n << BigInt(len * 8))})`);
      n = this.n;
    }
    buf[n++] = 0x22;
    this.n = n;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Python's json.dumps(v, indent=4, separators=(',', ': ')) with its default ensure_ascii. */
function dump(v: PyValue, depth: number, w: Ascii): void {
  if (v instanceof Field) {
    if (v.kind === Kind.Hex) w.hex(v.src, v.at, v.len);
    else w.int(v.src, v.at, v.len, v.kind === Kind.Int);
  } else if (typeof v === 'string') w.text(pyString(v));
  else if (typeof v === 'boolean') w.text(v ? 'true' : 'false');
  else if (Array.isArray(v)) {
    if (v.length === 0) return w.text('[]');
    w.text('[');
    for (let i = 0; i < v.length; i++) {
      w.item(depth, i === 0);
      dump(v[i], depth + 1, w);
    }
    w.end(depth);
    w.text(']');
  } else {
    if (v.size === 0) return w.text('{}');
    w.text('{');
    let first = true;
    v.forEach((x, k) => {
      w.key(k, depth, first);
      first = false;
      dump(x, depth + 1, w);
    });
    w.end(depth);
    w.text('}');
  }
}

/** Python's ASCII-only JSON string: `\uXXXX` (lower-case hex) for controls, DEL and beyond. */
function pyString(s: string): string {
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) return '"' + s + '"';
  let r = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x22) r += '\\"';
    else if (ch === 0x5c) r += '\\\\';
    else if (ch >= 0x20 && ch <= 0x7e) r += s[i];
    else if (ch === 0x0a) r += '\\n';
    else if (ch === 0x0d) r += '\\r';
    else if (ch === 0x09) r += '\\t';
    else if (ch === 0x08) r += '\\b';
    else if (ch === 0x0c) r += '\\f';
    else r += '\\u' + ch.toString(16).padStart(4, '0');
  }
  return r + '"';
}
