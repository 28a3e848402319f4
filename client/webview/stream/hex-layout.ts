import type { SectionSummary, StreamAnnotation, StreamHeader } from './protocol';

/**
 * The annotated hex view's layout, without the DOM: rows of 16 bytes over the whole file,
 * and for each byte its role (stream framing, a section's header or footer, a field, RAM
 * data, the vmdesc trailer) and the innermost annotation covering it.
 */

export const BYTES_PER_ROW = 16;

export function rowCount(size: number): number {
  return Math.ceil(Math.max(0, size) / BYTES_PER_ROW);
}

export function rowOf(offset: number): number {
  return Math.floor(offset / BYTES_PER_ROW);
}

/** Hex digits of the offset column: enough for the last offset, at least 8. */
export function offsetDigits(size: number): number {
  return Math.max(8, Math.max(0, size - 1).toString(16).length);
}

export function formatOffset(offset: number, digits: number): string {
  return offset.toString(16).padStart(digits, '0');
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function byteHex(b: number): string {
  return HEX[b & 0xff];
}

/** The byte as shown in the text column: printable ASCII, else a dot. */
export function byteChar(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

/** Lowercase hex (two digits a byte) to bytes; stops at the first bad pair. */
export function parseHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const v = parseInt(hex.substr(2 * i, 2), 16);
    if (Number.isNaN(v)) return out.subarray(0, i);
    out[i] = v;
  }
  return out;
}

/**
 * For each byte of [start, end), the index (into `annotations`) of the innermost
 * annotation covering it, or -1. `annotations` are sorted by start, enclosing ones first
 * (as the server sends them), so later ones paint over earlier ones.
 */
export function paintAnnotations(start: number, end: number, annotations: readonly Pick<StreamAnnotation, 'start' | 'end'>[]): Int32Array {
  const out = new Int32Array(Math.max(0, end - start)).fill(-1);
  annotations.forEach((a, i) => {
    const from = Math.max(a.start, start);
    const to = Math.min(a.end, end);
    for (let o = from; o < to; o++) out[o - start] = i;
  });
  return out;
}

export type ByteRole =
  /** Before the first section: magic, version, configuration record. */
  | 'stream'
  /** A section record's header (type, id, idstr, instance, version) or footer. */
  | 'header'
  | 'footer'
  /** Section data covered by an annotation of this kind. */
  | 'field'
  | 'element'
  | 'unused'
  | 'subsection'
  | 'marker'
  /** Section data no annotation covers: RAM records, or a section not decoded. */
  | 'ram'
  | 'data'
  /** The EOF byte and what follows it (the vmdesc). */
  | 'eof'
  | 'trailer'
  /** Between records: COMMAND records. */
  | 'other';

export interface ByteContext {
  header: Pick<StreamHeader, 'eof'> | null;
  /** Where the first section's record starts: the stream header and configuration come before. */
  firstRecord: number;
  /** The sections whose records overlap the bytes, in stream order. */
  sections: readonly SectionSummary[];
}

/** The role of one byte, from its innermost annotation (if any) and the section around it. */
export function byteRole(offset: number, annotation: Pick<StreamAnnotation, 'kind'> | undefined, ctx: ByteContext): ByteRole {
  const eof = ctx.header?.eof ?? -1;
  if (eof >= 0 && offset === eof) return 'eof';
  if (eof >= 0 && offset > eof) return 'trailer';
  const s = sectionAt(ctx.sections, offset);
  if (!s) return offset < ctx.firstRecord ? 'stream' : 'other';
  if (offset < s.start) return 'header';
  if (offset >= s.end) return 'footer';
  if (annotation) return annotation.kind;
  return s.decodedBy === 'ram' ? 'ram' : 'data';
}

/** The section whose record holds the offset (header, data or footer). */
export function sectionAt(sections: readonly SectionSummary[], offset: number): SectionSummary | undefined {
  let lo = 0;
  let hi = sections.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sections[mid];
    if (offset < s.recordStart) hi = mid - 1;
    else if (offset >= s.recordEnd) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/** Whether two annotations' colours should differ: alternate by place among siblings. */
export function tone(a: Pick<StreamAnnotation, 'nth'>): 0 | 1 {
  return (a.nth & 1) as 0 | 1;
}

/** The rows [first, end) cover these bytes (clamped to the file). */
export function bytesOfRows(first: number, end: number, size: number): { start: number; end: number } {
  return { start: Math.min(size, first * BYTES_PER_ROW), end: Math.min(size, end * BYTES_PER_ROW) };
}

/** Where a key moves the byte cursor in the hex view (null: not a movement key). */
export function moveCursor(offset: number, key: string, size: number, pageRows: number, ctrl = false): number | null {
  if (size <= 0) return null;
  const rowStart = offset - (offset % BYTES_PER_ROW);
  let next: number;
  switch (key) {
    case 'ArrowLeft':
      next = offset - 1;
      break;
    case 'ArrowRight':
      next = offset + 1;
      break;
    case 'ArrowUp':
      next = offset - BYTES_PER_ROW;
      break;
    case 'ArrowDown':
      next = offset + BYTES_PER_ROW;
      break;
    case 'PageUp':
      next = offset - pageRows * BYTES_PER_ROW;
      break;
    case 'PageDown':
      next = offset + pageRows * BYTES_PER_ROW;
      break;
    case 'Home':
      next = ctrl ? 0 : rowStart;
      break;
    case 'End':
      next = ctrl ? size - 1 : rowStart + BYTES_PER_ROW - 1;
      break;
    default:
      return null;
  }
  // A row up from the first row, or down from the last, stays; a page goes as far as it can.
  if (next < 0) return key === 'ArrowUp' ? offset : key === 'PageUp' ? offset % BYTES_PER_ROW : 0;
  if (next > size - 1) return key === 'ArrowDown' ? offset : size - 1;
  return next;
}
