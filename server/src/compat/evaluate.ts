import * as A from '../syntax/ast';
import { Analysis } from '../semantic/analyzer';
import { AnySym, PropertySym, Value } from '../semantic/model';

/**
 * Static, three-valued evaluation of `needed` and `if` conditions and of counts, for a
 * machine type and a version: what a side sends without running a VM. A value is known
 * (bigint or boolean) when it follows from constants, the version and property values;
 * `undefined` means "depends on runtime state" (a field's value, an opaque test).
 */
export type Static = bigint | boolean | string | undefined;

export interface StaticEnv {
  analysis: Analysis;
  /** The file the expression is written in (references are indexed by file and offset). */
  uri: string;
  version: number;
  /** The property values the machine type forces; the rest keep their defaults. */
  properties: ReadonlyMap<PropertySym, Value>;
}

const refIndexes = new WeakMap<Analysis, Map<string, AnySym>>();

/** The symbol a name at (uri, offset) resolved to, through an index built once per analysis. */
export function symbolAt(analysis: Analysis, uri: string, offset: number): AnySym | undefined {
  let index = refIndexes.get(analysis);
  if (!index) {
    index = new Map();
    for (const [u, refs] of analysis.references) for (const r of refs) index.set(`${u}#${r.range.start}`, r.sym);
    refIndexes.set(analysis, index);
  }
  return index.get(`${uri}#${offset}`);
}

export function propertyOf(e: A.PropertyExpr, env: { analysis: Analysis; uri: string }): PropertySym | undefined {
  const s = e.property ? symbolAt(env.analysis, env.uri, e.property.start) : undefined;
  return s?.kind === 'property' ? s : undefined;
}

export function propertyValueFor(p: PropertySym, properties: ReadonlyMap<PropertySym, Value>): Value | undefined {
  return properties.has(p) ? properties.get(p) : p.default;
}

export function evalStatic(e: A.Expr | undefined, env: StaticEnv): Static {
  if (!e) return undefined;
  switch (e.kind) {
    case 'Int':
      return e.value;
    case 'Bool':
      return e.value;
    case 'StringExpr':
      return e.value;
    case 'Paren':
      return evalStatic(e.expr, env);
    case 'VersionRef':
      return BigInt(env.version);
    case 'OpaqueExpr':
    case 'ErrorExpr':
      return undefined;
    case 'NameRef': {
      const s = symbolAt(env.analysis, env.uri, e.name.start);
      return s?.kind === 'const' ? s.value : undefined; // a field: runtime state
    }
    case 'Member': {
      const last = e.path[e.path.length - 1];
      const s = last ? symbolAt(env.analysis, env.uri, last.start) : undefined;
      if (s?.kind === 'enumMember') return s.value;
      return s?.kind === 'const' ? s.value : undefined;
    }
    case 'Property': {
      const p = propertyOf(e, env);
      return p ? propertyValueFor(p, env.properties) : undefined;
    }
    case 'Unary': {
      const o = evalStatic(e.operand, env);
      if (o === undefined) return undefined;
      if (e.op === '!') return typeof o === 'boolean' ? !o : undefined;
      if (typeof o !== 'bigint') return undefined;
      return e.op === '-' ? -o : ~o;
    }
    case 'Binary': {
      const l = evalStatic(e.left, env);
      // Short circuits decide even when the other side depends on runtime state.
      if (e.op === '&&' && l === false) return false;
      if (e.op === '||' && l === true) return true;
      const r = evalStatic(e.right, env);
      if (e.op === '&&') return r === false ? false : l === true && r === true ? true : undefined;
      if (e.op === '||') return r === true ? true : l === false && r === false ? false : undefined;
      if (l === undefined || r === undefined) return undefined;
      if (e.op === '==') return l === r;
      if (e.op === '!=') return l !== r;
      if (typeof l !== 'bigint' || typeof r !== 'bigint') return undefined;
      switch (e.op) {
        case '<': return l < r;
        case '<=': return l <= r;
        case '>': return l > r;
        case '>=': return l >= r;
        case '+': return l + r;
        case '-': return l - r;
        case '*': return l * r;
        case '/': return r === 0n ? undefined : l / r;
        case '%': return r === 0n ? undefined : l % r;
        case '&': return l & r;
        case '|': return l | r;
        case '^': return l ^ r;
        case '<<': return r < 0n || r > 127n ? undefined : l << r;
        case '>>': return r < 0n || r > 127n ? undefined : l >> r;
      }
      return undefined;
    }
  }
}

/** A condition's truth: true, false, or undefined (depends on runtime state). */
export function evalCondition(c: A.Condition | undefined, env: StaticEnv): boolean | undefined {
  if (!c) return true;
  if (c.kind === 'OpaqueCondition') return undefined;
  const v = evalStatic(c.expr, env);
  return typeof v === 'boolean' ? v : undefined;
}

/** The properties an expression reads (for "which property gates this" and sensitivity). */
export function propertiesIn(c: A.Condition | A.Expr | undefined, env: { analysis: Analysis; uri: string }, out: PropertySym[] = []): PropertySym[] {
  if (!c) return out;
  switch (c.kind) {
    case 'ExprCondition':
      return propertiesIn(c.expr, env, out);
    case 'Property': {
      const p = propertyOf(c, env);
      if (p && !out.includes(p)) out.push(p);
      return out;
    }
    case 'Paren':
      return propertiesIn(c.expr, env, out);
    case 'Unary':
      return propertiesIn(c.operand, env, out);
    case 'Binary':
      propertiesIn(c.left, env, out);
      return propertiesIn(c.right, env, out);
    default:
      return out;
  }
}
