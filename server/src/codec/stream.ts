import { Analysis } from '../semantic/analyzer';
import { BodyModel } from '../semantic/model';
import { WireType } from '../semantic/types';
import { DecodeError, EncodeError, latin1, latin1Bytes, Reader, Writer } from './bytes';
import { findMachine, machineProperties } from './machine';
import { decodeByVmdesc, encodeByVmdesc, validVmdesc, VmdescDevice, vmdescOpaqueTest, vmdescSize, vmdescText } from './vmdesc';
import { Annotation, BodyValue, CodecOptions, decode, encode, encodeWithVmdesc } from './vmstate';

/**
 * A whole QEMU 7.2 migration stream (qemu-wire.md §1–§9): header, configuration record,
 * RAM sections (every record kept: block lists, zero and data pages), device sections
 * decoded with the descriptions given (by vmsd name, the last part of the idstr) or by
 * the stream's own vmdesc, section footers, COMMAND records, EOF and what follows it.
 * The model keeps every byte's meaning, so encodeStream() writes the same stream back.
 */
export interface StreamSection {
  type: 'start' | 'part' | 'end' | 'full';
  id: number;
  idstr?: string;
  instance?: number;
  version?: number;
  /** Byte range of the section data (after the header, before the footer). */
  start: number;
  end: number;
  /** Decoded with a description, or by the stream's vmdesc (`byVmdesc`). */
  value?: BodyValue;
  byVmdesc?: boolean;
  annotations?: Annotation[];
  /** Options that encode `value` as it was built (conformed to a description: its opaque answers). */
  codec?: CodecOptions;
  /** RAM sections: page records seen. */
  ram?: { zero: number; pages: number };
  /** RAM sections: the records, in order, up to (not including) EOS. */
  ramRecords?: RamRecord[];
}

/** One RAM record (qemu-wire.md §6): `be64 offset|flags`, then what the flags say. */
export interface RamRecord {
  /** The page offset in its block (or the total size for MEM_SIZE), flags masked off. */
  addr: bigint;
  flags: number;
  /** Written unless the CONTINUE flag says "same block as before". */
  block?: string;
  /** MEM_SIZE: the block list. */
  blocks?: Array<{ name: string; used: bigint; addr?: bigint }>;
  /** ZERO: the fill byte. */
  fill?: number;
  /** PAGE: the page. */
  data?: Uint8Array;
}

export interface ConfigSubsection {
  name: string;
  version: number;
  capabilities?: string[];
  uuid?: Uint8Array;
  pageBits?: number;
}

export type StreamRecord = { kind: 'section'; section: StreamSection } | { kind: 'command'; command: number; data: Uint8Array };

export interface Stream {
  machine?: string;
  /** The machine type of the descriptions whose compat entries decoded the device sections. */
  compatOf?: string;
  /** The configuration record's subsections, in stream order. */
  configuration?: ConfigSubsection[];
  capabilities: string[];
  /** Whether sections end with footers (machine types ≥ 2.4, with the configuration). */
  footers: boolean;
  sections: StreamSection[];
  /** Sections and COMMAND records in stream order. */
  records: StreamRecord[];
  vmdesc?: VmdescDevice[];
  /** Offset of the EOF byte. */
  eof: number;
  /** The bytes after EOF: normally `0x06, be32 length, the vmdesc JSON`. */
  trailer: Uint8Array;
  /**
   * Sections no longer match the vmdesc read with the stream (conformStream): encodeStream
   * writes a new vmdesc, each entry from what it encodes, as QEMU does while saving.
   */
  rewriteVmdesc?: boolean;
  /** Decoded with `shallow`: the RAM pages, and values of sections named by the vmdesc, are missing. */
  shallow?: boolean;
}

export type { VmdescDevice } from './vmdesc';
export { vmdescSize } from './vmdesc';

const PAGE = 4096;

