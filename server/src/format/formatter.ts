import * as A from '../syntax/ast';
import { SyntaxTree } from '../syntax/parser';
import { T, Token } from '../syntax/tokens';
import { countNewlines } from '../util/text';

/**
 * The canonical printer. It walks the token stream (so no token and no comment can be
 * lost) and decides the whitespace between tokens from the syntax tree: one item per
 * line, 4-space indentation, single spaces around binary operators and after `:`/`,`,
 * at most one blank line kept where the author left one, one blank line between
 * top-level declarations, and a trailing comma after every enum member.
 *
 * Files with syntax errors are not formatted (format() returns undefined): guessing
 * around broken input could lose text.
 */
export interface FormatOptions {
  indent?: string;
}

const MAX_WIDTH = 100;

interface Sep {
  newlines: number;
  space: boolean;
  /** Extra indentation levels (continuation lines of a broken condition). */
  extra?: number;
}

type Container = 'top' | 'body' | 'device' | 'machine' | 'enum';

interface ItemInfo {
  container: Container;
  kind: string;
}

export function format(tree: SyntaxTree, options: FormatOptions = {}): string | undefined {
  if (tree.diagnostics.some((d) => d.severity === 'error' && d.code.startsWith('VL0'))) return undefined;
  return new Printer(tree, options.indent ?? '    ').print();
}

class Printer {
  private readonly text: string;
  private readonly tokens: Token[];
  private readonly items = new Map<number, ItemInfo>();
  /** End offsets of attributes that sit before an item (a newline follows them). */
  private readonly attributeEnds = new Set<number>();
  /** Offsets of tokens with no space before them / after them, decided from the tree. */
  private readonly tightBefore = new Set<number>();
  private readonly tightAfter = new Set<number>();
  /** Offsets of `:` that mean inheritance (`device a : b`), spaced on both sides. */
  private readonly inheritColons = new Set<number>();
  /** End offsets of enum members that need a comma added. */
  private readonly memberEnds = new Set<number>();
  /** Conditions by the offset of their `(`: where to break them when too long for a line. */
  private readonly conditions = new Map<number, { close: number; ops: number[]; flat: number }>();
  /** Active line breaks inside long conditions (token start offsets). */
  private readonly breakAfter = new Set<number>();
  private readonly breakBefore = new Set<number>();
  private out = '';
  private depth = 0;

  constructor(
    private readonly tree: SyntaxTree,
    private readonly unit: string,
  ) {
    this.text = tree.text;
    this.tokens = tree.tokens;
    this.collect();
  }

  // ---- structure from the tree ----

  private collect(): void {
    for (const item of this.tree.file.items) {
      this.item(item, 'top');
      switch (item.kind) {
        case 'Vmstate':
          this.body(item.body?.items ?? []);
          break;
        case 'Enum':
          for (const m of item.members) {
            this.item(m, 'enum');
            if (m.value) this.expr(m.value);
            this.memberEnds.add(m.end);
          }
          if (item.base) this.colonBefore(item.base.start);
          break;
        case 'Device':
          if (item.parent) this.inheritColons.add(this.tokenBefore(item.parent.start).start);
          for (const it of item.body?.items ?? []) {
            this.item(it, 'device');
            if (it.kind === 'Property') {
              if (it.type) this.colonBefore(it.type.start);
              if (it.value) this.expr(it.value);
            }
          }
          break;
        case 'Machine':
          if (item.parent) this.inheritColons.add(this.tokenBefore(item.parent.start).start);
          for (const c of item.body?.items ?? []) {
            this.item(c, 'machine');
            if (c.property) {
              const dot = this.tokenBefore(c.property.start);
              this.tightBefore.add(dot.start);
              this.tightAfter.add(dot.start);
            }
            if (c.value) this.expr(c.value);
          }
          break;
        case 'Const':
          if (item.type) this.colonBefore(item.type.start);
          if (item.value) this.expr(item.value);
          break;
      }
    }
  }

  private item(node: A.AnyDecl, container: Container): void {
    this.items.set(node.start, { container, kind: node.kind });
    for (const a of node.attributes) {
      this.attributeEnds.add(a.end);
      this.tightAfter.add(a.start); // `@name`
      if (a.argsRange) {
        this.tightBefore.add(a.argsRange.start);
        this.tightAfter.add(a.argsRange.start);
        this.tightBefore.add(a.argsRange.end - 1);
      }
      for (const e of a.args) this.expr(e);
    }
  }

