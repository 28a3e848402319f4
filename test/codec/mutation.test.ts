import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeMultiple, Encoder } from 'cbor-x';
import { DecodeError, EncodeError, latin1, Reader } from '../../server/src/codec/bytes';
import { readCf, writeCf } from '../../server/src/codec/cf';
import { decodeStream, encodeStream, sectionDescriptions, Stream, StreamOptions } from '../../server/src/codec/stream';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * Mutation fuzzing of the real QEMU 7.2 streams (test/fixtures/qemu/*.mig) and of their
 * CBOR transcodes: seeded bit flips, truncations (at random and at every record
 * boundary), inserted and deleted bytes, splices of two streams, and length or count
 * fields set to 0xff… or to huge values, and vmdesc JSON with huge numbers or field
 * names every JS object has. Every mutant is decoded with the examples' descriptions and
 * without descriptions (by the stream's own vmdesc), every third one shallow too; the
 * CBOR ones by readCf. Each decode must return or throw a DecodeError that says where (an
 * offset within the input); anything else (TypeError, RangeError, a stack overflow,
 * cbor-x's own errors) is a failure. What decodes must encode back, or say why it cannot.
 *
 * Work and memory are bounded by counting, not by timing: Reader's reads are counted and a
 * decode that reads far more often than the input has bytes fails at once; a decode that
 * leaves far more ArrayBuffer memory than the input is reported.
 *
 * Seeds are fixed (VMSD_MUTATION_SEED overrides the base one); a failure names the
 * fixture, the kind of mutation, its seed, iteration and parameters. VMSD_MUTATION_STATS=1
 * prints how many decodes returned and which errors were most frequent.
 */

const BASE_SEED = Number(process.env.VMSD_MUTATION_SEED ?? 0x6d757461);

const analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const OPTIONS: Array<[string, StreamOptions]> = [
  ['the examples', { analysis, descriptions: sectionDescriptions(analysis) }],
  ['the vmdesc alone', { analysis, descriptions: new Map() }],
  ['shallow', { analysis, descriptions: sectionDescriptions(analysis), shallow: true }],
];
const vmdescOnly = OPTIONS[1][1];
const FILES = fs.readdirSync(path.join(fixtures, 'qemu')).filter((f) => f.endsWith('.mig')).sort();
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', f)));

// ---- deterministic randomness ----

interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

/** mulberry32: small, fast, and the same everywhere. */
function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

/** A seed per fixture and kind of mutation, so that one kind's count does not shift the others. */
function seedOf(...parts: string[]): number {
  let h = BASE_SEED >>> 0;
  for (const c of parts.join('/')) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

// ---- counting the work of a decode ----

/** Thrown by the counted Reader when a decode reads far more often than its input allows. */
class Runaway extends Error {}

let readsLeft = Infinity;
const proto = Reader.prototype;
const original = { need: proto.need, peek: proto.peek };

function countReads(): void {
  proto.need = function (this: Reader, n: number, what: string, p: string) {
    if (--readsLeft < 0) throw new Runaway(`more reads than the input allows (at byte ${this.pos}, ${p}: ${what})`);
    return original.need.call(this, n, what, p);
  };
  proto.peek = function (this: Reader) {
    if (--readsLeft < 0) throw new Runaway(`more reads than the input allows (a peek at byte ${this.pos})`);
    return original.peek.call(this);
  };
}

function uncountReads(): void {
  proto.need = original.need;
  proto.peek = original.peek;
}

/**
 * Reads a decode may make: every read takes a byte or more, but for peeks (one per body)
 * and empty elements and buffers (at most 2^16 of each kind a decode, by the codecs'
 * limits).
 */
const readBudget = (input: Uint8Array) => 4 * input.length + 8 * 65536;
/** ArrayBuffer memory a decode may leave behind: the model copies device data, not pages. */
const memoryBudget = (input: Uint8Array) => 64 * 1024 * 1024 + 8 * input.length;

interface Tally {
  decodes: number;
  ok: number;
  errors: number;
  /** Error messages by their first words, to see what the mutants reach. */
  kinds: Map<string, number>;
}
const tally: Tally = { decodes: 0, ok: 0, errors: 0, kinds: new Map() };

/**
 * Runs one decode of `input`; `label` says how to reproduce it. Returns what decoded, or
 * undefined after a DecodeError; throws (failing the test) on anything else.
 */
function attempt<T>(label: string, input: Uint8Array, run: () => T): T | undefined {
  tally.decodes++;
  readsLeft = readBudget(input);
  const before = process.memoryUsage().arrayBuffers;
  let out: T | undefined;
  try {
    out = run();
    tally.ok++;
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      const err = e as Error;
      throw new assert.AssertionError({ message: `${label}: expected a DecodeError or a result, got ${err?.constructor?.name}: ${err?.message}\n${err?.stack ?? ''}` });
    }
    tally.errors++;
    assert.ok(Number.isSafeInteger(e.offset) && e.offset >= 0 && e.offset <= input.length, `${label}: DecodeError offset ${e.offset} is outside the input (${input.length} bytes): ${e.message}`);
    assert.equal(typeof e.path, 'string', `${label}: DecodeError without a path`);
    assert.match(e.message, new RegExp(`^at byte ${e.offset} \\(0x${e.offset.toString(16)}\\), `), `${label}: the message does not start with its offset`);
    const key = e.message.slice(`at byte ${e.offset} (0x${e.offset.toString(16)}), ${e.path || 'top'}: `.length).replace(/[0-9a-f]{6,}|\d+/g, 'N').slice(0, 60);
    tally.kinds.set(key, (tally.kinds.get(key) ?? 0) + 1);
  }
  const grew = process.memoryUsage().arrayBuffers - before;
  assert.ok(grew < memoryBudget(input), `${label}: the decode left ${grew} bytes of ArrayBuffers for an input of ${input.length}`);
  return out;
}

/** The model of a mutant that decoded goes back to bytes, or says why not. */
function reencode(label: string, s: Stream, opts: StreamOptions): void {
  try {
    encodeStream(s, opts);
  } catch (e) {
    if (!(e instanceof DecodeError) && !(e instanceof EncodeError)) {
      const err = e as Error;
      throw new assert.AssertionError({ message: `${label}: encodeStream of a decoded mutant threw ${err?.constructor?.name}: ${err?.message}\n${err?.stack ?? ''}` });
    }
  }
}

/** Decodes with the examples and by the vmdesc; a third of the mutants (by label) shallow too (its own RAM walk). */
function decodeAll(label: string, input: Uint8Array): void {
  for (const [name, opts] of OPTIONS.slice(0, seedOf(label) % 3 === 0 ? 3 : 2)) {
    const s = attempt(`${label} (decodeStream with ${name})`, input, () => decodeStream(input, opts));
    if (s && !opts.shallow) reencode(`${label} (with ${name})`, s, opts);
  }
}

function readAll(label: string, input: Uint8Array, opts: StreamOptions): void {
  const s = attempt(`${label} (readCf)`, input, () => readCf(input));
  if (s) reencode(`${label} (readCf, then encodeStream)`, s, opts);
}

// ---- where things are in a stream ----

interface Field {
  at: number;
  width: number;
  /** What it is, where: for the failure message. */
  what: string;
  /** What kind of field: every kind is tried, a sample of each (some come by the thousand). */
  kind: string;
}

interface Layout {
  /** Offsets of every record, of every section's data and of its end, of EOF and the trailer. */
  boundaries: number[];
  /** Bytes that carry structure (headers, lengths, device data, the vmdesc), not page contents. */
  structural: Array<[number, number]>;
  /** Length, count and version fields. */
  fields: Field[];
  /** Where the trailer starts (after EOF). */
  trailer?: number;
}

/** Names of the fields that count arrays in the examples: hostile values there are huge counts. */
const COUNT_FIELDS = new Set<string>();
for (const d of analysis.descriptions) {
  const walk = (b: typeof d.body): void => {
    for (const f of b.fields) if (f.type.count?.kind === 'field' && f.type.count.field.name) COUNT_FIELDS.add(f.type.count.field.name);
    for (const s of b.subsections) walk(s.body);
  };
  walk(d.body);
}

/**
 * The layout of a fixture, from its decode by the vmdesc (and by the examples, for their
 * count fields). Streams neither decodes can read (no vmdesc, a device the examples lack)
 * get what can be found without one: the configuration record.
 */
function layoutOf(bytes: Uint8Array): Layout {
  const out: Layout = { boundaries: [0, 4, 8], structural: [], fields: [] };
  let p = 8;
  if (bytes[8] === 0x07) {
    out.fields.push({ at: 9, width: 4, what: 'the machine name length', kind: 'machine name length' });
    p = 13 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(9);
    while (bytes[p] === 0x05) {
      const n = bytes[p + 1];
      out.fields.push({ at: p + 1, width: 1, what: 'a configuration subsection name length', kind: 'configuration subsection name length' });
      const name = latin1(bytes.subarray(p + 2, p + 2 + n));
      p += 2 + n;
      out.fields.push({ at: p, width: 4, what: `${name} version`, kind: 'configuration subsection version' });
      p += 4;
      if (name === 'configuration/capabilities') {
        out.fields.push({ at: p, width: 4, what: 'the capability count', kind: 'capability count' });
        const count = new DataView(bytes.buffer, bytes.byteOffset).getUint32(p);
        p += 4;
        for (let i = 0; i < count; i++) {
          out.fields.push({ at: p, width: 1, what: 'a capability name length', kind: 'capability name length' });
          p += 1 + bytes[p];
        }
      } else if (name === 'configuration/uuid') p += 16;
      else if (name === 'configuration/target-page-bits') p += 4;
    }
  }
  out.structural.push([0, p]);
  out.boundaries.push(p);
  let s: Stream;
  try {
    s = decodeStream(bytes, vmdescOnly);
  } catch {
    return out;
  }
  let described: Stream | undefined;
  try {
    described = decodeStream(bytes, OPTIONS[0][1]);
  } catch {
    described = undefined;
  }
  const ignoreShared = s.capabilities.includes('x-ignore-shared');
  for (const rec of s.records) {
    if (rec.kind === 'command') {
      out.fields.push({ at: p + 3, width: 2, what: 'a command length', kind: 'command length' });
      out.structural.push([p, p + 5 + rec.data.length]);
      p += 5 + rec.data.length;
      out.boundaries.push(p);
      continue;
    }
    const x = rec.section;
    const header = x.idstr !== undefined ? 14 + x.idstr.length : 5;
    assert.equal(x.start, p + header, `layout: section ${x.idstr ?? x.id} starts where its header ends`);
    out.fields.push({ at: p + 1, width: 4, what: 'a section id', kind: 'section id' });
    if (x.idstr !== undefined) {
      out.fields.push({ at: p + 5, width: 1, what: 'an idstr length', kind: 'idstr length' });
      out.fields.push({ at: p + 6 + x.idstr.length, width: 4, what: `${x.idstr} instance id`, kind: 'instance id' });
      out.fields.push({ at: p + 10 + x.idstr.length, width: 4, what: `${x.idstr} version`, kind: 'section version' });
    }
    out.structural.push([p, x.start]);
    out.boundaries.push(x.start);
    let q = x.start;
    if (x.ramRecords) {
      for (const r of x.ramRecords) {
        const at = q;
        q += 8;
        if (r.blocks) {
          out.fields.push({ at, width: 8, what: 'a RAM size record (the total)', kind: 'RAM total' });
          for (const b of r.blocks) {
            out.fields.push({ at: q, width: 1, what: 'a RAM block name length', kind: 'RAM block name length' });
            q += 1 + bytes[q];
            out.fields.push({ at: q, width: 8, what: `RAM block ${b.name} length`, kind: 'RAM block length' });
            q += ignoreShared ? 16 : 8;
          }
        } else {
          if (r.block !== undefined) {
            out.fields.push({ at: q, width: 1, what: 'a RAM block name length', kind: 'RAM page block name length' });
            q += 1 + bytes[q];
          }
          if (r.fill !== undefined) q += 1;
        }
        out.structural.push([at, q]);
        if (r.data) q += 4096;
      }
      out.structural.push([q, q + 8]);
      q += 8;
      assert.equal(q, x.end, `layout: the RAM records of section ${x.id} end where the section does`);
    } else {
      out.structural.push([x.start, x.end]);
      for (const a of x.annotations ?? []) {
        if (a.kind !== 'subsection') continue;
        out.fields.push({ at: a.start + 1, width: 1, what: `${a.path} name length`, kind: 'subsection name length' });
        out.fields.push({ at: a.end - 4, width: 4, what: `${a.path} version`, kind: 'subsection version' });
      }
    }
    const twin = described?.sections.find((y) => y.start === x.start && !y.byVmdesc);
    for (const a of twin?.annotations ?? []) {
      const name = a.path.slice(a.path.lastIndexOf('.') + 1);
      if (a.kind === 'field' && COUNT_FIELDS.has(name) && a.end - a.start <= 4) out.fields.push({ at: a.start, width: a.end - a.start, what: `count ${a.path}`, kind: `count ${a.path}` });
    }
    p = x.end + (s.footers ? 5 : 0);
    out.structural.push([x.end, p]);
    out.boundaries.push(x.end, p);
  }
  assert.equal(p, s.eof, 'layout: the records end at EOF');
  out.trailer = p + 1;
  out.boundaries.push(p + 1);
  if (bytes[p + 1] === 0x06) {
    out.fields.push({ at: p + 2, width: 4, what: 'the vmdesc length', kind: 'vmdesc length' });
    out.boundaries.push(p + 6);
  }
  out.structural.push([p, bytes.length]);
  return out;
}

/** A position: most often among the structural bytes, else anywhere. */
function position(r: Rng, bytes: Uint8Array, layout: Layout): number {
  if (layout.structural.length && r.next() < 0.8) {
    const [a, b] = r.pick(layout.structural);
    if (b > a) return a + r.int(b - a);
  }
  return r.int(bytes.length);
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
};

function setField(bytes: Uint8Array, f: Field, value: bigint): Uint8Array {
  const m = bytes.slice();
  for (let i = f.width - 1, v = value; i >= 0; i--, v >>= 8n) m[f.at + i] = Number(v & 0xffn);
  return m;
}

/** Values for a length or count field: all ones, the largest positive, one past what is left, and more. */
function hostileValues(f: Field, remaining: number): bigint[] {
  const bits = BigInt(f.width * 8);
  const ones = (1n << bits) - 1n;
  const values = new Set<bigint>([ones, 1n << (bits - 1n)]);
  if (BigInt(remaining + 1) <= ones) values.add(BigInt(remaining + 1));
  if (f.width === 8) values.add(0x000ffffffffff004n); // a RAM size record claiming 2^52 bytes
  return [...values];
}

/** The trailer with its vmdesc JSON rewritten (and its length field kept right). */
function withVmdesc(bytes: Uint8Array, trailer: number, edit: (json: string) => string): Uint8Array | undefined {
  if (bytes[trailer] !== 0x06) return undefined;
  const text = new TextDecoder().decode(bytes.subarray(trailer + 5));
  const json = new TextEncoder().encode(edit(text));
  const head = new Uint8Array(5);
  head[0] = 0x06;
  new DataView(head.buffer).setUint32(1, json.length);
  return concat(bytes.subarray(0, trailer), head, json);
}

// ---- the fixtures ----

interface Subject {
  file: string;
  bytes: Uint8Array;
  layout: Layout;
  /** CBOR transcodes (by the vmdesc, and by the examples when they read the stream). */
  cbor: Array<{ name: string; opts: StreamOptions; bytes: Uint8Array; items: number[] }>;
}

const cborEncoder = new Encoder({ useRecords: false, variableMapSize: true, tagUint8Array: false, mapsAsObjects: true });

/** Offsets of the items of a CBOR stream (writeCf's items, re-encoded one by one). */
function itemBoundaries(cbor: Uint8Array): number[] {
  const items = decodeMultiple(cbor.subarray(3)) as unknown[];
  const out = [3];
  for (const x of items) out.push(out[out.length - 1] + (cborEncoder.encode(x) as Uint8Array).length);
  assert.equal(out[out.length - 1], cbor.length, 'the items re-encode to the same lengths');
  return out;
}

const subjects: Subject[] = FILES.map((file) => {
  const bytes = read(file);
  const cbor: Subject['cbor'] = [];
  for (const [name, opts] of OPTIONS.slice(0, 2)) {
    try {
      const c = writeCf(decodeStream(bytes, opts));
      cbor.push({ name, opts, bytes: c, items: itemBoundaries(c) });
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  }
  return { file, bytes, layout: layoutOf(bytes), cbor };
});

// Iterations per fixture and kind (each mutant is decoded three ways).
const N = { flips: 30, truncations: 12, edits: 16, splices: 6, hostile: 6, vmdesc: 16, cborFlips: 20, cborTruncations: 8, cborEdits: 16, cborHeads: 12 };

describe('codec: mutated streams give a result or a located DecodeError, never a crash', function () {
  this.slow(30000);
  this.timeout(600000);

  before(countReads);
  after(() => {
    uncountReads();
    if (!process.env.VMSD_MUTATION_STATS) return;
    const top = [...tally.kinds].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(`      ${tally.decodes} decodes: ${tally.ok} returned, ${tally.errors} DecodeErrors; most frequent: ${top.map(([k, n]) => `${n}× ${k}`).join(' | ')}`);
  });

  it('the fixtures are all here, decode, and their layout is found', () => {
    assert.ok(FILES.length >= 6, FILES.join());
    for (const s of subjects) {
      assert.ok(s.layout.boundaries.length >= 4, s.file);
      if (s.file !== 'pc-2.2.mig') {
        // pc-2.2 has no vmdesc, and devices the examples do not describe: nothing reads it whole.
        assert.ok(s.layout.fields.length > 20, `${s.file}: ${s.layout.fields.length} length fields`);
        assert.ok(s.cbor.length > 0, `${s.file}: no CBOR transcode`);
      }
    }
  });

  for (const sub of subjects) {
    const { file, bytes, layout } = sub;
    describe(file, () => {
      it(`${N.flips} mutants of 1 to 4 bit flips`, () => {
        const seed = seedOf(file, 'flips');
        const r = rng(seed);
        for (let i = 0; i < N.flips; i++) {
          const m = bytes.slice();
          const flips: string[] = [];
          for (let k = 1 + r.int(4); k > 0; k--) {
            const at = position(r, bytes, layout);
            const bit = r.int(8);
            m[at] ^= 1 << bit;
            flips.push(`${at}.${bit}`);
          }
          decodeAll(`${file}, bit flips (seed ${seed}, iteration ${i}: byte.bit ${flips.join(' ')})`, m);
        }
      });

      it(`truncated at every record boundary and at ${N.truncations} random points`, () => {
        const seed = seedOf(file, 'truncations');
        const r = rng(seed);
        const cuts = [...new Set(layout.boundaries)].filter((b) => b > 0 && b < bytes.length);
        for (let i = 0; i < N.truncations; i++) cuts.push(r.next() < 0.5 ? r.pick(layout.boundaries) + 1 + r.int(4) : position(r, bytes, layout));
        for (const [i, at] of cuts.entries()) decodeAll(`${file}, truncated (seed ${seed}, cut ${i}: ${at} of ${bytes.length} bytes kept)`, bytes.subarray(0, at));
      });

      it(`${N.edits} mutants with bytes inserted or deleted`, () => {
        const seed = seedOf(file, 'edits');
        const r = rng(seed);
        for (let i = 0; i < N.edits; i++) {
          const at = position(r, bytes, layout);
          const n = 1 + r.int(8);
          if (r.next() < 0.5) {
            const extra = Uint8Array.from({ length: n }, () => r.pick([0x00, 0x05, 0x7e, 0xff, r.int(256)]));
            decodeAll(`${file}, inserted (seed ${seed}, iteration ${i}: ${n} bytes at ${at})`, concat(bytes.subarray(0, at), extra, bytes.subarray(at)));
          } else decodeAll(`${file}, deleted (seed ${seed}, iteration ${i}: ${n} bytes at ${at})`, concat(bytes.subarray(0, at), bytes.subarray(at + n)));
        }
      });

      it(`${N.splices} splices with the other fixtures, at record boundaries and anywhere`, () => {
        const seed = seedOf(file, 'splices');
        const r = rng(seed);
        for (let i = 0; i < N.splices; i++) {
          const other = r.pick(subjects.filter((x) => x !== sub));
          const aligned = r.next() < 0.6;
          const a = aligned ? r.pick(layout.boundaries) : position(r, bytes, layout);
          const b = aligned ? r.pick(other.layout.boundaries) : position(r, other.bytes, other.layout);
          decodeAll(`${file}, spliced (seed ${seed}, iteration ${i}: its first ${a} bytes, then ${other.file} from ${b})`, concat(bytes.subarray(0, a), other.bytes.subarray(b)));
        }
      });

      it('every length, count and version field set to hostile values', () => {
        const seed = seedOf(file, 'hostile');
        const r = rng(seed);
        // All of the stream's own length fields; a sample of the many repeated ones.
        const byKind = new Map<string, Field[]>();
        for (const f of layout.fields) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
        const chosen: Field[] = [];
        for (const fs of byKind.values()) for (let k = 0; k < Math.min(fs.length, 2); k++) chosen.push(fs.length <= 2 ? fs[k] : r.pick(fs));
        for (let k = 0; k < N.hostile; k++) if (layout.fields.length) chosen.push(r.pick(layout.fields));
        for (const f of chosen) {
          for (const v of hostileValues(f, bytes.length - f.at - f.width)) {
            decodeAll(`${file}, ${f.what} at ${f.at} (${f.width} bytes) set to 0x${v.toString(16)} (seed ${seed})`, setField(bytes, f, v));
          }
        }
      });

      // pc-2.2.mig has no vmdesc to mutate (its machine type writes none).
      if (layout.trailer !== undefined && bytes[layout.trailer] === 0x06) it(`${N.vmdesc} mutants of the vmdesc JSON: huge sizes and counts, field names every JS object has`, function () {
        const seed = seedOf(file, 'vmdesc');
        const r = rng(seed);
        const huge = [4294967295, Number.MAX_SAFE_INTEGER, 2147483648, 65536, 65537, 1e300, -1, 0, 1.5];
        const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', ''];
        for (let i = 0; i < N.vmdesc; i++) {
          let what = '';
          const m = withVmdesc(bytes, layout.trailer!, (text) => {
            const doc = JSON.parse(text) as unknown;
            const nodes: Array<Record<string, unknown>> = [];
            const walk = (x: unknown): void => {
              if (Array.isArray(x)) x.forEach(walk);
              else if (x && typeof x === 'object') {
                nodes.push(x as Record<string, unknown>);
                Object.values(x).forEach(walk);
              }
            };
            walk(doc);
            if (r.next() < 0.5) {
              // One or two fields of one body renamed alike: a repeated name makes a list.
              const body = r.pick(nodes.filter((x) => Array.isArray(x.fields) && x.fields.length > 0));
              const fields = body.fields as Array<Record<string, unknown>>;
              const name = r.pick(names);
              const picked = new Set([r.int(fields.length), r.int(fields.length)].slice(0, 1 + r.int(2)));
              for (const k of picked) fields[k].name = name;
              what = `fields ${[...picked].join(', ')} of ${String(body.name ?? body.vmsd_name)} named ${JSON.stringify(name)}`;
            } else {
              const key = r.pick(['size', 'array_len', 'version', 'instance_id']);
              const node = r.pick(nodes.filter((x) => key in x));
              const value = r.pick(huge);
              node[key] = value;
              what = `"${key}" of ${String(node.name ?? node.vmsd_name)} set to ${value}`;
            }
            return JSON.stringify(doc);
          })!;
          decodeAll(`${file}, vmdesc: ${what} (seed ${seed}, iteration ${i})`, m);
        }
      });

      for (const c of sub.cbor) {
        describe(`its CBOR transcode (device sections by ${c.name})`, () => {
          const cb = c.bytes;
          const cl: Layout = { boundaries: c.items, structural: [[0, Math.min(cb.length, 4096)], [c.items[Math.max(0, c.items.length - 12)], cb.length]], fields: [] };

          it(`${N.cborFlips} mutants of 1 to 4 bit flips`, () => {
            const seed = seedOf(file, c.name, 'cbor flips');
            const r = rng(seed);
            for (let i = 0; i < N.cborFlips; i++) {
              const m = cb.slice();
              const flips: string[] = [];
              for (let k = 1 + r.int(4); k > 0; k--) {
                const at = position(r, cb, cl);
                const bit = r.int(8);
                m[at] ^= 1 << bit;
                flips.push(`${at}.${bit}`);
              }
              readAll(`${file} as CBOR (${c.name}), bit flips (seed ${seed}, iteration ${i}: byte.bit ${flips.join(' ')})`, m, c.opts);
            }
          });

          it(`truncated at item boundaries and at ${N.cborTruncations} random points`, () => {
            const seed = seedOf(file, c.name, 'cbor truncations');
            const r = rng(seed);
            // The header, the first RAM items, and every item from the device sections on.
            const cuts = [...c.items.slice(0, 4), ...c.items.slice(-16, -1), ...c.items.slice(-16).map((b) => b + 1)].filter((b) => b < cb.length);
            for (let i = 0; i < N.cborTruncations; i++) cuts.push(position(r, cb, cl));
            for (const [i, at] of cuts.entries()) readAll(`${file} as CBOR (${c.name}), truncated (seed ${seed}, cut ${i}: ${at} of ${cb.length} bytes kept)`, cb.subarray(0, at), c.opts);
          });

          it(`${N.cborEdits} mutants with bytes inserted or deleted, and items spliced from another transcode`, () => {
            const seed = seedOf(file, c.name, 'cbor edits');
            const r = rng(seed);
            const others = subjects.flatMap((x) => x.cbor).filter((x) => x !== c);
            for (let i = 0; i < N.cborEdits; i++) {
              const at = position(r, cb, cl);
              const n = 1 + r.int(8);
              const how = r.int(3);
              if (how === 0) {
                const extra = Uint8Array.from({ length: n }, () => r.int(256));
                readAll(`${file} as CBOR (${c.name}), inserted (seed ${seed}, iteration ${i}: ${n} bytes at ${at})`, concat(cb.subarray(0, at), extra, cb.subarray(at)), c.opts);
              } else if (how === 1) {
                readAll(`${file} as CBOR (${c.name}), deleted (seed ${seed}, iteration ${i}: ${n} bytes at ${at})`, concat(cb.subarray(0, at), cb.subarray(at + n)), c.opts);
              } else if (others.length) {
                const o = r.pick(others);
                const a = r.pick(c.items.slice(1));
                const b = r.pick(o.items.slice(1));
                readAll(`${file} as CBOR (${c.name}), spliced (seed ${seed}, iteration ${i}: its first ${a} bytes, then another transcode from ${b})`, concat(cb.subarray(0, a), o.bytes.subarray(b)), c.opts);
              }
            }
          });

          it(`${N.cborHeads} mutants whose lengths claim 2^32 or 2^64 elements`, () => {
            const seed = seedOf(file, c.name, 'cbor heads');
            const r = rng(seed);
            for (let i = 0; i < N.cborHeads; i++) {
              const at = position(r, cb, cl);
              // A byte string, text, array or map head with a 4- or 8-byte length of all ones.
              const major = r.pick([0x40, 0x60, 0x80, 0xa0]);
              const wide = r.next() < 0.5;
              const head = Uint8Array.from([major | (wide ? 0x1b : 0x1a), ...new Array<number>(wide ? 8 : 4).fill(0xff)]);
              const replace = r.next() < 0.5;
              readAll(
                `${file} as CBOR (${c.name}), a length head 0x${Buffer.from(head).toString('hex')} ${replace ? 'over' : 'inserted at'} ${at} (seed ${seed}, iteration ${i})`,
                concat(cb.subarray(0, at), head, cb.subarray(replace ? at + 1 : at)),
                c.opts,
              );
            }
          });
        });
      }
    });
  }
});

// ---- regressions: hostile inputs the fuzzing above found, or that reading the code did ----

/** A stream without configuration (so without footers): one full section and a vmdesc for it. */
function streamWith(idstr: string, data: Uint8Array, device: object): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ page_size: 4096, devices: [device] }));
  const head = [...Buffer.from('QEVM', 'latin1'), 0, 0, 0, 3, 0x04, 0, 0, 0, 0, idstr.length, ...Buffer.from(idstr, 'latin1'), 0, 0, 0, 0, 0, 0, 0, 1];
  const tail = new Uint8Array(6);
  tail[1] = 0x06;
  new DataView(tail.buffer).setUint32(2, json.length);
  return concat(Uint8Array.from(head), data, tail, json);
}

