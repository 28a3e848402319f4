import { CODES, Code } from '../diagnostics/codes';
import { Diagnostic, Related } from '../diagnostics/diagnostic';
import * as A from '../syntax/ast';
import { SyntaxTree } from '../syntax/parser';
import { closestMatches } from '../util/names';
import { baseName, relativePath, resolveRelative } from '../util/uri';
import { checkExpr, describeType, ExprEnv, ExprType, fits, NameTarget, Typed } from './expressions';
import { computeLayouts, utf8Length } from './layout';
import {
  AnySym,
  BodyModel,
  CompatModel,
  ConstSym,
  DescriptionSym,
  DeviceSym,
  EnumMemberSym,
  EnumSym,
  FieldModel,
  MachineSym,
  PropertySym,
  PropertyType,
  SubsectionModel,
  TopSym,
  Value,
} from './model';
import { Count, FieldType, INT_RANGES, IntName, isIntName, isScalarName, SCALARS, WireType } from './types';

/** A reference from source to a symbol, for navigation, rename and "unused". */
export interface Reference {
  uri: string;
  range: A.Range;
  sym: AnySym;
}

export interface FileInfo {
  uri: string;
  tree: SyntaxTree;
  syms: TopSym[];
  includes: Array<{ decl: A.IncludeDecl; target?: string }>;
  /** Files whose declarations this file sees: itself and its include closure. */
  visible: string[];
}

/** Everything the analysis knows; immutable once built. */
export interface Analysis {
  files: Map<string, FileInfo>;
  diagnostics: Map<string, Diagnostic[]>;
  /** Every resolved reference, by file. */
  references: Map<string, Reference[]>;
  /** Declarations by kind over the whole workspace. */
  descriptions: DescriptionSym[];
  enums: EnumSym[];
  consts: ConstSym[];
  devices: DeviceSym[];
  machines: MachineSym[];
}

const ATTRIBUTES: Record<string, { args: 'none' | 'string' | 'optional-string' | 'int'; on: string[] }> = {
  deprecated: { args: 'optional-string', on: ['*'] },
  unstable: { args: 'none', on: ['*'] },
  abstract: { args: 'none', on: ['Device'] },
  member: { args: 'string', on: ['Field'] },
  validate: { args: 'string', on: ['Field', 'Unused'] },
  pre_load: { args: 'string', on: ['Vmstate', 'Subsection'] },
  post_load: { args: 'string', on: ['Vmstate', 'Subsection'] },
  pre_save: { args: 'string', on: ['Vmstate', 'Subsection'] },
  post_save: { args: 'string', on: ['Vmstate', 'Subsection'] },
  priority: { args: 'int', on: ['Vmstate'] },
};

const NO_ALIASES: string[] = [];

/** Deepest chain of constants (or enums) evaluated through one another. */
const MAX_EVAL_DEPTH = 100;

const PROPERTY_SCALARS = ['bool', 'str', 'u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64'];

/** Counts may come from these field types only (QEMU's VARRAY_UINT8/16/32 and VARRAY_INT32). */
const COUNT_TYPES = new Set(['u8', 'u16', 'u32', 'i32']);
/** Buffer sizes are read as int32 whatever the macro (VMS_VBUFFER). */
const BUFFER_SIZE_TYPES = new Set(['u8', 'u16', 'u32', 'i32', 'i8', 'i16']);

/**
 * Analyse a workspace. With `focus`, only those files are analysed in full (they must be
 * closed under includes both ways, as Workspace.analysisFor makes them); the others are
 * only read for their declarations' names, so "declared in a file not included" (VL107)
 * still knows them.
 */
export function analyze(trees: Map<string, SyntaxTree>, focus?: ReadonlySet<string>): Analysis {
  const b = new Builder(trees, focus);
  b.run();
  return b.result;
}

class Builder {
  readonly result: Analysis = {
    files: new Map(),
    diagnostics: new Map(),
    references: new Map(),
    descriptions: [],
    enums: [],
    consts: [],
    devices: [],
    machines: [],
  };
  /** name → declarations, over the whole workspace (for "declared in a file not included"). */
  private readonly globalTypes = new Map<string, TopSym[]>();
  private readonly globalDevices = new Map<string, DeviceSym[]>();
  private readonly globalMachines = new Map<string, MachineSym[]>();
  /** Per file: the visible declarations, by namespace. */
  private readonly scopes = new Map<string, Scope>();
  private readonly deferred: Array<{ run: () => void; current?: { deprecated?: string } }> = [];
  private readonly constFile = new Map<ConstSym, string>();
  private readonly used = new Set<AnySym>();
  /** Declarations reported as duplicates (VL101): no further findings about them. */
  private readonly duplicates = new Set<TopSym>();

  constructor(
    private readonly trees: Map<string, SyntaxTree>,
    private readonly focus?: ReadonlySet<string>,
  ) {}

  private inFocus(uri: string): boolean {
    return !this.focus || this.focus.has(uri);
  }

  run(): void {
    for (const [uri, tree] of this.trees) {
      const diags: Diagnostic[] = tree.diagnostics.map((d) => ({ ...d, uri, related: d.related?.map((r) => ({ ...r, uri })) }));
      this.result.diagnostics.set(uri, diags);
      this.result.references.set(uri, []);
      const info: FileInfo = { uri, tree, syms: [], includes: [], visible: [] };
      this.result.files.set(uri, info);
      this.collect(info);
    }
    this.resolveIncludes();
    if (this.focus) {
      // Declarations outside the focus stay in the global name tables only.
      const keep = <S extends { uri: string }>(list: S[]) => list.filter((s) => this.inFocus(s.uri));
      this.result.descriptions = keep(this.result.descriptions);
      this.result.enums = keep(this.result.enums);
      this.result.consts = keep(this.result.consts);
      this.result.devices = keep(this.result.devices);
      this.result.machines = keep(this.result.machines);
    }
    for (const info of this.focusFiles()) this.scopes.set(info.uri, this.buildScope(info));
    for (const info of this.focusFiles()) this.checkDuplicates(info);

    for (const c of this.constOrder()) this.within(c, () => this.constValue(c));
    for (const e of this.result.enums) this.within(e, () => this.resolveEnum(e));
    for (const d of this.result.devices) this.within(d, () => this.resolveDevice(d));
    this.breakInheritanceCycles(this.result.devices, 'Device');
    this.inheritStates();
    for (const d of this.result.descriptions) this.within(d, () => this.buildDescription(d));
    this.linkEmbeddings();
    this.checkStructRecursion();
    for (const d of this.deferred) this.within(d.current, d.run);
    for (const m of this.result.machines) this.within(m, () => this.resolveMachine(m));
    this.breakInheritanceCycles(this.result.machines, 'Machine type');
    computeLayouts(this.result.descriptions);
    this.checkWireNames();
    this.checkUnused();
    for (const list of this.result.diagnostics.values()) list.sort((a, b) => a.start - b.start || a.end - b.end);
  }

  private focusFiles(): FileInfo[] {
    return [...this.result.files.values()].filter((f) => this.inFocus(f.uri));
  }

  // ---- reporting ----

  /** While set, nothing is reported or recorded (re-evaluations for the layout). */
  private silent = false;
  private errorCount = 0;
  private constDepth = 0;

  /** @internal (Env) */
  report(uri: string, code: Code, message: string, range: A.Range, extra: Partial<Diagnostic> = {}): void {
    if (this.silent) return;
    const list = this.result.diagnostics.get(uri);
    if (!list) return;
    if (CODES[code].severity === 'error') this.errorCount++;
    list.push({ code, severity: CODES[code].severity, message, start: range.start, end: range.end, uri, ...extra });
  }

  /** The declaration being resolved; its own deprecation silences uses of deprecated things. */
  private current?: { deprecated?: string };

  private within<R>(current: { deprecated?: string } | undefined, fn: () => R): R {
    const saved = this.current;
    this.current = current;
    try {
      return fn();
    } finally {
      this.current = saved;
    }
  }

  private defer(run: () => void): void {
    this.deferred.push({ run, current: this.current });
  }

  private ref(uri: string, range: A.Range, sym: AnySym): void {
    if (this.silent) return;
    this.result.references.get(uri)?.push({ uri, range, sym });
    this.used.add(sym);
    if (sym.deprecated !== undefined && this.current?.deprecated === undefined) {
      const what = symLabel(sym);
      this.report(uri, 'VL501', `${what} is deprecated${sym.deprecated ? `: ${sym.deprecated}` : ''}`, range, { tags: ['deprecated'] });
    }
  }

  // ---- collection ----

  private collect(info: FileInfo): void {
    const uri = info.uri;
    for (const node of info.tree.file.attributed) this.checkAttributes(uri, node);
    for (const item of info.tree.file.items) {
      switch (item.kind) {
        case 'Include':
          info.includes.push({ decl: item });
          break;
        case 'Const': {
          if (!item.name) break;
          const sym: ConstSym = { kind: 'const', name: item.name.text, uri, nameRange: item.name, decl: item, state: 'pending', ...lifecycle(item) };
          this.constFile.set(sym, uri);
          this.addTop(info, sym, this.globalTypes);
          this.result.consts.push(sym);
          break;
        }
        case 'Enum': {
          if (!item.name) break;
          const sym: EnumSym = { kind: 'enum', name: item.name.text, uri, nameRange: item.name, decl: item, base: 'u32', members: [], ...lifecycle(item) };
          this.addTop(info, sym, this.globalTypes);
          this.result.enums.push(sym);
          break;
        }
        case 'Vmstate': {
          if (!item.name) break;
          const sym = {
            kind: 'vmstate', name: item.name.text, uri, nameRange: item.name, decl: item,
            devices: [], embeddedBy: [], ...lifecycle(item),
          } as unknown as DescriptionSym;
          this.addTop(info, sym, this.globalTypes);
          this.result.descriptions.push(sym);
          break;
        }
        case 'Device': {
          if (!item.name) break;
          const sym: DeviceSym = {
            kind: 'device', name: item.name.text, uri, nameRange: item.name, decl: item, properties: [],
            abstract: item.attributes.some((a) => a.name.text === 'abstract'), ...lifecycle(item),
          };
          this.addTop(info, sym, this.globalDevices);
          this.result.devices.push(sym);
          break;
        }
        case 'Machine': {
          if (!item.name) break;
          const sym: MachineSym = { kind: 'machine', name: item.name.value, uri, nameRange: item.name, decl: item, compat: [], ...lifecycle(item) };
          this.addTop(info, sym, this.globalMachines);
          this.result.machines.push(sym);
          break;
        }
      }
    }
  }

  private addTop<S extends TopSym>(info: FileInfo, sym: S, global: Map<string, S[]>): void {
    info.syms.push(sym);
    const list = global.get(sym.name);
    if (list) list.push(sym);
    else global.set(sym.name, [sym]);
  }