  private body(items: A.BodyItem[]): void {
    for (const it of items) {
      this.item(it, 'body');
      switch (it.kind) {
        case 'Version':
        case 'MinimumVersion':
          if (it.value) this.expr(it.value);
          break;
        case 'Needed':
          if (it.condition) this.condition(it.condition);
          break;
        case 'Field':
          this.colonBefore(it.name.end, true);
          if (it.type) this.type(it.type);
          this.modifiers(it.modifiers);
          break;
        case 'Unused':
          if (it.size) this.expr(it.size);
          this.modifiers(it.modifiers);
          break;
        case 'Subsection':
          if (it.needed) this.condition(it.needed);
          this.body(it.body?.items ?? []);
          break;
        case 'Reserved':
          break;
      }
    }
  }

  private modifiers(mods: A.Modifier[]): void {
    for (const m of mods) {
      if (m.kind === 'Since' && m.value) this.expr(m.value);
      if (m.kind === 'If' && m.condition) this.condition(m.condition);
      if (m.kind === 'Default' && m.value) this.expr(m.value);
    }
  }

  private condition(c: A.Condition): void {
    if (c.kind === 'ExprCondition') {
      this.tightAfter.add(c.start);
      this.tightBefore.add(c.end - 1);
      if (c.expr) {
        this.expr(c.expr);
        // A long condition breaks after each operator of its outermost `||` (or `&&`) chain.
        const ops: number[] = [];
        let e: A.Expr = c.expr;
        const root = e.kind === 'Binary' && (e.op === '||' || e.op === '&&') ? e.op : undefined;
        while (root && e.kind === 'Binary' && e.op === root) {
          ops.push(e.opRange.start);
          e = e.left;
        }
        this.conditions.set(c.start, { close: c.end - 1, ops: ops.reverse(), flat: this.flatWidth(c.start, c.end) });
      }
    }
  }

  /** Width of a range printed on one line (tokens joined by single spaces; an estimate). */
  private flatWidth(start: number, end: number): number {
    let w = 0;
    let prevEnd = -1;
    for (let i = this.indexAt(start); i < this.tokens.length && this.tokens[i].start < end; i++) {
      const t = this.tokens[i];
      if (prevEnd >= 0 && t.start > prevEnd) w += 1;
      w += t.end - t.start;
      prevEnd = t.end;
    }
    return w;
  }

  private newlinesIn(from: number, to: number): number {
    return countNewlines(this.text, from, to);
  }

  private type(t: A.TypeNode): void {
    const b = t.base;
    switch (b.kind) {
      case 'ListType':
      case 'TreeType':
      case 'TmpType': {
        const lt = this.tokenAfter(b.start);
        this.tightBefore.add(lt.start);
        this.tightAfter.add(lt.start);
        this.tightBefore.add(b.end - 1);
        if (b.kind === 'ListType' && b.element) this.type(b.element);
        if (b.kind === 'TreeType') {
          if (b.key) this.type(b.key);
          if (b.value) this.type(b.value);
        }
        break;
      }
      case 'NamedType':
        if (b.version) this.expr(b.version);
        break;
    }
    if (t.nullable) this.tightBefore.add(t.nullable.start);
    for (const d of t.dims) {
      // `opaque "pci config" [256]` reads as a size, not an index: keep the space there.
      if (b.kind !== 'OpaqueType') this.tightBefore.add(d.start);
      this.tightAfter.add(d.start);
      this.tightBefore.add(d.end - 1);
      if (d.size) this.expr(d.size);
    }
  }

  /** No space on either side of this token (`.`, an opening parenthesis of a call). */
  private glue(t: Token): void {
    this.tightBefore.add(t.start);
    this.tightAfter.add(t.start);
  }

  private colonBefore(offset: number, after = false): void {
    const colon = after ? this.tokenAfter(offset - 1) : this.tokenBefore(offset);
    if (colon.kind === T.Colon) this.tightBefore.add(colon.start);
  }

  /** Expressions: iterative walk (deep input must not overflow the stack). */
  private expr(root: A.Expr): void {
    const stack: A.Expr[] = [root];
    while (stack.length) {
      const e = stack.pop()!;
      switch (e.kind) {
        case 'Unary':
          this.tightAfter.add(e.start);
          if (e.operand) stack.push(e.operand);
          break;
        case 'Binary':
          // Two-token operators (`<<`, `>=`) stay glued.
          if (e.opRange.end - e.opRange.start === 2 && this.tokenAt(e.opRange.start).end === e.opRange.start + 1) {
            this.tightAfter.add(e.opRange.start);
          }
          stack.push(e.left);
          if (e.right) stack.push(e.right);
          break;
        case 'Paren':
          this.tightAfter.add(e.start);
          this.tightBefore.add(e.end - 1);
          if (e.expr) stack.push(e.expr);
          break;
        case 'Member':
          for (const n of e.path.slice(0, -1)) this.glue(this.tokenAfter(n.end - 1));
          break;
        case 'OpaqueExpr':
        case 'Property':
          // `name(args)`: no space before or inside the parentheses.
          this.glue(this.tokenAfter(e.start));
          this.tightBefore.add(e.end - 1);
          if (e.kind === 'Property' && e.device && e.property) this.glue(this.tokenAfter(e.device.end - 1));
          break;
      }
    }
  }

