/**
 * Bounded big-endian byte reading and writing. Every read checks the remaining length
 * first, so a truncated or hostile input gives a located error, never a huge allocation
 * or an exception from deeper down.
 */
export class DecodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly path: string,
  ) {
    super(`at byte ${offset} (0x${offset.toString(16)}), ${path || 'top'}: ${message}`);
  }
}

export class Reader {
  readonly view: DataView;
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string, path: string): void {
    if (n > this.remaining) throw new DecodeError(`expected ${what} (${n} byte${n === 1 ? '' : 's'}), found ${this.remaining === 0 ? 'the end of the data' : `only ${this.remaining}`}`, this.pos, path);
  }

  peek(): number | undefined {
    return this.pos < this.end ? this.bytes[this.pos] : undefined;
  }

  u8(path: string, what = 'a byte'): number {
    this.need(1, what, path);
    return this.bytes[this.pos++];
  }

  /** An unsigned (or two's complement when `signed`) big-endian integer of `size` bytes. */
  int(size: number, signed: boolean, path: string, what: string): bigint {
    this.need(size, what, path);
    const at = this.pos;
    this.pos += size;
    // Numbers up to 32 bits, two halves for 64: one BigInt per value, not one per byte.
    if (size <= 4) {
      let n = 0;
      for (let i = 0; i < size; i++) n = n * 256 + this.bytes[at + i];
      if (signed && size > 0 && n >= 2 ** (size * 8 - 1)) n -= 2 ** (size * 8);
      return BigInt(n);
    }
    if (size === 8) {
      const v = (BigInt(this.view.getUint32(at)) << 32n) | BigInt(this.view.getUint32(at + 4));
      return signed ? BigInt.asIntN(64, v) : v;
    }
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(this.bytes[at + i]);
    if (signed && v >= 1n << BigInt(size * 8 - 1)) v -= 1n << BigInt(size * 8);
    return v;
  }

  f64(path: string): number {
    this.need(8, 'a 64-bit float', path);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** Like take() without the copy: for RAM pages, which are many and never modified. */
  pageView(n: number, path: string, what: string): Uint8Array {
    this.need(n, what, path);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number, path: string, what: string): void {
    this.need(n, what, path);
    this.pos += n;
  }

  take(n: number, path: string, what: string): Uint8Array {
    this.need(n, what, path);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const MAX_OUTPUT = 1024 * 1024 * 1024;

export class Writer {
  private buf = new Uint8Array(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    // A value or vmdesc asking for more is wrong, not large: no stream section is this big.
    if (this.length + n > MAX_OUTPUT) throw new EncodeError(`the output would exceed ${MAX_OUTPUT} bytes`);
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }

  int(v: bigint, size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > 8) throw new EncodeError(`an integer of ${size} bytes cannot be written`);
    this.ensure(size);
    // Two's complement of the width, then at most two Number halves: no BigInt per byte.
    const x = BigInt.asUintN(size * 8, v);
    const at = this.length;
    if (size <= 4) {
      let n = Number(x);
      for (let i = size - 1; i >= 0; i--) {
        this.buf[at + i] = n & 0xff;
        n = Math.floor(n / 256);
      }
    } else {
      let lo = Number(x & 0xffffffffn);
      let hi = Number(x >> 32n);
      for (let i = size - 1; i >= size - 4; i--) {
        this.buf[at + i] = lo & 0xff;
        lo = Math.floor(lo / 256);
      }
      for (let i = size - 5; i >= 0; i--) {
        this.buf[at + i] = hi & 0xff;
        hi = Math.floor(hi / 256);
      }
    }
    this.length += size;
  }

  f64(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.length, v, false);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Bytes in hex; past `max` bytes cut, with the full length said (`…` then `(N bytes)`). */
export function hexBytes(b: Uint8Array, max = Infinity): string {
  const n = Math.min(b.length, max);
  let s = '';
  for (let i = 0; i < n; i++) s += b[i].toString(16).padStart(2, '0');
  return b.length > n ? `${s}… (${b.length} bytes)` : s;
}

/**
 * Names in the stream (machine type, idstr, block and subsection names) are C strings:
 * bytes, not UTF-8. One char a byte keeps any byte sequence exactly as it came.
 */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new EncodeError(`\`${s}\` has a character that is not a single byte (U+${c.toString(16).padStart(4, '0')})`);
    out[i] = c;
  }
  return out;
}

/** A value that cannot be written: names the path and what is wrong (not a crash). */
export class EncodeError extends Error {}