  private checkAttributes(uri: string, node: A.AnyDecl): void {
    const seen = node.attributes.length ? new Set<string>() : undefined;
    for (const attr of node.attributes) {
      const name = attr.name.text;
      const spec = ATTRIBUTES[name];
      if (!spec) {
        const sugg = this.suggest(name, () => Object.keys(ATTRIBUTES));
        this.report(uri, 'VL111', `Unknown attribute \`@${name}\`${sugg.length ? `; did you mean \`@${sugg[0]}\`?` : ''}`, attr.name, {
          data: { suggestions: sugg },
        });
        continue;
      }
      if (!spec.on.includes('*') && !spec.on.includes(node.kind)) {
        this.report(uri, 'VL111', `\`@${name}\` does not apply to ${declKindLabel(node.kind)}`, attr);
        continue;
      }
      if (seen!.has(name) && name !== 'validate') this.report(uri, 'VL306', `\`@${name}\` is given twice`, attr);
      seen!.add(name);
      const args = attr.args;
      const ok =
        spec.args === 'none'
          ? args.length === 0
          : spec.args === 'string'
            ? args.length === 1 && args[0].kind === 'StringExpr'
            : spec.args === 'optional-string'
              ? args.length === 0 || (args.length === 1 && args[0].kind === 'StringExpr')
              : args.length === 1 && args[0].kind === 'Int';
      if (!ok) {
        const want = spec.args === 'none' ? 'no arguments' : spec.args === 'int' ? 'one integer' : spec.args === 'string' ? 'one string' : 'an optional string';
        this.report(uri, 'VL208', `\`@${name}\` takes ${want}`, attr.argsRange ?? attr);
      }
    }
  }

  // ---- includes and scopes ----

  private resolveIncludes(): void {
    for (const info of this.result.files.values()) {
      for (const inc of info.includes) {
        if (!inc.decl.path) continue;
        const target = resolveRelative(info.uri, inc.decl.path.value);
        if (this.result.files.has(target)) inc.target = target;
        else this.report(info.uri, 'VL105', `Included file \`${inc.decl.path.value}\` not found`, inc.decl.path);
      }
    }
    // Cycles: iterative DFS, reporting the include that closes each cycle.
    const state = new Map<string, 0 | 1 | 2>();
    for (const root of this.result.files.keys()) {
      if (state.get(root)) continue;
      const stack: Array<{ uri: string; next: number }> = [{ uri: root, next: 0 }];
      state.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1];
        const info = this.result.files.get(top.uri)!;
        if (top.next >= info.includes.length) {
          state.set(top.uri, 2);
          stack.pop();
          continue;
        }
        const inc = info.includes[top.next++];
        if (!inc.target) continue;
        const s = state.get(inc.target) ?? 0;
        if (s === 1) {
          const from = stack.findIndex((f) => f.uri === inc.target);
          const chain = stack.slice(from).map((f) => baseName(f.uri));
          // Long cycles are shown by their ends: the message stays one line.
          const shown = chain.length > 8 ? [...chain.slice(0, 4), `… ${chain.length - 7} more …`, ...chain.slice(-3)] : chain;
          this.report(info.uri, 'VL106', `Include cycle: ${[...shown, baseName(inc.target)].join(' → ')}`, inc.decl.path ?? inc.decl);
        } else if (s === 0) {
          state.set(inc.target, 1);
          stack.push({ uri: inc.target, next: 0 });
        }
      }
    }
  }

  private buildScope(info: FileInfo): Scope {
    const seen = new Set<string>([info.uri]);
    const order = [info.uri];
    for (let i = 0; i < order.length; i++) {
      for (const inc of this.result.files.get(order[i])!.includes) {
        if (inc.target && !seen.has(inc.target)) {
          seen.add(inc.target);
          order.push(inc.target);
        }
      }
    }
    info.visible = order;
    return new Scope(order.map((uri) => this.ownDeclarations(this.result.files.get(uri)!)));
  }

  /** Each file's own declarations by namespace and name, built once and shared by every scope that sees the file. */
  private readonly own = new Map<FileInfo, OwnDeclarations>();
  private ownDeclarations(info: FileInfo): OwnDeclarations {
    let o = this.own.get(info);
    if (!o) {
      o = { syms: info.syms, maps: { types: new Map(), devices: new Map(), machines: new Map() } };
      for (const s of info.syms) {
        const m = o.maps[namespaceOf(s)];
        const list = m.get(s.name);
        if (list) list.push(s);
        else m.set(s.name, [s]);
      }
      this.own.set(info, o);
    }
    return o;
  }

  private checkDuplicates(info: FileInfo): void {
    const scope = this.scopes.get(info.uri)!;
    // Group this file's declarations by namespace and name once (linear, however many).
    const groups = new Map<string, TopSym[]>();
    for (const sym of info.syms) {
      const key = `${namespaceOf(sym)}\u0000${sym.name}`;
      const g = groups.get(key);
      if (g) g.push(sym);
      else groups.set(key, [sym]);
    }
    for (const group of groups.values()) {
      const others = scope.lookup(namespaceOf(group[0]), group[0].name).filter((s) => s.uri !== info.uri);
      // The first is the original: one declared in an included file, else the first here.
      const first = others[0] ?? group[0];
      for (const sym of group) {
        if (sym === first) continue;
        this.duplicates.add(sym);
        this.report(info.uri, 'VL101', `${capitalize(symLabel(sym))} is already declared`, sym.nameRange, {
          related: [{ uri: first.uri, start: first.nameRange.start, end: first.nameRange.end, message: 'first declared here' }],
        });
      }
    }
  }


  /**
   * The declaration a name means in a file: its own first (a clash with an include is
   * VL101 at the declaration), else the included one; VL108 when includes disagree.
   */
  private visible(uri: string, ns: Namespace, name: A.Name): TopSym | undefined {
    const all = this.scopes.get(uri)!.lookup(ns, name.text);
    const local = all.filter((f) => f.uri === uri);
    const found = local.length ? local : all;
    if (!local.length && found.length > 1 && new Set(found.map((f) => f.uri)).size > 1) {
      this.report(uri, 'VL108', `\`${name.text}\` is declared in ${found.length} included files: ${[...new Set(found.map((f) => baseName(f.uri)))].join(', ')}`, name);
    }
    return found[0];
  }

  /** VL107 when the name is declared in a file this one does not include. */
  private notIncluded(uri: string, name: A.Name, elsewhere: TopSym | undefined): boolean {
    if (!elsewhere) return false;
    const rel = relativePath(uri, elsewhere.uri);
    this.report(uri, 'VL107', `\`${name.text}\` is declared in ${baseName(elsewhere.uri)}, which this file does not include; add \`include "${rel}"\``, name, {
      data: { include: rel },
    });
    return true;
  }

  /** Look a name up in a namespace as seen from a file, reporting what goes wrong. */
  private lookup<S extends TopSym>(uri: string, ns: Namespace, name: A.Name, what: string, accept?: (s: TopSym) => s is S): S | undefined {
    const scope = this.scopes.get(uri)!;
    const sym = this.visible(uri, ns, name);
    if (sym) {
      if (accept && !accept(sym)) {
        this.report(uri, 'VL112', `\`${name.text}\` is ${symLabel(sym, false)}, not ${withArticle(what)}`, name);
        return undefined;
      }
      this.ref(uri, name, sym);
      return sym as S;
    }
    const global = (ns === 'types' ? this.globalTypes : ns === 'devices' ? this.globalDevices : this.globalMachines).get(name.text);
    if (this.notIncluded(uri, name, global?.find((s) => !accept || accept(s)))) return undefined;
    const sugg = this.suggest(name.text, () => {
      const candidates = scope.names(ns, accept);
      if (ns === 'types') for (const s of Object.keys(SCALARS)) candidates.push(s);
      return candidates;
    });
    let msg = `Unknown ${what} \`${name.text}\``;
    if (sugg.length) msg += `; did you mean \`${sugg[0]}\`?`;
    this.report(uri, 'VL100', msg, name, { data: { suggestions: sugg, kind: what } });
    return undefined;
  }

  /**
   * Constants in dependency order (those a constant names come first), found with an
   * iterative walk, so that evaluating one never recurses down a long chain.
   */
  private constOrder(): ConstSym[] {
    const deps = (c: ConstSym): ConstSym[] => {
      const out: ConstSym[] = [];
      if (!c.decl.value) return out;
      const scope = this.scopes.get(c.uri)!;
      const stack: A.Expr[] = [c.decl.value];
      while (stack.length) {
        const e = stack.pop()!;
        if (e.kind === 'NameRef') {
          const s = scope.lookup('types', e.name.text)[0];
          if (s && s.kind === 'const') out.push(s);
        } else if (e.kind === 'Binary') {
          stack.push(e.left);
          if (e.right) stack.push(e.right);
        } else if (e.kind === 'Unary' && e.operand) stack.push(e.operand);
        else if (e.kind === 'Paren' && e.expr) stack.push(e.expr);
      }
      return out;
    };
    const order: ConstSym[] = [];
    const state = new Map<ConstSym, 1 | 2>();
    for (const root of this.result.consts) {
      if (state.has(root)) continue;
      const stack: Array<{ c: ConstSym; deps: ConstSym[]; i: number }> = [{ c: root, deps: deps(root), i: 0 }];
      state.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1];
        if (top.i >= top.deps.length) {
          state.set(top.c, 2);
          order.push(top.c);
          stack.pop();
          continue;
        }
        const d = top.deps[top.i++];
        if (!state.has(d)) {
          state.set(d, 1);
          stack.push({ c: d, deps: deps(d), i: 0 });
        }
      }
    }
    return order;
  }

  /**
   * "Did you mean" candidates, on a budget: a file full of unknown names (a wrong
   * language, generated garbage) must not cost names × candidates edit distances.
   */
  private suggestionBudget = 500;
  private suggest(word: string, candidates: () => Iterable<string>): string[] {
    if (this.suggestionBudget <= 0 || word.length > 64) return [];
    this.suggestionBudget--;
    return closestMatches(word, candidates());
  }

  /** checkExpr, also telling whether it reported an error (so callers do not pile on). */
  private evaluate(expr: A.Expr, env: ExprEnv): { t: Typed; failed: boolean } {
    const before = this.errorCount;
    const t = checkExpr(expr, env);
    return { t, failed: this.errorCount > before || t.type.kind === 'error' || !!t.poisoned };
  }

  // ---- constants and enums ----

  /** @internal (Env) */
  constValue(c: ConstSym): Value | undefined {
    if (c.state === 'done') return c.value;
    const uri = c.uri;
    if (c.state === 'evaluating') {
      this.report(uri, 'VL207', `Constant \`${c.name}\` depends on itself`, c.nameRange);
      c.state = 'done';
      return undefined;
    }
    // Constants are evaluated in dependency order (constOrder), so this recursion is
    // shallow; only a long cycle gets here deeply, and it is cut.
    if (this.constDepth > MAX_EVAL_DEPTH) {
      this.report(uri, 'VL207', `Constant \`${c.name}\` depends on a chain of more than ${MAX_EVAL_DEPTH} constants (a cycle?)`, c.nameRange);
      c.state = 'done';
      return undefined;
    }
    this.constDepth++;
    try {
      return this.constValueIn(c, uri);
    } finally {
      this.constDepth--;
    }
  }

  private constValueIn(c: ConstSym, uri: string): Value | undefined {
    c.state = 'evaluating';
    let type: IntName | undefined;
    if (c.decl.type) {
      if (isIntName(c.decl.type.text)) type = c.decl.type.text;
      else this.report(uri, 'VL200', `A constant's type must be an integer type (u8 … i64), not \`${c.decl.type.text}\``, c.decl.type);
    }
    c.type = type;
    let value: Value | undefined;
    if (c.decl.value) {
      const { t, failed } = this.evaluate(c.decl.value, this.constEnv(uri));
      if (!failed) {
        if (t.value === undefined) this.report(uri, 'VL205', 'The value of a constant must be computable from literals and other constants', c.decl.value);
        else if (typeof t.value === 'string') this.report(uri, 'VL200', 'Constants are integers or booleans, not strings', c.decl.value);
        else value = t.value;
      }
      // A bad constant is poisoned (undefined), so its uses do not repeat the error.
      if (type && typeof value === 'bigint' && !fits(value, type)) {
        this.report(uri, 'VL203', `${value} does not fit in ${type}`, c.decl.value);
        value = undefined;
      }
      if (type && typeof value === 'boolean') {
        this.report(uri, 'VL200', `Expected ${type}, found bool`, c.decl.value);
        value = undefined;
      }
    }
    c.value = typeof value === 'string' ? undefined : value;
    c.state = 'done';
    return value;
  }

  private constEnv(uri: string, what = 'a constant', body?: BodyModel): ExprEnv {
    return new Env(this, uri, { what, body, version: 'no' });
  }


  /**
   * A bare name in an expression: a visible field first, then a constant. `body` and
   * `what` only serve better messages when a field is named where it may not be.
   */
  /** @internal (Env) */
  valueName(uri: string, name: A.Name, fields: FieldScope | undefined, later?: FieldScope, body?: BodyModel, what?: string): NameTarget | undefined {
    const f = fields?.get(name.text);
    if (f) {
      this.ref(uri, name, f);
      return { kind: 'field', field: f };
    }
    const laterField = later?.get(name.text);
    if (laterField) {
      this.ref(uri, name, laterField);
      const self = fields && laterField.index === (fields as { end?: number }).end;
      this.report(
        uri,
        'VL110',
        self
          ? `A field's \`if\` or size cannot read the field itself (\`${name.text}\`); only fields sent before it`
          : `Field \`${name.text}\` comes later; a condition or size can only read fields sent before it`,
        name,
      );
      return undefined;
    }
    const scope = this.scopes.get(uri)!;
    const sym = this.visible(uri, 'types', name);
    if (sym && sym.kind === 'const') {
      this.ref(uri, name, sym);
      return { kind: 'const', sym };
    }
    if (sym) {
      this.report(uri, 'VL112', `\`${name.text}\` is ${symLabel(sym, false)}, not a value${sym.kind === 'enum' ? `; write \`${name.text}.member\`` : ''}`, name);
      return undefined;
    }
    // A field where only constants may stand, or a field of another (sub)section.
    for (let b: BodyModel | undefined = body; b; b = b.subsection?.parent) {
      if (!fieldNamesOf(b).has(name.text)) continue;
      const other = (fieldIndex.get(b) ?? indexFields(b)).get(name.text);
      if (other) this.ref(uri, name, other);
      this.report(
        uri,
        'VL205',
        fields ? `\`${name.text}\` is a field of ${b === body ? 'this description' : `\`${b.wireName}\``} that this position cannot read` : `\`${name.text}\` is a field; ${what ?? 'this'} must be a constant`,
        name,
      );
      return undefined;
    }
    const candidates = () => [...(fields?.keys() ?? []), ...scope.names('types', (x): x is ConstSym => x.kind === 'const'), 'version'];
    // `a-b` lexes as one name; suggest the subtraction when both halves resolve.
    let hint = '';
    const parts = name.text.split('-');
    if (parts.length === 2 && parts.every((x) => fields?.has(x) || scope.lookup('types', x).some((y) => y.kind === 'const'))) {
      hint = `; did you mean \`${parts[0]} - ${parts[1]}\`? (put spaces around \`-\`)`;
    }
    if (this.notIncluded(uri, name, this.globalTypes.get(name.text)?.find((x) => x.kind === 'const'))) return undefined;
    const sugg = hint ? [] : this.suggest(name.text, candidates);
    this.report(uri, 'VL100', `Unknown name \`${name.text}\`${hint || (sugg.length ? `; did you mean \`${sugg[0]}\`?` : '')}`, name, {
      data: { suggestions: sugg, kind: 'value' },
    });
    return undefined;
  }


  /**
   * `a.b.c`: a path from a visible field into embedded structs (every member of a struct
   * is known once the struct is sent), or `Enum.member`.
   */
  /** @internal (Env) */
  memberPath(uri: string, m: A.MemberExpr, fields?: FieldScope, later?: FieldScope): NameTarget | undefined {
    const [head, ...rest] = m.path;
    if (rest.length === 0) return undefined;
    const start = fields?.get(head.text) ?? later?.get(head.text);
    if (start) {
      if (!fields?.has(head.text)) {
        this.valueName(uri, head, fields, later); // reports "comes later"
        return undefined;
      }
      this.ref(uri, head, start);
      let f = start;
      for (const name of rest) {
        const el = f.type.element;
        if ((el.kind !== 'struct' && el.kind !== 'tmp') || f.type.count) {
          this.report(uri, 'VL200', `\`${f.name}\` is ${f.type.count ? 'an array' : 'not an embedded description'}; \`.${name.text}\` cannot read into it`, name);
          return undefined;
        }
        const next = el.description.body?.fields.find((x) => x.name === name.text);
        if (!next) {
          const sugg = this.suggest(name.text, () => (el.description.body?.fields ?? []).flatMap((x) => (x.name ? [x.name] : [])));
          this.report(uri, 'VL100', `\`${el.description.name}\` has no field \`${name.text}\`${sugg.length ? `; did you mean \`${sugg[0]}\`?` : ''}`, name, {
            data: { suggestions: sugg, kind: 'field' },
          });
          return undefined;
        }
        this.ref(uri, name, next);
        f = next;
      }
      return { kind: 'field', field: f };
    }
    const e = this.lookup(uri, 'types', head, fields ? 'field or enum' : 'enum', (s): s is EnumSym => s.kind === 'enum');
    if (!e) return undefined;
    if (rest.length > 1) {
      this.report(uri, 'VL200', `\`${e.name}.${rest[0].text}\` is an enum member; it has no members`, rest[1]);
      return undefined;
    }
    const member = rest[0];
    this.resolveEnum(e);
    const mem = memberIndex(e).get(member.text);
    if (!mem) {
      // A member declared later in an enum being evaluated (`a = E.b, b = 2`).
      if (e.decl.members.some((m) => m.name.text === member.text)) {
        this.report(uri, 'VL110', `\`${e.name}.${member.text}\` is declared later in the enum; a member's value can only use earlier members`, member);
        return undefined;
      }
      const sugg = this.suggest(member.text, () => e.members.map((x) => x.name));
      this.report(uri, 'VL100', `Enum \`${e.name}\` has no member \`${member.text}\`${sugg.length ? `; did you mean \`${sugg[0]}\`?` : ''}`, member, {
        data: { suggestions: sugg, kind: 'enum member' },
      });
      return undefined;
    }
    this.ref(uri, member, mem);
    return { kind: 'enumMember', sym: mem };
  }

  private resolveEnum(e: EnumSym): void {
    if (e.members.length || (e as { resolved?: boolean }).resolved) return;
    (e as { resolved?: boolean }).resolved = true;
    const uri = e.uri;
    const base = e.decl.base;
    if (base) {
      if (isIntName(base.text)) e.base = base.text;
      else this.report(uri, 'VL200', `An enum's wire type must be an integer type (u8 … i64), not \`${base.text}\``, base);
    }
    let next = 0n;
    const seen = new Map<string, EnumMemberSym>();
    const values = new Map<bigint, EnumMemberSym>();
    for (const m of e.decl.members) {
      let value = next;
      if (m.value) {
        const { t, failed } = this.evaluate(m.value, this.constEnv(uri, 'an enum value'));
        if (typeof t.value === 'bigint') value = t.value;
        else if (!failed) this.report(uri, 'VL205', 'An enum value must be a constant integer', m.value);
      }
      if (!fits(value, e.base)) this.report(uri, 'VL203', `${value} does not fit in the enum's wire type ${e.base}`, m.value ?? m.name);
      const sym: EnumMemberSym = { kind: 'enumMember', name: m.name.text, uri, nameRange: m.name, decl: m, owner: e, value, ...lifecycle(m) };
      const dup = seen.get(sym.name);
      if (dup) this.report(uri, 'VL101', `Enum member \`${sym.name}\` is already declared`, m.name, { related: [rel(dup, 'first declared here')] });
      else seen.set(sym.name, sym);
      const same = values.get(value);
      if (same && !dup) this.report(uri, 'VL101', `Enum members \`${same.name}\` and \`${sym.name}\` have the same value ${value}`, m.value ?? m.name, { related: [rel(same, 'same value here')] });
      else values.set(value, sym);
      e.members.push(sym);
      next = value + 1n;
    }
  }

  // ---- devices ----

  private resolveDevice(d: DeviceSym): void {
    const uri = d.uri;
    if (d.decl.parent) {
      d.parent = this.lookup(uri, 'devices', d.decl.parent, 'device', (s): s is DeviceSym => s.kind === 'device');
    }
    let stateSeen: A.StateStmt | undefined;
    const props = new Map<string, PropertySym>();
    for (const item of d.decl.body?.items ?? []) {
      if (item.kind === 'State') {
        if (stateSeen) {
          this.report(uri, 'VL306', 'A device has one `state`', item);
          continue;
        }
        stateSeen = item;
        if (!item.description) continue;
        const desc = this.lookup(uri, 'types', item.description, 'description', (s): s is DescriptionSym => s.kind === 'vmstate');
        if (desc) {
          d.state = desc;
          desc.devices.push(d);
        }
      } else if (item.name) {
        const type = this.propertyType(uri, item.type);
        const p: PropertySym = { kind: 'property', name: item.name.text, uri, nameRange: item.name, decl: item, owner: d, type, ...lifecycle(item) };
        if (item.value) p.default = this.typedValue(uri, item.value, type, 'the default');
        const dup = props.get(p.name);
        if (dup) this.report(uri, 'VL101', `Property \`${p.name}\` is already declared`, item.name, { related: [rel(dup, 'first declared here')] });
        else props.set(p.name, p);
        d.properties.push(p);
      }
    }
  }

  /** QOM subclasses inherit their parent's vmsd (dc->vmsd) unless they set their own. */
  private inheritStates(): void {
    // The nearest ancestor's own state, memoised along the way (linear on long chains).
    const own = new Map<DeviceSym, DescriptionSym | null>();
    const nearest = (d: DeviceSym): DescriptionSym | null => {
      const path: DeviceSym[] = [];
      let found: DescriptionSym | null = null;
      for (let p: DeviceSym | undefined = d; p; p = p.parent) {
        const known = own.get(p);
        if (known !== undefined) {
          found = known;
          break;
        }
        if (p.state && !p.inheritedState) {
          found = p.state;
          break;
        }
        path.push(p);
      }
      for (const p of path) own.set(p, found);
      return found;
    };
    for (const d of this.result.devices) {
      if (d.state || !d.parent) continue;
      const s = nearest(d.parent);
      if (s) {
        d.state = s;
        d.inheritedState = true;
        s.devices.push(d);
      }
    }
  }

  private propertyType(uri: string, name: A.Name | undefined): PropertyType {
    if (!name) return { kind: 'error' };
    const t = name.text;
    if (t === 'bool') return { kind: 'bool' };
    if (t === 'str') return { kind: 'str' };
    if (isIntName(t)) return { kind: 'int', name: t };
    const scope = this.scopes.get(uri)!;
    if (scope.lookup('types', t).some((s) => s.kind === 'enum')) {
      const e = this.lookup(uri, 'types', name, 'enum', (s): s is EnumSym => s.kind === 'enum');
      if (e) return { kind: 'enum', enum: e };
      return { kind: 'error' };
    }
    const other = scope.lookup('types', t)[0];
    if (other) {
      this.report(uri, 'VL112', `\`${t}\` is ${symLabel(other, false)}, not a property type (bool, str, u8 … i64 or an enum)`, name);
      return { kind: 'error' };
    }
    const sugg = this.suggest(t, () => [...PROPERTY_SCALARS, ...scope.names('types', (s): s is EnumSym => s.kind === 'enum')]);
    this.report(uri, 'VL100', `Unknown property type \`${t}\` (bool, str, u8 … i64 or an enum)${sugg.length ? `; did you mean \`${sugg[0]}\`?` : ''}`, name, {
      data: { suggestions: sugg, kind: 'property type' },
    });
    return { kind: 'error' };
  }

  /** A constant value of a property's type (defaults, compat entries). */
  private typedValue(uri: string, expr: A.Expr, type: PropertyType, what: string, body?: BodyModel): Value | undefined {
    // An enum-typed value may name a member bare: `mode = on`.
    if (type.kind === 'enum' && expr.kind === 'NameRef') {
      const mem = type.enum.members.find((m) => m.name === expr.name.text);
      if (mem) {
        this.ref(uri, expr.name, mem);
        return mem.value;
      }
    }
    const { t, failed } = this.evaluate(expr, this.constEnv(uri, what, body));
    if (failed || type.kind === 'error') return undefined;
    if (t.value === undefined) {
      this.report(uri, 'VL205', `${capitalize(what)} must be a constant`, expr);
      return undefined;
    }
    const want = type.kind === 'int' ? type.name : type.kind === 'enum' ? `enum ${type.enum.name}` : type.kind;
    const ok =
      (type.kind === 'bool' && typeof t.value === 'boolean') ||
      (type.kind === 'str' && typeof t.value === 'string') ||
      ((type.kind === 'int' || type.kind === 'enum') && typeof t.value === 'bigint');
    if (!ok) {
      this.report(uri, 'VL200', `Expected ${want}, found ${describeType(t.type)}`, expr);
      return undefined;
    }
    if (type.kind === 'int' && typeof t.value === 'bigint' && !fits(t.value, type.name)) {
      this.report(uri, 'VL203', `${t.value} does not fit in ${type.name}`, expr);
      return undefined;
    }
    if (type.kind === 'enum' && typeof t.value === 'bigint' && !type.enum.members.some((m) => m.value === t.value)) {
      this.report(uri, 'VL203', `${t.value} is not a value of enum ${type.enum.name}`, expr);
    }
    return t.value;
  }

  // ---- descriptions ----

  private buildDescription(d: DescriptionSym): void {
    d.body = this.buildBody(d, d.decl.body?.items ?? [], undefined, d.name);
  }

  private buildBody(owner: DescriptionSym, items: A.BodyItem[], sub: SubsectionModel | undefined, defaultWireName: string): BodyModel {
    const uri = owner.uri;
    const body: BodyModel = {
      owner, subsection: sub, wireName: defaultWireName, version: 0, minimumVersion: 0, hasVersion: false,
      fields: [], subsections: [], reserved: [],
    };
    const seenStmt = new Map<string, A.Node>();
    let versionKnown = true;
    const once = (node: A.BodyItem, label: string): boolean => {
      const prev = seenStmt.get(node.kind);
      if (prev) {
        this.report(uri, 'VL306', `\`${label}\` is given twice`, node, { related: [{ uri, start: prev.start, end: prev.end, message: 'first given here' }] });
        return false;
      }
      seenStmt.set(node.kind, node);
      return true;
    };
    // Statements first: fields are checked against the version wherever it is written.
    for (const item of items) {
      switch (item.kind) {
        case 'WireName':
          if (once(item, 'name') && item.value) {
            body.wireName = item.value.value;
            if (!item.value.value) this.report(uri, 'VL200', 'A wire name cannot be empty', item.value);
          }
          break;
        case 'Version':
          if (once(item, 'version') && item.value) {
            body.hasVersion = true;
            const v = this.versionValue(uri, item.value, sub ? 'u32' : 'i32', body);
            if (v === undefined) versionKnown = false;
            body.version = v ?? 0;
          }
          break;
        case 'MinimumVersion':
          if (once(item, 'minimum_version') && item.value) {
            const v = this.versionValue(uri, item.value, 'i32', body);
            if (v === undefined) versionKnown = false;
            body.minimumVersion = v ?? 0;
          }
          break;
        case 'Needed':
          if (sub) {
            this.report(uri, 'VL310', 'A subsection gives its condition in its header: `subsection name needed (…) { … }`', item);
          } else if (once(item, 'needed')) {
            body.needed = item.condition;
          }
          break;
        case 'Reserved':
          for (const n of item.names) body.reserved.push(n.text);
          break;
      }
    }
    const wireBytes = utf8Length(body.wireName);
    if (wireBytes > 255) {
      const stmt = items.find((i): i is A.WireNameStmt => i.kind === 'WireName');
      this.report(uri, 'VL203', `Wire name \`${body.wireName.slice(0, 40)}…\` is ${wireBytes} bytes; QEMU writes its length in one byte (at most 255)`, stmt?.value ?? sub?.nameRange ?? owner.nameRange);
    }
    if (!versionKnown) {
      // An invalid version was reported; comparisons against it would only add noise.
    } else if (body.minimumVersion > body.version) {
      const mv = items.find((i): i is A.MinimumVersionStmt => i.kind === 'MinimumVersion');
      this.report(uri, 'VL301', `\`minimum_version\` ${body.minimumVersion} is above \`version\` ${body.version}`, mv?.value ?? mv ?? owner.nameRange);
    }
    body.versionKnown = versionKnown;
    if (sub && body.version > 255) {
      const v = items.find((i): i is A.VersionStmt => i.kind === 'Version');
      this.report(uri, 'VL303', `QEMU's loader keeps a subsection version in one byte: ${body.version} arrives as ${body.version & 255}`, v?.value ?? sub.nameRange);
    }

    const fieldNames = new Map<string, FieldModel>();
    const subNames = new Map<string, SubsectionModel>();
    const reserved = new Set(body.reserved);
    this.defer(() => this.checkAliases(body));
    for (const item of items) {
      if (item.kind === 'Field' || item.kind === 'Unused') {
        const f = this.buildField(body, item);
        if (f.name !== undefined) {
          const dup = fieldNames.get(f.name);
          if (dup) {
            this.report(uri, 'VL104', `Field \`${f.name}\` is already declared in this ${sub ? 'subsection' : 'description'}; field names are the keys of the self-describing stream`, f.nameRange, {
              related: [rel(dup, 'first declared here')],
            });
          } else fieldNames.set(f.name, f);
          if (reserved.has(f.name)) {
            this.report(uri, 'VL104', `Field name \`${f.name}\` is reserved in this ${sub ? 'subsection' : 'description'}`, f.nameRange);
          }
        }
      } else if (item.kind === 'Subsection' && item.name) {
        const s = this.buildSubsection(body, item);
        const dup = subNames.get(s.body.wireName);
        if (dup) {
          this.report(uri, 'VL103', `Subsection \`${s.body.wireName}\` is already declared in this description`, s.nameRange, { related: [rel(dup, 'first declared here')] });
        } else subNames.set(s.body.wireName, s);
      }
    }
    fieldIndex.set(body, indexFields(body));
    this.checkSubsectionShadowing(body);
    return body;
  }

  /**
   * QEMU loads a subsection's own subsections while the next name starts with its name:
   * a later sibling whose wire name extends an earlier one's (`dev/a`, then `dev/ab`) is
   * taken for a subsection of the earlier one, and the load fails. Each wire name's
   * prefixes are looked up (255 bytes at most), so a body of many subsections stays linear.
   */
  private checkSubsectionShadowing(body: BodyModel): void {
    if (body.subsections.length < 2) return;
    const byName = new Map<string, number>();
    body.subsections.forEach((s, i) => byName.has(s.body.wireName) || byName.set(s.body.wireName, i));
    body.subsections.forEach((s, j) => {
      const name = s.body.wireName;
      for (let n = body.wireName.length + 1; n < name.length && n <= 255; n++) {
        const i = byName.get(name.slice(0, n));
        if (i === undefined || i >= j) continue;
        const earlier = body.subsections[i];
        this.report(
          s.uri,
          'VL312',
          `\`${name}\` starts with the wire name of the subsection \`${earlier.body.wireName}\` sent before it: QEMU's loader takes it for a subsection of \`${earlier.body.wireName}\` and fails ("does not exist") whenever both are sent; rename it or declare it first`,
          s.nameRange,
          { related: [{ uri: earlier.uri, start: earlier.nameRange.start, end: earlier.nameRange.end, message: 'sent before it' }] },
        );
        break;
      }
    });
  }

  /** `alias` names: old keys of the keyed stream, so they must not collide with live ones. */
  private checkAliases(body: BodyModel): void {
    if (!body.fields.some((f) => f.aliases.length)) return;
    const uri = body.owner.uri;
    const owners = new Map<string, FieldModel>();
    const byName = fieldIndex.get(body) ?? indexFields(body);
    const reserved = new Set(body.reserved);
    for (const f of body.fields) {
      if (f.decl.kind !== 'Field') continue;
      for (const m of f.decl.modifiers) {
        if (m.kind !== 'Alias' || !m.name) continue;
        const a = m.name.text;
        const other = byName.get(a);
        const problem =
          a === f.name
            ? 'repeats the field\'s own name'
            : other
              ? `is the name of field \`${a}\``
              : owners.has(a)
                ? `is already an alias of \`${owners.get(a)!.name}\``
                : reserved.has(a)
                  ? 'is reserved (`reserved` names are never read again)'
                  : undefined;
        if (problem) this.report(uri, 'VL104', `Alias \`${a}\` ${problem}; each key of the self-describing stream must map to one field`, m.name);
        else owners.set(a, f);
      }
    }
  }

  private versionValue(uri: string, expr: A.Expr, type: IntName, body?: BodyModel): number | undefined {
    const { t, failed } = this.evaluate(expr, this.constEnv(uri, 'a version', body));
    if (typeof t.value !== 'bigint') {
      if (!failed) this.report(uri, 'VL205', 'A version must be a constant integer', expr);
      return undefined;
    }
    if (t.value < 0n || t.value > INT_RANGES[type].max) {
      this.report(uri, 'VL203', `Version ${t.value} is out of range (0 to ${INT_RANGES[type].max})`, expr);
      return undefined;
    }
    return Number(t.value);
  }

  private buildSubsection(parent: BodyModel, decl: A.SubsectionDecl): SubsectionModel {
    const owner = parent.owner;
    const s = {
      kind: 'subsection', name: decl.name!.text, uri: owner.uri, nameRange: decl.name!, decl, parent,
      doc: decl.doc, ...lifecycle(decl),
    } as unknown as SubsectionModel;
    s.body = this.buildBody(owner, decl.body?.items ?? [], s, `${parent.wireName}/${decl.name!.text}`);
    parent.subsections.push(s);
    if (!s.body.wireName.startsWith(parent.wireName) || s.body.wireName.length <= parent.wireName.length) {
      const wn = decl.body?.items.find((i): i is A.WireNameStmt => i.kind === 'WireName');
      this.report(owner.uri, 'VL304', `QEMU's loader only accepts subsections whose name starts with the parent's name \`${parent.wireName}\` and is longer; \`${s.body.wireName}\` would fail to load`, wn?.value ?? s.nameRange);
    }
    if (!decl.needed) s.staticNeeded = true; // no `needed`: always sent
    if (decl.needed?.kind === 'ExprCondition' && decl.needed.expr) {
      const expr = decl.needed.expr;
      this.defer(() => {
        s.staticNeeded = this.checkCondition(owner.uri, expr, this.neededEnv(s), 'needed');
      });
    }
    return s;
  }

  private buildField(body: BodyModel, decl: A.FieldDecl | A.UnusedDecl): FieldModel {
    // A deprecated field may use deprecated things without a warning.
    const dep = lifecycle(decl).deprecated;
    return dep === undefined ? this.buildFieldIn(body, decl) : this.within({ deprecated: dep }, () => this.buildFieldIn(body, decl));
  }

  private buildFieldIn(body: BodyModel, decl: A.FieldDecl | A.UnusedDecl): FieldModel {
    const uri = body.owner.uri;
    const index = body.fields.length;
    const f: FieldModel = {
      kind: 'field', uri, nameRange: decl.kind === 'Field' ? decl.name : decl.keyword ?? decl, decl, body, index,
      type: { element: { kind: 'error' }, nullable: false }, aliases: NO_ALIASES, doc: decl.doc, ...lifecycle(decl),
    };
    body.fields.push(f);

    if (decl.kind === 'Field') {
      f.name = decl.name.text;
      const member = decl.attributes.find((a) => a.name.text === 'member');
      if (member && member.args[0]?.kind === 'StringExpr') f.member = member.args[0].value;
      if (decl.type) f.type = this.resolveFieldType(uri, f, decl.type);
    } else {
      f.type = { element: { kind: 'bytes' }, nullable: false };
      if (decl.size) {
        const { t, failed } = this.evaluate(decl.size, this.constEnv(uri, 'the size of `unused`', body));
        if (typeof t.value === 'bigint') {
          if (t.value <= 0n || t.value > 0x7fffffffn) this.report(uri, 'VL201', `\`unused\` takes 1 to 2147483647 bytes, not ${t.value}`, decl.size);
          else f.type.count = { kind: 'fixed', value: Number(t.value) };
        } else if (!failed) this.report(uri, 'VL205', 'The size of `unused` must be a constant', decl.size);
      }
      if (!f.type.count) f.type.count = { kind: 'unknown' };
    }

    for (const m of decl.modifiers) {
      switch (m.kind) {
        case 'Since':
          if (f.since !== undefined) this.report(uri, 'VL306', '`since` is given twice', m);
          else if (m.value) {
            f.since = this.versionValue(uri, m.value, 'i32', body);
            if (f.since !== undefined && body.versionKnown !== false && f.since > body.version) {
              this.report(uri, 'VL300', `\`since ${f.since}\` is above the ${body.subsection ? 'subsection' : 'description'}'s version ${body.version}; bump \`version\` to ${f.since}`, m, {
                data: { version: f.since },
              });
            }
          }
          break;
        case 'If':
          if (f.condition) this.report(uri, 'VL306', '`if` is given twice', m);
          else if (m.condition) {
            f.condition = m.condition;
            const expr = m.condition.kind === 'ExprCondition' ? m.condition.expr : undefined;
            if (expr) {
              this.defer(() => {
                f.staticCondition = this.checkCondition(uri, expr, this.fieldEnv(body, f), 'if');
                // `if (version == 1)`: known once the version is; evaluate again at the current one.
                if (f.staticCondition === undefined && mentionsVersion(expr)) {
                  this.silent = true;
                  try {
                    const v = checkExpr(expr, this.fieldEnv(body, f, body.version)).value;
                    if (typeof v === 'boolean') {
                      f.staticCondition = v;
                      f.staticAtVersion = body.version;
                    }
                  } finally {
                    this.silent = false;
                  }
                }
              });
            }
          }
          break;
        case 'Equal':
        case 'Le':
          if (f.type.check) this.report(uri, 'VL306', 'A field has at most one load check (`equal` or `le`)', m);
          else this.setCheck(uri, f, m.kind === 'Equal' ? 'equal' : 'le', m);
          break;
        case 'Default':
          if (m.value) {
            const value = m.value;
            this.defer(() => {
              f.default = this.fieldDefault(uri, f, value);
            });
          }
          break;
        case 'Alias':
          if (m.name) f.aliases = [...f.aliases, m.name.text];
          break;
      }
    }
    const ek = f.type.element.kind;
    if (ek === 'list' || ek === 'tree' || ek === 'tmp') this.defer(() => this.checkElementLoadVersion(uri, f));
    if (f.since !== undefined && f.condition) {
      const since = decl.modifiers.find((m) => m.kind === 'Since')!;
      this.report(uri, 'VL302', 'QEMU ignores a field\'s version when it has an `if` test: the test alone decides whether the field is sent', since, {
        tags: ['unnecessary'],
      });
    }
    return f;
  }

  /**
   * QEMU 7.2 loads list, tree and tmp elements with the field's own version (0 unless
   * `since`), not the element description's: that version must be accepted by it.
   */
  private checkElementLoadVersion(uri: string, f: FieldModel): void {
    const el = f.type.element;
    const descs = el.kind === 'tmp' ? [el.description] : el.kind === 'list' ? embedded(el.element) : el.kind === 'tree' ? [...embedded(el.key), ...embedded(el.value)] : [];
    const v = f.since ?? 0;
    for (const d of descs) {
      const b = d.body;
      if (!b || b.versionKnown === false || (b.minimumVersion <= v && v <= b.version)) continue;
      const at = f.decl.kind === 'Field' && f.decl.type ? f.decl.type : f.nameRange;
      const why = v < b.minimumVersion ? `minimum_version ${b.minimumVersion}: the load would fail as too old` : `version ${b.version}: the load would fail as too new`;
      this.report(uri, 'VL308', `QEMU loads ${el.kind} elements with the field's version ${v}, but \`${d.name}\` has ${why}`, at);
    }
  }

  private setCheck(uri: string, f: FieldModel, check: 'equal' | 'le', at: A.Range): void {
    const el = f.type.element;
    const scalar = el.kind === 'scalar' ? el.name : undefined;
    const ok = check === 'le' ? scalar === 'i32' : scalar !== undefined && ['u8', 'u16', 'u32', 'u64', 'i32', 'i64'].includes(scalar);
    if (!ok) {
      const supported = check === 'le' ? 'i32 (VMSTATE_INT32_POSITIVE_LE)' : 'u8, u16, u32, u64, i32 and i64 (the *_EQUAL macros)';
      this.report(uri, 'VL204', `QEMU has no \`${check}\` check for ${el.kind === 'scalar' ? el.name : el.kind}; it exists for ${supported}`, at);
      return;
    }
    f.type.check = check;
  }

  private fieldDefault(uri: string, f: FieldModel, expr: A.Expr): Value | undefined {
    const el = f.type.element;
    let type: PropertyType;
    if (el.kind === 'scalar' && isIntName(el.name)) type = { kind: 'int', name: el.name };
    else if (el.kind === 'scalar' && el.name === 'bool') type = { kind: 'bool' };
    else if (el.kind === 'enum') type = { kind: 'enum', enum: el.enum };
    else if (el.kind === 'scalar' && el.name === 'timer') type = { kind: 'int', name: 'i64' };
    else {
      const what = f.type.count && el.kind !== 'bytes' ? 'an array' : el.kind === 'scalar' ? el.name : el.kind === 'bytes' ? 'a byte buffer' : el.kind;
      this.report(uri, 'VL200', `A default can be given for integer, bool and enum fields; \`${f.name}\` is ${what}`, expr);
      return undefined;
    }
    if (f.type.count) {
      this.report(uri, 'VL200', 'A default can be given for single fields, not arrays', expr);
      return undefined;
    }
    return this.typedValue(uri, expr, type, 'a default', f.body);
  }

  private resolveFieldType(uri: string, f: FieldModel, node: A.TypeNode): FieldType {
    const element = this.resolveElement(uri, node.base, 0);
    const t: FieldType = { element, nullable: !!node.nullable };
    const sized = element.kind === 'bytes' || element.kind === 'bitmap' || element.kind === 'opaque';
    if ((element.kind === 'bytes' || element.kind === 'bitmap') && node.dims.length !== 1) {
      this.report(uri, 'VL206', `\`${element.kind}\` takes exactly one size: \`${element.kind}[n]\``, node);
    }
    if (element.kind === 'opaque' && node.dims.length > 1) this.report(uri, 'VL206', '`opaque` takes at most one size, in bytes', node);
    if (node.nullable) {
      if (node.dims.length === 0) this.report(uri, 'VL206', 'Only array elements can be NULL pointers: `T?[n]`', node.nullable);
      if (sized) this.report(uri, 'VL206', `\`${element.kind}\` elements cannot be NULL pointers`, node.nullable);
    }
    if ((element.kind === 'list' || element.kind === 'tree' || element.kind === 'tmp') && node.dims.length) {
      this.report(uri, 'VL206', element.kind === 'tmp' ? 'A `tmp<…>` field is a single value' : 'Lists and trees cannot be arrays', node.dims[0]);
    }
    if (node.dims.length) {
      t.count = { kind: 'unknown' };
      const dims = node.dims;
      this.defer(() => {
        t.count = this.resolveCount(uri, f, dims, sized ? element.kind : 'array');
      });
    }
    return t;
  }

  private resolveElement(uri: string, base: A.ElementType, depth: number): WireType {
    switch (base.kind) {
      case 'BytesType':
        return { kind: 'bytes' };
      case 'BitmapType':
        return { kind: 'bitmap' };
      case 'OpaqueType':
        if (base.info && !base.info.value) this.report(uri, 'VL200', 'Name the opaque encoding (QEMU\'s VMStateInfo name), e.g. `opaque "pci config"`', base.info);
        return { kind: 'opaque', info: base.info?.value ?? '' };
      case 'ListType': {
        const el = base.element ? this.elementOfNested(uri, base.element, depth) : undefined;
        if (el && depth === 0 && el.kind !== 'struct' && el.kind !== 'error' && !base.element!.dims.length && !base.element!.nullable) {
          this.report(uri, 'VL206', 'List elements are descriptions (QEMU encodes each with its VMStateDescription)', base.element!);
        }
        return el ? { kind: 'list', flavor: base.flavor, element: el } : { kind: 'error' };
      }
      case 'TreeType': {
        const key = base.key ? this.elementOfNested(uri, base.key, depth) : undefined;
        const value = base.value ? this.elementOfNested(uri, base.value, depth) : undefined;
        const intKey = key && ((key.kind === 'scalar' && isIntName(key.name)) || key.kind === 'enum');
        if (key && depth === 0 && !intKey && key.kind !== 'struct' && key.kind !== 'error') {
          this.report(uri, 'VL206', 'A tree key is an integer (a direct key, sent as be64) or a description', base.key!);
        }
        if (value && depth === 0 && value.kind !== 'struct' && value.kind !== 'error' && !base.value!.dims.length && !base.value!.nullable) {
          this.report(uri, 'VL206', 'Tree values are descriptions (QEMU encodes each with its VMStateDescription)', base.value!);
        }
        return key && value ? { kind: 'tree', key, value } : { kind: 'error' };
      }
      case 'TmpType': {
        if (!base.description) return { kind: 'error' };
        const d = this.lookup(uri, 'types', base.description, 'description', (s): s is DescriptionSym => s.kind === 'vmstate');
        return d ? { kind: 'tmp', description: d } : { kind: 'error' };
      }
      case 'NamedType': {
        const name = base.name.text;
        if (isScalarName(name) && !base.name.quoted) {
          if (base.version) this.report(uri, 'VL206', 'Only embedded descriptions take an explicit version (`Desc @ 2`)', base.version);
          return { kind: 'scalar', name };
        }
        const sym = this.lookup(uri, 'types', base.name, 'type', (s): s is DescriptionSym | EnumSym => s.kind === 'vmstate' || s.kind === 'enum');
        if (!sym) return { kind: 'error' };
        if (sym.kind === 'enum') {
          if (base.version) this.report(uri, 'VL206', 'Only embedded descriptions take an explicit version (`Desc @ 2`)', base.version);
          this.resolveEnum(sym);
          return { kind: 'enum', enum: sym };
        }
        const t: WireType = { kind: 'struct', description: sym };
        if (base.version) {
          const ver = base.version;
          const v = this.versionValue(uri, ver, 'i32');
          if (v !== undefined) t.version = v;
          this.defer(() => {
            const b = sym.body;
            if (v !== undefined && b && b.versionKnown !== false && (v > b.version || v < b.minimumVersion)) {
              this.report(uri, 'VL308', `\`${sym.name}\` accepts versions ${b.minimumVersion} to ${b.version}; ${v} is out of range`, ver);
            }
          });
        }
        return t;
      }
    }
  }

  private elementOfNested(uri: string, t: A.TypeNode, depth: number): WireType | undefined {
    if (t.dims.length || t.nullable) this.report(uri, 'VL206', 'List and tree elements are single values (wrap arrays in a description)', t);
    return this.resolveElement(uri, t.base, depth + 1);
  }

  /**
   * Dimensions → element count. All constant: fixed. Otherwise exactly one dimension may be
   * `field` or `property(p)`, optionally times a constant, as QEMU's VARRAY/VBUFFER allow.
   */
  private resolveCount(uri: string, f: FieldModel, dims: A.Dim[], form: string): Count {
    let fixed = 1n;
    let variable: { ref: { kind: 'field'; field: FieldModel } | { kind: 'property'; property: PropertySym }; factor: bigint; at: A.Range } | undefined;
    const earlier = readable(f.body, f.index);
    const later = new FieldsOf(f.body, f.index, Infinity);
    const max = 0x7fffffffn;
    const env = this.countEnv(uri, f, earlier, later);
    for (const dim of dims) {
      if (!dim.size) return { kind: 'unknown' };
      const at = dim.size;
      const parsed = this.splitCount(dim.size, uri, f, earlier, later);
      if (parsed === 'error') return { kind: 'unknown' };
      if (parsed) {
        if (variable) {
          this.report(uri, 'VL201', 'Only one dimension can come from a field or property', at);
          return { kind: 'unknown' };
        }
        const { ref, factorExpr } = parsed;
        let factor = 1n;
        if (factorExpr) {
          const { t, failed } = this.evaluate(factorExpr, this.constEnv(uri, 'a size factor', f.body));
          if (failed) return { kind: 'unknown' };
          if (typeof t.value !== 'bigint' || t.value <= 0n) {
            this.report(uri, 'VL201', 'A size factor must be a positive constant integer', factorExpr);
            return { kind: 'unknown' };
          }
          factor = t.value;
        }
        const allowed = form === 'array' ? COUNT_TYPES : BUFFER_SIZE_TYPES;
        if (ref.kind === 'field') {
          const fe = ref.field.type.element;
          if (ref.field.type.count || fe.kind !== 'scalar' || !allowed.has(fe.name)) {
            const want = form === 'array' ? "u8, u16, u32 or i32 (QEMU's VARRAY_UINT8/16/32 and VARRAY_INT32)" : 'an integer field of at most 32 bits (QEMU reads buffer sizes as int32)';
            this.report(uri, 'VL202', `\`${ref.field.name}\` cannot give a count: it must be ${want}`, ref.at);
            return { kind: 'unknown' };
          }
          this.checkCountPresence(uri, f, ref.field, ref.at);
          variable = { ref: { kind: 'field', field: ref.field }, factor, at };
        } else {
          const p = ref.property;
          if (p.type.kind !== 'int' || !allowed.has(p.type.name)) {
            const want = form === 'array' ? 'u8, u16, u32 or i32' : 'an integer of at most 32 bits';
            this.report(uri, 'VL202', `Property \`${p.name}\` cannot give a count: it must be ${want}`, ref.at);
            return { kind: 'unknown' };
          }
          variable = { ref: { kind: 'property', property: p }, factor, at };
        }
        continue;
      }
      const { t, failed } = this.evaluate(dim.size, env);
      if (failed) return { kind: 'unknown' };
      if (typeof t.value !== 'bigint') {
        this.report(uri, 'VL201', 'An array size is a constant, a field or `property(…)`, optionally times a constant (e.g. `n * 4`)', at);
        return { kind: 'unknown' };
      }
      if (t.value < 0n) {
        this.report(uri, 'VL201', `An array size cannot be negative (${t.value})`, at);
        return { kind: 'unknown' };
      }
      if (t.value === 0n) this.report(uri, 'VL309', 'This array has no elements and puts nothing on the wire', at);
      fixed *= t.value;
      if (fixed > max) {
        this.report(uri, 'VL201', `Array size ${fixed} is too large (QEMU counts elements in an int)`, at);
        return { kind: 'unknown' };
      }
    }
    if (variable) {
      const factor = variable.factor * fixed;
      if (factor <= 0n || factor > max) {
        this.report(uri, 'VL201', `Size factor ${factor} is out of range (1 to ${max})`, variable.at);
        return { kind: 'unknown' };
      }
      return variable.ref.kind === 'field'
        ? { kind: 'field', field: variable.ref.field, factor: Number(factor) }
        : { kind: 'property', property: variable.ref.property, factor: Number(factor) };
    }
    return { kind: 'fixed', value: Number(fixed) };
  }

  /**
   * A count read from a field that older versions do not send: QEMU then uses whatever
   * the destination's struct holds, so the field needs a `default` (what pre_load sets).
   */
  private checkCountPresence(uri: string, f: FieldModel, count: FieldModel, at: A.Range): void {
    const countSince = count.since ?? 0;
    const arraySince = f.since ?? 0;
    if (count.condition || f.condition || count.body !== f.body) return;
    const hasDefault = count.decl.kind === 'Field' && count.decl.modifiers.some((m) => m.kind === 'Default');
    if (countSince > arraySince && countSince > f.body.minimumVersion && !hasDefault) {
      const from = Math.max(arraySince, f.body.minimumVersion);
      this.report(
        uri,
        'VL311',
        `\`${count.name}\` is only sent from version ${countSince}, but \`${f.name}\` is also read at version${countSince - 1 > from ? `s ${from}–${countSince - 1}` : ` ${from}`}; give \`${count.name}\` a \`default\` (the value pre_load sets)`,
        at,
      );
    }
  }

  /**
   * `n`, `n * K`, `K * n`, `property(p)` … → the count reference and the factor expression;
   * undefined when the dimension holds no field or property (a constant size), 'error'
   * when a name in it was reported.
   */
  private splitCount(
    e: A.Expr,
    uri: string,
    f: FieldModel,
    earlier: FieldScope,
    later: FieldScope,
  ): { ref: CountRef; factorExpr?: A.Expr } | undefined | 'error' {
    const refOf = (x: A.Expr): CountRef | undefined | 'error' => {
      if (x.kind === 'Property') {
        const p = this.propertyRef(uri, x, f.body.owner);
        return p ? { kind: 'property', property: p, at: x } : 'error';
      }
      if (x.kind === 'NameRef') {
        // Constants are sizes, not references; only a field name is a reference.
        if (!earlier.has(x.name.text) && !later.has(x.name.text)) return undefined;
        const t = this.valueName(uri, x.name, earlier, later);
        return t && t.kind === 'field' ? { kind: 'field', field: t.field, at: x } : 'error';
      }
      return undefined;
    };
    // Flatten a product (`n * K * 2`, `2 * (K * n)`): one multiplicand may be the reference,
    // the others form the constant factor.
    const factors: A.Expr[] = [];
    const stack: A.Expr[] = [e];
    while (stack.length) {
      const x = stack.pop()!;
      if (x.kind === 'Paren' && x.expr) stack.push(x.expr);
      else if (x.kind === 'Binary' && x.op === '*' && x.right && factors.length + stack.length < 64) stack.push(x.right, x.left);
      else factors.push(x);
    }
    let ref: CountRef | undefined;
    const rest: A.Expr[] = [];
    for (const x of factors) {
      const r = ref ? undefined : refOf(x);
      if (r === 'error') return 'error';
      if (r) ref = r;
      else rest.push(x);
    }
    if (!ref) return undefined;
    if (rest.length === 0) return { ref };
    // The factor is evaluated as the product of the remaining multiplicands.
    const factorExpr = rest.reduce((acc: A.Expr, x): A.Expr => ({ kind: 'Binary', op: '*', opRange: x, left: acc, right: x, start: acc.start, end: x.end }));
    return { ref, factorExpr };
  }

  private countEnv(uri: string, f: FieldModel, earlier: FieldScope, later: FieldScope): ExprEnv {
    return new Env(this, uri, { what: 'an array size', fields: earlier, later, owner: f.body.owner, version: 'no' });
  }


  // ---- conditions ----

  /** Type-check a condition; returns its value when it is a constant. */
  private checkCondition(uri: string, expr: A.Expr, env: ExprEnv, what: string): boolean | undefined {
    const t: Typed = checkExpr(expr, env);
    if (t.type.kind !== 'bool' && t.type.kind !== 'error') {
      const fix = t.type.kind === 'int' ? `; write \`${what} (… != 0)\`` : '';
      this.report(uri, 'VL200', `${what === 'if' ? 'An' : 'A'} \`${what}\` condition must be a bool, found ${describeType(t.type)}${fix}`, expr, {
        data: t.type.kind === 'int' ? { fix: 'compare-nonzero' } : undefined,
      });
    }
    return typeof t.value === 'boolean' ? t.value : undefined;
  }

  /** `if` on a field: earlier fields of the same body, properties, constants, `version`. */
  private fieldEnv(body: BodyModel, f: FieldModel, version?: number): ExprEnv {
    const fields = readable(body, f.index);
    const later = new FieldsOf(body, f.index, Infinity);
    return new Env(this, body.owner.uri, { what: 'a condition', fields, later, owner: body.owner, version: version ?? 'yes' });
  }


  /** @internal (Env) */
  noVersionInNeeded(uri: string, v: A.VersionExpr): false {
    this.report(uri, 'VL113', 'QEMU calls needed() without a version: only the sender evaluates it, with its own current version; test a field or a property instead', v);
    return false;
  }

  /** `needed` of a subsection: every field of the parent chain and of the subsection itself. */
  private neededEnv(s: SubsectionModel): ExprEnv {
    const fields = new WithParents(new FieldsOf(s.body, 0, Infinity), s.body);
    return new Env(this, s.uri, { what: 'a condition', fields, owner: s.body.owner, version: 'needed' });
  }


  private topNeededEnv(d: DescriptionSym): ExprEnv {
    return new Env(this, d.uri, { what: 'a condition', fields: new FieldsOf(d.body, 0, Infinity), owner: d, version: 'needed' });
  }


  private readonly devicesMemo = new Map<DescriptionSym, DeviceSym[]>();

  /** Devices whose state is `d` or embeds it (transitively); iterative, remembered. */
  private devicesFor(d: DescriptionSym): DeviceSym[] {
    const cached = this.devicesMemo.get(d);
    if (cached) return cached;
    const out = new Set<DeviceSym>();
    const seen = new Set<DescriptionSym>([d]);
    const stack = [d];
    while (stack.length) {
      const x = stack.pop()!;
      for (const dev of x.devices) out.add(dev);
      for (const f of x.embeddedBy) {
        const owner = f.body.owner;
        if (!seen.has(owner)) {
          seen.add(owner);
          stack.push(owner);
        }
      }
    }
    const list = [...out];
    this.devicesMemo.set(d, list);
    return list;
  }


  /** @internal (Env) */
  propertyRef(uri: string, p: A.PropertyExpr, owner: DescriptionSym): PropertySym | undefined {
    if (!p.property) return undefined;
    const name = p.property.text;
    if (p.device) {
      const dev = this.lookup(uri, 'devices', p.device, 'device', (s): s is DeviceSym => s.kind === 'device');
      if (!dev) return undefined;
      return this.findProperty(uri, p.property, [dev], `device \`${dev.name}\``);
    }
    const devices = this.devicesFor(owner);
    if (devices.length === 0) {
      this.report(uri, 'VL109', `No device has \`${owner.name}\` as its state, so \`property(${name})\` has no device to read; write \`property(device.${name})\``, p);
      return undefined;
    }
    return this.findProperty(uri, p.property, devices, devices.length === 1 ? `device \`${devices[0].name}\`` : `the devices using \`${owner.name}\``);
  }

  /** Subclasses of each device (transitively), built once; parents are acyclic by now. */
  private childIndex?: Map<DeviceSym, DeviceSym[]>;
  private readonly subclassMemo = new Map<DeviceSym, DeviceSym[]>();
  private subclassesOf(dev: DeviceSym): DeviceSym[] {
    if (!this.childIndex) {
      this.childIndex = new Map();
      for (const d of this.result.devices) {
        if (!d.parent) continue;
        const list = this.childIndex.get(d.parent);
        if (list) list.push(d);
        else this.childIndex.set(d.parent, [d]);
      }
    }
    let out = this.subclassMemo.get(dev);
    if (!out) {
      out = [];
      const stack = [...(this.childIndex.get(dev) ?? [])];
      while (stack.length) {
        const c = stack.pop()!;
        out.push(c);
        for (const g of this.childIndex.get(c) ?? []) stack.push(g);
      }
      this.subclassMemo.set(dev, out);
    }
    return out;
  }

  /** A property on the device or its parents, else on a subclass (compat entries reach those). */
  private propertyInTree(dev: DeviceSym, name: string): PropertySym | undefined {
    for (let d: DeviceSym | undefined = dev; d; d = d.parent) {
      const p = d.properties.find((x) => x.name === name);
      if (p) return p;
    }
    for (const sub of this.subclassesOf(dev)) {
      const p = sub.properties.find((x) => x.name === name);
      if (p) return p;
    }
    return undefined;
  }

  private findProperty(uri: string, name: A.Name, devices: DeviceSym[], where: string): PropertySym | undefined {
    for (const dev of devices) {
      for (let d: DeviceSym | undefined = dev; d; d = d.parent) {
        const p = d.properties.find((x) => x.name === name.text);
        if (p) {
          this.ref(uri, name, p);
          return p;
        }
      }
    }
    const sugg = this.suggest(name.text, () => {
      const candidates: string[] = [];
      for (const dev of devices) {
        for (let d: DeviceSym | undefined = dev; d; d = d.parent) candidates.push(...d.properties.map((x) => x.name));
        for (const sub of this.subclassesOf(dev)) candidates.push(...sub.properties.map((x) => x.name));
      }
      return candidates;
    });
    this.report(uri, 'VL109', `Unknown property \`${name.text}\` of ${where}${sugg.length ? `; did you mean \`${sugg[0]}\`?` : ''}`, name, {
      data: { suggestions: sugg },
    });
    return undefined;
  }


  // ---- whole-workspace checks ----

  private linkEmbeddings(): void {
    const visit = (body: BodyModel) => {
      for (const f of body.fields) {
        for (const d of embedded(f.type.element)) d.embeddedBy.push(f);
      }
      for (const s of body.subsections) visit(s.body);
    };
    for (const d of this.result.descriptions) if (d.body) visit(d.body);
    // Top-level `needed` only matters for sections; on an embedded-only description QEMU never reads it.
    for (const d of this.result.descriptions) {
      const needed = d.body.needed;
      if (!needed) continue;
      if (d.embeddedBy.length && !d.devices.length) {
        const stmt = d.decl.body?.items.find((i) => i.kind === 'Needed');
        this.report(d.uri, 'VL307', `\`${d.name}\` is only embedded in other descriptions; QEMU does not test a top-level \`needed\` there`, stmt ?? d.nameRange);
      }
      if (needed.kind === 'ExprCondition' && needed.expr) {
        const expr = needed.expr;
        this.defer(() => this.checkCondition(d.uri, expr, this.topNeededEnv(d), 'needed'));
      }
    }
  }

  private checkStructRecursion(): void {
    // Iterative DFS over "description embeds description by value"; lists and trees break
    // recursion (their elements come one by one), so only structs and tmp count.
    const state = new Map<DescriptionSym, 0 | 1 | 2>();
    const directEdges = (d: DescriptionSym): Array<{ to: DescriptionSym; field: FieldModel }> => {
      const out: Array<{ to: DescriptionSym; field: FieldModel }> = [];
      const visit = (b: BodyModel) => {
        for (const f of b.fields) {
          const e = f.type.element;
          // A NULL-able pointer array (`T?[n]`) ends a recursion with NULL elements.
          if ((e.kind === 'struct' || e.kind === 'tmp') && !f.type.nullable) out.push({ to: e.description, field: f });
        }
        for (const s of b.subsections) visit(s.body);
      };
      visit(d.body);
      return out;
    };
    for (const root of this.result.descriptions) {
      if (state.get(root)) continue;
      const stack: Array<{ d: DescriptionSym; edges: Array<{ to: DescriptionSym; field: FieldModel }>; i: number }> = [{ d: root, edges: directEdges(root), i: 0 }];
      state.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1];
        if (top.i >= top.edges.length) {
          state.set(top.d, 2);
          stack.pop();
          continue;
        }
        const { to, field } = top.edges[top.i++];
        const s = state.get(to) ?? 0;
        if (s === 1) {
          const chain = stack.slice(stack.findIndex((x) => x.d === to)).map((x) => x.d.name);
          this.report(field.uri, 'VL305', `Recursive struct: ${[...chain, to.name].join(' → ')}; a description cannot contain itself by value (use \`list<…>\` for a linked structure)`, field.decl.kind === 'Field' && field.decl.type ? field.decl.type : field.nameRange);
          (field.type as { element: WireType }).element = { kind: 'error' };
        } else if (s === 0) {
          state.set(to, 1);
          stack.push({ d: to, edges: directEdges(to), i: 0 });
        }
      }
    }
  }

  private resolveMachine(m: MachineSym): void {
    const uri = m.uri;
    if (m.decl.parent) {
      const parentName: A.Name = { kind: 'Name', text: m.decl.parent.value, quoted: true, start: m.decl.parent.start, end: m.decl.parent.end };
      // Itself as parent is found (and reported as a cycle), but never suggested.
      const known = this.scopes.get(uri)!.lookup('machines', parentName.text).length > 0;
      m.parent = this.lookup(uri, 'machines', parentName, 'machine type', (s): s is MachineSym => s.kind === 'machine' && (known || s !== m));
    }
    const seen = new Map<string, CompatModel>();
    for (const entry of m.decl.body?.items ?? []) {
      const c: CompatModel = { decl: entry };
      m.compat.push(c);
      c.device = this.lookup(uri, 'devices', entry.device, 'device', (s): s is DeviceSym => s.kind === 'device');
      if (!c.device || !entry.property) continue;
      // QEMU applies a compat entry to instances of the type and of its subclasses, so the
      // property may also be one that only subclasses declare.
      const own = this.propertyInTree(c.device, entry.property.text);
      c.property = own
        ? (this.ref(uri, entry.property, own), own)
        : this.findProperty(uri, entry.property, [c.device], `device \`${c.device.name}\`, its parents or subclasses`);
      if (c.property && entry.value) c.value = this.typedValue(uri, entry.value, c.property.type, 'a compat value');
      const key = `${c.device.name}.${entry.property.text}`;
      const dup = seen.get(key);
      if (dup) {
        this.report(uri, 'VL401', `\`${key}\` is set twice in this machine type; the last one wins`, entry, {
          related: [{ uri, start: dup.decl.start, end: dup.decl.end, message: 'first set here' }],
        });
      }
      seen.set(key, c);
    }
  }

  /**
   * Break inheritance cycles (devices or machine types) before anything walks parents:
   * one pass over parent pointers, each node visited once, each cycle reported once.
   */
  private breakInheritanceCycles<S extends DeviceSym | MachineSym>(list: S[], what: string): void {
    const state = new Map<S, 1 | 2>();
    for (const start of list) {
      if (state.has(start)) continue;
      const path: S[] = [];
      let x: S | undefined = start;
      while (x && !state.has(x)) {
        state.set(x, 1);
        path.push(x);
        x = x.parent as S | undefined;
      }
      if (x && state.get(x) === 1) {
        // x is the first of the cycle reached: x → … → x. Report and cut at x's parent.
        const cycle = path.slice(path.indexOf(x));
        const names = cycle.map((c) => c.name);
        const shown = names.length > 8 ? [...names.slice(0, 4), '…', ...names.slice(-3)] : names;
        const size = cycle.length > 8 ? ` (${cycle.length} types)` : '';
        this.report(x.uri, 'VL400', `${what} inheritance cycle${size}: ${[...shown, x.name].join(' → ')}`, x.decl.parent ?? x.nameRange);
        x.parent = undefined;
      }
      for (const p of path) state.set(p, 2);
    }
  }


  private checkWireNames(): void {
    // Sections are found by wire name: two descriptions that can be sent as sections
    // (a device's state, or not embedded anywhere) must not share one in a file's view.
    // Each file reports its own declarations that clash with another visible one.
    for (const info of this.focusFiles()) {
      const mine = info.syms.filter((s): s is DescriptionSym => s.kind === 'vmstate' && !!s.body && isSection(s) && !this.duplicates.has(s));
      if (mine.length === 0) continue;
      const scope = this.scopes.get(info.uri)!;
      const byWire = new Map<string, DescriptionSym[]>();
      for (const s of scope.all()) {
        if (s.kind !== 'vmstate' || !s.body || !isSection(s)) continue;
        const list = byWire.get(s.body.wireName);
        if (list) list.push(s);
        else byWire.set(s.body.wireName, [s]);
      }
      for (const s of mine) {
        const list = byWire.get(s.body.wireName)!;
        // The original: one from another file (included), else the first in this file.
        const first = list.find((o) => o !== s && o.uri !== info.uri) ?? list.find((o) => o.uri === info.uri && o.nameRange.start < s.nameRange.start);
        if (!first) continue;
        this.report(info.uri, 'VL102', `Wire name \`${s.body.wireName}\` is already used by \`${first.name}\`; two sections cannot share a name`, wireNameRange(s), {
          related: [rel(first, 'also sent as ' + JSON.stringify(s.body.wireName))],
        });
      }
    }
  }


  private checkUnused(): void {
    for (const info of this.focusFiles()) {
      for (const s of info.syms) {
        if ((s.kind === 'const' || s.kind === 'enum') && !this.used.has(s) && !this.duplicates.has(s)) {
          this.report(info.uri, 'VL500', `${capitalize(symLabel(s))} is never used`, s.nameRange, { tags: ['unnecessary'] });
        }
      }
      // An include is used when something this file references is declared in the
      // included file or in what that file includes.
      const referenced = new Set<string>();
      for (const r of this.result.references.get(info.uri) ?? []) referenced.add(r.sym.uri);
      for (const inc of info.includes) {
        if (!inc.target) continue;
        const used = this.result.files.get(inc.target)!.visible.some((u) => referenced.has(u));
        if (!used) {
          this.report(info.uri, 'VL502', `Nothing from \`${inc.decl.path?.value}\` is used here`, inc.decl, { tags: ['unnecessary'] });
        }
      }
    }
  }
}