  // ---- token helpers ----

  private indexAt(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid].end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  private tokenAt(offset: number): Token {
    return this.tokens[this.indexAt(offset)];
  }
  /** The first significant token that starts after `offset`. */
  private tokenAfter(offset: number): Token {
    for (let i = this.indexAt(offset + 1); i < this.tokens.length; i++) {
      const t = this.tokens[i];
      if (t.start > offset && t.kind > T.DocComment) return t;
    }
    return this.tokens[this.tokens.length - 1];
  }
  /** The last significant token that ends at or before `offset`. */
  private tokenBefore(offset: number): Token {
    for (let i = this.indexAt(offset) - 1; i >= 0; i--) {
      const t = this.tokens[i];
      if (t.end <= offset && t.kind > T.DocComment) return t;
    }
    return this.tokens[0];
  }

  // ---- printing ----

  print(): string {
    const sig: number[] = [];
    for (let i = 0; i < this.tokens.length; i++) if (this.tokens[i].kind > T.DocComment) sig.push(i);
    let prev: Token | undefined;
    let prevItem: ItemInfo | undefined;
    let gapStart = 0;
    for (const ti of sig) {
      const tok = this.tokens[ti];
      const comments = this.commentsBetween(gapStart, ti);
      if (tok.kind === T.EOF) {
        this.flushComments(prev, comments, undefined);
        break;
      }
      const item = this.items.get(tok.start);
      const sep = this.separator(prev, tok, item, prevItem);
      if (item) prevItem = item;
      const forced = this.flushComments(prev, comments, tok, sep.newlines === 2);
      this.emitSeparator(prev, tok, sep, forced, comments.blankBeforeNext);
      const cond = this.conditions.get(tok.start);
      if (cond && cond.ops.length && this.column() + cond.flat > MAX_WIDTH) {
        this.breakAfter.add(tok.start);
        for (const op of cond.ops) this.breakAfter.add(this.tokenAt(op).start === op ? this.lastTokenOfOp(op) : op);
        this.breakBefore.add(cond.close);
      }
      this.out += this.text.slice(tok.start, tok.end);
      if (tok.kind === T.LBrace) this.depth++;
      if (this.memberEnds.has(tok.end) && this.nextSignificant(ti)?.kind !== T.Comma) this.out += ',';
      prev = tok;
      gapStart = ti + 1;
    }
    // Trailing blanks and final newlines go, in one linear pass (a regex backtracks
    // quadratically on a long run of blanks inside a comment).
    const lines = this.out.split('\n');
    for (let k = 0; k < lines.length; k++) {
      const l = lines[k];
      let e = l.length;
      while (e > 0 && (l.charCodeAt(e - 1) === 32 || l.charCodeAt(e - 1) === 9)) e--;
      if (e !== l.length) lines[k] = l.slice(0, e);
    }
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    const trimmed = lines.join('\n');
    return trimmed.length ? trimmed + '\n' : '';
  }

  private column(): number {
    return this.out.length - (this.out.lastIndexOf('\n') + 1);
  }

  /** Start of the last token of an operator (`>=` is two tokens). */
  private lastTokenOfOp(start: number): number {
    const t = this.tokenAt(start);
    const next = this.tokenAfter(start);
    const second = next.start === t.end && (next.kind === T.Eq || next.kind === T.Lt || next.kind === T.Gt);
    return second && (t.kind === T.Lt || t.kind === T.Gt) ? next.start : start;
  }

  private nextSignificant(ti: number): Token | undefined {
    for (let i = ti + 1; i < this.tokens.length; i++) if (this.tokens[i].kind > T.DocComment) return this.tokens[i];
    return undefined;
  }

