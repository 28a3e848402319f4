import { Diagnostic } from '../diagnostics/diagnostic';
import { closestMatches } from '../util/names';
import { countNewlines, hasNewline } from '../util/text';
import * as A from './ast';
import { intValue, lex, stringValue } from './lexer';
import { T, Token, isTrivia, tokenName } from './tokens';

/**
 * The parse of one file: the typed tree, the full token stream (trivia included, so the
 * source can be rebuilt and comments are available to the formatter), and the syntax
 * diagnostics. parse() never throws and runs in time linear in the input.
 */
export interface SyntaxTree {
  text: string;
  /** Every token, comments included (whitespace is the gaps); computed on first use. */
  readonly tokens: Token[];
  file: A.SourceFile;
  diagnostics: Diagnostic[];
}

/** The shared empty list of attributes, modifiers and dimensions (most items have none). */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** Nesting limits: deeper input is reported (VL012), never a stack overflow. */
const MAX_EXPR_DEPTH = 200;
const MAX_BLOCK_DEPTH = 64;
const MAX_TYPE_DEPTH = 32;

export const TOP_KEYWORDS = ['include', 'const', 'enum', 'vmstate', 'device', 'machine'] as const;
export const BODY_KEYWORDS = ['name', 'version', 'minimum_version', 'needed', 'reserved', 'unused', 'subsection'] as const;
export const FIELD_MODIFIERS = ['since', 'if', 'equal', 'le', 'default', 'alias'] as const;
export const DEVICE_KEYWORDS = ['state', 'property'] as const;
export const TYPE_KEYWORDS = ['bytes', 'bitmap', 'opaque', 'list', 'qlist', 'tree', 'tmp'] as const;

export function parse(text: string): SyntaxTree {
  const { tokens, diagnostics } = lex(text);
  const p = new Parser(text, tokens, diagnostics);
  const file = p.parseFile();
  // The token stream is not kept: lexing again costs ~0.1 ms per 1,000 lines, while keeping
  // every token of a workspace alive doubled the time of a full parse in GC.
  let relexed: Token[] | undefined;
  return {
    text,
    file,
    diagnostics: capped(diagnostics),
    get tokens(): Token[] {
      return (relexed ??= lex(text).tokens);
    },
  };
}

/** Past this many syntax errors the rest are noise (binary files, wrong language). */
export const MAX_SYNTAX_DIAGNOSTICS = 40;

function capped(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_SYNTAX_DIAGNOSTICS) return diagnostics;
  const sorted = diagnostics.slice().sort((a, b) => a.start - b.start);
  const kept = sorted.slice(0, MAX_SYNTAX_DIAGNOSTICS - 1);
  const next = sorted[MAX_SYNTAX_DIAGNOSTICS - 1];
  kept.push({
    code: 'VL010',
    severity: 'error',
    message: `${sorted.length - kept.length} more syntax errors not shown (is this a .vmsd file?)`,
    start: next.start,
    end: next.end,
  });
  return kept;
}

const binaryPrecedence: Partial<Record<A.BinaryOp, number>> = {
  '||': 1, '&&': 2,
  '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3,
  '|': 4, '^': 5, '&': 6, '<<': 7, '>>': 7,
  '+': 8, '-': 8, '*': 9, '/': 9, '%': 9,
};