export interface StreamOptions extends CodecOptions {
  /** Descriptions by wire name (the vmsd name a section's idstr ends with). */
  descriptions: Map<string, BodyModel>;
  /**
   * The machine type whose compat entries set device properties (for streams without a
   * configuration record, which names it); the stream's own name otherwise. Ignored when
   * `properties` is given.
   */
  machine?: string;
  /**
   * Layout only: RAM page records are checked and counted but not kept (block lists are),
   * and a section the vmdesc covers is stepped over by the size it gives when the
   * section's footer is right there (else decoded by it). For callers that read the
   * section bytes themselves; encodeStream and writeCf refuse such a model.
   */
  shallow?: boolean;
  /** Called after each record with the bytes read so far (for progress on large streams). */
  onProgress?: (read: number, total: number) => void;
}

/**
 * The descriptions a stream's sections are matched against, by wire name: top-level
 * ones (a device uses them, or nothing embeds them), as QEMU registers them.
 */
export function sectionDescriptions(analysis: Analysis): Map<string, BodyModel> {
  const out = new Map<string, BodyModel>();
  for (const d of analysis.descriptions) {
    if (!d.devices.length && d.embeddedBy.length) continue;
    // Two descriptions of one section (a workspace with an imported copy): the first that
    // can decode wins, not whichever the files' order puts last — one imported from a
    // -dump-vmstate file has leaves of no known size and decodes nothing.
    const had = out.get(d.body.wireName);
    if (had && (undecodable(d.body) || !undecodable(had))) continue;
    out.set(d.body.wireName, d.body);
  }
  return out;
}

/** Whether a body has `opaque "unknown"` leaves (what the dump importer writes): no size, no decoding. */
function undecodable(body: BodyModel, seen = new Set<BodyModel>()): boolean {
  if (seen.has(body)) return false;
  seen.add(body);
  const element = (e: WireType): boolean =>
    e.kind === 'opaque' ? e.info === 'unknown' : e.kind === 'struct' || e.kind === 'tmp' ? undecodable(e.description.body, seen) : e.kind === 'list' ? element(e.element) : e.kind === 'tree' ? element(e.key) || element(e.value) : false;
  return body.fields.some((f) => element(f.type.element)) || body.subsections.some((s) => undecodable(s.body, seen));
}

