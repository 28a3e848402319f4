import { Diagnostic } from '../diagnostics/diagnostic';
import { T, Token } from './tokens';

/**
 * Hand-written lexer: one pass, no regular expressions on the hot path, never throws.
 * Every character of the input is in exactly one token (comments included) or in the
 * whitespace between two tokens, so the tokens and the gaps give the input back.
 */
export interface LexResult {
  tokens: Token[];
  diagnostics: Diagnostic[];
}

const enum C {
  Tab = 9,
  LF = 10,
  VT = 11,
  FF = 12,
  CR = 13,
  Space = 32,
  Bang = 33,
  Quote = 34,
  Percent = 37,
  Amp = 38,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D1 = 49,
  D9 = 57,
  Colon = 58,
  Semicolon = 59,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  Question = 63,
  At = 64,
  A = 65,
  F = 70,
  Z = 90,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  Caret = 94,
  Underscore = 95,
  a = 97,
  b = 98,
  f = 102,
  x = 120,
  z = 122,
  LBrace = 123,
  Pipe = 124,
  RBrace = 125,
  Tilde = 126,
}

export function isIdentStart(c: number): boolean {
  return (c >= C.a && c <= C.z) || (c >= C.A && c <= C.Z) || c === C.Underscore;
}

export function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= C.D0 && c <= C.D9);
}

function isDigit(c: number): boolean {
  return c >= C.D0 && c <= C.D9;
}

function isSpace(c: number): boolean {
  return c === C.Space || c === C.Tab || c === C.LF || c === C.CR || c === C.VT || c === C.FF;
}

const single: Record<number, T> = {
  [C.LBrace]: T.LBrace,
  [C.RBrace]: T.RBrace,
  [C.LParen]: T.LParen,
  [C.RParen]: T.RParen,
  [C.LBracket]: T.LBracket,
  [C.RBracket]: T.RBracket,
  [C.Lt]: T.Lt,
  [C.Gt]: T.Gt,
  [C.Comma]: T.Comma,
  [C.Colon]: T.Colon,
  [C.Dot]: T.Dot,
  [C.Question]: T.Question,
  [C.At]: T.At,
  [C.Plus]: T.Plus,
  [C.Minus]: T.Minus,
  [C.Star]: T.Star,
  [C.Percent]: T.Percent,
  [C.Caret]: T.Caret,
  [C.Tilde]: T.Tilde,
  [C.Semicolon]: T.Semicolon,
};

