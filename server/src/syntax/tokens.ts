/**
 * Token kinds. Comments are tokens too; whitespace is the text between tokens, so tokens
 * plus gaps are lossless.
 */
export const enum T {
  // trivia
  LineComment,
  BlockComment,
  DocComment,
  // significant
  Ident,
  Int,
  String,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Lt,
  Gt,
  Comma,
  Colon,
  Dot,
  Eq,
  EqEq,
  Bang,
  BangEq,
  Question,
  At,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Amp,
  AmpAmp,
  Pipe,
  PipePipe,
  Caret,
  Tilde,
  Semicolon,
  /** A character no token starts with; reported, then ignored by the parser. */
  Unknown,
  EOF,
}

export interface Token {
  kind: T;
  start: number;
  end: number;
}

export function isTrivia(kind: T): boolean {
  return kind <= T.DocComment;
}

const names: Record<number, string> = {
  [T.LineComment]: 'comment',
  [T.BlockComment]: 'comment',
  [T.DocComment]: 'doc comment',
  [T.Ident]: 'name',
  [T.Int]: 'integer',
  [T.String]: 'string',
  [T.LBrace]: '`{`',
  [T.RBrace]: '`}`',
  [T.LParen]: '`(`',
  [T.RParen]: '`)`',
  [T.LBracket]: '`[`',
  [T.RBracket]: '`]`',
  [T.Lt]: '`<`',
  [T.Gt]: '`>`',
  [T.Comma]: '`,`',
  [T.Colon]: '`:`',
  [T.Dot]: '`.`',
  [T.Eq]: '`=`',
  [T.EqEq]: '`==`',
  [T.Bang]: '`!`',
  [T.BangEq]: '`!=`',
  [T.Question]: '`?`',
  [T.At]: '`@`',
  [T.Plus]: '`+`',
  [T.Minus]: '`-`',
  [T.Star]: '`*`',
  [T.Slash]: '`/`',
  [T.Percent]: '`%`',
  [T.Amp]: '`&`',
  [T.AmpAmp]: '`&&`',
  [T.Pipe]: '`|`',
  [T.PipePipe]: '`||`',
  [T.Caret]: '`^`',
  [T.Tilde]: '`~`',
  [T.Semicolon]: '`;`',
  [T.Unknown]: 'unknown character',
  [T.EOF]: 'end of file',
};

export function tokenName(kind: T): string {
  return names[kind] ?? 'token';
}
