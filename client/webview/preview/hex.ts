import type { Model, Node } from './model';
import type { Annotation, Format } from './protocol';

/**
 * The hex view's layout without a DOM: rows of 16 bytes (offset | hex | ASCII), which
 * node owns each byte (the innermost annotated range), what role a byte plays (data of a
 * field, framing such as subsection headers and CBOR heads, a CBOR map key, unused
 * padding), caret moves by key, and the rows a scrolled viewport shows.
 */

export const BYTES_PER_ROW = 16;

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function rowCount(length: number): number {
  return Math.ceil(length / BYTES_PER_ROW);
}

/** Hex digits of the offset column: at least 4, enough for the last offset. */
export function offsetWidth(length: number): number {
  return Math.max(4, Math.max(0, length - 1).toString(16).length);
}

export function offsetLabel(offset: number, length: number): string {
  return offset.toString(16).padStart(offsetWidth(length), '0');
}

export function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** The ASCII column's character: printable ASCII as is, anything else a dot. */
export function asciiChar(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

export interface ByteMap {
  format: Format;
  length: number;
  /** Index (Model.nodes) of the innermost node covering each byte; -1: none. */
  owner: Int32Array;
  /** 1 where the byte belongs to a CBOR map key. */
  key: Uint8Array;
  /** Index into the markers of the format covering the byte; -1: none. */
  marker: Int32Array;
  markers: Annotation[];
}

/** Which node owns each byte of one format: parents first (preorder), so inner ranges win. */
export function byteMap(model: Model, format: Format): ByteMap {
  const length = model.sizes[format] ?? 0;
  const owner = new Int32Array(length).fill(-1);
  const key = new Uint8Array(length);
  const marker = new Int32Array(length).fill(-1);
  const markers = model.markers[format] ?? [];
  markers.forEach((m, i) => {
    marker.fill(i, Math.max(0, m.key?.start ?? m.start), Math.min(length, m.end));
  });
  for (const n of model.nodes) {
    if (n.kind === 'root') continue;
    const r = n.ranges[format];
    if (r) owner.fill(n.index, Math.max(0, r.start), Math.min(length, r.end));
    if (format === 'cbor' && n.keyRange) {
      owner.fill(n.index, Math.max(0, n.keyRange.start), Math.min(length, n.keyRange.end));
      key.fill(1, Math.max(0, n.keyRange.start), Math.min(length, n.keyRange.end));
    }
  }
  return { format, length, owner, key, marker, markers };
}

export type ByteRole = 'data' | 'frame' | 'key' | 'unused' | 'marker' | 'none';

export interface ByteInfo {
  node?: Node;
  role: ByteRole;
  colour?: number;
  marker?: Annotation;
}

/**
 * What a byte is: a field's or element's data (with the field's colour), a CBOR key,
 * unused padding, a CBOR header entry, framing (a subsection's marker, length, name and
 * version, a CBOR map or array head) or nothing known.
 */
export function byteInfo(model: Model, map: ByteMap, offset: number): ByteInfo {
  const i = map.owner[offset];
  const node = i >= 0 ? model.nodes[i] : undefined;
  if (map.key[offset]) return { node, role: 'key' };
  if (!node) {
    const m = map.marker[offset];
    return m >= 0 ? { role: 'marker', marker: map.markers[m] } : { role: 'none' };
  }
  if (node.kind === 'unused') return { node, role: 'unused', colour: node.colour };
  if (node.colour !== undefined) return { node, role: 'data', colour: node.colour };
  return { node, role: 'frame' };
}

/** Whether the byte lies in the node's range in this format (or its CBOR key). */
export function inNode(node: Node | undefined, format: Format, offset: number): boolean {
  if (!node) return false;
  const r = node.ranges[format];
  if (r && offset >= r.start && offset < r.end) return true;
  const k = format === 'cbor' ? node.keyRange : undefined;
  return !!k && offset >= k.start && offset < k.end;
}

/** The caret after a key in a hex view of `length` bytes; undefined: not a caret key. */
export function caretMove(offset: number, key: string, length: number, pageRows: number, ctrl = false): number | undefined {
  if (length <= 0) return undefined;
  const clamp = (o: number) => Math.max(0, Math.min(length - 1, o));
  const rowStart = offset - (offset % BYTES_PER_ROW);
  switch (key) {
    case 'ArrowLeft':
      return clamp(offset - 1);
    case 'ArrowRight':
      return clamp(offset + 1);
    case 'ArrowUp':
      return offset >= BYTES_PER_ROW ? offset - BYTES_PER_ROW : offset;
    case 'ArrowDown':
      return offset + BYTES_PER_ROW < length ? offset + BYTES_PER_ROW : offset;
    case 'PageUp':
      return clamp(offset - BYTES_PER_ROW * Math.max(1, pageRows));
    case 'PageDown':
      return Math.min(offset + BYTES_PER_ROW * Math.max(1, pageRows), length - 1);
    case 'Home':
      return ctrl ? 0 : rowStart;
    case 'End':
      return ctrl ? length - 1 : clamp(rowStart + BYTES_PER_ROW - 1);
    default:
      return undefined;
  }
}

/** The first and last (exclusive) rows to render for a scrolled viewport, with some rows either side. */
export function windowOf(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 4): { first: number; last: number } {
  if (count <= 0 || rowHeight <= 0) return { first: 0, last: 0 };
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + Math.max(viewport, rowHeight)) / rowHeight) + overscan);
  return { first, last };
}

/** The scrollTop that brings row `i` into a viewport (unchanged when it is already in). */
export function scrollToRow(i: number, scrollTop: number, viewport: number, rowHeight: number): number {
  const top = i * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return scrollTop;
}

/** `151 bytes`, `1 byte`, `193.9 KiB (198529 bytes)`. */
export function sizeLabel(n: number): string {
  if (n === 1) return '1 byte';
  if (n < 10240) return `${n} bytes`;
  return `${(n / 1024).toFixed(1)} KiB (${n} bytes)`;
}

/** `0x18–0x19` style range text with decimal offsets: `24–25 (1 byte)`. */
export function rangeLabel(r: { start: number; end: number }): string {
  return `${r.start}–${r.end} (0x${r.start.toString(16)}, ${sizeLabel(r.end - r.start)})`;
}