export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  const n = text.length;
  let i = 0;
  const push = (kind: T, start: number) => tokens.push({ kind, start, end: i });

  while (i < n) {
    const start = i;
    const c = text.charCodeAt(i);

    if (isSpace(c)) {
      // Whitespace is not stored: it is the text between tokens (fewer objects to keep).
      do i++;
      while (i < n && isSpace(text.charCodeAt(i)));
      continue;
    }

    if (c === C.Slash) {
      const c1 = text.charCodeAt(i + 1);
      if (c1 === C.Slash) {
        // `///` (exactly three) is a doc comment; `////` is a plain comment, as in Rust.
        const doc = text.charCodeAt(i + 2) === C.Slash && text.charCodeAt(i + 3) !== C.Slash;
        i += 2;
        while (i < n && text.charCodeAt(i) !== C.LF && text.charCodeAt(i) !== C.CR) i++;
        push(doc ? T.DocComment : T.LineComment, start);
        continue;
      }
      if (c1 === C.Star) {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) {
          i = n;
          diagnostics.push(err('VL004', 'Unterminated block comment: `*/` is missing', start, start + 2));
        } else {
          i = close + 2;
        }
        push(T.BlockComment, start);
        continue;
      }
      i++;
      push(T.Slash, start);
      continue;
    }

    if (isIdentStart(c)) {
      i++;
      for (;;) {
        while (i < n && isIdentPart(text.charCodeAt(i))) i++;
        // A hyphen continues the identifier only when an identifier character follows
        // it directly: `isa-serial`, but `n - 1` and `n -1` are subtractions.
        if (i + 1 < n && text.charCodeAt(i) === C.Minus && isIdentPart(text.charCodeAt(i + 1))) {
          i++;
          continue;
        }
        break;
      }
      push(T.Ident, start);
      continue;
    }

    if (isDigit(c)) {
      lexNumber(text, start, (end) => (i = end), diagnostics);
      push(T.Int, start);
      continue;
    }

    if (c === C.Quote) {
      i++;
      let closed = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === C.Quote) {
          i++;
          closed = true;
          break;
        }
        if (d === C.LF || d === C.CR) break;
        if (d === C.Backslash && i + 1 < n && text.charCodeAt(i + 1) !== C.LF && text.charCodeAt(i + 1) !== C.CR) i += 2;
        else i++;
      }
      if (!closed) diagnostics.push(err('VL003', 'Unterminated string: the closing `"` is missing', start, i));
      push(T.String, start);
      continue;
    }

    if (c === 0x201c) {
      // “curly quotes” pasted from a document: a string all the same, with one error.
      i++;
      while (i < n && text.charCodeAt(i) !== 0x201d && text.charCodeAt(i) !== C.LF && text.charCodeAt(i) !== C.CR) i++;
      if (i < n && text.charCodeAt(i) === 0x201d) i++;
      push(T.String, start);
      diagnostics.push(err('VL001', 'Use straight double quotes `"` for strings, not curly quotes', start, i));
      continue;
    }

    const c1 = text.charCodeAt(i + 1);
    if (c === C.Eq) {
      i += c1 === C.Eq ? 2 : 1;
      push(c1 === C.Eq ? T.EqEq : T.Eq, start);
      continue;
    }
    if (c === C.Bang) {
      i += c1 === C.Eq ? 2 : 1;
      push(c1 === C.Eq ? T.BangEq : T.Bang, start);
      continue;
    }
    if (c === C.Amp) {
      i += c1 === C.Amp ? 2 : 1;
      push(c1 === C.Amp ? T.AmpAmp : T.Amp, start);
      continue;
    }
    if (c === C.Pipe) {
      i += c1 === C.Pipe ? 2 : 1;
      push(c1 === C.Pipe ? T.PipePipe : T.Pipe, start);
      continue;
    }
    const s = single[c];
    if (s !== undefined) {
      i++;
      push(s, start);
      continue;
    }

    // Unknown character: take a whole run of them (one diagnostic, not one per byte),
    // keeping surrogate pairs together.
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isSpace(d) || isIdentStart(d) || isDigit(d) || d === C.Quote || d === C.Slash || single[d] !== undefined) break;
      if (d === C.Eq || d === C.Bang || d === C.Amp || d === C.Pipe) break;
      i++;
    }
    push(T.Unknown, start);
    diagnostics.push(err('VL001', describeUnknown(text.slice(start, i)), start, i));
  }
  tokens.push({ kind: T.EOF, start: n, end: n });
  return { tokens, diagnostics };
}

function describeUnknown(run: string): string {
  const first = run.codePointAt(0) ?? 0;
  const what =
    first === 0
      ? 'NUL byte'
      : first === 0xfffd
        ? 'invalid UTF-8 (U+FFFD)'
        : first < 0x20 || first === 0x7f
          ? `control character U+${first.toString(16).toUpperCase().padStart(4, '0')}`
          : `character \`${String.fromCodePoint(first)}\``;
  return run.length > 1 ? `Unexpected ${what} (and ${run.length - 1} more unexpected characters)` : `Unexpected ${what}`;
}