class Parser {
  /** Indices (into tokens) of the significant tokens; the last one is EOF. */
  private readonly sig: number[] = [];
  /** For each significant token: does a newline precede it (in its leading trivia)? */
  private readonly lineStart: boolean[] = [];
  private pos = 0;
  private exprDepth = 0;
  private blockDepth = 0;
  private typeDepth = 0;
  private lastErrorAt = -1;
  /** After a nesting-too-deep error, the unwinding frames' complaints are noise. */
  private quietUntil = -1;
  /** Declarations that carry attributes, so checks need not walk the whole tree. */
  private readonly attributed: A.AnyDecl[] = [];

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly diagnostics: Diagnostic[],
  ) {
    let newline = true;
    let prevEnd = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (!newline && hasNewline(text, prevEnd, t.start)) newline = true;
      prevEnd = t.end;
      if (isTrivia(t.kind)) {
        if (!newline && t.kind === T.BlockComment && hasNewline(text, t.start, t.end)) newline = true;
        continue;
      }
      // Unknown characters were reported by the lexer; the grammar does not see them.
      if (t.kind === T.Unknown) continue;
      this.sig.push(i);
      this.lineStart.push(newline);
      newline = false;
    }
  }


  // ---- token access ----

  private tok(k = 0): Token {
    return this.tokens[this.sig[Math.min(this.pos + k, this.sig.length - 1)]];
  }
  private kind(k = 0): T {
    return this.tok(k).kind;
  }
  private textOf(t: Token): string {
    return this.text.slice(t.start, t.end);
  }
  private isWord(word: string, k = 0): boolean {
    const t = this.tok(k);
    return t.kind === T.Ident && t.end - t.start === word.length && this.text.startsWith(word, t.start);
  }
  private atLineStart(k = 0): boolean {
    return this.lineStart[Math.min(this.pos + k, this.sig.length - 1)];
  }
  private bump(): Token {
    const t = this.tok();
    if (t.kind !== T.EOF) this.pos++;
    return t;
  }
  private eat(kind: T): Token | undefined {
    return this.kind() === kind ? this.bump() : undefined;
  }
  /** End offset of the last consumed significant token (where a missing token belongs). */
  private prevEnd(): number {
    return this.pos === 0 ? 0 : this.tokens[this.sig[this.pos - 1]].end;
  }

  private error(message: string, start: number, end: number, code = 'VL010', data?: Diagnostic['data']): void {
    // One error per position: the first is the well-placed one, the rest a cascade.
    if (start === this.lastErrorAt || (start <= this.quietUntil && code !== 'VL011')) return;
    this.lastErrorAt = start;
    const d: Diagnostic = { code, severity: 'error', message, start, end };
    if (data) d.data = data;
    this.diagnostics.push(d);
  }
  private errorHere(message: string, code = 'VL010'): void {
    const t = this.tok();
    if (t.kind === T.EOF || this.atLineStart()) {
      // The thing is missing: point just after what came before it.
      const at = this.prevEnd();
      this.error(message, at, at, code);
    } else {
      this.error(message, t.start, t.end, code);
    }
  }
  private describe(t: Token): string {
    if (t.kind === T.Ident) return `\`${this.textOf(t)}\``;
    if (t.kind === T.Int || t.kind === T.String) return `${tokenName(t.kind)} \`${truncate(this.textOf(t))}\``;
    return tokenName(t.kind);
  }
  private expect(kind: T, what: string): Token | undefined {
    const t = this.eat(kind);
    if (!t) this.errorHere(`Expected ${what}, found ${this.describe(this.tok())}`);
    return t;
  }

  // ---- recovery ----

  /** Is the token at k the start of a top-level declaration, by its shape? */
  private isTopItemStart(k = 0): boolean {
    const t = this.tok(k);
    if (t.kind === T.At) return this.kind(k + 1) === T.Ident;
    if (t.kind !== T.Ident) return false;
    const n1 = this.kind(k + 1);
    const n2 = this.kind(k + 2);
    if (this.isWord('include', k)) return n1 === T.String;
    if (this.isWord('const', k)) return n1 === T.Ident && (n2 === T.Eq || n2 === T.Colon);
    if (this.isWord('enum', k)) return n1 === T.Ident && (n2 === T.Colon || n2 === T.LBrace);
    if (this.isWord('vmstate', k)) return n1 === T.Ident && n2 === T.LBrace;
    if (this.isWord('device', k)) return (n1 === T.Ident || n1 === T.String) && (n2 === T.LBrace || n2 === T.Colon);
    if (this.isWord('machine', k)) return n1 === T.String && (n2 === T.LBrace || n2 === T.Colon);
    return false;
  }

  private looksLikeDeclaration(): boolean {
    const n1 = this.kind(1);
    const n2 = this.kind(2);
    return this.kind() === T.Ident && (n1 === T.Ident || n1 === T.String) && (n2 === T.LBrace || n2 === T.Colon);
  }

  /** Could the token start an item of a `{ ... }` body (field, statement, attribute)? */
  private isBodyItemStart(): boolean {
    const k = this.kind();
    return k === T.Ident || k === T.String || k === T.At || k === T.RBrace;
  }

  /**
   * Skip tokens (at least one) up to the next place where parsing can resume: a `}` of the
   * enclosing block, or a line that starts an item. Brackets are skipped as balanced
   * groups, counted iteratively (no recursion), so deep garbage cannot overflow the stack.
   */
  private skip(inBlock: boolean): A.Range {
    const start = this.tok().start;
    let depth = 0;
    let first = true;
    for (;;) {
      const t = this.tok();
      if (t.kind === T.EOF) break;
      if (!first) {
        if (depth === 0 && inBlock && t.kind === T.RBrace) break;
        if (this.atLineStart()) {
          if (this.isTopItemStart()) break;
          // `vmsate b {` — a declaration with a misspelt keyword: let the item parser say so.
          if (!inBlock && depth === 0 && this.looksLikeDeclaration()) break;
          if (depth === 0 && inBlock && this.isBodyItemStart()) break;
        }
      }
      first = false;
      if (t.kind === T.LBrace || t.kind === T.LParen || t.kind === T.LBracket) depth++;
      else if ((t.kind === T.RBrace || t.kind === T.RParen || t.kind === T.RBracket) && depth > 0) depth--;
      this.bump();
    }
    return { start, end: this.prevEnd() };
  }

  /** Skip the rest of the current line (balanced), for junk after a complete item. */
  private skipRestOfLine(inBlock: boolean): void {
    let depth = 0;
    while (this.kind() !== T.EOF && !this.atLineStart()) {
      const k = this.kind();
      if (depth === 0 && inBlock && k === T.RBrace) break;
      if (k === T.LBrace || k === T.LParen || k === T.LBracket) depth++;
      else if ((k === T.RBrace || k === T.RParen || k === T.RBracket) && depth > 0) depth--;
      this.bump();
    }
  }

  // ---- names and literals ----

  private name(t: Token): A.Name {
    if (t.kind === T.String) {
      const { value } = this.str(t);
      return { kind: 'Name', start: t.start, end: t.end, text: value, quoted: true };
    }
    return { kind: 'Name', start: t.start, end: t.end, text: this.textOf(t), quoted: false };
  }

  /** A name being declared or referenced by name: `true` and `false` are values, never names. */
  private declName(t: Token, quotable = false): A.Name {
    const n = this.name(t);
    if (!n.quoted && (n.text === 'true' || n.text === 'false')) {
      const fix = quotable ? `quote it (\`"${n.text}"\`) if QEMU uses it` : 'choose another name';
      this.error(`\`${n.text}\` is a reserved word and cannot be a name; ${fix}`, n.start, n.end);
    }
    return n;
  }

  private str(t: Token): A.StringLit {
    const raw = this.textOf(t);
    const { value, badEscapes } = stringValue(raw);
    for (const b of badEscapes) {
      this.diagnostics.push({
        code: 'VL006',
        severity: 'error',
        message: `Invalid escape \`${raw.slice(b.offset, b.offset + b.length)}\` in string; use \\" \\\\ \\n \\t \\r \\0 \\xHH or \\u{HHHH}`,
        start: t.start + b.offset,
        end: t.start + b.offset + b.length,
      });
    }
    return { kind: 'String', start: t.start, end: t.end, value };
  }

  private parseNameOf(what: string, allowString: boolean): A.Name | undefined {
    const k = this.kind();
    if (k === T.Ident || (allowString && k === T.String)) return this.declName(this.bump(), allowString);
    this.errorHere(`Expected ${what}, found ${this.describe(this.tok())}`);
    return undefined;
  }

  private parseString(what: string): A.StringLit | undefined {
    if (this.kind() === T.String) return this.str(this.bump());
    this.errorHere(`Expected ${what} (a quoted string), found ${this.describe(this.tok())}`);
    return undefined;
  }

  // ---- doc comments and attributes ----

  /** Doc comment lines directly above the current token (no blank line, no plain comment between). */
  private leadingDoc(): A.Doc | undefined {
    const ti = this.sig[Math.min(this.pos, this.sig.length - 1)];
    if (ti === 0 || this.tokens[ti - 1].kind !== T.DocComment) return undefined;
    const lines: Token[] = [];
    let after = this.tokens[ti].start;
    for (let j = ti - 1; j >= 0; j--) {
      const t = this.tokens[j];
      // A blank line between the doc comment and what follows detaches it.
      if (t.kind !== T.DocComment || countNewlines(this.text, t.end, after) > 1) break;
      lines.push(t);
      after = t.start;
    }
    if (lines.length === 0) return undefined;
    lines.reverse();
    const text = lines
      .map((t) => {
        const s = this.text.slice(t.start + 3, t.end);
        return s.startsWith(' ') ? s.slice(1) : s;
      })
      .join('\n');
    const doc: A.Doc = { start: lines[0].start, end: lines[lines.length - 1].end, text };
    const since = /^\s*Since:\s*(\S.*?)\s*$/m.exec(text);
    if (since) doc.since = since[1];
    return doc;
  }

  private parseAttributes(): A.Attribute[] {
    if (this.kind() !== T.At) return NONE; // the common case: no attributes, no allocation
    const attrs: A.Attribute[] = [];
    while (this.kind() === T.At && this.kind(1) === T.Ident) {
      const at = this.bump();
      const name = this.name(this.bump());
      const attr: A.Attribute = { kind: 'Attribute', name, args: [], start: at.start, end: name.end };
      if (this.kind() === T.LParen && !this.atLineStart()) {
        const open = this.bump();
        while (this.kind() !== T.RParen && this.kind() !== T.EOF && !this.isTopItemStart()) {
          const before = this.pos;
          attr.args.push(this.parseExpr());
          if (!this.eat(T.Comma)) break;
          if (this.pos === before) break;
        }
        const close = this.expect(T.RParen, '`)` to close the attribute arguments');
        attr.end = close ? close.end : this.prevEnd();
        attr.argsRange = { start: open.start, end: attr.end };
      }
      attrs.push(attr);
    }
    return attrs;
  }

  // ---- file and top-level items ----

  parseFile(): A.SourceFile {
    const items: A.Item[] = [];
    while (this.kind() !== T.EOF) {
      const before = this.pos;
      const item = this.parseItem();
      if (item) items.push(item);
      if (this.pos === before) {
        const t = this.tok();
        const r = this.skip(false);
        this.error(
          `Expected a declaration (vmstate, device, machine, enum, const or include), found ${this.describe(t)}`,
          r.start,
          Math.max(r.end, t.end),
        );
      }
    }
    return { kind: 'File', start: 0, end: this.text.length, items, attributed: this.attributed };
  }

  private parseItem(): A.Item | undefined {
    const start = this.tok().start;
    const doc = this.leadingDoc();
    const attributes = this.parseAttributes();
    const t = this.tok();
    if (t.kind !== T.Ident) {
      if (attributes.length) this.errorHere(`Expected a declaration after the attributes, found ${this.describe(t)}`);
      return undefined;
    }
    const word = this.textOf(t);
    const base = { doc, attributes, start, keyword: { start: t.start, end: t.end } };
    switch (word) {
      case 'include': {
        this.bump();
        const path = this.parseString('the path of the file to include');
        return this.finish<A.IncludeDecl>({ kind: 'Include', ...base, path, end: 0 });
      }
      case 'const':
        this.bump();
        return this.parseConst(base);
      case 'enum':
        this.bump();
        return this.parseEnum(base);
      case 'vmstate': {
        this.bump();
        const name = this.parseNameOf('the name of the description', false);
        const body = this.parseBlock(() => this.parseBodyItem(), `vmstate \`${name?.text ?? ''}\``);
        return this.finish<A.VmstateDecl>({ kind: 'Vmstate', ...base, name, body, end: 0 });
      }
      case 'device': {
        this.bump();
        const name = this.parseNameOf('the device type name', true);
        let parent: A.Name | undefined;
        if (this.eat(T.Colon)) parent = this.parseNameOf('the parent device type name', true);
        const body = this.parseBlock(() => this.parseDeviceItem(), `device \`${name?.text ?? ''}\``);
        return this.finish<A.DeviceDecl>({ kind: 'Device', ...base, name, parent, body, end: 0 });
      }
      case 'machine': {
        this.bump();
        const name = this.parseString('the machine type name');
        let parent: A.StringLit | undefined;
        if (this.eat(T.Colon)) parent = this.parseString('the parent machine type name');
        const body = this.parseBlock(() => this.parseCompatEntry(), `machine \`${name?.value ?? ''}\``);
        return this.finish<A.MachineDecl>({ kind: 'Machine', ...base, name, parent, body, end: 0 });
      }
    }
    const suggestion = closestMatches(word, TOP_KEYWORDS);
    if (attributes.length || suggestion.length) {
      this.error(
        `Expected a declaration, found \`${word}\`${suggestion.length ? `; did you mean \`${suggestion[0]}\`?` : ''}`,
        t.start,
        t.end,
        'VL010',
        suggestion.length ? { suggestions: suggestion } : undefined,
      );
      this.skip(false);
    }
    return undefined;
  }

  private finish<N extends A.Node>(node: N): N {
    node.end = Math.max(this.prevEnd(), node.start);
    const attrs = (node as { attributes?: A.Attribute[] }).attributes;
    if (attrs && attrs.length) this.attributed.push(node as unknown as A.AnyDecl);
    return node;
  }

  private parseConst(base: { doc?: A.Doc; attributes: A.Attribute[]; start: number; keyword: A.Range }): A.ConstDecl {
    const name = this.parseNameOf('the constant name', false);
    let type: A.Name | undefined;
    if (this.eat(T.Colon)) type = this.parseNameOf('an integer type (u8 … i64)', false);
    let value: A.Expr | undefined;
    if (this.expect(T.Eq, '`=` and the value of the constant')) value = this.parseExpr();
    return this.finish<A.ConstDecl>({ kind: 'Const', ...base, name, type, value, end: 0 });
  }

  private parseEnum(base: { doc?: A.Doc; attributes: A.Attribute[]; start: number; keyword: A.Range }): A.EnumDecl {
    const name = this.parseNameOf('the enum name', false);
    let baseType: A.Name | undefined;
    if (this.expect(T.Colon, '`:` and the wire type of the enum (u8 … i64)')) baseType = this.parseNameOf('an integer type (u8 … i64)', false);
    else if (this.kind() === T.Ident && this.kind(1) === T.LBrace) baseType = this.name(this.bump()); // `enum E u8 {`
    const members: A.EnumMember[] = [];
    const body = this.parseBlock(() => {
      const start = this.tok().start;
      const doc = this.leadingDoc();
      const attributes = this.parseAttributes();
      if (this.kind() !== T.Ident) return undefined;
      const mname = this.declName(this.bump());
      let value: A.Expr | undefined;
      if (this.eat(T.Eq)) value = this.parseExpr();
      const m = this.finish<A.EnumMember>({ kind: 'EnumMember', doc, attributes, start, name: mname, value, end: 0 });
      this.eat(T.Comma);
      members.push(m);
      return m;
    }, `enum \`${name?.text ?? ''}\``);
    return this.finish<A.EnumDecl>({
      kind: 'Enum', ...base, name, base: baseType, members,
      body: body ? { start: body.start, end: body.end } : undefined, end: 0,
    });
  }

  /**
   * `{ item* }`. Stops early (reporting the missing `}`) when a line starts a new
   * top-level declaration, so one missing brace does not swallow the rest of the file.
   */
  private parseBlock<I>(item: () => I | undefined, owner: string): A.Block<I> | undefined {
    const open = this.eat(T.LBrace);
    if (!open) {
      this.errorHere(`Expected \`{\` to open the body of ${owner}, found ${this.describe(this.tok())}`);
      // Without a brace the rest would be parsed as garbage: only continue if a body follows.
      if (this.atLineStart() && !this.isTopItemStart() && (this.kind() === T.Ident || this.kind() === T.At)) {
        // fall through and parse the items as if the brace were there
      } else {
        return undefined;
      }
    }
    const start = open ? open.start : this.prevEnd();
    if (this.blockDepth >= MAX_BLOCK_DEPTH) {
      this.error(`Nesting deeper than ${MAX_BLOCK_DEPTH} levels is not supported`, start, start + 1, 'VL012');
      const r = this.skipBalancedGroup();
      return { start, end: r, items: [], closed: false };
    }
    this.blockDepth++;
    const items: I[] = [];
    let closed = false;
    for (;;) {
      const k = this.kind();
      if (k === T.RBrace) {
        this.bump();
        closed = true;
        break;
      }
      if (k === T.EOF || (this.atLineStart() && this.isTopItemStart() && !(k === T.At && this.isAttributeOfBodyItem()))) {
        const at = this.prevEnd();
        this.error(`Expected \`}\` to close the body of ${owner}`, at, at, 'VL011');
        const d = this.diagnostics[this.diagnostics.length - 1];
        if (d.code === 'VL011' && open) d.related = [{ uri: '', start: open.start, end: open.end, message: 'the body opens here' }];
        break;
      }
      const before = this.pos;
      const it = item();
      if (it !== undefined) items.push(it);
      if (this.pos === before) {
        const t = this.tok();
        const r = this.skip(true);
        this.error(`Unexpected ${this.describe(t)} in the body of ${owner}`, r.start, Math.max(r.end, t.end));
      }
    }
    this.blockDepth--;
    return { start, end: this.prevEnd(), items, closed };
  }

  /** `@attr` at a line start inside a block is followed by a body item, not a top-level one. */
  private isAttributeOfBodyItem(): boolean {
    // Look past the attributes: a top-level keyword shape after them means a new declaration.
    let k = 0;
    while (this.kind(k) === T.At && this.kind(k + 1) === T.Ident) {
      k += 2;
      if (this.kind(k) === T.LParen) {
        let depth = 0;
        for (let guard = 0; guard < 64; guard++) {
          const kk = this.kind(k);
          if (kk === T.LParen) depth++;
          else if (kk === T.RParen) depth--;
          else if (kk === T.EOF) return false;
          k++;
          if (depth === 0) break;
        }
      }
      if (k > 256) return true;
    }
    return !this.isTopItemStart(k);
  }

  /** Skip a `{ … }` group iteratively; returns the end offset. */
  private skipBalancedGroup(): number {
    let depth = 0;
    for (;;) {
      const k = this.kind();
      if (k === T.EOF) break;
      this.bump();
      if (k === T.LBrace) depth++;
      else if (k === T.RBrace && --depth <= 0) break;
    }
    return this.prevEnd();
  }

  // ---- description bodies ----

  private parseBodyItem(): A.BodyItem | undefined {
    const start = this.tok().start;
    const doc = this.leadingDoc();
    const attributes = this.parseAttributes();
    const t = this.tok();
    const base = { doc, attributes, start };
    const followedByColon = this.kind(1) === T.Colon;

    if (t.kind === T.Ident && !followedByColon) {
      const word = this.textOf(t);
      const keyword = { start: t.start, end: t.end };
      switch (word) {
        case 'name':
          if (this.kind(1) === T.String) {
            this.bump();
            return this.finish<A.WireNameStmt>({ kind: 'WireName', ...base, keyword, value: this.str(this.bump()), end: 0 });
          }
          break;
        case 'version':
          this.bump();
          return this.finish<A.VersionStmt>({ kind: 'Version', ...base, keyword, value: this.parseExprOrMissing('a version number'), end: 0 });
        case 'minimum_version':
          this.bump();
          return this.finish<A.MinimumVersionStmt>({ kind: 'MinimumVersion', ...base, keyword, value: this.parseExprOrMissing('a version number'), end: 0 });
        case 'needed': {
          this.bump();
          return this.finish<A.NeededStmt>({ kind: 'Needed', ...base, keyword, condition: this.parseCondition('needed'), end: 0 });
        }
        case 'reserved': {
          this.bump();
          const names: A.Name[] = [];
          do {
            const n = this.parseNameOf('a reserved field name', true);
            if (!n) break;
            names.push(n);
          } while (this.eat(T.Comma));
          return this.finish<A.ReservedStmt>({ kind: 'Reserved', ...base, keyword, names, end: 0 });
        }
        case 'unused': {
          this.bump();
          const size = this.parseExprOrMissing('the number of unused bytes');
          const modifiers = this.parseModifiers(true);
          const node = this.finish<A.UnusedDecl>({ kind: 'Unused', ...base, keyword, size, modifiers, end: 0 });
          this.checkEndOfItem('`unused`', ['since', 'if']);
          return node;
        }
        case 'subsection':
          this.bump();
          return this.parseSubsection({ ...base, keyword });
      }
    }

    if ((t.kind === T.Ident || t.kind === T.String) && followedByColon) return this.parseField(base);

    if (t.kind === T.Ident || t.kind === T.String) {
      // A name without `:` — most likely a half-typed field. One error, then the next line.
      const word = this.textOf(t);
      const kw = t.kind === T.Ident ? closestMatches(word, [...BODY_KEYWORDS]) : [];
      const msg = kw.length
        ? `Unknown statement \`${word}\`; did you mean \`${kw[0]}\`? (a field is written \`${word}: type\`)`
        : `Expected \`:\` and a type after the field name ${this.describe(t)}`;
      this.error(msg, t.start, t.end, 'VL010', kw.length ? { suggestions: kw } : undefined);
      this.bump();
      this.skipRestOfLine(true);
      return undefined;
    }
    if (attributes.length) this.errorHere(`Expected a field or statement after the attributes, found ${this.describe(t)}`);
    return undefined;
  }

  private parseSubsection(base: { doc?: A.Doc; attributes: A.Attribute[]; start: number; keyword: A.Range }): A.SubsectionDecl {
    const name = this.parseNameOf('the subsection name', false);
    let needed: A.Condition | undefined;
    if (this.isWord('needed')) {
      this.bump();
      needed = this.parseCondition('needed');
    }
    const body = this.parseBlock(() => this.parseBodyItem(), `subsection \`${name?.text ?? ''}\``);
    return this.finish<A.SubsectionDecl>({ kind: 'Subsection', ...base, name, needed, body, end: 0 });
  }

  /** `(expr)` or `opaque "why"`; an unparenthesised expression is accepted with one error. */
  private parseCondition(what: string): A.Condition | undefined {
    const start = this.tok().start;
    if (this.isWord('opaque') && this.kind(1) === T.String) {
      this.bump();
      const reason = this.str(this.bump());
      return { kind: 'OpaqueCondition', reason, start, end: reason.end };
    }
    if (this.kind() === T.LParen) {
      this.bump();
      const expr = this.parseExpr();
      this.expect(T.RParen, `\`)\` to close the \`${what}\` condition`);
      return { kind: 'ExprCondition', expr, start, end: this.prevEnd() };
    }
    if (this.startsExpr() && !this.atLineStart()) {
      const t = this.tok();
      this.error(`Put the \`${what}\` condition in parentheses: \`${what} (…)\``, t.start, t.end);
      const expr = this.parseExpr();
      return { kind: 'ExprCondition', expr, start, end: this.prevEnd() };
    }
    this.errorHere(`Expected \`(\` and a condition, or \`opaque "reason"\`, after \`${what}\``);
    return undefined;
  }

  private parseField(base: { doc?: A.Doc; attributes: A.Attribute[]; start: number }): A.FieldDecl {
    const name = this.declName(this.bump(), true);
    this.bump(); // ':'
    const type = this.parseType();
    const modifiers = this.parseModifiers(false);
    const node = this.finish<A.FieldDecl>({ kind: 'Field', ...base, name, type, modifiers, end: 0 });
    this.checkEndOfItem(`field \`${name.text}\``);
    return node;
  }

  /** After a complete item, the line must end or another item must start. */
  private checkEndOfItem(what: string, allowed: readonly string[] = FIELD_MODIFIERS): void {
    const t = this.tok();
    if (t.kind === T.EOF || t.kind === T.RBrace || this.atLineStart()) return;
    if ((t.kind === T.Ident || t.kind === T.String) && this.kind(1) === T.Colon) return; // `a: u8 b: u8`
    if (t.kind === T.Semicolon) {
      this.error('Items are not separated by `;`; remove it', t.start, t.end, 'VL010');
      this.bump();
      return;
    }
    const word = this.textOf(t);
    const sugg = t.kind === T.Ident && !allowed.includes(word) ? closestMatches(word, [...allowed]) : [];
    const expected = `expected ${allowed.join(', ')} or a new line`;
    this.error(
      `Unexpected ${this.describe(t)} after ${what}${sugg.length ? `; did you mean \`${sugg[0]}\`?` : `; ${expected}`}`,
      t.start,
      t.end,
      'VL010',
      sugg.length ? { suggestions: sugg } : undefined,
    );
    this.skipRestOfLine(true);
  }

  private parseModifiers(unusedOnly: boolean): A.Modifier[] {
    let mods: A.Modifier[] = NONE;
    for (;;) {
      const t = this.tok();
      if (t.kind !== T.Ident || this.kind(1) === T.Colon) break;
      const word = this.textOf(t);
      const start = t.start;
      if (word === 'since') {
        this.bump();
        if (mods === NONE) mods = [];
        mods.push({ kind: 'Since', value: this.parseExprOrMissing('a version number after `since`'), start, end: this.prevEnd() });
      } else if (word === 'if') {
        this.bump();
        const condition = this.parseCondition('if');
        if (mods === NONE) mods = [];
        mods.push({ kind: 'If', condition, start, end: this.prevEnd() });
      } else if (!unusedOnly && (word === 'equal' || word === 'le')) {
        this.bump();
        if (mods === NONE) mods = [];
        mods.push({ kind: word === 'equal' ? 'Equal' : 'Le', start, end: t.end });
      } else if (!unusedOnly && word === 'default') {
        this.bump();
        if (mods === NONE) mods = [];
        mods.push({ kind: 'Default', value: this.parseExprOrMissing('a default value'), start, end: this.prevEnd() });
      } else if (!unusedOnly && word === 'alias') {
        this.bump();
        if (mods === NONE) mods = [];
        mods.push({ kind: 'Alias', name: this.parseNameOf('the previous field name', true), start, end: this.prevEnd() });
      } else break;
    }
    return mods;
  }

  // ---- types ----

  private parseType(): A.TypeNode | undefined {
    const t = this.tok();
    // `rbr:` followed by the next field on a new line: the type is missing.
    if (t.kind !== T.Ident || (this.atLineStart() && this.kind(1) === T.Colon)) {
      this.errorHere(`Expected a type, found ${this.describe(t)}`);
      return undefined;
    }
    if (this.typeDepth >= MAX_TYPE_DEPTH) {
      this.error(`Types nested deeper than ${MAX_TYPE_DEPTH} levels are not supported`, t.start, t.end, 'VL012');
      this.skipRestOfLine(true);
      this.quietUntil = this.prevEnd();
      return undefined;
    }
    this.typeDepth++;
    const base = this.parseElementType();
    this.typeDepth--;
    const node: A.TypeNode = { kind: 'Type', base, dims: NONE, start: t.start, end: base.end };
    const q = this.eat(T.Question);
    if (q) node.nullable = { start: q.start, end: q.end };
    while (this.kind() === T.LBracket) {
      const open = this.bump();
      const size = this.kind() === T.RBracket ? undefined : this.parseExpr();
      if (!size) this.errorHere('Expected the array size');
      this.expect(T.RBracket, '`]` to close the array size');
      if (node.dims === NONE) node.dims = [];
      node.dims.push({ kind: 'Dim', size, start: open.start, end: this.prevEnd() });
    }
    node.end = this.prevEnd();
    return node;
  }

  private parseElementType(): A.ElementType {
    const t = this.bump();
    const word = this.textOf(t);
    const start = t.start;
    const angled = this.kind() === T.Lt;
    switch (word) {
      case 'bytes':
        return { kind: 'BytesType', start, end: t.end };
      case 'bitmap':
        return { kind: 'BitmapType', start, end: t.end };
      case 'opaque': {
        const info = this.parseString('the name of the opaque encoding (QEMU\'s VMStateInfo name)');
        return { kind: 'OpaqueType', info, start, end: this.prevEnd() };
      }
      case 'list':
      case 'qlist':
        if (angled) {
          this.bump();
          const element = this.parseType();
          this.expect(T.Gt, '`>` to close the list element type');
          return { kind: 'ListType', flavor: word, element, start, end: this.prevEnd() };
        }
        break;
      case 'tree':
        if (angled) {
          this.bump();
          const key = this.parseType();
          this.expect(T.Comma, '`,` between the key and value types');
          const value = this.parseType();
          this.expect(T.Gt, '`>` to close the tree types');
          return { kind: 'TreeType', key, value, start, end: this.prevEnd() };
        }
        break;
      case 'tmp':
        if (angled) {
          this.bump();
          const description = this.parseNameOf('the description of the temporary', false);
          this.expect(T.Gt, '`>`');
          return { kind: 'TmpType', description, start, end: this.prevEnd() };
        }
        break;
    }
    const node: A.NamedType = { kind: 'NamedType', name: this.name(t), start, end: t.end };
    // `Foo @ 2` / `Foo @ VERSION` is an explicit struct version; `@name` starting the
    // next line is an attribute of the next item.
    if (this.kind() === T.At && (this.kind(1) !== T.Ident || !this.atLineStart())) {
      this.bump();
      node.version = this.parsePrimary();
      node.end = this.prevEnd();
    }
    return node;
  }

  // ---- devices and machines ----

  private parseDeviceItem(): A.DeviceItem | undefined {
    const start = this.tok().start;
    const doc = this.leadingDoc();
    const attributes = this.parseAttributes();
    const t = this.tok();
    const base = { doc, attributes, start, keyword: { start: t.start, end: t.end } };
    if (this.isWord('state')) {
      this.bump();
      return this.finish<A.StateStmt>({ kind: 'State', ...base, description: this.parseNameOf('the description name', false), end: 0 });
    }
    if (this.isWord('property')) {
      this.bump();
      const name = this.parseNameOf('the property name', true);
      let type: A.Name | undefined;
      if (this.expect(T.Colon, '`:` and the property type')) type = this.parseNameOf('the property type (bool, str, u8 … i64 or an enum)', false);
      let value: A.Expr | undefined;
      if (this.eat(T.Eq)) value = this.parseExpr();
      const node = this.finish<A.PropertyDecl>({ kind: 'Property', ...base, name, type, value, end: 0 });
      this.checkEndOfDeviceItem();
      return node;
    }
    if (t.kind === T.Ident) {
      const sugg = closestMatches(this.textOf(t), [...DEVICE_KEYWORDS]);
      this.error(
        `Expected \`state\` or \`property\` in a device, found ${this.describe(t)}${sugg.length ? `; did you mean \`${sugg[0]}\`?` : ''}`,
        t.start,
        t.end,
        'VL010',
        sugg.length ? { suggestions: sugg } : undefined,
      );
      this.bump();
      this.skipRestOfLine(true);
    } else if (attributes.length) {
      this.errorHere(`Expected \`property\` after the attributes, found ${this.describe(t)}`);
    }
    return undefined;
  }

  private checkEndOfDeviceItem(): void {
    const t = this.tok();
    if (t.kind === T.EOF || t.kind === T.RBrace || this.atLineStart()) return;
    if (this.isWord('property') || this.isWord('state') || t.kind === T.At) return;
    this.error(`Unexpected ${this.describe(t)} after the property; expected a new line`, t.start, t.end);
    this.skipRestOfLine(true);
  }

  private parseCompatEntry(): A.CompatEntry | undefined {
    const start = this.tok().start;
    const doc = this.leadingDoc();
    const attributes = this.parseAttributes();
    const t = this.tok();
    if (t.kind !== T.Ident && t.kind !== T.String) {
      if (attributes.length) this.errorHere(`Expected a compat entry \`device.property = value\`, found ${this.describe(t)}`);
      return undefined;
    }
    const device = this.name(this.bump());
    let property: A.Name | undefined;
    let value: A.Expr | undefined;
    if (this.expect(T.Dot, '`.` and the property name (a compat entry is `device.property = value`)')) {
      property = this.parseNameOf('the property name', true);
      if (property && this.expect(T.Eq, '`=` and the value')) value = this.parseExpr();
    } else {
      this.skipRestOfLine(true);
    }
    const node = this.finish<A.CompatEntry>({ kind: 'Compat', doc, attributes, start, device, property, value, end: 0 });
    const n = this.tok();
    if (n.kind !== T.EOF && n.kind !== T.RBrace && !this.atLineStart()) {
      this.error(`Unexpected ${this.describe(n)} after the compat entry; expected a new line`, n.start, n.end);
      this.skipRestOfLine(true);
    }
    return node;
  }

  // ---- expressions ----

  private startsExpr(): boolean {
    const k = this.kind();
    return k === T.Int || k === T.String || k === T.Ident || k === T.LParen || k === T.Bang || k === T.Minus || k === T.Tilde;
  }

  /** An expression, or undefined (with an error) when none starts here. */
  private parseExprOrMissing(what: string): A.Expr | undefined {
    if (!this.startsExpr() || (this.atLineStart() && this.kind(1) === T.Colon)) {
      this.errorHere(`Expected ${what}, found ${this.describe(this.tok())}`);
      return undefined;
    }
    return this.parseExpr();
  }

  parseExpr(): A.Expr {
    return this.parseBinary(0);
  }

  /** The binary operator at the cursor, composing `<<` `>>` `<=` `>=` from adjacent tokens. */
  private peekBinaryOp(): { op: A.BinaryOp; tokens: number } | undefined {
    const t = this.tok();
    const next = this.tok(1);
    const adjacent = next.start === t.end;
    switch (t.kind) {
      case T.PipePipe: return { op: '||', tokens: 1 };
      case T.AmpAmp: return { op: '&&', tokens: 1 };
      case T.EqEq: return { op: '==', tokens: 1 };
      case T.BangEq: return { op: '!=', tokens: 1 };
      case T.Lt:
        if (adjacent && next.kind === T.Lt) return { op: '<<', tokens: 2 };
        if (adjacent && next.kind === T.Eq) return { op: '<=', tokens: 2 };
        return { op: '<', tokens: 1 };
      case T.Gt:
        if (adjacent && next.kind === T.Gt) return { op: '>>', tokens: 2 };
        if (adjacent && next.kind === T.Eq) return { op: '>=', tokens: 2 };
        return { op: '>', tokens: 1 };
      case T.Pipe: return { op: '|', tokens: 1 };
      case T.Caret: return { op: '^', tokens: 1 };
      case T.Amp: return { op: '&', tokens: 1 };
      case T.Plus: return { op: '+', tokens: 1 };
      case T.Minus: return { op: '-', tokens: 1 };
      case T.Star: return { op: '*', tokens: 1 };
      case T.Slash: return { op: '/', tokens: 1 };
      case T.Percent: return { op: '%', tokens: 1 };
    }
    return undefined;
  }

  private parseBinary(minPrec: number): A.Expr {
    let left = this.parseUnary();
    // `a + b + c …` builds a left spine as deep as the chain is long: count it with the
    // nesting, so that every walk over the tree stays within MAX_EXPR_DEPTH.
    let chain = 0;
    for (;;) {
      const o = this.peekBinaryOp();
      if (!o) break;
      const prec = binaryPrecedence[o.op]!;
      if (prec <= minPrec) break;
      // A binary operator at the start of a line after a complete operand is more likely
      // the start of garbage than a continuation; but `-` / `(` lines are rare either way.
      const first = this.tok();
      for (let i = 0; i < o.tokens; i++) this.bump();
      const opRange = { start: first.start, end: this.prevEnd() };
      if (this.exprDepth + chain >= MAX_EXPR_DEPTH) {
        this.error(`Expression deeper than ${MAX_EXPR_DEPTH} levels (nested or chained operators)`, opRange.start, opRange.end, 'VL012');
        this.skipRestOfLine(true);
        this.quietUntil = this.prevEnd();
        return left;
      }
      this.exprDepth++;
      // Comparisons do not chain: `a < b < c` is reported.
      const right = this.parseBinary(prec);
      this.exprDepth--;
      chain++;
      const node: A.BinaryExpr = { kind: 'Binary', op: o.op, opRange, left, right, start: left.start, end: right.end };
      if (prec === 3 && left.kind === 'Binary' && binaryPrecedence[left.op] === 3) {
        this.error('Comparisons do not chain; combine them with `&&`', opRange.start, opRange.end);
      }
      left = node;
    }
    return left;
  }

  private parseUnary(): A.Expr {
    const t = this.tok();
    const op: A.UnaryOp | undefined = t.kind === T.Bang ? '!' : t.kind === T.Minus ? '-' : t.kind === T.Tilde ? '~' : undefined;
    if (!op) return this.parsePrimary();
    this.bump();
    if (this.exprDepth >= MAX_EXPR_DEPTH) {
      this.error(`Expression nested deeper than ${MAX_EXPR_DEPTH} levels`, t.start, t.end, 'VL012');
      this.skipRestOfLine(true);
      this.quietUntil = this.prevEnd();
      return { kind: 'ErrorExpr', start: t.start, end: this.prevEnd() };
    }
    this.exprDepth++;
    const operand = this.parseUnary();
    this.exprDepth--;
    return { kind: 'Unary', op, operand, start: t.start, end: operand.end };
  }

  private parsePrimary(): A.Expr {
    const t = this.tok();
    switch (t.kind) {
      case T.Int: {
        this.bump();
        const text = this.textOf(t);
        return { kind: 'Int', value: intValue(text), text, start: t.start, end: t.end };
      }
      case T.String: {
        const s = this.str(this.bump());
        return { kind: 'StringExpr', value: s.value, start: s.start, end: s.end };
      }
      case T.LParen: {
        this.bump();
        if (this.exprDepth >= MAX_EXPR_DEPTH) {
          this.error(`Expression nested deeper than ${MAX_EXPR_DEPTH} levels`, t.start, t.end, 'VL012');
          this.skipParenGroup();
          this.quietUntil = this.prevEnd();
          return { kind: 'ErrorExpr', start: t.start, end: this.prevEnd() };
        }
        this.exprDepth++;
        const expr = this.parseExpr();
        this.exprDepth--;
        this.expect(T.RParen, '`)`');
        return { kind: 'Paren', expr, start: t.start, end: this.prevEnd() };
      }
      case T.Ident: {
        const word = this.textOf(t);
        if (word === 'true' || word === 'false') {
          this.bump();
          return { kind: 'Bool', value: word === 'true', start: t.start, end: t.end };
        }
        if (word === 'version') {
          this.bump();
          return { kind: 'VersionRef', start: t.start, end: t.end };
        }
        if (word === 'property' && this.kind(1) === T.LParen) {
          this.bump();
          this.bump();
          const first = this.parseNameOf('a property name', true);
          let device: A.Name | undefined;
          let property = first;
          if (first && this.eat(T.Dot)) {
            device = first;
            property = this.parseNameOf('a property name', true);
          }
          this.expect(T.RParen, '`)` to close `property(…)`');
          return { kind: 'Property', device, property, start: t.start, end: this.prevEnd() };
        }
        if (word === 'opaque' && this.kind(1) === T.LParen) {
          this.bump();
          this.bump();
          const reason = this.parseString('the reason the condition cannot be computed');
          this.expect(T.RParen, '`)` to close `opaque(…)`');
          return { kind: 'OpaqueExpr', reason, start: t.start, end: this.prevEnd() };
        }
        this.bump();
        const name = this.name(t);
        if (this.kind() === T.Dot && this.tok(1).start === this.tok().end) {
          const path: A.Name[] = [name];
          while (this.kind() === T.Dot && this.tok(1).start === this.tok().end && path.length < 64) {
            this.bump();
            const member = this.parseNameOf('a member name after `.`', false);
            if (!member) break;
            path.push(member);
          }
          return { kind: 'Member', path, start: t.start, end: this.prevEnd() };
        }
        return { kind: 'NameRef', name, start: t.start, end: t.end };
      }
    }
    this.errorHere(`Expected an expression, found ${this.describe(t)}`);
    const at = t.kind === T.EOF || this.atLineStart() ? this.prevEnd() : t.start;
    return { kind: 'ErrorExpr', start: at, end: at };
  }

  /** After a too-deep `(`: skip to its matching `)` without recursion. */
  private skipParenGroup(): void {
    let depth = 1;
    while (depth > 0 && this.kind() !== T.EOF) {
      const k = this.bump().kind;
      if (k === T.LParen) depth++;
      else if (k === T.RParen) depth--;
    }
  }
}

function truncate(s: string): string {
  return s.length > 24 ? s.slice(0, 21) + '…' : s;
}