/** A vmsd-cf stream whose one section has a field `a` of the given raw CBOR. */
function cfWith(raw: number[]): Uint8Array {
  const placeholder = cborEncoder.encode('PLACEHOLDER') as Uint8Array;
  const section = Buffer.from(cborEncoder.encode({ record: 'section', type: 'full', id: 1, idstr: 'x', instance: 0, version: 1, schema: 'vmsd', fields: { a: 'PLACEHOLDER' } }) as Uint8Array);
  const at = section.indexOf(Buffer.from(placeholder));
  return concat(
    Uint8Array.from([0xd9, 0xd9, 0xf7]),
    cborEncoder.encode({ format: 'vmsd-cf', format_version: '0.1.0', qemu_stream_version: 3, footers: false }) as Uint8Array,
    section.subarray(0, at),
    Uint8Array.from(raw),
    section.subarray(at + placeholder.length),
    cborEncoder.encode({ record: 'eof', trailer: new Uint8Array() }) as Uint8Array,
  );
}

describe('codec regressions: hostile streams', () => {
  before(countReads);
  beforeEach(() => (readsLeft = Infinity));
  after(uncountReads);

  it('vmdesc fields named `constructor` (repeated) or `__proto__` are plain names: decoded, and encoded back', () => {
    const device = {
      name: 'x', instance_id: 0, vmsd_name: 'x', version: 1,
      fields: [{ name: 'constructor', type: 'uint8', size: 1 }, { name: 'constructor', type: 'uint8', size: 1 }, { name: '__proto__', type: 'uint8', size: 1 }, { name: 'toString', type: 'buffer', size: 2 }],
    };
    const bytes = streamWith('x', Uint8Array.from([1, 2, 3, 4, 5]), device);
    // Once a TypeError: `fields.constructor` is Object's, which has no push().
    const s = attempt('vmdesc with Object member names', bytes, () => decodeStream(bytes, vmdescOnly))!;
    const fields = s.sections[0].value!.fields;
    assert.equal(Object.getPrototypeOf(fields), Object.prototype, 'a `__proto__` field does not replace the prototype');
    assert.deepEqual(Object.keys(fields), ['constructor', '__proto__', 'toString']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(fields, 'constructor')!.value, [1, 2]);
    assert.equal(Object.getOwnPropertyDescriptor(fields, '__proto__')!.value, 3);
    assert.equal(Buffer.compare(Buffer.from(encodeStream(s, vmdescOnly)), Buffer.from(bytes)), 0);
  });

  it('vmdesc arrays of nothing inside arrays of nothing: a DecodeError after 2^16 elements, not 2^32 turns', () => {
    const device = {
      name: 'x', instance_id: 0, vmsd_name: 'x', version: 1,
      fields: [{ name: 'outer', type: 'struct', size: 0, array_len: 65536, struct: { vmsd_name: 'o', version: 1, fields: [{ name: 'inner', type: 'buffer', size: 0, array_len: 65536 }] } }],
    };
    const bytes = streamWith('x', new Uint8Array(), device);
    // Once 4 billion empty reads (the read budget stops it here: a failure, not a hang).
    readsLeft = readBudget(bytes);
    assert.throws(
      () => decodeStream(bytes, vmdescOnly),
      (e: unknown) => e instanceof DecodeError && /x\.outer\[0\]: the vmdesc claims more than 65536 elements of no bytes \(`outer` has 65536\)/.test(e.message),
    );
  });

  it('CBOR value sharing (tags 28/29): a cycle, or a value reached 2^20 times, is refused', () => {
    // 28([29(0)]): an array that contains itself. Once a RangeError (stack overflow).
    const cycle = cfWith([0xd8, 0x1c, 0x81, 0xd8, 0x1d, 0x00]);
    assert.throws(() => readCf(cycle), (e: unknown) => e instanceof DecodeError && /item 1: expected a tree of values, found one used twice/.test(e.message));
    // 28([28([… 28([0]) …]), 29(k)]) twenty deep, each level naming the one below twice.
    const raw: number[] = [];
    for (let k = 0; k < 20; k++) raw.push(0xd8, 0x1c, 0x82);
    raw.push(0xd8, 0x1c, 0x81, 0x00);
    for (let k = 20; k > 0; k--) raw.push(0xd8, 0x1d, k);
    const bomb = cfWith(raw);
    // Once read into a value of 2^20 leaves, from 105 bytes.
    assert.throws(() => readCf(bomb), (e: unknown) => e instanceof DecodeError && /used twice/.test(e.message));
  });

  it('malformed CBOR is located at the item that breaks, with its index', () => {
    const bytes = streamWith('x', Uint8Array.from([1, 2]), { name: 'x', instance_id: 0, vmsd_name: 'x', version: 1, fields: [{ name: 'a', type: 'uint16', size: 2 }] });
    const cbor = writeCf(decodeStream(bytes, vmdescOnly));
    const items = itemBoundaries(cbor);
    // Cut in the middle of the section item (item 1).
    const cut = cbor.subarray(0, items[1] + 5);
    assert.throws(() => readCf(cut), (e: unknown) => e instanceof DecodeError && e.offset === items[1] && e.path === 'item 1' && /malformed CBOR/.test(e.message));
  });
});
