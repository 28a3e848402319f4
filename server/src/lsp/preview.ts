import * as path from 'node:path';
import { DecodeError } from '../codec/bytes';
import { isCf, readCf } from '../codec/cf';
import { findMachine } from '../codec/machine';
import { preview, PreviewAnnotation, PreviewResult } from '../codec/preview';
import { decodeStream, sectionDescriptions, Stream, StreamSection } from '../codec/stream';
import { JsonData, ValueError, valueToJsonData } from '../codec/values';
import { toPath } from '../host/files';
import { readStreamFile, statStream } from '../host/streams';
import { Analysis } from '../semantic/analyzer';
import { BodyModel } from '../semantic/model';

/**
 * The two custom requests of docs/lsp-extensions.md, without the protocol: `vmsd/preview`
 * (the annotated bytes of a description) and `vmsd/decodeStream` (a migration stream on
 * disk, summarised, with its annotations and values a page at a time). server.ts wires
 * them; the stream file is read here (Node), everything else is the pure codec.
 */

/** A request the client got wrong: answered with an InvalidParams error carrying this message. */
export class RequestError extends Error {}

export interface PreviewParams {
  uri: string;
  /** The description under the cursor (any position inside its declaration). */
  position?: { line: number; character: number };
  /** Or the description by name (wins over `position`). */
  description?: string;
  version?: number;
  machine?: string;
  /** The value: JSON data, or JSON text (whose 64-bit integers are then exact). */
  value?: unknown;
  format?: 'qemu' | 'cbor';
  opaque?: Record<string, boolean>;
  page?: { offset?: number; limit?: number };
}

export const PREVIEW_PAGE = 5000;
export const STREAM_PAGE = 1000;
export const MAX_PAGE = 20000;

function pageOf(p: { offset?: number; limit?: number } | undefined, def: number): { offset: number; limit: number } {
  const offset = p?.offset ?? 0;
  const limit = p?.limit ?? def;
  if (!Number.isInteger(offset) || offset < 0) throw new RequestError(`page.offset must be a non-negative integer, not ${String(offset)}`);
  if (!Number.isInteger(limit) || limit < 0) throw new RequestError(`page.limit must be a non-negative integer, not ${String(limit)}`);
  return { offset, limit: Math.min(limit, MAX_PAGE) };
}

/** The innermost description whose declaration contains the offset. */
export function descriptionAt(analysis: Analysis, uri: string, offset: number): BodyModel | undefined {
  let best: BodyModel | undefined;
  for (const d of analysis.descriptions) {
    if (d.uri !== uri || offset < d.decl.start || offset > d.decl.end) continue;
    if (!best || d.decl.start >= best.owner.decl.start) best = d.body;
  }
  return best;
}

export function previewRequest(analysis: Analysis, offset: number | undefined, p: PreviewParams): PreviewResult {
  const format = p.format ?? 'qemu';
  if (format !== 'qemu' && format !== 'cbor') throw new RequestError(`format must be "qemu" or "cbor", not ${JSON.stringify(format)}`);
  if (p.version !== undefined && !Number.isInteger(p.version)) throw new RequestError(`version must be an integer, not ${JSON.stringify(p.version)}`);
  let description: string | BodyModel | undefined = p.description;
  if (description === undefined) {
    if (offset === undefined) throw new RequestError('give a position or a description name');
    description = descriptionAt(analysis, p.uri, offset);
    if (!description) throw new RequestError('no description (vmstate) at this position');
  }
  try {
    return preview({ analysis, description, version: p.version, machine: p.machine, value: p.value, format, opaque: p.opaque, page: pageOf(p.page, PREVIEW_PAGE) });
  } catch (e) {
    if (e instanceof ValueError && e.path === 'description') throw new RequestError(e.detail);
    throw e;
  }
}

// ---- vmsd/decodeStream ----

export interface DecodeStreamParams {
  /** A file path (absolute, or relative to the first workspace folder) … */
  path?: string;
  /** … or a file: URI. */
  uri?: string;
  /** Decode device sections with the workspace's descriptions (default), or only by the stream's vmdesc. */
  descriptionsFrom?: 'workspace' | 'none';
  machine?: string;
  /** A slice of the annotations (of one section when `section`, else of all, in stream order). */
  page?: { offset?: number; limit?: number; section?: number };
}

