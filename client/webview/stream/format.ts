import type { DecodeResult, DescriptionLocation, RamSummary, SectionSummary } from './protocol';

/** Texts the stream viewer shows, without the DOM. */

/** 2046182 → "1.95 MiB"; below 1 KiB in bytes. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** 2046182 → "2,046,182". */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function hexOffset(n: number): string {
  return `0x${n.toString(16)}`;
}

/** A RAM block size as the server gives it (a decimal string beyond 2^53). */
export function blockSize(size: number | string): string {
  const n = typeof size === 'number' ? size : Number(size);
  return Number.isSafeInteger(n) ? formatSize(n) : `${size} B`;
}

/** The section's name in the list: its idstr, or RAM's continuation records by id. */
export function sectionName(s: SectionSummary): string {
  if (s.idstr !== undefined) return s.idstr;
  return s.decodedBy === 'ram' ? 'ram' : `section ${s.id}`;
}

/** The size column: the section data's bytes ("—" in CBOR streams, which have no offsets). */
export function sectionSize(s: SectionSummary): string {
  return s.start < 0 ? '—' : formatSize(s.end - s.start);
}

/** What decoded a section, for the list. */
export function decodedByText(s: SectionSummary): string {
  switch (s.decodedBy) {
    case 'description':
      return s.description ? s.description.name : 'description';
    case 'vmdesc':
      return 'vmdesc';
    case 'ram':
      return s.ram ? `${formatCount(s.ram.pages)} pages, ${formatCount(s.ram.zeroPages)} zero` : 'ram';
    default:
      return 'not decoded';
  }
}

/** The accessible name of a section row: everything the columns show. */
export function sectionLabel(s: SectionSummary, error?: string): string {
  const parts = [`Section ${s.index}`, s.type, `id ${s.id}`, sectionName(s)];
  if (s.instance !== undefined) parts.push(`instance ${s.instance}`);
  if (s.version !== undefined) parts.push(`version ${s.version}`);
  if (s.recordStart >= 0) parts.push(`at ${hexOffset(s.recordStart)}`, sectionSize(s));
  if (s.decodedBy === 'description') parts.push(`decoded by the description ${s.description?.name ?? ''}`.trim());
  else if (s.decodedBy === 'vmdesc') parts.push("decoded by the stream's vmdesc");
  else if (s.decodedBy === 'ram') parts.push(`RAM: ${decodedByText(s)}`);
  else parts.push('not decoded');
  if (error) parts.push(`decode error: ${error}`);
  return parts.join(', ');
}

/** A description's place, short: `e1000.vmsd:12`. */
export function locationText(l: DescriptionLocation): string {
  const file = decodeURIComponent(l.uri.slice(l.uri.lastIndexOf('/') + 1));
  return `${file}:${l.range.start.line + 1}`;
}

/** Where the machine type came from, for the toolbar. */
export function machineText(r: Pick<DecodeResult, 'header'>, chosen: string | undefined, setting: string): string {
  const stream = r.header?.machine ?? null;
  const used = r.header?.compatOf ?? null;
  if (chosen && setting && chosen === setting) return `${chosen} (vmsd.machine)`;
  if (chosen) return `${chosen} (chosen)`;
  if (used && stream && used === stream) return `${used} (the stream's)`;
  if (used) return used;
  if (stream) return `${stream} (the stream's; not described in the workspace)`;
  return 'none (the stream names none: property defaults)';
}

export interface RamRow {
  name: string;
  size: string;
  pages: string;
  zeroPages: string;
  /** Bytes sent as pages (4 KiB each). */
  sent: string;
}

/** The RAM summary as table rows, plus a total row. */
export function ramRows(ram: RamSummary, pageSize = 4096): RamRow[] {
  const rows = ram.blocks.map((b) => ({ name: b.name, size: blockSize(b.size), pages: formatCount(b.pages), zeroPages: formatCount(b.zeroPages), sent: formatSize(b.pages * pageSize) }));
  rows.push({ name: 'total', size: '', pages: formatCount(ram.pages), zeroPages: formatCount(ram.zeroPages), sent: formatSize(ram.pages * pageSize) });
  return rows;
}

/** A decode error's reason: its message without the offset and path the codec puts first. */
export function errorReason(e: NonNullable<DecodeResult['error']>): string {
  const prefix = `at byte ${e.offset} (0x${e.offset.toString(16)}), ${e.path || 'top'}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/** A decode error for the banner. */
export function errorText(e: NonNullable<DecodeResult['error']>, sectionName?: string): string {
  const where = [`at ${hexOffset(e.offset)}`];
  if (sectionName) where.push(`in ${sectionName}`);
  else if (e.path) where.push(`in ${e.path}`);
  return `Decode error ${where.join(' ')}: ${errorReason(e)}`;
}