function lexNumber(text: string, start: number, setEnd: (end: number) => void, diagnostics: Diagnostic[]): void {
  const n = text.length;
  let i = start;
  let radix = 10;
  const c1 = text.charCodeAt(i + 1) | 0x20;
  if (text.charCodeAt(i) === C.D0 && (c1 === C.x || c1 === C.b)) {
    radix = c1 === C.x ? 16 : 2;
    i += 2;
  }
  const digitsStart = i;
  let bad = false;
  // Take the whole alphanumeric run, then judge it: `12abc` is one bad number, not `12` `abc`.
  while (i < n && isIdentPart(text.charCodeAt(i))) i++;
  const body = text.slice(digitsStart, i);
  if (body.length === 0 || body.startsWith('_') || body.endsWith('_') || body.includes('__')) bad = true;
  else if (radix === 10 && body.length > 1 && body.charCodeAt(0) === C.D0 && /^[0-9_]+$/.test(body)) {
    setEnd(i);
    const digits = body.replace(/_/g, '');
    const decimal = digits.replace(/^0+(?=.)/, '');
    const octal = /^[0-7]+$/.test(digits) ? `, or \`0x${parseInt(digits, 8).toString(16)}\` if it is C's octal ${digits}` : '';
    diagnostics.push(err('VL005', `Decimal numbers do not start with 0 (C reads \`${body}\` as octal); write \`${decimal}\`${octal}`, start, i));
    return;
  }
  else {
    for (let k = 0; k < body.length; k++) {
      const d = body.charCodeAt(k);
      if (d === C.Underscore) continue;
      const v = isDigit(d) ? d - C.D0 : (d | 0x20) >= C.a && (d | 0x20) <= C.f ? (d | 0x20) - C.a + 10 : 99;
      if (v >= radix) {
        bad = true;
        break;
      }
    }
  }
  setEnd(i);
  if (bad) {
    const kind = radix === 16 ? 'hexadecimal' : radix === 2 ? 'binary' : 'decimal';
    const shown = i - start > 40 ? text.slice(start, start + 20) + '…' : text.slice(start, i);
    diagnostics.push(err('VL005', `Invalid ${kind} number \`${shown}\``, start, i));
  }
}

/** Value of an integer token, or undefined when the lexer reported it as invalid. */
export function intValue(text: string): bigint | undefined {
  // Fast path: a short plain decimal (most sizes and versions).
  if (text.length < 16 && /^[1-9][0-9]*$|^0$/.test(text)) return BigInt(text);
  const clean = text.replace(/_/g, '');
  if (!/^(0[xX][0-9a-fA-F]+|0[bB][01]+|0|[1-9][0-9]*)$/.test(clean)) return undefined;
  return BigInt(clean.toLowerCase());
}

/** Decoded value of a string token (quotes removed, escapes applied) and the bad escapes found. */
export function stringValue(raw: string): { value: string; badEscapes: Array<{ offset: number; length: number }> } {
  let value = '';
  const badEscapes: Array<{ offset: number; length: number }> = [];
  const end = raw.length > 1 && (raw.endsWith('"') || raw.endsWith('\u201d')) ? raw.length - 1 : raw.length;
  for (let i = 1; i < end; i++) {
    const ch = raw[i];
    if (ch !== '\\') {
      value += ch;
      continue;
    }
    const e = raw[i + 1];
    switch (e) {
      case '"': value += '"'; i++; break;
      case '\\': value += '\\'; i++; break;
      case 'n': value += '\n'; i++; break;
      case 't': value += '\t'; i++; break;
      case 'r': value += '\r'; i++; break;
      case '0': value += '\0'; i++; break;
      case 'x': {
        const hex = raw.slice(i + 2, i + 4);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          value += String.fromCharCode(parseInt(hex, 16));
          i += 3;
        } else {
          badEscapes.push({ offset: i, length: 2 });
          i++;
        }
        break;
      }
      case 'u': {
        const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(raw.slice(i + 2, i + 11));
        const cp = m ? parseInt(m[1], 16) : -1;
        // Lone surrogates are not characters (they cannot be encoded in UTF-8).
        if (m && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
          value += String.fromCodePoint(cp);
          i += 1 + m[0].length;
        } else {
          badEscapes.push({ offset: i, length: 2 });
          i++;
        }
        break;
      }
      default:
        badEscapes.push({ offset: i, length: e === undefined ? 1 : 2 });
        if (e !== undefined) i++;
    }
  }
  return { value, badEscapes };
}

function err(code: string, message: string, start: number, end: number): Diagnostic {
  return { code, severity: 'error', message, start, end };
}