// ---- expression environments ----

interface EnvOptions {
  /** What is being computed, for messages ("an array size"). */
  what: string;
  body?: BodyModel;
  fields?: FieldScope;
  later?: FieldScope;
  /** The description whose devices `property(p)` reads; none: properties are not allowed. */
  owner?: DescriptionSym;
  /** `version`: not allowed ('no'), allowed ('yes'), not in needed(), or a known value. */
  version: 'no' | 'yes' | 'needed' | number;
}

/** What an expression may read at one position (one object, no closures per use). */
class Env implements ExprEnv {
  constructor(
    private readonly b: Builder,
    private readonly uri: string,
    private readonly o: EnvOptions,
  ) {}
  name(n: A.Name): NameTarget | undefined {
    return this.b.valueName(this.uri, n, this.o.fields, this.o.later, this.o.body, this.o.what);
  }
  member(m: A.MemberExpr): NameTarget | undefined {
    return this.b.memberPath(this.uri, m, this.o.fields, this.o.later);
  }
  property(p: A.PropertyExpr): PropertySym | undefined {
    if (this.o.owner) return this.b.propertyRef(this.uri, p, this.o.owner);
    this.b.report(this.uri, 'VL205', `${capitalize(this.o.what)} cannot read a property`, p);
    return undefined;
  }
  version(v: A.VersionExpr): boolean | bigint {
    const ver = this.o.version;
    if (typeof ver === 'number') return BigInt(ver);
    if (ver === 'yes') return true;
    if (ver === 'needed') return this.b.noVersionInNeeded(this.uri, v);
    this.b.report(this.uri, 'VL205', `${capitalize(this.o.what)} cannot read \`version\``, v);
    return false;
  }
  constValue(c: ConstSym): Value | undefined {
    return this.b.constValue(c);
  }
  report(code: string, message: string, range: A.Range, data?: Record<string, unknown>): void {
    this.b.report(this.uri, code as Code, message, range, data ? { data } : {});
  }
}

