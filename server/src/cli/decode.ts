import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeMigration, analyzeMigrationBytes, AnalyzeMigrationError, analyzeMigrationVmdescProblem } from '../codec/analyze-migration';
import { DecodeError, EncodeError, hexBytes } from '../codec/bytes';
import { isCf } from '../codec/cf-magic';
// cbor-x is loaded only for CBOR input or output (see cf-magic.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cf = () => require('../codec/cf') as typeof import('../codec/cf');
import { decodeStream, encodeStream, sectionDescriptions, Stream, StreamSection } from '../codec/stream';
// Loaded when needed: keyed reading (CBOR with -d) and the JSON printer pull in values.ts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const keyed = () => require('../codec/keyed') as typeof import('../codec/keyed');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const values = () => require('../codec/values') as typeof import('../codec/values');
import { Annotation, BodyValue, FieldValue } from '../codec/vmstate';
import { Analysis } from '../semantic/analyzer';
import { knownMachine, loadDescriptions, readStream } from './inputs';
import type { Io } from './main';
import { writeFileAtomic } from '../host/atomic';

export interface DecodeOptions {
  format: 'json' | 'text' | 'annotated' | 'analyze-migration';
  descriptions?: string[];
  machine?: string;
  extractRam?: string;
}

/** A percentage on stderr for streams over 64 MB when stderr is a terminal; nothing otherwise. */
function progress(io: Io, size: number): ((read: number, total: number) => void) | undefined {
  if (!io.errIsTty || size < 64 * 1024 * 1024) return undefined;
  let shown = -1;
  return (read, total) => {
    const pct = Math.floor((read / total) * 100);
    if (pct === shown) return;
    shown = pct;
    io.err(`\rdecoding: ${pct}%`);
  };
}

function clearProgress(io: Io, size: number): void {
  if (io.errIsTty && size >= 64 * 1024 * 1024) io.err('\r\x1b[K');
}

export function runDecode(file: string, opts: DecodeOptions, io: Io): number {
  if (opts.format === 'analyze-migration' && opts.descriptions?.length) {
    io.err('vmsd: --format analyze-migration reads device sections by the stream\'s vmdesc, as QEMU\'s script does; -d is not used with it\n');
    return 2;
  }
  const analysis = loadDescriptions(opts.descriptions, io);
  if (!analysis || !knownMachine(analysis, opts.machine, io)) return 2;
  const bytes = readStream(file, io);
  if (!bytes) return 2;
  // Said before decoding: without a vmdesc every device section would fail on its own.
  const noVmdesc = opts.format === 'analyze-migration' && !isCf(bytes) ? analyzeMigrationVmdescProblem(bytes) : undefined;
  if (noVmdesc) {
    io.err(`vmsd: ${file}: ${noVmdesc}\n`);
    return 1;
  }

  let stream: Stream;
  try {
    // A self-describing stream needs no description: its items name their fields.
    // analyze-migration reads the section bytes itself: only the layout is needed.
    const shallow = opts.format === 'analyze-migration' && opts.extractRam === undefined;
    // Annotations (a byte range for every field and element) only for the annotated dump.
    const annotate = opts.format === 'annotated';
    stream = isCf(bytes) ? readCfWith(bytes, analysis, opts, io) : decodeStream(bytes, { analysis, descriptions: sectionDescriptions(analysis), machine: opts.machine, shallow, annotate, onProgress: progress(io, bytes.length) });
    clearProgress(io, bytes.length);
  } catch (e) {
    clearProgress(io, bytes.length);
    if (!(e instanceof DecodeError) && !(e instanceof EncodeError)) throw e;
    // The stream is rejected: say where and why (QEMU's wording where it has one).
    io.err(`vmsd: ${file}: ${e.message}\n`);
    return 1;
  }

  if (opts.extractRam !== undefined) {
    const problem = extractRam(stream, opts.extractRam);
    if (problem) {
      io.err(`vmsd: ${opts.extractRam}: ${problem}\n`);
      return 2;
    }
  }
  if (opts.format === 'annotated' && isCf(bytes)) {
    io.err(`vmsd: ${file}: --format annotated shows QEMU's byte layout; this is a self-describing (CBOR) stream: use text or json\n`);
    return 2;
  }
  if (opts.format === 'analyze-migration') {
    try {
      // 8 MB of JSON for a 2 MB stream: written as the bytes it is built in when stdout takes bytes.
      const source = isCf(bytes) ? undefined : bytes;
      if (io.outBytes) io.outBytes(analyzeMigrationBytes(stream, source));
      else io.out(analyzeMigration(stream, source));
    } catch (e) {
      if (!(e instanceof AnalyzeMigrationError)) throw e;
      io.err(`vmsd: ${file}: ${e.message}\n`);
      return 1;
    }
  } else if (opts.format === 'json') io.out(values().exactJson(streamJson(stream), '') + '\n');
  else if (opts.format === 'text') io.out(streamText(stream));
  else io.out(annotatedDump(stream, bytes));
  return 0;
}

