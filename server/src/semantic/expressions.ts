import * as A from '../syntax/ast';
import { ConstSym, EnumMemberSym, EnumSym, FieldModel, PropertySym, Value } from './model';
import { INT_RANGES, IntName } from './types';

/**
 * Type checking and constant folding of expressions. Names are looked up through an
 * environment supplied by the analyzer, which knows what a position may read (earlier
 * fields, properties, constants, `version`).
 */
export type ExprType =
  | { kind: 'int'; source?: IntName }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'enum'; enum: EnumSym }
  | { kind: 'error' };

export interface Typed {
  type: ExprType;
  /** Set when the expression is a compile-time constant. */
  value?: Value;
  /** An operand was in error (already reported): the type is a guess, the value unknown. */
  poisoned?: boolean;
}

export type NameTarget =
  | { kind: 'field'; field: FieldModel }
  | { kind: 'const'; sym: ConstSym }
  | { kind: 'enumMember'; sym: EnumMemberSym };

export interface ExprEnv {
  /** Resolve a bare name; reports its own errors and returns undefined when unknown. */
  name(name: A.Name): NameTarget | undefined;
  /** Resolve `Enum.member` or a path into an embedded struct (`fifo.num`). */
  member(expr: A.MemberExpr): NameTarget | undefined;
  /** Resolve `property(…)`; undefined (already reported) when it cannot. */
  property(expr: A.PropertyExpr): PropertySym | undefined;
  /**
   * `version` allowed? When not, the env reports the use and returns false; a bigint is
   * the version's value when it is known (layout at a given version).
   */
  version(expr: A.VersionExpr): boolean | bigint;
  /** Evaluate a constant's value (may recurse into other constants). */
  constValue(sym: ConstSym): Value | undefined;
  report(code: string, message: string, range: A.Range, data?: Record<string, unknown>): void;
}

export const ERROR: Typed = { type: { kind: 'error' } };
const BOOL: ExprType = { kind: 'bool' };
const INT: ExprType = { kind: 'int' };

/** Values beyond this many bits are certainly a mistake; they are reported, not computed. */
const MAX_BITS = 128n;
const LIMIT = 1n << MAX_BITS;

export function describeType(t: ExprType): string {
  switch (t.kind) {
    case 'int':
      return t.source ? `integer (${t.source})` : 'integer';
    case 'bool':
      return 'bool';
    case 'string':
      return 'string';
    case 'enum':
      return `enum ${t.enum.name}`;
    case 'error':
      return 'error';
  }
}