// ---- scopes ----

type CountRef = { kind: 'field'; field: FieldModel; at: A.Range } | { kind: 'property'; property: PropertySym; at: A.Range };

/** The fields a position may name (a Map satisfies it). */
interface FieldScope {
  get(name: string): FieldModel | undefined;
  has(name: string): boolean;
  keys(): Iterable<string>;
}

/** name → member, per enum (members are appended while the enum is resolved). */
const memberIndexes = new WeakMap<EnumSym, { size: number; map: Map<string, EnumMemberSym> }>();

function memberIndex(e: EnumSym): Map<string, EnumMemberSym> {
  let idx = memberIndexes.get(e);
  if (!idx || idx.size !== e.members.length) {
    const map = idx?.map ?? new Map<string, EnumMemberSym>();
    for (let i = idx?.size ?? 0; i < e.members.length; i++) if (!map.has(e.members[i].name)) map.set(e.members[i].name, e.members[i]);
    idx = { size: e.members.length, map };
    memberIndexes.set(e, idx);
  }
  return idx.map;
}

/** name → first field of that name, per body; stored once the body is complete. */
const fieldIndex = new WeakMap<BodyModel, Map<string, FieldModel>>();

function indexFields(body: BodyModel): Map<string, FieldModel> {
  const m = new Map<string, FieldModel>();
  for (const g of body.fields) if (g.name !== undefined && !m.has(g.name)) m.set(g.name, g);
  return m;
}

