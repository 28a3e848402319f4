import * as path from 'node:path';
import { DecodeError } from '../codec/bytes';
import { isCf, readCf } from '../codec/cf';
import { findMachine } from '../codec/machine';
import { preview, PreviewAnnotation, PreviewResult, PreviewSource } from '../codec/preview';
import { decodeStream, sectionDescriptions, Stream, StreamSection } from '../codec/stream';
import { JsonData, ValueError, valueToJsonData } from '../codec/values';
import { toPath } from '../host/files';
import { readStreamFile, statStream } from '../host/streams';
import { Analysis } from '../semantic/analyzer';
import { BodyModel, DescriptionSym } from '../semantic/model';
import { LineIndex } from '../util/lines';

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

type LspPosition = { line: number; character: number };
type LspRange = { start: LspPosition; end: LspPosition };

/** A declaration in LSP terms: the whole of it (`range`) and its name (`nameRange`, what a reveal selects). */
export interface PreviewSourceLocation {
  kind: PreviewSource['kind'];
  name: string;
  uri: string;
  range: LspRange;
  nameRange: LspRange;
}

/** The result of vmsd/preview: the codec's, with the declarations' offsets as LSP ranges. */
export type PreviewResponse = Omit<PreviewResult, 'sources'> & { sources: PreviewSourceLocation[] };