export function checkExpr(e: A.Expr, env: ExprEnv): Typed {
  switch (e.kind) {
    case 'Int':
      if (e.value === undefined) return ERROR;
      if (e.value >= LIMIT) {
        env.report('VL203', `${e.text.length > 40 ? e.text.slice(0, 20) + '…' + e.text.slice(-8) : e.text} does not fit in ${MAX_BITS} bits`, e);
        return ERROR;
      }
      return { type: INT, value: e.value };
    case 'Bool':
      return { type: BOOL, value: e.value };
    case 'StringExpr':
      return { type: { kind: 'string' }, value: e.value };
    case 'ErrorExpr':
      return ERROR;
    case 'Paren':
      return e.expr ? checkExpr(e.expr, env) : ERROR;
    case 'VersionRef': {
      const v = env.version(e);
      return v === false ? ERROR : typeof v === 'bigint' ? { type: INT, value: v } : { type: INT };
    }
    case 'NameRef': {
      const t = env.name(e.name);
      if (!t) return ERROR;
      if (t.kind === 'const') {
        const v = env.constValue(t.sym);
        if (v === undefined) return ERROR;
        return { type: valueType(v), value: v };
      }
      if (t.kind === 'enumMember') return { type: { kind: 'enum', enum: t.sym.owner }, value: t.sym.value };
      return fieldType(t.field, e, env);
    }
    case 'Member': {
      const m = env.member(e);
      if (!m) return ERROR;
      if (m.kind === 'enumMember') return { type: { kind: 'enum', enum: m.sym.owner }, value: m.sym.value };
      if (m.kind === 'const') return ERROR;
      return fieldType(m.field, e, env);
    }
    case 'OpaqueExpr':
      return { type: BOOL };
    case 'Property': {
      const p = env.property(e);
      if (!p) return ERROR;
      switch (p.type.kind) {
        case 'int':
          return { type: { kind: 'int', source: p.type.name } };
        case 'bool':
          return { type: BOOL };
        case 'str':
          return { type: { kind: 'string' } };
        case 'enum':
          return { type: { kind: 'enum', enum: p.type.enum } };
        default:
          return ERROR;
      }
    }
    case 'Unary': {
      if (!e.operand) return ERROR;
      const o = checkExpr(e.operand, env);
      if (o.type.kind === 'error') return ERROR;
      if (o.poisoned) return { type: e.op === '!' ? BOOL : INT, poisoned: true };
      if (e.op === '!') {
        if (o.type.kind !== 'bool') {
          env.report('VL200', `\`!\` needs a bool, found ${describeType(o.type)}${o.type.kind === 'int' ? '; write `x == 0`' : ''}`, e.operand);
          return { type: BOOL };
        }
        return { type: BOOL, value: typeof o.value === 'boolean' ? !o.value : undefined };
      }
      if (o.type.kind !== 'int') {
        env.report('VL200', `\`${e.op}\` needs an integer, found ${describeType(o.type)}`, e.operand);
        return { type: INT };
      }
      if (typeof o.value !== 'bigint') return { type: INT };
      return { type: INT, value: e.op === '-' ? -o.value : ~o.value };
    }
    case 'Binary':
      return checkBinary(e, env);
  }
}

function valueType(v: Value): ExprType {
  return typeof v === 'bigint' ? INT : typeof v === 'boolean' ? BOOL : { kind: 'string' };
}

function fieldType(f: FieldModel, at: A.Range, env: ExprEnv): Typed {
  const t = f.type;
  if (t.count) {
    env.report('VL200', `Field \`${f.name}\` is an array; conditions and sizes can only read single integer, bool or enum fields`, at);
    return ERROR;
  }
  const el = t.element;
  if (el.kind === 'scalar') {
    if (el.name === 'bool') return { type: BOOL };
    if (el.name === 'f64') {
      env.report('VL200', `Field \`${f.name}\` is a floating-point value; conditions can only read integer, bool or enum fields`, at);
      return ERROR;
    }
    if (el.name === 'timer') return { type: { kind: 'int', source: 'i64' } };
    return { type: { kind: 'int', source: el.name } };
  }
  if (el.kind === 'enum') return { type: { kind: 'enum', enum: el.enum } };
  if (el.kind === 'error') return ERROR;
  env.report('VL200', `Field \`${f.name}\` is ${el.kind === 'struct' ? 'a struct' : `of type ${el.kind}`}; conditions can only read integer, bool or enum fields`, at);
  return ERROR;
}

function sameType(a: ExprType, b: ExprType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'enum' && b.kind === 'enum') return a.enum === b.enum;
  return true;
}