/** Field names as written (before the model is built, for messages). */
const syntaxFieldNames = new WeakMap<BodyModel, Set<string>>();

function fieldNamesOf(b: BodyModel): Set<string> {
  let s = syntaxFieldNames.get(b);
  if (!s) {
    s = new Set();
    const items = b.subsection ? b.subsection.decl.body?.items : b.owner.decl.body?.items;
    for (const i of items ?? []) if (i.kind === 'Field') s.add(i.name.text);
    syntaxFieldNames.set(b, s);
  }
  return s;
}

/**
 * What a field of a subsection may read besides the earlier fields of its own body: every
 * field of the enclosing bodies, which QEMU has loaded (into the same C struct) before.
 */
class WithParents implements FieldScope {
  constructor(private readonly own: FieldScope, private readonly body: BodyModel) {}
  get(name: string): FieldModel | undefined {
    const f = this.own.get(name);
    if (f) return f;
    for (let b = this.body.subsection?.parent; b; b = b.subsection?.parent) {
      const g = new FieldsOf(b, 0, Infinity).get(name);
      if (g) return g;
    }
    return undefined;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  *keys(): Iterable<string> {
    yield* this.own.keys();
    for (let b = this.body.subsection?.parent; b; b = b.subsection?.parent) yield* new FieldsOf(b, 0, Infinity).keys();
  }
  get end(): number {
    return (this.own as FieldsOf).end;
  }
}

function readable(body: BodyModel, before: number): FieldScope {
  const own = new FieldsOf(body, 0, before);
  return body.subsection ? new WithParents(own, body) : own;
}

/** Fields of a body with index in [from, to), looked up through one map per body. */
class FieldsOf implements FieldScope {
  private readonly byName: Map<string, FieldModel>;
  /** Index of the field this view was made for (fields before it are readable). */
  get end(): number {
    return this.to;
  }
  constructor(body: BodyModel, private readonly from: number, private readonly to: number) {
    this.byName = fieldIndex.get(body) ?? indexFields(body);
  }
  get(name: string): FieldModel | undefined {
    const f = this.byName.get(name);
    return f && f.index >= this.from && f.index < this.to ? f : undefined;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  *keys(): Iterable<string> {
    for (const [k, f] of this.byName) if (f.index >= this.from && f.index < this.to) yield k;
  }
}

type Namespace = 'types' | 'devices' | 'machines';

function namespaceOf(s: TopSym): Namespace {
  return s.kind === 'device' ? 'devices' : s.kind === 'machine' ? 'machines' : 'types';
}

interface OwnDeclarations {
  syms: TopSym[];
  maps: Record<Namespace, Map<string, TopSym[]>>;
}

/**
 * What a file sees: its own declarations and those of its include closure. Lookups go
 * through each file's own table (shared, built once), so a long include chain costs no
 * copy of every declaration into every file's scope.
 */
class Scope {
  constructor(private readonly files: OwnDeclarations[]) {}
  lookup(ns: Namespace, name: string): TopSym[] {
    let out: TopSym[] | undefined;
    for (const f of this.files) {
      const l = f.maps[ns].get(name);
      if (l) out = out ? out.concat(l) : l;
    }
    return out ?? [];
  }
  names(ns: Namespace, accept?: (s: TopSym) => boolean): string[] {
    const out = new Set<string>();
    for (const f of this.files) for (const [name, list] of f.maps[ns]) if (!accept || list.some(accept)) out.add(name);
    return [...out];
  }
  *all(): Iterable<TopSym> {
    for (const f of this.files) yield* f.syms;
  }
}

// ---- helpers ----

function lifecycle(node: { attributes: A.Attribute[]; doc?: A.Doc }): { deprecated?: string; unstable?: boolean; doc?: A.Doc } {
  const out: { deprecated?: string; unstable?: boolean; doc?: A.Doc } = {};
  for (const a of node.attributes) {
    if (a.name.text === 'deprecated') out.deprecated = a.args[0]?.kind === 'StringExpr' ? a.args[0].value : '';
    if (a.name.text === 'unstable') out.unstable = true;
  }
  if (node.doc) out.doc = node.doc;
  return out;
}

/** Does an expression read `version`? (iterative: expressions may be deep) */
function mentionsVersion(root: A.Expr): boolean {
  const stack: A.Expr[] = [root];
  while (stack.length) {
    const e = stack.pop()!;
    if (e.kind === 'VersionRef') return true;
    if (e.kind === 'Binary') {
      stack.push(e.left);
      if (e.right) stack.push(e.right);
    } else if (e.kind === 'Unary' && e.operand) stack.push(e.operand);
    else if (e.kind === 'Paren' && e.expr) stack.push(e.expr);
  }
  return false;
}

function embedded(t: WireType): DescriptionSym[] {
  switch (t.kind) {
    case 'struct':
    case 'tmp':
      return [t.description];
    case 'list':
      return embedded(t.element);
    case 'tree':
      return [...embedded(t.key), ...embedded(t.value)];
    default:
      return [];
  }
}

/** Can be sent as a section: a device's state, or not embedded anywhere. */
function isSection(d: DescriptionSym): boolean {
  return d.devices.length > 0 || d.embeddedBy.length === 0;
}

function wireNameRange(d: DescriptionSym): A.Range {
  const stmt = d.decl.body?.items.find((i): i is A.WireNameStmt => i.kind === 'WireName');
  return stmt?.value ?? d.nameRange;
}

function rel(s: { uri: string; nameRange: A.Range }, message: string): Related {
  return { uri: s.uri, start: s.nameRange.start, end: s.nameRange.end, message };
}


function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function symLabel(s: AnySym, withName = true): string {
  const kind =
    s.kind === 'vmstate' ? 'description' : s.kind === 'enumMember' ? 'enum member' : s.kind === 'machine' ? 'machine type' : s.kind === 'const' ? 'constant' : s.kind;
  return withName ? `${kind} \`${s.name ?? 'unused'}\`` : withArticle(kind);
}

function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function declKindLabel(kind: string): string {
  const labels: Record<string, string> = {
    Include: 'includes', Const: 'constants', Enum: 'enums', EnumMember: 'enum members', Vmstate: 'descriptions',
    Subsection: 'subsections', Field: 'fields', Unused: '`unused`', Device: 'devices', Property: 'properties',
    State: '`state`', Machine: 'machine types', Compat: 'compat entries', Version: '`version`',
    MinimumVersion: '`minimum_version`', Needed: '`needed`', Reserved: '`reserved`', WireName: '`name`',
  };
  return labels[kind] ?? kind;
}

export type { ExprType };