export interface SectionSummary {
  index: number;
  type: StreamSection['type'];
  id: number;
  idstr?: string;
  instance?: number;
  version?: number;
  /** Byte range of the section data (after the header, before the footer); -1 for CBOR streams. */
  start: number;
  end: number;
  decodedBy: 'description' | 'vmdesc' | 'ram' | null;
  annotations: number;
  ram?: { pages: number; zeroPages: number };
}

export interface StreamAnnotation extends PreviewAnnotation {
  /** Index into `sections`. */
  section: number;
}

export interface DecodeStreamResult {
  file: string;
  size: number;
  format: 'qemu' | 'cbor';
  /** What decoded the device sections: the workspace's descriptions, or only the stream's vmdesc. */
  decodedWith: 'descriptions' | 'vmdesc';
  header: {
    machine: string | null;
    /** The machine type whose compat entries applied to the descriptions. */
    compatOf: string | null;
    capabilities: string[];
    configuration: string[];
    footers: boolean;
    vmdesc: boolean;
    vmdescDevices: number;
    /** Offset of the EOF byte; -1 for CBOR streams. */
    eof: number;
    /** Bytes after EOF (the vmdesc record). */
    trailer: number;
  } | null;
  sections: SectionSummary[];
  /** RAM summarised per block: pages sent with data and zero pages (never the pages). */
  ram: { blocks: Array<{ name: string; size: number | string; pages: number; zeroPages: number }>; pages: number; zeroPages: number } | null;
  commands: number;
  page: { offset: number; limit: number; total: number; section: number | null };
  annotations: StreamAnnotation[];
  /** Values (values.ts JSON data) of the sections the page covers. */
  values: Array<{ section: number; value: JsonData }>;
  /** Why the stream could not be decoded (with the descriptions): offset, field path, message. */
  error?: { offset: number; path: string; message: string };
}

interface Decoded {
  key: string;
  analysis: Analysis;
  file: string;
  size: number;
  format: 'qemu' | 'cbor';
  decodedWith: 'descriptions' | 'vmdesc';
  stream?: Stream;
  error?: DecodeStreamResult['error'];
  /** Annotations of every section, sorted, flattened in stream order. */
  annotations: StreamAnnotation[];
  firstOf: number[];
}

/** Decodes stream files for vmsd/decodeStream; the last one is kept, so paging does not decode again. */
export class StreamRequests {
  private last?: Decoded;

  decodeStream(analysis: Analysis, folders: string[], p: DecodeStreamParams): DecodeStreamResult {
    const from = p.descriptionsFrom ?? 'workspace';
    if (from !== 'workspace' && from !== 'none') throw new RequestError(`descriptionsFrom must be "workspace" or "none", not ${JSON.stringify(from)}`);
    if (p.machine !== undefined && !findMachine(analysis, p.machine)) throw new RequestError(`the workspace defines no machine type \`${p.machine}\``);
    const file = resolveFile(p, folders);
    const st = statStream(file);
    if ('error' in st) throw new RequestError(`${file}: ${st.error}`);
    const key = [st.identity, from, p.machine ?? ''].join('\u0000');
    const d = this.last && this.last.key === key && this.last.analysis === analysis ? this.last : (this.last = decodeFile(analysis, file, key, from, p.machine));
    return resultOf(d, p.page);
  }
}

function resolveFile(p: DecodeStreamParams, folders: string[]): string {
  if (p.uri !== undefined) {
    if (!p.uri.startsWith('file:')) throw new RequestError(`only file: URIs can be read, not ${p.uri}`);
    return toPath(p.uri);
  }
  if (p.path === undefined || p.path === '') throw new RequestError('give the stream as `path` or `uri`');
  if (path.isAbsolute(p.path)) return p.path;
  const root = folders.find((f) => f.startsWith('file:'));
  if (!root) throw new RequestError(`a relative path (${p.path}) needs a workspace folder`);
  return path.join(toPath(root), p.path);
}

