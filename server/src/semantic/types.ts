import type { DescriptionSym, EnumSym, FieldModel, PropertySym } from './model';

/** Built-in scalar types and what QEMU puts on the wire for them. */
export type ScalarName = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'bool' | 'f64' | 'timer';
export type IntName = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';

export interface ScalarInfo {
  size: number;
  /** QEMU's VMStateInfo name (the vmdesc "type"). */
  info: string;
  signed?: boolean;
  integer: boolean;
  doc: string;
}

export const SCALARS: Record<ScalarName, ScalarInfo> = {
  u8: { size: 1, info: 'uint8', integer: true, doc: 'Unsigned 8-bit integer (VMSTATE_UINT8).' },
  u16: { size: 2, info: 'uint16', integer: true, doc: 'Unsigned 16-bit integer, big-endian (VMSTATE_UINT16).' },
  u32: { size: 4, info: 'uint32', integer: true, doc: 'Unsigned 32-bit integer, big-endian (VMSTATE_UINT32).' },
  u64: { size: 8, info: 'uint64', integer: true, doc: 'Unsigned 64-bit integer, big-endian (VMSTATE_UINT64).' },
  i8: { size: 1, info: 'int8', signed: true, integer: true, doc: 'Signed 8-bit integer (VMSTATE_INT8).' },
  i16: { size: 2, info: 'int16', signed: true, integer: true, doc: 'Signed 16-bit integer, big-endian (VMSTATE_INT16).' },
  i32: { size: 4, info: 'int32', signed: true, integer: true, doc: 'Signed 32-bit integer, big-endian (VMSTATE_INT32).' },
  i64: { size: 8, info: 'int64', signed: true, integer: true, doc: 'Signed 64-bit integer, big-endian (VMSTATE_INT64).' },
  bool: { size: 1, info: 'bool', integer: false, doc: 'Boolean, one byte 0 or 1; any non-zero byte loads as true (VMSTATE_BOOL).' },
  f64: { size: 8, info: 'CPU_Double_U', integer: false, doc: 'IEEE double, the 64 bits big-endian (VMSTATE_CPUDOUBLE_ARRAY / CPU_Double_U).' },
  timer: { size: 8, info: 'timer', integer: false, doc: 'QEMU timer: big-endian expiry time in ns, 0xFFFFFFFFFFFFFFFF when not armed (VMSTATE_TIMER_PTR).' },
};

export const INT_RANGES: Record<IntName, { min: bigint; max: bigint }> = {
  u8: { min: 0n, max: 0xffn },
  u16: { min: 0n, max: 0xffffn },
  u32: { min: 0n, max: 0xffffffffn },
  u64: { min: 0n, max: 0xffffffffffffffffn },
  i8: { min: -0x80n, max: 0x7fn },
  i16: { min: -0x8000n, max: 0x7fffn },
  i32: { min: -0x80000000n, max: 0x7fffffffn },
  i64: { min: -0x8000000000000000n, max: 0x7fffffffffffffffn },
};

/** A timer is 64 bits read as signed (-1: not armed), and written from either reading. */
export const TIMER_RANGE = { min: -(1n << 63n), max: (1n << 64n) - 1n };

/** The values an integer type or a timer can hold on the wire. */
export function valueRange(type: IntName | 'timer'): { min: bigint; max: bigint } {
  return type === 'timer' ? TIMER_RANGE : INT_RANGES[type];
}

const SCALAR_NAMES: ReadonlySet<string> = new Set(Object.keys(SCALARS));
const INT_NAMES: ReadonlySet<string> = new Set(Object.keys(INT_RANGES));

export function isScalarName(s: string): s is ScalarName {
  return SCALAR_NAMES.has(s);
}

export function isIntName(s: string): s is IntName {
  return INT_NAMES.has(s);
}

/** The element type of a field, as resolved. */
export type WireType =
  | { kind: 'scalar'; name: ScalarName }
  | { kind: 'enum'; enum: EnumSym }
  | { kind: 'struct'; description: DescriptionSym; version?: number }
  | { kind: 'bytes' }
  | { kind: 'bitmap' }
  | { kind: 'opaque'; info: string }
  | { kind: 'list'; flavor: 'list' | 'qlist'; element: WireType }
  | { kind: 'tree'; key: WireType; value: WireType }
  | { kind: 'tmp'; description: DescriptionSym }
  | { kind: 'error' };

/**
 * How many elements a field has (or, for bytes/bitmap, how many bytes/bits): fixed, or read
 * from an earlier field or a property, optionally times a constant (QEMU's VARRAY /
 * VBUFFER, with MULTIPLY_ELEMENTS / MULTIPLY).
 */
export type Count =
  | { kind: 'fixed'; value: number }
  | { kind: 'field'; field: FieldModel; factor: number }
  | { kind: 'property'; property: PropertySym; factor: number }
  | { kind: 'unknown' };

export interface FieldType {
  element: WireType;
  /** Elements may be NULL pointers, sent as the single byte 0x30. */
  nullable: boolean;
  /** Absent for a single element (no dimensions). */
  count?: Count;
  /** Check on load: `equal` (must match the local value) or `le` (0 <= v <= local). */
  check?: 'equal' | 'le';
}

/** QEMU's VMStateInfo name for an element, as the vmdesc shows it. */
export function infoName(t: FieldType): string {
  const e = t.element;
  switch (e.kind) {
    case 'scalar': {
      const base = SCALARS[e.name].info;
      if (t.check === 'le') return 'int32 le';
      if (t.check === 'equal') return e.name === 'u64' || e.name === 'i64' ? 'int64 equal' : `${base} equal`;
      return base;
    }
    case 'enum':
      return SCALARS[e.enum.base].info;
    case 'struct':
      return e.version !== undefined ? 'vstruct' : 'struct';
    case 'bytes':
      return 'buffer';
    case 'bitmap':
      return 'bitmap';
    case 'opaque':
      return e.info;
    case 'list':
      return e.flavor === 'list' ? 'qtailq' : 'qlist';
    case 'tree':
      return 'gtree';
    case 'tmp':
      return 'tmp';
    case 'error':
      return 'unknown';
  }
}

export function describeWireType(e: WireType): string {
  switch (e.kind) {
    case 'scalar':
      return e.name;
    case 'enum':
      return e.enum.name;
    case 'struct':
      return e.version !== undefined ? `${e.description.name} @ ${e.version}` : e.description.name;
    case 'bytes':
      return 'bytes';
    case 'bitmap':
      return 'bitmap';
    case 'opaque':
      return `opaque ${JSON.stringify(e.info)}`;
    case 'list':
      return `${e.flavor}<${describeWireType(e.element)}>`;
    case 'tree':
      return `tree<${describeWireType(e.key)}, ${describeWireType(e.value)}>`;
    case 'tmp':
      return `tmp<${e.description.name}>`;
    case 'error':
      return '?';
  }
}
