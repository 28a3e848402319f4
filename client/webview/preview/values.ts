import type { EditKind, JsonPath, PreviewResult } from './protocol';

/**
 * Sample values without a DOM: what a typed value means for a field (integers in
 * decimal, hex, octal or binary, bools, doubles, enum members by name, hex bytes),
 * checked as the server would check it, the value shown for a field, and the `value`
 * param of vmsd/preview made from the panel's edits (docs/lsp-extensions.md, "The JSON
 * form of a value").
 */

export type Enums = PreviewResult['enums'];

const INT = /^(u|i)(8|16|32|64)$/;

/** The values an integer type (`u8` … `i64`, `timer`, or an enum's base) can hold; undefined: not an integer type. */
export function intRange(type: string, enums?: Enums): { min: bigint; max: bigint } | undefined {
  if (type === 'timer') return { min: -(1n << 63n), max: (1n << 64n) - 1n };
  const base = enums?.[type]?.base ?? type;
  const m = INT.exec(base);
  if (!m) return undefined;
  const bits = BigInt(m[2]);
  return m[1] === 'u' ? { min: 0n, max: (1n << bits) - 1n } : { min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n };
}

/** An integer as typed: `42`, `-1`, `0x2a`, `0o52`, `0b101010`, with `_` between digits. */
export function parseInteger(text: string): bigint | undefined {
  const t = text.trim().replace(/_/g, '');
  const m = /^([+-]?)(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.exec(t);
  if (!m) return undefined;
  const v = BigInt(m[2].toLowerCase());
  return m[1] === '-' ? -v : v;
}

/** An integer as JSON: a number when exact, else a decimal string. */
export function intJson(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export type Parsed = { ok: true; json: unknown } | { ok: false, message: string };

function fail(message: string): Parsed {
  return { ok: false, message };
}

/**
 * The JSON value for what was typed into a field of this kind and type; `bytes`: the
 * length a `hex` value must keep. Messages say what was expected, as the server's do.
 */
export function parseEdit(kind: EditKind, type: string, text: string, enums: Enums = {}, bytes?: number): Parsed {
  const t = text.trim();
  switch (kind) {
    case 'int': {
      const v = parseInteger(t);
      const r = intRange(type);
      if (v === undefined) return fail(`expected an integer (decimal, or 0x… hex), found ${JSON.stringify(t)}`);
      if (r && (v < r.min || v > r.max)) return fail(`expected a ${type} from ${r.min} to ${r.max}, found ${v}`);
      return { ok: true, json: intJson(v) };
    }
    case 'bool': {
      const l = t.toLowerCase();
      if (l === 'true' || l === '1') return { ok: true, json: true };
      if (l === 'false' || l === '0') return { ok: true, json: false };
      return fail(`expected true or false, found ${JSON.stringify(t)}`);
    }
    case 'f64': {
      if (/^[+-]?(nan)$/i.test(t)) return { ok: true, json: 'NaN' };
      if (/^\+?inf(inity)?$/i.test(t)) return { ok: true, json: 'Infinity' };
      if (/^-inf(inity)?$/i.test(t)) return { ok: true, json: '-Infinity' };
      const v = t === '' ? NaN : Number(t);
      if (Number.isNaN(v)) return fail(`expected a number, found ${JSON.stringify(t)}`);
      return { ok: true, json: v };
    }
    case 'enum': {
      const e = enums[type];
      const members = e?.members ?? [];
      const exact = members.find((m) => m.name === t) ?? members.find((m) => m.name.toLowerCase() === t.toLowerCase());
      if (exact) return { ok: true, json: exact.name };
      const v = parseInteger(t);
      const names = members.map((m) => m.name).join(', ');
      if (v === undefined) return fail(`expected a member of ${type}${names ? ` (${names})` : ''} or an integer, found ${JSON.stringify(t)}`);
      const r = intRange(type, enums);
      if (r && (v < r.min || v > r.max)) return fail(`expected a ${e?.base ?? type} from ${r.min} to ${r.max}, found ${v}`);
      return { ok: true, json: intJson(v) };
    }
    case 'hex': {
      const h = t.replace(/^0x/i, '').replace(/[\s:]/g, '').toLowerCase();
      if (!/^[0-9a-f]*$/.test(h)) return fail(`expected hex digits, found ${JSON.stringify(t.length > 40 ? t.slice(0, 40) + '…' : t)}`);
      if (h.length % 2) return fail('expected two hex digits a byte, found an odd number of digits');
      if (bytes !== undefined && h.length !== 2 * bytes) return fail(`expected ${bytes} bytes (${2 * bytes} hex digits), found ${h.length / 2}`);
      return { ok: true, json: h };
    }
  }
}

/** An enum member's name for a value, if it has one. */
export function memberName(type: string, value: string | undefined, enums: Enums): string | undefined {
  return value === undefined ? undefined : enums[type]?.members.find((m) => m.value === value)?.name;
}

/** The value column: enum members by name (`result (2)`), integers in decimal with hex beside them when above 9. */
export function showValue(kind: EditKind | undefined, type: string | undefined, value: string | undefined, enums: Enums): string {
  if (value === undefined) return '';
  if (kind === 'enum' && type) {
    const name = memberName(type, value, enums);
    return name ? `${name} (${value})` : value;
  }
  if (kind === 'int' && /^-?\d+$/.test(value)) {
    const v = BigInt(value);
    if (v > 9n || v < -9n) return `${value} (${hexOf(v, type)})`;
  }
  return value;
}

/** `0x2a`; negative numbers as two's complement of their type's width when known. */
export function hexOf(v: bigint, type?: string): string {
  if (v >= 0n) return `0x${v.toString(16)}`;
  const m = type ? INT.exec(type) : null;
  const bits = m ? BigInt(m[2]) : type === 'timer' ? 64n : undefined;
  return bits ? `0x${((1n << bits) + v).toString(16)}` : `-0x${(-v).toString(16)}`;
}

/** The text an editor starts with: the member name, the decimal integer, the full hex bytes from the value. */
export function editText(kind: EditKind, type: string, value: string | undefined, json: unknown, enums: Enums): string {
  if (kind === 'enum') return memberName(type, value, enums) ?? value ?? '';
  if (kind === 'hex' && typeof json === 'string') return json;
  if (json !== undefined && json !== null && typeof json !== 'object') return String(json);
  return value ?? '';
}

// ---- the value param ----

/** The value at a place of a JSON value; undefined when there is none. */
export function getAt(value: unknown, at: JsonPath): unknown {
  let v = value;
  for (const k of at) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Sets a place in a JSON value in place; false when a container on the way is missing. */
function setAt(root: unknown, at: JsonPath, v: unknown): boolean {
  let o = root;
  for (let i = 0; i < at.length - 1; i++) {
    if (o === null || typeof o !== 'object') return false;
    o = (o as Record<string | number, unknown>)[at[i]];
  }
  if (o === null || typeof o !== 'object' || !at.length) return false;
  (o as Record<string | number, unknown>)[at[at.length - 1]] = v;
  return true;
}

export interface Edit {
  at: JsonPath;
  /** The codec path, for messages. */
  path: string;
  json: unknown;
  text: string;
}

/**
 * The `value` param for a set of edits: only the top-level fields that hold an edit,
 * each copied whole from `base` (an array stays an array of its count) with the edits
 * applied, so every other field keeps its default and subsections stay chosen by their
 * `needed`; once a subsection's field is edited, the subsections of `base` are all given
 * (the server then sends exactly those). Undefined without edits: the defaults.
 */
export function valueParam(edits: Iterable<Edit>, base: unknown): { value?: unknown; dropped: Edit[] } {
  const list = [...edits];
  if (!list.length) return { dropped: [] };
  const out: { fields: Record<string, unknown>; subsections?: Record<string, unknown> } = { fields: {} };
  const dropped: Edit[] = [];
  if (list.some((e) => e.at[0] === 'subsections')) {
    const subs = getAt(base, ['subsections']);
    out.subsections = subs && typeof subs === 'object' ? clone(subs as Record<string, unknown>) : {};
  }
  for (const e of list) {
    if (e.at[0] === 'fields' && e.at.length >= 2) {
      const name = String(e.at[1]);
      if (!Object.prototype.hasOwnProperty.call(out.fields, name)) {
        const v = getAt(base, ['fields', name]);
        if (e.at.length > 2 && v === undefined) {
          dropped.push(e);
          continue;
        }
        out.fields[name] = clone(v);
      }
    }
    if (!setAt(out, e.at, clone(e.json))) dropped.push(e);
  }
  return { value: out, dropped };
}