function decodeFile(analysis: Analysis, file: string, key: string, from: 'workspace' | 'none', machine: string | undefined): Decoded {
  const read = readStreamFile(file);
  if ('error' in read) throw new RequestError(`${file}: ${read.error}`);
  const bytes = read.bytes;
  const cf = isCf(bytes);
  const d: Decoded = { key, analysis, file, size: bytes.length, format: cf ? 'cbor' : 'qemu', decodedWith: from === 'workspace' ? 'descriptions' : 'vmdesc', annotations: [], firstOf: [] };
  const run = (descriptions: Map<string, BodyModel>) => (cf ? readCf(bytes) : decodeStream(bytes, { analysis, descriptions, machine }));
  try {
    d.stream = run(from === 'workspace' ? sectionDescriptions(analysis) : new Map());
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    d.error = { offset: e.offset, path: e.path, message: e.message };
    // The sections can still be listed when the stream's own vmdesc decodes it.
    if (from === 'workspace' && !cf) {
      try {
        d.stream = run(new Map());
        d.decodedWith = 'vmdesc';
      } catch {
        // Not even that: the error alone.
      }
    }
  }
  d.stream?.sections.forEach((s, index) => {
    d.firstOf.push(d.annotations.length);
    const sorted = (s.annotations ?? []).slice().sort((a, b) => a.start - b.start || b.end - a.end || a.path.length - b.path.length);
    for (const a of sorted) d.annotations.push({ ...a, section: index });
  });
  return d;
}

function resultOf(d: Decoded, page: DecodeStreamParams['page']): DecodeStreamResult {
  const s = d.stream;
  const { offset, limit } = pageOf(page, STREAM_PAGE);
  const section = page?.section;
  if (section !== undefined && (!Number.isInteger(section) || section < 0 || section >= (s?.sections.length ?? 0))) {
    throw new RequestError(`page.section must be the index of a section (0 to ${(s?.sections.length ?? 0) - 1}), not ${String(section)}`);
  }
  const pool = section === undefined ? d.annotations : d.annotations.slice(d.firstOf[section], d.firstOf[section] + (s!.sections[section].annotations?.length ?? 0));
  const annotations = pool.slice(offset, offset + limit);
  const covered = section !== undefined ? [section] : [...new Set(annotations.map((a) => a.section))];
  return {
    file: d.file,
    size: d.size,
    format: d.format,
    decodedWith: d.decodedWith,
    header: s
      ? {
          machine: s.machine ?? null,
          compatOf: s.compatOf ?? null,
          capabilities: s.capabilities,
          configuration: (s.configuration ?? []).map((c) => c.name),
          footers: s.footers,
          vmdesc: !!s.vmdesc,
          vmdescDevices: s.vmdesc?.length ?? 0,
          eof: s.eof,
          trailer: s.trailer.length,
        }
      : null,
    sections: (s?.sections ?? []).map((x, index) => ({
      index,
      type: x.type,
      id: x.id,
      ...(x.idstr !== undefined ? { idstr: x.idstr, instance: x.instance, version: x.version } : {}),
      start: x.start,
      end: x.end,
      decodedBy: x.ramRecords ? 'ram' : x.value ? (x.byVmdesc ? 'vmdesc' : 'description') : null,
      annotations: x.annotations?.length ?? 0,
      ...(x.ram ? { ram: { pages: x.ram.pages, zeroPages: x.ram.zero } } : {}),
    })),
    ram: s ? ramSummary(s) : null,
    commands: s?.records.filter((r) => r.kind === 'command').length ?? 0,
    page: { offset, limit, total: pool.length, section: section ?? null },
    annotations,
    values: covered.flatMap((i) => {
      const v = s?.sections[i]?.value;
      return v ? [{ section: i, value: valueToJsonData(v) }] : [];
    }),
    ...(d.error ? { error: d.error } : {}),
  };
}

/** Pages and zero pages per RAM block, following the records' block names (CONTINUE keeps the last). */
function ramSummary(s: Stream): DecodeStreamResult['ram'] {
  const blocks = new Map<string, { name: string; size: number | string; pages: number; zeroPages: number }>();
  let block = '';
  let seen = false;
  for (const x of s.sections) {
    for (const r of x.ramRecords ?? []) {
      seen = true;
      if (r.blocks) {
        for (const b of r.blocks) if (!blocks.has(b.name)) blocks.set(b.name, { name: b.name, size: valueToJsonData(b.used) as number | string, pages: 0, zeroPages: 0 });
        continue;
      }
      if (r.block !== undefined) block = r.block;
      let e = blocks.get(block);
      if (!e) blocks.set(block, (e = { name: block, size: 0, pages: 0, zeroPages: 0 }));
      if (r.data) e.pages++;
      else if (r.fill !== undefined) e.zeroPages++;
    }
  }
  if (!seen) return null;
  const list = [...blocks.values()];
  return { blocks: list, pages: list.reduce((n, b) => n + b.pages, 0), zeroPages: list.reduce((n, b) => n + b.zeroPages, 0) };
}