/**
 * Writes each RAM block as a sparse image of its full size (`DIR/<block>.img`, `/` in
 * names as `_`): data pages at their offsets, zero pages left as holes (or filled when
 * their fill byte is not 0). Pages sent twice keep the last copy, as QEMU's load does.
 */
function extractRam(s: Stream, dir: string): string | undefined {
  const blocks = s.sections.flatMap((x) => x.ramRecords ?? []).find((r) => r.blocks)?.blocks;
  if (!blocks) return 'the stream has no RAM block list';
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fds = new Map<string, { fd: number; size: bigint }>();
    for (const b of blocks) {
      const fd = fs.openSync(path.join(dir, b.name.replace(/^\/+/, '').replace(/[/\\]/g, '_') + '.img'), 'w');
      fs.ftruncateSync(fd, Number(b.used));
      fds.set(b.name, { fd, size: b.used });
    }
    let block = '';
    const written = new Set<string>();
    try {
      for (const r of s.sections.flatMap((x) => x.ramRecords ?? [])) {
        if (r.blocks) continue;
        if (r.block !== undefined) block = r.block;
        const f = fds.get(block);
        if (!f) return `a page names the unknown block \`${block}\``;
        if (r.addr + 4096n > f.size) return `a page at 0x${r.addr.toString(16)} lies outside block \`${block}\` (${f.size} bytes)`;
        const key = `${block}@${r.addr}`;
        const page = r.data ?? (r.fill ? new Uint8Array(4096).fill(r.fill) : undefined);
        if (page) {
          fs.writeSync(f.fd, page, 0, page.length, Number(r.addr));
          written.add(key);
        } else if (written.delete(key)) {
          fs.writeSync(f.fd, new Uint8Array(4096), 0, 4096, Number(r.addr)); // zeroed after data: no longer a hole
        }
      }
    } finally {
      for (const f of fds.values()) fs.closeSync(f.fd);
    }
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

export interface TranscodeOptions {
  to: 'cbor' | 'qemu';
  output: string;
  descriptions?: string[];
  machine?: string;
}

/**
 * A self-describing stream, read with the descriptions given (-d) when there are any:
 * each section is conformed to its description (unknown fields skipped, absent ones
 * defaulted), and each such step is said on stderr.
 */
function readCfWith(bytes: Uint8Array, analysis: Analysis, opts: { descriptions?: string[]; machine?: string }, io: Io): Stream {
  const s = cf().readCf(bytes);
  if (!opts.descriptions?.length) return s;
  const c = keyed().conformStream(s, { analysis, descriptions: sectionDescriptions(analysis), machine: opts.machine });
  for (const n of c.notes) io.err(`vmsd: note: ${n.section}: ${n.message}\n`);
  if (c.changed && s.vmdesc) io.err('vmsd: note: the descriptions read the stream differently from how it was written; a QEMU stream written from it gets a vmdesc written anew\n');
  return c.stream;
}

/** QEMU stream ⇄ self-describing stream; the output is written whole or not at all. */
export function runTranscode(file: string, opts: TranscodeOptions, io: Io): number {
  const analysis = loadDescriptions(opts.descriptions, io);
  if (!analysis || !knownMachine(analysis, opts.machine, io)) return 2;
  const bytes = readStream(file, io);
  if (!bytes) return 2;
  if (path.resolve(opts.output) === path.resolve(file)) {
    io.err(`vmsd: refusing to overwrite the input ${file}\n`);
    return 2;
  }
  const sopts = { analysis, descriptions: sectionDescriptions(analysis), machine: opts.machine, annotate: false };
  let out: Uint8Array;
  try {
    const stream = isCf(bytes) ? readCfWith(bytes, analysis, opts, io) : decodeStream(bytes, { ...sopts, onProgress: progress(io, bytes.length) });
    clearProgress(io, bytes.length);
    out = opts.to === 'cbor' ? cf().writeCf(stream) : encodeStream(stream, sopts);
  } catch (e) {
    clearProgress(io, bytes.length);
    if (!(e instanceof DecodeError) && !(e instanceof EncodeError)) throw e;
    io.err(`vmsd: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    writeFileAtomic(opts.output, out);
  } catch (e) {
    io.err(`vmsd: ${opts.output}: ${(e as Error).message}\n`);
    return 2;
  }
  return 0;
}

function streamJson(s: Stream): unknown {
  return {
    machine: s.machine ?? null,
    capabilities: s.capabilities,
    sections: s.sections.map((x) => ({
      type: x.type,
      id: x.id,
      ...(x.idstr !== undefined ? { idstr: x.idstr, instance: x.instance, version: x.version } : {}),
      start: x.start,
      end: x.end,
      ...(x.ram ? { ram: x.ram } : {}),
      ...(x.value ? { decodedBy: x.byVmdesc ? 'vmdesc' : 'description', value: x.value } : {}),
    })),
    eof: s.eof,
    vmdesc: s.vmdesc ? true : false,
  };
}

function streamText(s: Stream): string {
  const lines: string[] = [];
  lines.push(`machine: ${s.machine ?? '(no configuration record)'}`);
  if (s.capabilities.length) lines.push(`capabilities: ${s.capabilities.join(', ')}`);
  for (const x of s.sections) {
    lines.push(sectionHeading(x));
    if (x.value) body(x.value, '  ', lines);
  }
  lines.push(`EOF at ${s.eof}${s.vmdesc ? `; vmdesc with ${s.vmdesc.length} devices` : '; no vmdesc'}`);
  // QEMU stops reading at EOF, so it would not notice; for us it means a description misread.
  if (!s.vmdesc && s.trailer.length) lines.push(`warning: ${s.trailer.length} bytes follow EOF and are not a vmdesc: a description may not match this stream`);
  return lines.join('\n') + '\n';
}

function sectionHeading(x: StreamSection): string {
  const range = `[${x.start}, ${x.end})`;
  if (x.ram) return `${x.type} ${x.id} ram ${range}: ${x.ram.pages} pages, ${x.ram.zero} zero pages`;
  const what = `${x.idstr} instance ${x.instance} version ${x.version}`;
  return `${x.type} ${x.id} ${what} ${range}${x.byVmdesc ? ' (by the stream\'s vmdesc: no description given)' : ''}`;
}

function body(v: BodyValue, indent: string, lines: string[]): void {
  for (const [k, f] of Object.entries(v.fields)) field(k, f, indent, lines);
  for (const [k, s] of Object.entries(v.subsections)) {
    lines.push(`${indent}subsection ${k}${s.version !== undefined ? ` (sent at version ${s.version})` : ''}:`);
    body(s, indent + '  ', lines);
  }
}

function field(name: string, f: FieldValue, indent: string, lines: string[]): void {
  if (f instanceof Uint8Array || f === null || typeof f !== 'object') {
    lines.push(`${indent}${name} = ${scalar(f)}`);
  } else if (Array.isArray(f)) {
    if (f.every((x) => typeof x !== 'object' || x === null)) lines.push(`${indent}${name} = [${f.map(scalar).join(', ')}]`);
    else f.forEach((x, i) => field(`${name}[${i}]`, x, indent, lines));
  } else {
    lines.push(`${indent}${name}:`);
    body(f, indent + '  ', lines);
  }
}

function scalar(f: FieldValue): string {
  if (f instanceof Uint8Array) return hexBytes(f, 64) || '(empty)';
  if (f === null) return 'NULL';
  return String(f);
}

/** Hex dump of every decoded device section, one annotated range a line. */
function annotatedDump(s: Stream, bytes: Uint8Array): string {
  const lines: string[] = [];
  for (const x of s.sections) {
    lines.push(sectionHeading(x));
    for (const a of leaves(x.annotations ?? [])) {
      const shown = bytes.subarray(a.start, Math.min(a.end, a.start + 16));
      const more = a.end - a.start > 16 ? ` …+${a.end - a.start - 16}` : '';
      const hexs = [...shown].map((b) => b.toString(16).padStart(2, '0')).join(' ') + more;
      lines.push(`  ${a.start.toString(16).padStart(8, '0')}  ${hexs.padEnd(50)}  ${a.path} (${a.type})${a.value !== undefined ? ` = ${a.value}` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Annotations that cover bytes themselves (not the ranges of whole structs or arrays). */
function leaves(as: Annotation[]): Annotation[] {
  // Ranges nest or are disjoint: in (start ↑, end ↓) order a range has children exactly
  // when the next one starts inside it.
  const sorted = as.filter((a) => a.end > a.start).sort((a, b) => a.start - b.start || b.end - a.end || a.path.length - b.path.length);
  return sorted.filter((a, i) => i + 1 === sorted.length || sorted[i + 1].start >= a.end);
}