  /** Separator before `tok`: newlines (0, 1 or 2 = blank line) or a space. */
  private separator(prev: Token | undefined, tok: Token, item: ItemInfo | undefined, prevItem: ItemInfo | undefined): Sep {
    if (!prev) return { newlines: 0, space: false };
    if (tok.kind === T.RBrace) {
      this.depth = Math.max(0, this.depth - 1);
      return prev.kind === T.LBrace ? { newlines: 0, space: false } : { newlines: 1, space: false };
    }
    if (item) {
      if (prev.kind === T.LBrace) return { newlines: 1, space: false };
      const blank = this.sourceBlankLine(prev, tok);
      if (item.container === 'top') {
        // Declarations are separated by a blank line; a run of includes or consts may be tight.
        const tight = prevItem && prevItem.container === 'top' && prevItem.kind === item.kind && (item.kind === 'Include' || item.kind === 'Const');
        return { newlines: tight && !blank ? 1 : 2, space: false };
      }
      return { newlines: blank ? 2 : 1, space: false };
    }
    if (this.attributeEnds.has(prev.end)) return { newlines: 1, space: false };
    if (this.breakAfter.has(prev.start)) return { newlines: 1, space: false, extra: 1 };
    if (this.breakBefore.has(tok.start)) return { newlines: 1, space: false };
    if (prev.kind === T.LBrace) return { newlines: 1, space: false };
    if (tok.kind === T.Comma || this.tightBefore.has(tok.start) || this.tightAfter.has(prev.start)) return { newlines: 0, space: false };
    if (tok.kind === T.Colon) return { newlines: 0, space: this.inheritColons.has(tok.start) };
    return { newlines: 0, space: true };
  }

  private sourceBlankLine(prev: Token, tok: Token): boolean {
    // A blank line in the source right before the item (after any comments above it).
    const gap = this.text.slice(prev.end, tok.start);
    const lines = gap.split(/\r\n|\r|\n/);
    if (lines.length < 3) return false;
    // Look for an empty line that is not followed only by comments belonging to the item.
    for (let i = 1; i < lines.length - 1; i++) if (lines[i].trim() === '') return true;
    return false;
  }

  private commentsBetween(from: number, to: number): { list: Array<{ tok: Token; ownLine: boolean; blankBefore: boolean }>; blankBeforeNext: boolean } {
    const list: Array<{ tok: Token; ownLine: boolean; blankBefore: boolean }> = [];
    // Comments are tokens; whitespace is the gap between consecutive tokens.
    let prevEnd = from === 0 ? 0 : this.tokens[from - 1].end;
    let first = from === 0;
    for (let i = from; i < to; i++) {
      const t = this.tokens[i];
      const newlines = this.newlinesIn(prevEnd, t.start) + (first ? 1 : 0);
      list.push({ tok: t, ownLine: newlines > 0, blankBefore: newlines > 1 });
      prevEnd = t.end;
      first = false;
    }
    const next = this.tokens[to]?.start ?? this.text.length;
    return { list, blankBeforeNext: this.newlinesIn(prevEnd, next) + (first ? 1 : 0) > 1 };
  }

  /**
   * Print the comments found before `next`. Returns true when the next token must start a
   * new line (a line comment was printed, or the comments sat on their own lines).
   */
  private flushComments(
    prev: Token | undefined,
    comments: { list: Array<{ tok: Token; ownLine: boolean; blankBefore: boolean }> },
    next: Token | undefined,
    blankRequired = false,
  ): boolean {
    let needNewline = false;
    // Before `}` the depth has already dropped; comments there belong to the block's contents.
    const indentDepth = next?.kind === T.RBrace ? this.depth + 1 : this.depth;
    let first = true;
    for (const c of comments.list) {
      const text = this.text.slice(c.tok.start, c.tok.end);
      if (!c.ownLine && prev) {
        this.out += ' ' + text;
      } else {
        if (this.out.length) {
          const afterOpen = prev?.kind === T.LBrace && this.out.endsWith('{');
          this.out += (c.blankBefore || (first && blankRequired)) && !afterOpen ? '\n\n' : '\n';
        }
        first = false;
        this.out += this.unit.repeat(indentDepth) + text;
      }
      needNewline = c.tok.kind !== T.BlockComment || c.ownLine;
      prev = c.tok;
    }
    return needNewline;
  }

  private emitSeparator(prev: Token | undefined, tok: Token, sep: Sep, forced: boolean, blankBeforeNext: boolean): void {
    if (!prev) {
      // First token of the file, after leading comments (if any).
      if (this.out.length) this.out += blankBeforeNext ? '\n\n' : '\n';
      return;
    }
    let newlines = sep.newlines;
    if (forced && newlines === 0) {
      // A comment ended the line in the middle of an item: continue one level deeper.
      this.out += '\n' + this.unit.repeat(this.depth + 1);
      return;
    }
    if (forced && prev) {
      // After comments printed on their own lines, keep a blank line only if the source had one.
      newlines = blankBeforeNext && tok.kind !== T.RBrace ? 2 : 1;
      if (this.items.get(tok.start)?.container === 'top' && sep.newlines === 2 && !blankBeforeNext) newlines = 1;
    }
    if (newlines > 0) {
      this.out += '\n'.repeat(newlines) + this.unit.repeat(this.depth + (sep.extra ?? 0));
    } else if (sep.space) {
      this.out += ' ';
    }
  }
}