function checkBinary(e: A.BinaryExpr, env: ExprEnv): Typed {
  const l = checkExpr(e.left, env);
  const r = e.right ? checkExpr(e.right, env) : ERROR;
  if (l.type.kind === 'error' || r.type.kind === 'error' || l.poisoned || r.poisoned) {
    // Still give the result type so one error does not cascade into "expected bool".
    return { type: resultKind(e.op) === 'bool' ? BOOL : INT, poisoned: true };
  }
  const op = e.op;
  const opText = `\`${op}\``;
  if (op === '&&' || op === '||') {
    for (const [side, t] of [[e.left, l], [e.right!, r]] as const) {
      if (t.type.kind !== 'bool') {
        env.report(
          'VL200',
          `${opText} needs bool operands, found ${describeType(t.type)}${t.type.kind === 'int' ? '; write `x != 0`' : ''}`,
          side,
          t.type.kind === 'int' ? { fix: 'compare-nonzero' } : undefined,
        );
        return { type: BOOL };
      }
    }
    if (typeof l.value === 'boolean' && typeof r.value === 'boolean') {
      return { type: BOOL, value: op === '&&' ? l.value && r.value : l.value || r.value };
    }
    // Short-circuit constants: `false && x` is false whatever x is.
    if (op === '&&' && (l.value === false || r.value === false)) return { type: BOOL, value: false };
    if (op === '||' && (l.value === true || r.value === true)) return { type: BOOL, value: true };
    return { type: BOOL };
  }
  if (op === '==' || op === '!=') {
    if (!sameType(l.type, r.type) && !(l.type.kind === 'enum' && r.type.kind === 'int') && !(l.type.kind === 'int' && r.type.kind === 'enum')) {
      env.report('VL200', `Cannot compare ${describeType(l.type)} with ${describeType(r.type)}`, e);
      return { type: BOOL };
    }
    if (l.value !== undefined && r.value !== undefined) return { type: BOOL, value: (l.value === r.value) === (op === '==') };
    return { type: BOOL };
  }
  if (op === '<' || op === '<=' || op === '>' || op === '>=') {
    // `a < b < c` was reported by the parser; do not add a type error on top.
    if (e.left.kind === 'Binary' && ['<', '<=', '>', '>=', '==', '!='].includes(e.left.op)) return { type: BOOL };
    if (!isIntLike(l.type) || !isIntLike(r.type)) {
      env.report('VL200', `${opText} compares integers, found ${describeType(l.type)} and ${describeType(r.type)}`, e);
      return { type: BOOL };
    }
    if (typeof l.value === 'bigint' && typeof r.value === 'bigint') {
      const a = l.value;
      const b = r.value;
      return { type: BOOL, value: op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b };
    }
    return { type: BOOL };
  }
  // arithmetic and bitwise
  if (!isIntLike(l.type) || !isIntLike(r.type)) {
    const bad = !isIntLike(l.type) ? l : r;
    env.report('VL200', `${opText} needs integer operands, found ${describeType(bad.type)}`, !isIntLike(l.type) ? e.left : e.right!);
    return { type: INT };
  }
  if (typeof l.value !== 'bigint' || typeof r.value !== 'bigint') return { type: INT };
  const v = fold(op, l.value, r.value, e, env);
  return v === undefined ? { type: INT } : { type: INT, value: v };
}

function isIntLike(t: ExprType): boolean {
  return t.kind === 'int' || t.kind === 'enum';
}

function resultKind(op: A.BinaryOp): 'bool' | 'int' {
  return op === '&&' || op === '||' || op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=' ? 'bool' : 'int';
}

function fold(op: A.BinaryOp, a: bigint, b: bigint, e: A.BinaryExpr, env: ExprEnv): bigint | undefined {
  let v: bigint;
  switch (op) {
    case '+': v = a + b; break;
    case '-': v = a - b; break;
    case '*': v = a * b; break;
    case '/':
    case '%':
      if (b === 0n) {
        env.report('VL207', 'Division by zero', e.right ?? e);
        return undefined;
      }
      v = op === '/' ? a / b : a % b;
      break;
    case '<<':
    case '>>':
      if (b < 0n || b >= MAX_BITS) {
        env.report('VL207', `Shift by ${b} is out of range (0 to ${MAX_BITS - 1n})`, e.right ?? e);
        return undefined;
      }
      v = op === '<<' ? a << b : a >> b;
      break;
    case '&': v = a & b; break;
    case '|': v = a | b; break;
    case '^': v = a ^ b; break;
    default:
      return undefined;
  }
  if (v >= LIMIT || v <= -LIMIT) {
    env.report('VL203', `Value does not fit in ${MAX_BITS} bits`, e);
    return undefined;
  }
  return v;
}

/** Does a constant fit an integer type? */
export function fits(v: bigint, t: IntName): boolean {
  const r = INT_RANGES[t];
  return v >= r.min && v <= r.max;
}
