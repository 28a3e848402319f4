/**
 * A CBOR item explained as cbor.me does, without a DOM: every head on a line with its
 * bytes, indented by nesting (`a7  # map(7)`, `66 7265636f7264  # text(6) "record"`), and the
 * item in diagnostic notation (RFC 8949 §8), pretty-printed one entry a line. Each line
 * keeps the byte range it stands for, so selecting a line selects the field there.
 */

export class CborError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

export interface CborItem {
  start: number;
  /** End of the head (initial byte and argument). */
  headEnd: number;
  end: number;
  major: number;
  /** The argument: a length, a count, an integer, a tag number, a simple value or float bits. */
  arg: bigint;
  indefinite?: boolean;
  /** Array elements; a map's keys and values alternating; a tag's content. */
  children?: CborItem[];
}

const MAX_DEPTH = 256;

/** The item at `start` (definite and indefinite lengths, tags, simple values and floats). */
export function parseCbor(b: Uint8Array, start = 0, depth = 0): CborItem {
  if (depth > MAX_DEPTH) throw new CborError('CBOR nested too deep', start);
  if (start >= b.length) throw new CborError('CBOR item cut short', start);
  const ib = b[start];
  const major = ib >> 5;
  const ai = ib & 31;
  let p = start + 1;
  let arg = 0n;
  let indefinite = false;
  if (ai < 24) arg = BigInt(ai);
  else if (ai <= 27) {
    const n = 1 << (ai - 24);
    if (p + n > b.length) throw new CborError('CBOR head cut short', start);
    for (let i = 0; i < n; i++) arg = (arg << 8n) | BigInt(b[p + i]);
    p += n;
  } else if (ai === 31 && major >= 2 && major <= 5) indefinite = true;
  else if (ai === 31 && major === 7) throw new CborError('unexpected break', start);
  else throw new CborError(`reserved additional information ${ai}`, start);
  const item: CborItem = { start, headEnd: p, end: p, major, arg, ...(indefinite ? { indefinite } : {}) };
  const children = (count: number | undefined) => {
    const out: CborItem[] = [];
    for (let i = 0; count === undefined || i < count; i++) {
      if (count === undefined) {
        if (p >= b.length) throw new CborError('indefinite item without a break', start);
        if (b[p] === 0xff) {
          p++;
          break;
        }
      }
      const c = parseCbor(b, p, depth + 1);
      out.push(c);
      p = c.end;
    }
    return out;
  };
  switch (major) {
    case 2:
    case 3:
      if (indefinite) item.children = children(undefined);
      else {
        const len = Number(arg);
        if (p + len > b.length) throw new CborError(`${major === 2 ? 'byte' : 'text'} string of ${len} bytes cut short`, start);
        p += len;
      }
      break;
    case 4:
      if (!indefinite && arg > BigInt(b.length)) throw new CborError(`array of ${arg} items cannot fit`, start);
      item.children = children(indefinite ? undefined : Number(arg));
      break;
    case 5:
      if (!indefinite && 2n * arg > BigInt(b.length)) throw new CborError(`map of ${arg} entries cannot fit`, start);
      item.children = children(indefinite ? undefined : 2 * Number(arg));
      if (item.children.length % 2) throw new CborError('map without a value for its last key', start);
      break;
    case 6:
      item.children = children(1);
      break;
  }
  item.end = p;
  return item;
}