export function decodeStream(bytes: Uint8Array, opts: StreamOptions): Stream {
  const r = new Reader(bytes);
  const magic = Number(r.int(4, false, '', 'the magic'));
  if (magic !== 0x5145564d) throw new DecodeError(`expected the magic "QEVM" (51 45 56 4d), found ${hex(magic, 8)} (QEMU: "Not a migration stream")`, 0, '');
  const v = Number(r.int(4, false, '', 'the stream version'));
  if (v === 2) throw new DecodeError('expected stream version 3, found 2 (QEMU: "SaveVM v2 format is obsolete and don\'t work anymore")', 4, '');
  if (v !== 3) throw new DecodeError(`expected stream version 3, found ${v} (QEMU: "Unsupported migration stream version")`, 4, '');
  const vmdesc = findVmdesc(bytes);
  const out: Stream = { capabilities: [], footers: false, sections: [], records: [], vmdesc: vmdesc?.devices, eof: -1, trailer: new Uint8Array() };
  if (opts.shallow) out.shallow = true;
  let footers = false;
  if (r.peek() === 0x07) {
    footers = out.footers = true; // the configuration record and section footers come together (machine types ≥ 2.4)
    out.configuration = [];
    r.pos++;
    const len = Number(r.int(4, false, 'configuration', 'the machine name length'));
    out.machine = latin1(r.take(len, 'configuration', 'the machine type name'));
    while (r.peek() === 0x05) {
      r.pos++;
      const n = r.u8('configuration', 'a subsection name length');
      const name = latin1(r.take(n, 'configuration', 'a subsection name'));
      const sub: ConfigSubsection = { name, version: Number(r.int(4, false, name, 'the subsection version')) };
      out.configuration.push(sub);
      if (name === 'configuration/capabilities') {
        const count = Number(r.int(4, false, name, 'the capability count'));
        if (count > r.remaining) throw new DecodeError(`${count} capabilities cannot fit`, r.pos, name);
        for (let i = 0; i < count; i++) out.capabilities.push(latin1(r.take(r.u8(name), name, 'a capability name')));
        sub.capabilities = out.capabilities.slice();
      } else if (name === 'configuration/uuid') sub.uuid = r.take(16, name, 'the UUID');
      else if (name === 'configuration/target-page-bits') sub.pageBits = Number(r.int(4, false, name, 'the page bits'));
      else throw new DecodeError(`unknown configuration subsection \`${name}\``, r.pos, name);
    }
  }
  opts = withMachine(opts, opts.machine ?? out.machine);
  if (opts.machine && opts.properties) out.compatOf = opts.machine;
  const ignoreShared = out.capabilities.includes('x-ignore-shared');
  const ramIds = new Set<number>();
  const ramState = { block: '' };
  let deviceIndex = 0;
  for (;;) {
    const at = r.pos;
    opts.onProgress?.(at, bytes.length);
    const type = r.u8('', 'a record type');
    if (type === 0x00) {
      out.eof = at;
      out.trailer = bytes.slice(r.pos);
      break;
    }
    if (type === 0x01 || type === 0x04) {
      const id = Number(r.int(4, false, '', 'the section id'));
      const idstr = latin1(r.take(r.u8('', 'the idstr length'), '', 'the idstr'));
      const instance = Number(r.int(4, false, idstr, 'the instance id'));
      const version = Number(r.int(4, false, idstr, 'the version id'));
      const s: StreamSection = { type: type === 0x01 ? 'start' : 'full', id, idstr, instance, version, start: r.pos, end: r.pos };
      if (idstr === 'ram') {
        ramIds.add(id);
        walkRam(r, ignoreShared, ramState, s, !opts.shallow);
      } else {
        const vmsdName = idstr.slice(idstr.lastIndexOf('/') + 1);
        const body = opts.descriptions.get(vmsdName);
        const desc = vmdesc?.devices[deviceIndex];
        if (body) {
          if (version > body.version) throw new DecodeError(`expected a version up to ${body.version} for \`${idstr}\` (the description's), found ${version} (QEMU: "savevm: unsupported version ${version} for '${idstr}' v${body.version}")`, r.pos - 4, idstr);
          const d = decode(body, bytes, version, sectionOptions(opts, desc, idstr), r.pos, idstr);
          // Without footers nothing else would notice a description that reads too much or
          // too little; the vmdesc knows how many bytes QEMU wrote.
          if (desc && desc.name === idstr) {
            const want = vmdescSize(desc);
            if (d.end - r.pos !== want) {
              throw new DecodeError(
                `the description \`${body.wireName}\` reads ${d.end - r.pos} bytes at version ${version}, the stream's vmdesc says QEMU wrote ${want}` +
                  (out.machine ? ` (machine type ${out.machine})` : ' (no configuration record: an old machine type, whose compat settings the description may not model)'),
                r.pos,
                idstr,
              );
            }
          }
          s.value = d.value;
          if (opts.annotate !== false) s.annotations = d.annotations;
          r.pos = d.end;
        } else if (desc && desc.name === idstr && opts.shallow && footers && footerAt(bytes, r.pos + vmdescSize(desc), id)) {
          // Layout only: QEMU's vmdesc gives the size, and the footer right there confirms it.
          r.pos += vmdescSize(desc);
          s.byVmdesc = true;
        } else if (desc && desc.name === idstr) {
          const d = decodeByVmdesc(desc, r, idstr, opts.annotate !== false);
          s.value = d.value;
          if (opts.annotate !== false) s.annotations = d.annotations;
          s.byVmdesc = true;
        } else {
          throw new DecodeError(`no description for section \`${idstr}\` and no vmdesc entry to skip it`, r.pos, idstr);
        }
        deviceIndex++;
      }
      s.end = r.pos;
      if (footers) footer(r, id, idstr);
      out.sections.push(s);
      out.records.push({ kind: 'section', section: s });
      continue;
    }
    if (type === 0x02 || type === 0x03) {
      const id = Number(r.int(4, false, '', 'the section id'));
      const s: StreamSection = { type: type === 0x02 ? 'part' : 'end', id, start: r.pos, end: r.pos };
      if (!ramIds.has(id)) throw new DecodeError(`section ${id} continues no started section`, at, '');
      walkRam(r, ignoreShared, ramState, s, !opts.shallow);
      s.end = r.pos;
      if (footers) footer(r, id, 'ram');
      out.sections.push(s);
      out.records.push({ kind: 'section', section: s });
      continue;
    }
    if (type === 0x08) {
      const command = Number(r.int(2, false, 'command', 'the command'));
      const len = Number(r.int(2, false, 'command', 'the command length'));
      out.records.push({ kind: 'command', command, data: r.take(len, 'command', 'the command data') });
      continue;
    }
    throw new DecodeError(`expected a record type (0x00 EOF, 0x01–0x04 section, 0x08 command), found ${hex(type, 2)} (QEMU: "Unknown savevm section type ${type}")`, at, '');
  }
  return out;
}