export function previewRequest(analysis: Analysis, offset: number | undefined, p: PreviewParams): PreviewResponse {
  const r = previewResult(analysis, offset, p);
  const lines = new Map<string, LineIndex | undefined>();
  const index = (uri: string) => {
    if (!lines.has(uri)) {
      const text = analysis.files.get(uri)?.tree.text;
      lines.set(uri, text === undefined ? undefined : new LineIndex(text));
    }
    return lines.get(uri);
  };
  const range = (li: LineIndex | undefined, start: number, end: number): LspRange => (li ? { start: li.position(start), end: li.position(end) } : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  return {
    ...r,
    sources: r.sources.map((s) => {
      const li = index(s.uri);
      return { kind: s.kind, name: s.name, uri: s.uri, range: range(li, s.start, s.end), nameRange: range(li, s.nameStart, s.nameEnd) };
    }),
  };
}

/**
 * The last previews made, whole, with what they were made from: a panel asks for further
 * pages of annotations (and for both formats) without the server encoding again, as long
 * as the analysis (a new one after every edit) and the params are the same.
 */
const made: Array<{ analysis: Analysis; body: BodyModel | string; key: string; result: PreviewResult }> = [];
const MADE = 4;

function previewResult(analysis: Analysis, offset: number | undefined, p: PreviewParams): PreviewResult {
  const format = p.format ?? 'qemu';
  if (format !== 'qemu' && format !== 'cbor') throw new RequestError(`format must be "qemu" or "cbor", not ${JSON.stringify(format)}`);
  if (p.version !== undefined && !Number.isInteger(p.version)) throw new RequestError(`version must be an integer, not ${JSON.stringify(p.version)}`);
  let description: string | BodyModel | undefined = p.description;
  if (description === undefined) {
    if (offset === undefined) throw new RequestError('give a position or a description name');
    description = descriptionAt(analysis, p.uri, offset);
    if (!description) throw new RequestError('no description (vmstate) at this position');
  }
  const page = pageOf(p.page, PREVIEW_PAGE);
  const key = JSON.stringify([p.version ?? null, p.machine ?? null, p.value ?? null, format, p.opaque ?? null]);
  let hit = made.find((m) => m.analysis === analysis && m.body === description && m.key === key);
  if (!hit) {
    try {
      hit = { analysis, body: description, key, result: preview({ analysis, description, version: p.version, machine: p.machine, value: p.value, format, opaque: p.opaque }) };
    } catch (e) {
      if (e instanceof ValueError && e.path === 'description') throw new RequestError(e.detail);
      throw e;
    }
    made.unshift(hit);
    made.length = Math.min(made.length, MADE);
  }
  return { ...hit.result, annotations: hit.result.annotations.slice(page.offset, page.offset + page.limit) };
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
  /**
   * A slice of the annotations (of one section when `section`, else of all, in stream order):
   * only the children of annotation `parent` of that section (-1: its top level), only those
   * overlapping the byte range `range`.
   */
  page?: { offset?: number; limit?: number; section?: number; parent?: number; range?: { start: number; end: number } };
  /** false: no `values` (a viewer builds its tree from the annotations); default true. */
  values?: boolean;
  /** A slice of `sections`, of those whose idstr (or type) contains `filter` when given; default every section. */
  sections?: { offset?: number; limit?: number; filter?: string };
  /** Bytes of the file: `length` (at most MAX_STREAM_BYTES_PAGE) from `start`. */
  bytes?: { start: number; length: number };
}

/** Where a description is declared: its name's range, as LSP positions. */
export interface DescriptionLocation {
  name: string;
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
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
  /** Byte range of the whole record: its type byte to the end of its footer; -1 for CBOR streams. */
  recordStart: number;
  recordEnd: number;
  decodedBy: 'description' | 'vmdesc' | 'ram' | null;
  /** The workspace description that decoded the section (`decodedBy: "description"`). */
  description?: DescriptionLocation;
  annotations: number;
  ram?: { pages: number; zeroPages: number };
}

export interface StreamAnnotation extends PreviewAnnotation {
  /** Index into `sections`. */
  section: number;
  /** Its number among its section's annotations (the page offset that returns it). */
  index: number;
  /** The innermost annotation of the section that encloses it (`index`), -1 at the top. */
  parent: number;
  /** How many annotations it encloses directly. */
  children: number;
  /** Its place among its parent's children. */
  nth: number;
}

export interface DecodeStreamResult {
  file: string;
  size: number;
  format: 'qemu' | 'cbor';
  /** Changes whenever the stream is decoded anew (file, parameters or descriptions changed): indexes of older results no longer apply. */
  revision: number;
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
  /** Every machine type of the workspace (what `machine` accepts). */
  machines: string[];
  sections: SectionSummary[];
  /** Which sections `sections` holds: `total` counts those matching `filter`. */
  sectionsPage: { offset: number; limit: number; total: number; filter: string | null };
  /** RAM summarised per block: pages sent with data and zero pages (never the pages). */
  ram: { blocks: Array<{ name: string; size: number | string; pages: number; zeroPages: number }>; pages: number; zeroPages: number } | null;
  commands: number;
  page: { offset: number; limit: number; total: number; section: number | null };
  annotations: StreamAnnotation[];
  /** The descriptions the page's annotation types name, by name. */
  types: Record<string, DescriptionLocation>;
  /** Values (values.ts JSON data) of the sections the page covers. */
  values: Array<{ section: number; value: JsonData }>;
  /** The bytes asked for (lowercase hex), with the sections whose records overlap them. */
  bytes?: { start: number; end: number; hex: string; sections: SectionSummary[] };
  /** Why the stream could not be decoded (with the descriptions): offset, field path, message, and the section it is in. */
  error?: { offset: number; path: string; message: string; section?: number };
}

/** The most bytes one decodeStream result carries. */
export const MAX_BYTES_PAGE = 65536;

interface Decoded {
  key: string;
  analysis: Analysis;
  revision: number;
  file: string;
  bytes: Uint8Array;
  format: 'qemu' | 'cbor';
  decodedWith: 'descriptions' | 'vmdesc';
  stream?: Stream;
  error?: DecodeStreamResult['error'];
  /** Annotations of every section, sorted, flattened in stream order. */
  annotations: StreamAnnotation[];
  firstOf: number[];
  /** Per section: the children (section indexes) of each annotation with any, -1 for the top level. */
  childrenOf: Array<Map<number, number[]>>;
  summaries: SectionSummary[];
  /** The descriptions sections are matched against (by wire name) and those of the workspace by name. */
  descriptions: Map<string, BodyModel>;
  lines: Map<string, LineIndex | undefined>;
}

let revisions = 0;
/** Streams kept decoded (so two open viewers do not decode in turn) and their total size. */
const KEEP_STREAMS = 3;
const KEEP_BYTES = 512 * 1024 * 1024;

/** Decodes stream files for vmsd/decodeStream; the last few are kept, so paging does not decode again. */
export class StreamRequests {
  private kept: Decoded[] = [];

  decodeStream(analysis: Analysis, folders: string[], p: DecodeStreamParams): DecodeStreamResult {
    const from = p.descriptionsFrom ?? 'workspace';
    if (from !== 'workspace' && from !== 'none') throw new RequestError(`descriptionsFrom must be "workspace" or "none", not ${JSON.stringify(from)}`);
    if (p.machine !== undefined && !findMachine(analysis, p.machine)) throw new RequestError(`the workspace defines no machine type \`${p.machine}\``);
    const file = resolveFile(p, folders);
    const st = statStream(file);
    if ('error' in st) throw new RequestError(`${file}: ${st.error}`);
    const key = [st.identity, from, p.machine ?? ''].join('\u0000');
    const d = this.kept.find((k) => k.key === key && k.analysis === analysis) ?? decodeFile(analysis, file, key, from, p.machine);
    // An older decode of the same file and parameters is superseded; others stay while they fit.
    const rest = this.kept.filter((k) => k !== d && k.key !== key);
    this.kept = [d];
    let total = d.bytes.length;
    for (const k of rest) {
      if (this.kept.length >= KEEP_STREAMS || (total += k.bytes.length) > KEEP_BYTES) break;
      this.kept.push(k);
    }
    return resultOf(d, p);
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
  const descriptions = sectionDescriptions(analysis);
  const d: Decoded = {
    key,
    analysis,
    revision: ++revisions,
    file,
    bytes,
    format: cf ? 'cbor' : 'qemu',
    decodedWith: from === 'workspace' ? 'descriptions' : 'vmdesc',
    annotations: [],
    firstOf: [],
    childrenOf: [],
    summaries: [],
    descriptions,
    lines: new Map(),
  };
  const run = (descriptions: Map<string, BodyModel>) => (cf ? readCf(bytes) : decodeStream(bytes, { analysis, descriptions, machine }));
  try {
    d.stream = run(from === 'workspace' ? descriptions : new Map());
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
    const children = new Map<number, number[]>();
    const list = (parent: number) => children.get(parent) ?? (children.set(parent, []), children.get(parent)!);
    const stack: StreamAnnotation[] = [];
    for (const [i, a] of sorted.entries()) {
      const x: StreamAnnotation = { ...a, section: index, index: i, parent: -1, children: 0, nth: 0 };
      if (a.start === a.end) {
        // Nothing nests inside an empty range, and it may sit where its siblings start or
        // end: its parent is the innermost enclosing range whose path it continues.
        x.parent = [...stack].reverse().find((p) => p.start <= a.start && a.end <= p.end + (p.kind === 'subsection' ? Infinity : 0) && pathWithin(p.path, a.path))?.index ?? -1;
      } else {
        while (stack.length && !encloses(stack[stack.length - 1], a)) stack.pop();
        x.parent = stack.length ? stack[stack.length - 1].index : -1;
        stack.push(x);
      }
      const siblings = list(x.parent);
      x.nth = siblings.length;
      siblings.push(i);
      d.annotations.push(x);
    }
    for (const [parent, kids] of children) if (parent >= 0) d.annotations[d.firstOf[index] + parent].children = kids.length;
    d.childrenOf.push(children);
  });
  d.summaries = (d.stream?.sections ?? []).map((x, index) => summaryOf(d, x, index));
  if (d.error) {
    const at = d.error.offset;
    const s = d.summaries.find((x) => x.recordStart <= at && at < Math.max(x.recordEnd, x.recordStart + 1));
    if (s) d.error.section = s.index;
  }
  return d;
}

type Span = Pick<PreviewAnnotation, 'start' | 'end' | 'kind' | 'path'>;

/**
 * Whether annotation `a` (sorted after `p`) nests in `p`: inside its range, or, for a
 * subsection, whose annotation covers its header only, among the fields that follow it
 * (their paths continue the subsection's: `hpet/offset.hpet_offset`).
 */
function encloses(p: Span, a: Span): boolean {
  return (p.start <= a.start && a.end <= p.end) || (p.kind === 'subsection' && p.start <= a.start && pathWithin(p.path, a.path));
}

/** Whether `inner` names something inside `outer` (`a.b` in `a`, `a[1]`, `a/sub`). */
function pathWithin(outer: string, inner: string): boolean {
  return inner.length > outer.length && inner.startsWith(outer) && '.[/'.includes(inner[outer.length]);
}

function summaryOf(d: Decoded, x: StreamSection, index: number): SectionSummary {
  const cbor = d.format === 'cbor' || x.start < 0;
  // A section record: type, be32 id, then for START/FULL the idstr (u8 length), be32 instance and version.
  const header = x.type === 'start' || x.type === 'full' ? 1 + 4 + 1 + (x.idstr?.length ?? 0) + 4 + 4 : 1 + 4;
  const decodedBy = x.ramRecords ? 'ram' : x.value ? (x.byVmdesc ? 'vmdesc' : 'description') : null;
  const body = decodedBy === 'description' && x.idstr !== undefined ? d.descriptions.get(x.idstr.slice(x.idstr.lastIndexOf('/') + 1)) : undefined;
  const description = body ? locationOf(d, body.owner) : undefined;
  return {
    index,
    type: x.type,
    id: x.id,
    ...(x.idstr !== undefined ? { idstr: x.idstr, instance: x.instance, version: x.version } : {}),
    start: x.start,
    end: x.end,
    recordStart: cbor ? -1 : x.start - header,
    recordEnd: cbor ? -1 : x.end + (d.stream?.footers ? 5 : 0),
    decodedBy,
    ...(description ? { description } : {}),
    annotations: x.annotations?.length ?? 0,
    ...(x.ram ? { ram: { pages: x.ram.pages, zeroPages: x.ram.zero } } : {}),
  };
}

function locationOf(d: Decoded, sym: DescriptionSym): DescriptionLocation | undefined {
  if (!d.lines.has(sym.uri)) {
    const text = d.analysis.files.get(sym.uri)?.tree.text;
    d.lines.set(sym.uri, text === undefined ? undefined : new LineIndex(text));
  }
  const lines = d.lines.get(sym.uri);
  if (!lines) return undefined;
  return { name: sym.name, uri: sym.uri, range: { start: lines.position(sym.nameRange.start), end: lines.position(sym.nameRange.end) } };
}

function int(v: unknown, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RequestError(`${what} must be an integer${min === 0 ? ' ≥ 0' : ` ≥ ${min}`}, not ${JSON.stringify(v)}`);
  return v;
}

/** Whether an annotation overlaps [start, end): enclosing ones do, empty ones inside do. */
function overlaps(range: { start: number; end: number }): (a: StreamAnnotation) => boolean {
  const { start, end } = range;
  return (a) => a.start < end && (a.end > start || (a.start === a.end && a.start >= start));
}

/**
 * The annotations of `section` (or of all) that overlap the range, with their ancestors
 * in the tree (a subsection's annotation covers its header only), in stream order.
 */
function overlapping(d: Decoded, range: { start: number; end: number }, section: number | undefined): StreamAnnotation[] {
  const hits = overlaps(range);
  const found = new Set<number>();
  // Sections do not overlap, and whatever encloses a byte is in that byte's section.
  d.summaries.forEach((s, i) => {
    if (section !== undefined && i !== section) return;
    if (!s.annotations || s.start >= range.end || s.end < range.start) return;
    const first = d.firstOf[i];
    for (let j = first; j < first + s.annotations; j++) {
      const a = d.annotations[j];
      if (a.start >= range.end) break;
      if (!hits(a)) continue;
      for (let k = j; k >= 0 && !found.has(k); k = d.annotations[k].parent < 0 ? -1 : first + d.annotations[k].parent) found.add(k);
    }
  });
  return [...found].sort((x, y) => x - y).map((j) => d.annotations[j]);
}

function resultOf(d: Decoded, p: DecodeStreamParams): DecodeStreamResult {
  const s = d.stream;
  const page = p.page;
  const { offset, limit } = pageOf(page, STREAM_PAGE);
  const section = page?.section;
  const count = s?.sections.length ?? 0;
  if (section !== undefined && (!Number.isInteger(section) || section < 0 || section >= count)) {
    throw new RequestError(`page.section must be the index of a section (0 to ${count - 1}), not ${String(section)}`);
  }
  let range: { start: number; end: number } | undefined;
  if (page?.range !== undefined) {
    const r = page.range;
    if (!r || typeof r !== 'object') throw new RequestError('page.range must be {start, end}');
    range = { start: int(r.start, 'page.range.start'), end: int(r.end, 'page.range.end') };
  }
  let pool: StreamAnnotation[];
  if (page?.parent !== undefined) {
    if (section === undefined) throw new RequestError('page.parent needs page.section');
    const parent = int(page.parent, 'page.parent', -1);
    const n = d.summaries[section].annotations;
    if (parent >= n) throw new RequestError(`page.parent must be -1 or the index of an annotation of section ${section} (0 to ${n - 1}), not ${parent}`);
    const first = d.firstOf[section];
    pool = (d.childrenOf[section].get(parent) ?? []).map((i) => d.annotations[first + i]);
    if (range) pool = pool.filter(overlaps(range));
  } else if (range) {
    pool = overlapping(d, range, section);
  } else {
    pool = section === undefined ? d.annotations : d.annotations.slice(d.firstOf[section], d.firstOf[section] + d.summaries[section].annotations);
  }
  const annotations = pool.slice(offset, offset + limit);
  const covered = section !== undefined ? [section] : [...new Set(annotations.map((a) => a.section))];

  const sp = p.sections;
  let sections = d.summaries;
  let sectionsPage: DecodeStreamResult['sectionsPage'] = { offset: 0, limit: sections.length, total: sections.length, filter: null };
  if (sp !== undefined) {
    const filter = sp.filter === undefined || sp.filter === '' ? null : String(sp.filter).toLowerCase();
    const matched = filter === null ? sections : sections.filter((x) => `${x.idstr ?? ''}\u0000${x.type}`.toLowerCase().includes(filter));
    const so = int(sp.offset ?? 0, 'sections.offset');
    const sl = Math.min(int(sp.limit ?? matched.length, 'sections.limit'), MAX_PAGE);
    sections = matched.slice(so, so + sl);
    sectionsPage = { offset: so, limit: sl, total: matched.length, filter };
  }

  let bytes: DecodeStreamResult['bytes'];
  if (p.bytes !== undefined) {
    const b = p.bytes;
    if (!b || typeof b !== 'object') throw new RequestError('bytes must be {start, length}');
    const start = Math.min(int(b.start, 'bytes.start'), d.bytes.length);
    const end = Math.min(start + Math.min(int(b.length, 'bytes.length'), MAX_BYTES_PAGE), d.bytes.length);
    bytes = {
      start,
      end,
      hex: Buffer.from(d.bytes.buffer, d.bytes.byteOffset + start, end - start).toString('hex'),
      sections: d.summaries.filter((x) => x.recordStart < end && x.recordEnd > start),
    };
  }

  const types: Record<string, DescriptionLocation> = {};
  const byName = new Map<string, DescriptionSym>();
  for (const a of annotations) {
    if (a.type in types || !/^[A-Za-z_][\w]*$/.test(a.type)) continue;
    if (!byName.size) for (const x of d.analysis.descriptions) byName.set(x.name, x);
    const sym = byName.get(a.type);
    const loc = sym && locationOf(d, sym);
    if (loc) types[a.type] = loc;
  }

  return {
    file: d.file,
    size: d.bytes.length,
    format: d.format,
    revision: d.revision,
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
    machines: d.analysis.machines.map((m) => m.name),
    sections,
    sectionsPage,
    ram: s ? ramSummary(s) : null,
    commands: s?.records.filter((r) => r.kind === 'command').length ?? 0,
    page: { offset, limit, total: pool.length, section: section ?? null },
    annotations,
    types,
    values:
      p.values === false
        ? []
        : covered.flatMap((i) => {
            const v = s?.sections[i]?.value;
            return v ? [{ section: i, value: valueToJsonData(v) }] : [];
          }),
    ...(bytes ? { bytes } : {}),
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