function float16(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** A float's value from the head's argument bits. */
export function floatOf(item: CborItem, b: Uint8Array): number {
  const n = item.headEnd - item.start - 1;
  if (n === 2) return float16(Number(item.arg));
  const v = new DataView(b.buffer, b.byteOffset + item.start + 1, n);
  return n === 4 ? v.getFloat32(0) : v.getFloat64(0);
}

function textOf(b: Uint8Array, item: CborItem): string {
  return new TextDecoder().decode(b.subarray(item.headEnd, item.end));
}

function hexOf(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

function number(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** A simple value or float as diagnostic notation. */
function simple(item: CborItem, b: Uint8Array): string {
  const ai = b[item.start] & 31;
  if (ai >= 25 && ai <= 27) return number(floatOf(item, b));
  switch (Number(item.arg)) {
    case 20:
      return 'false';
    case 21:
      return 'true';
    case 22:
      return 'null';
    case 23:
      return 'undefined';
    default:
      return `simple(${item.arg})`;
  }
}

// ---- annotated hex (cbor.me's right pane) ----

export interface CborLine {
  depth: number;
  /** The bytes the line shows (a head, or a string's content). */
  start: number;
  end: number;
  hex: string;
  comment: string;
}

const PAYLOAD_HEX = 32;

/** One line per head, and one per string content, as cbor.me lays them out. */
export function annotatedLines(b: Uint8Array, root: CborItem = parseCbor(b)): CborLine[] {
  const out: CborLine[] = [];
  const walk = (it: CborItem, depth: number) => {
    const head = hexOf(b, it.start, it.headEnd);
    const line = (comment: string) => out.push({ depth, start: it.start, end: it.headEnd, hex: head, comment });
    const n = it.indefinite ? '_' : String(it.arg);
    switch (it.major) {
      case 0:
        line(`unsigned(${it.arg})`);
        return;
      case 1:
        line(`negative(${-1n - it.arg})`);
        return;
      case 2:
      case 3: {
        const kind = it.major === 2 ? 'bytes' : 'text';
        line(`${kind}(${n})`);
        if (it.indefinite) {
          for (const c of it.children ?? []) walk(c, depth + 1);
          out.push({ depth, start: it.end - 1, end: it.end, hex: 'ff', comment: 'break' });
        } else if (it.end > it.headEnd) {
          const len = it.end - it.headEnd;
          const shown = hexOf(b, it.headEnd, Math.min(it.end, it.headEnd + PAYLOAD_HEX)) + (len > PAYLOAD_HEX ? '…' : '');
          const comment = it.major === 3 ? JSON.stringify(textOf(b, it)) : `h'${shown}'`;
          out.push({ depth: depth + 1, start: it.headEnd, end: it.end, hex: shown, comment });
        }
        return;
      }
      case 4:
      case 5:
        line(`${it.major === 4 ? 'array' : 'map'}(${it.major === 5 && !it.indefinite ? String(it.arg) : n})`);
        for (const c of it.children ?? []) walk(c, depth + 1);
        if (it.indefinite) out.push({ depth, start: it.end - 1, end: it.end, hex: 'ff', comment: 'break' });
        return;
      case 6:
        line(`tag(${it.arg})`);
        for (const c of it.children ?? []) walk(c, depth + 1);
        return;
      default: {
        const ai = b[it.start] & 31;
        line(ai >= 25 && ai <= 27 ? `float(${simple(it, b)})` : simple(it, b));
      }
    }
  };
  walk(root, 0);
  return out;
}

// ---- diagnostic notation (cbor.me's left pane) ----

export interface DiagnosticLine {
  depth: number;
  text: string;
  /** The bytes the line stands for (a map entry: key and value); -1 for closing brackets. */
  start: number;
  end: number;
}

/** A scalar item in diagnostic notation; undefined for arrays, maps and tags of them. */
function scalar(b: Uint8Array, it: CborItem): string | undefined {
  switch (it.major) {
    case 0:
      return String(it.arg);
    case 1:
      return String(-1n - it.arg);
    case 2:
      return it.indefinite ? `(_ ${(it.children ?? []).map((c) => scalar(b, c)).join(', ')})` : `h'${hexOf(b, it.headEnd, it.end)}'`;
    case 3:
      return it.indefinite ? `(_ ${(it.children ?? []).map((c) => scalar(b, c)).join(', ')})` : JSON.stringify(textOf(b, it));
    case 6: {
      const inner = it.children?.[0] && scalar(b, it.children[0]);
      return inner === undefined ? undefined : `${it.arg}(${inner})`;
    }
    case 7:
      return simple(it, b);
    default:
      return undefined;
  }
}

const INLINE = 72;

/** The item pretty-printed: a map entry or array element a line, short scalar arrays on one. */
export function diagnosticLines(b: Uint8Array, root: CborItem = parseCbor(b)): DiagnosticLine[] {
  const out: DiagnosticLine[] = [];
  const emit = (it: CborItem, depth: number, prefix: string, suffix: string, from: number) => {
    const s = scalar(b, it);
    if (s !== undefined) {
      out.push({ depth, text: prefix + s + suffix, start: from, end: it.end });
      return;
    }
    const open = it.major === 6 ? `${it.arg}(` : it.major === 4 ? (it.indefinite ? '[_ ' : '[') : it.indefinite ? '{_ ' : '{';
    const close = it.major === 6 ? ')' : it.major === 4 ? ']' : '}';
    const kids = it.children ?? [];
    if (it.major === 4) {
      const parts = kids.map((c) => scalar(b, c));
      if (parts.every((x) => x !== undefined)) {
        const text = `${open.trim()}${parts.join(', ')}${close}`;
        if (text.length + prefix.length + depth * 2 <= INLINE) {
          out.push({ depth, text: prefix + text + suffix, start: from, end: it.end });
          return;
        }
      }
    }
    if (!kids.length) {
      out.push({ depth, text: prefix + open.trim() + close + suffix, start: from, end: it.end });
      return;
    }
    out.push({ depth, text: prefix + open.trimEnd(), start: from, end: it.headEnd });
    if (it.major === 5) {
      for (let i = 0; i + 1 < kids.length; i += 2) {
        const k = scalar(b, kids[i]) ?? '?';
        emit(kids[i + 1], depth + 1, `${k}: `, i + 2 < kids.length ? ',' : '', kids[i].start);
      }
    } else {
      kids.forEach((c, i) => emit(c, depth + 1, '', i + 1 < kids.length ? ',' : '', c.start));
    }
    out.push({ depth, text: close + suffix, start: -1, end: -1 });
  };
  emit(root, 0, '', '', root.start);
  return out;
}

/** The whole diagnostic notation as text (two spaces an indent). */
export function diagnosticText(lines: readonly DiagnosticLine[]): string {
  return lines.map((l) => '  '.repeat(l.depth) + l.text).join('\n');
}