function footer(r: Reader, id: number, idstr: string): void {
  const at = r.pos;
  const b = r.u8(idstr, 'the section footer 0x7e');
  if (b !== 0x7e) throw new DecodeError(`expected the section footer 0x7e, found ${hex(b, 2)}: the section's data ends elsewhere (QEMU: "Missing section footer for ${idstr}")`, at, idstr);
  const got = Number(r.int(4, false, idstr, 'the footer section id'));
  if (got !== id) throw new DecodeError(`expected section id ${id} in the footer, found ${got} (QEMU: "Mismatched section id in footer for ${idstr} - read 0x${got.toString(16)} expected 0x${id.toString(16)}")`, at, idstr);
}

/** Whether a section footer for section `id` starts at `at`. */
function footerAt(b: Uint8Array, at: number, id: number): boolean {
  return at + 5 <= b.length && b[at] === 0x7e && ((b[at + 1] << 24) >>> 0) + (b[at + 2] << 16) + (b[at + 3] << 8) + b[at + 4] === id;
}

function hex(v: number, digits: number): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

/** RAM records up to EOS: the block list on START, then ZERO/PAGE records (kept unless `keepPages` is false). */
function walkRam(r: Reader, ignoreShared: boolean, state: { block: string }, s: StreamSection, keepPages: boolean): void {
  const count = (s.ram = { zero: 0, pages: 0 });
  const records: RamRecord[] = (s.ramRecords = []);
  for (;;) {
    const at = r.pos;
    // Two 32-bit halves rather than a byte-wise bigint: zero pages are many, one record each.
    r.need(8, 'a RAM record', 'ram');
    const hi = r.view.getUint32(r.pos);
    const lo = r.view.getUint32(r.pos + 4);
    r.pos += 8;
    const flags = lo & (PAGE - 1);
    if (flags & 0x10) {
      if (flags !== 0x10 || hi !== 0 || lo !== 0x10) throw new DecodeError(`expected the RAM end-of-section record 0x10, found 0x${((BigInt(hi) << 32n) | BigInt(lo)).toString(16)}`, at, 'ram');
      return;
    }
    if (!keepPages && !(flags & 0x04)) {
      // Layout only: checked and counted like the others, but no record object per page.
      if ((flags & ~0x20) !== 0x02 && (flags & ~0x20) !== 0x08) throw new DecodeError(`Unknown combination of migration flags: 0x${flags.toString(16)}`, at, 'ram');
      if (!(flags & 0x20)) state.block = latin1(r.take(r.u8('ram', 'a block name length'), 'ram', 'a block name'));
      if (flags & 0x02) {
        r.skip(1, 'ram', 'the fill byte');
        count.zero++;
      } else {
        r.skip(PAGE, 'ram', 'a page');
        count.pages++;
      }
      continue;
    }
    const rec: RamRecord = { addr: (BigInt(hi) << 32n) | BigInt(lo - flags), flags };
    records.push(rec);
    if (flags & 0x04) {
      // MEM_SIZE: the block list, until the lengths add up to the total.
      if (flags !== 0x04) throw new DecodeError(`RAM record flags 0x${flags.toString(16)} are not supported here`, at, 'ram');
      rec.blocks = [];
      let total = rec.addr;
      while (total > 0n) {
        const name = latin1(r.take(r.u8('ram', 'a block name length'), 'ram', 'a block name'));
        const used = r.int(8, false, 'ram', 'a block length');
        const block: { name: string; used: bigint; addr?: bigint } = { name, used };
        if (ignoreShared) block.addr = r.int(8, false, 'ram', 'a block address');
        if (used === 0n || used > total) throw new DecodeError('RAM block lengths do not add up to the total', at, 'ram');
        rec.blocks.push(block);
        total -= used;
      }
      continue;
    }
    // QEMU's ram_load accepts exactly ZERO or PAGE here, each optionally with CONTINUE.
    if ((flags & ~0x20) !== 0x02 && (flags & ~0x20) !== 0x08) throw new DecodeError(`Unknown combination of migration flags: 0x${flags.toString(16)}`, at, 'ram');
    if (!(flags & 0x20)) state.block = rec.block = latin1(r.take(r.u8('ram', 'a block name length'), 'ram', 'a block name'));
    if (flags & 0x02) {
      rec.fill = r.u8('ram', 'the fill byte');
      count.zero++;
    } else if (flags & 0x08) {
      rec.data = r.pageView(PAGE, 'ram', 'a page');
      count.pages++;
    } else throw new DecodeError(`RAM record flags 0x${flags.toString(16)} are not supported here`, at, 'ram');
  }
}

/** The vmdesc at the end of a stream (`0x06, be32 length, JSON` reaching the last byte), if valid. */
export function findVmdesc(bytes: Uint8Array): { devices: VmdescDevice[] } | undefined {
  // From the end backwards: JSON text holds no raw 0x06, so the first `06 len {` whose
  // length reaches exactly the end is QEMU's record, found after scanning the JSON alone.
  for (let i = bytes.length - 6; i >= Math.max(0, bytes.length - 16 * 1024 * 1024); i--) {
    if (bytes[i] !== 0x06 || i + 5 >= bytes.length || bytes[i + 5] !== 0x7b) continue;
    const len = ((bytes[i + 1] << 24) >>> 0) + (bytes[i + 2] << 16) + (bytes[i + 3] << 8) + bytes[i + 4];
    if (i + 5 + len !== bytes.length) continue;
    try {
      const json: unknown = JSON.parse(new TextDecoder().decode(bytes.subarray(i + 5)));
      // QEMU never reads the vmdesc back: one that is not the shape QEMU writes is ignored.
      return validVmdesc(json) ? json : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Options with the property values of the named machine type, when the descriptions know it. */
function withMachine(opts: StreamOptions, name: string | undefined): StreamOptions {
  if (opts.properties || !name) return opts;
  const m = findMachine(opts.analysis, name);
  return m ? { ...opts, machine: name, properties: machineProperties(m) } : { ...opts, machine: undefined };
}

/** A test QEMU runs on its own state is answered by the section's vmdesc entry unless the caller decides. */
function sectionOptions(opts: StreamOptions, desc: VmdescDevice | undefined, idstr: string): StreamOptions {
  return opts.opaqueTest || !desc || desc.name !== idstr ? opts : { ...opts, opaqueTest: vmdescOpaqueTest(desc) };
}

/**
 * Writes a stream model back into QEMU's bytes: device sections from their values (by
 * the description of that name, or by the vmdesc that decoded them), everything else
 * as the model records it. decodeStream then encodeStream gives the same bytes.
 */
export function encodeStream(s: Stream, opts: StreamOptions): Uint8Array {
  if (s.shallow) throw new EncodeError('the stream was decoded shallow (without its RAM pages) and cannot be written back');
  opts = withMachine(opts, opts.machine ?? s.compatOf ?? s.machine);
  // Sections changed since the stream was read: the vmdesc is written anew to describe them.
  const devices: VmdescDevice[] | undefined = s.rewriteVmdesc && s.vmdesc ? [] : undefined;
  const w = new Writer();
  const text = latin1Bytes;
  const shortString = (t: string, what: string) => {
    const b = text(t);
    if (b.length > 255) throw new EncodeError(`${what} \`${t}\` is longer than 255 bytes`);
    w.u8(b.length);
    w.bytes(b);
  };
  w.int(0x5145564dn, 4);
  w.int(3n, 4);
  if (s.configuration) {
    w.u8(0x07);
    const m = text(s.machine ?? '');
    w.int(BigInt(m.length), 4);
    w.bytes(m);
    for (const c of s.configuration) {
      w.u8(0x05);
      shortString(c.name, 'the configuration subsection');
      w.int(BigInt(c.version), 4);
      if (c.capabilities) {
        w.int(BigInt(c.capabilities.length), 4);
        for (const cap of c.capabilities) shortString(cap, 'the capability');
      } else if (c.uuid) w.bytes(c.uuid);
      else if (c.pageBits !== undefined) w.int(BigInt(c.pageBits), 4);
    }
  }
  const ignoreShared = s.capabilities.includes('x-ignore-shared');
  let deviceIndex = 0;
  for (const rec of s.records) {
    if (rec.kind === 'command') {
      w.u8(0x08);
      w.int(BigInt(rec.command), 2);
      w.int(BigInt(rec.data.length), 2);
      w.bytes(rec.data);
      continue;
    }
    const x = rec.section;
    w.u8({ start: 0x01, part: 0x02, end: 0x03, full: 0x04 }[x.type]);
    w.int(BigInt(x.id), 4);
    if (x.type === 'start' || x.type === 'full') {
      shortString(x.idstr ?? '', 'the idstr');
      w.int(BigInt(x.instance ?? 0), 4);
      w.int(BigInt(x.version ?? 0), 4);
    }
    if (x.ramRecords) {
      for (const r of x.ramRecords) {
        w.int(r.addr | BigInt(r.flags), 8);
        if (r.blocks) {
          for (const b of r.blocks) {
            shortString(b.name, 'the RAM block name');
            w.int(b.used, 8);
            if (ignoreShared) w.int(b.addr ?? 0n, 8);
          }
          continue;
        }
        if (r.block !== undefined) shortString(r.block, 'the RAM block name');
        if (r.fill !== undefined) w.u8(r.fill);
        if (r.data) w.bytes(r.data);
      }
      w.int(0x10n, 8);
    } else if (x.value) {
      const idstr = x.idstr ?? '';
      const desc = s.vmdesc?.[deviceIndex];
      if (x.byVmdesc) {
        if (!desc) throw new EncodeError(`${idstr}: decoded by a vmdesc the stream no longer has`);
        w.bytes(encodeByVmdesc(desc, x.value));
        devices?.push(desc);
      } else {
        const body = opts.descriptions.get(idstr.slice(idstr.lastIndexOf('/') + 1));
        if (!body) throw new EncodeError(`${idstr}: no description to encode it with`);
        // A value read from a keyed stream brings the answers to its opaque tests along.
        const o = x.codec ? { ...x.codec, properties: opts.properties ?? x.codec.properties } : sectionOptions(opts, desc, idstr);
        if (devices) {
          const e = encodeWithVmdesc(body, x.value, x.version ?? 0, o);
          w.bytes(e.bytes);
          devices.push({ name: idstr, instance_id: x.instance ?? 0, ...e.vmdesc });
        } else w.bytes(encode(body, x.value, x.version ?? 0, o));
      }
      deviceIndex++;
    }
    if (s.footers) {
      w.u8(0x7e);
      w.int(BigInt(x.id), 4);
    }
  }
  w.u8(0x00);
  if (devices) {
    // The vmdesc anew, as QEMU writes it after EOF: 0x06, be32 length, the JSON.
    const json = new TextEncoder().encode(vmdescText({ page_size: vmdescPageSize(s.trailer), devices }));
    w.u8(0x06);
    w.int(BigInt(json.length), 4);
    w.bytes(json);
  } else w.bytes(s.trailer);
  return w.finish();
}

/** The page size the old vmdesc names (QEMU's target page size), 4096 when there is none. */
function vmdescPageSize(trailer: Uint8Array): number {
  try {
    const doc: unknown = JSON.parse(new TextDecoder().decode(trailer.subarray(5)));
    const n = (doc as { page_size?: unknown }).page_size;
    return typeof n === 'number' && Number.isSafeInteger(n) ? n : 4096;
  } catch {
    return 4096;
  }
}
