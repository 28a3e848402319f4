/**
 * Typed syntax tree. Every node keeps its source range [start, end) in UTF-16 offsets.
 * Together with the token stream (which keeps whitespace and comments) the tree is
 * lossless: see SyntaxTree in parser.ts. Optional children are absent when the source
 * lacks them (error recovery); the parser has reported that already.
 */

export interface Range {
  start: number;
  end: number;
}

export interface Node extends Range {
  kind: string;
}

/** An identifier (`isa-serial`) or a quoted name (`"env.eip"`) in a name position. */
export interface Name extends Node {
  kind: 'Name';
  text: string;
  quoted: boolean;
}

export interface StringLit extends Node {
  kind: 'String';
  value: string;
}

export interface Doc extends Range {
  /** The comment text with `///` and one following space removed, lines joined by \n. */
  text: string;
  /** QAPI-style `Since: 7.2` line, if present. */
  since?: string;
}

export interface Attribute extends Node {
  kind: 'Attribute';
  name: Name;
  args: Expr[];
  /** Range of the argument list including parentheses, if any. */
  argsRange?: Range;
}

interface Decl extends Node {
  doc?: Doc;
  attributes: Attribute[];
  /** Range of the declaration keyword (`vmstate`, `field` has none). */
  keyword?: Range;
}

export interface SourceFile extends Node {
  kind: 'File';
  items: Item[];
  /** Every declaration (at any depth) that has attributes, in source order. */
  attributed: AnyDecl[];
}

export type Item = IncludeDecl | ConstDecl | EnumDecl | VmstateDecl | DeviceDecl | MachineDecl;

export interface IncludeDecl extends Decl {
  kind: 'Include';
  path?: StringLit;
}

export interface ConstDecl extends Decl {
  kind: 'Const';
  name?: Name;
  type?: Name;
  value?: Expr;
}

export interface EnumDecl extends Decl {
  kind: 'Enum';
  name?: Name;
  base?: Name;
  members: EnumMember[];
  body?: Range;
}

export interface EnumMember extends Decl {
  kind: 'EnumMember';
  name: Name;
  value?: Expr;
}

/** A block `{ ... }`; `closed` is false when the closing brace is missing. */
export interface Block<T> extends Range {
  items: T[];
  closed: boolean;
}

export interface VmstateDecl extends Decl {
  kind: 'Vmstate';
  name?: Name;
  body?: Block<BodyItem>;
}

export interface SubsectionDecl extends Decl {
  kind: 'Subsection';
  name?: Name;
  needed?: Condition;
  body?: Block<BodyItem>;
}

export type BodyItem =
  | WireNameStmt
  | VersionStmt
  | MinimumVersionStmt
  | NeededStmt
  | ReservedStmt
  | FieldDecl
  | UnusedDecl
  | SubsectionDecl;

export interface WireNameStmt extends Decl {
  kind: 'WireName';
  value?: StringLit;
}

export interface VersionStmt extends Decl {
  kind: 'Version';
  value?: Expr;
}

export interface MinimumVersionStmt extends Decl {
  kind: 'MinimumVersion';
  value?: Expr;
}

export interface NeededStmt extends Decl {
  kind: 'Needed';
  condition?: Condition;
}

export interface ReservedStmt extends Decl {
  kind: 'Reserved';
  names: Name[];
}

export type Condition = ExprCondition | OpaqueCondition;

export interface ExprCondition extends Node {
  kind: 'ExprCondition';
  expr?: Expr;
}

export interface OpaqueCondition extends Node {
  kind: 'OpaqueCondition';
  reason?: StringLit;
}

export interface FieldDecl extends Decl {
  kind: 'Field';
  name: Name;
  type?: TypeNode;
  modifiers: Modifier[];
}

export interface UnusedDecl extends Decl {
  kind: 'Unused';
  size?: Expr;
  modifiers: Modifier[];
}

export type Modifier = SinceMod | IfMod | EqualMod | LeMod | DefaultMod | AliasMod;

export interface SinceMod extends Node {
  kind: 'Since';
  value?: Expr;
}
export interface IfMod extends Node {
  kind: 'If';
  condition?: Condition;
}
export interface EqualMod extends Node {
  kind: 'Equal';
}
export interface LeMod extends Node {
  kind: 'Le';
}
export interface DefaultMod extends Node {
  kind: 'Default';
  value?: Expr;
}
export interface AliasMod extends Node {
  kind: 'Alias';
  name?: Name;
}

/** `base?[d1][d2]` — element type, null markers, array dimensions (outermost last). */
export interface TypeNode extends Node {
  kind: 'Type';
  base: ElementType;
  nullable?: Range;
  dims: Dim[];
}

export interface Dim extends Node {
  kind: 'Dim';
  size?: Expr;
}

export type ElementType = NamedType | BytesType | BitmapType | OpaqueType | ListType | TreeType | TmpType;

/** A scalar (`u8`, `timer`, …), an enum or a description; `@ 2` = explicit struct version. */
export interface NamedType extends Node {
  kind: 'NamedType';
  name: Name;
  version?: Expr;
}
export interface BytesType extends Node {
  kind: 'BytesType';
}
export interface BitmapType extends Node {
  kind: 'BitmapType';
}
export interface OpaqueType extends Node {
  kind: 'OpaqueType';
  info?: StringLit;
}
export interface ListType extends Node {
  kind: 'ListType';
  flavor: 'list' | 'qlist';
  element?: TypeNode;
}
export interface TreeType extends Node {
  kind: 'TreeType';
  key?: TypeNode;
  value?: TypeNode;
}
export interface TmpType extends Node {
  kind: 'TmpType';
  description?: Name;
}

export interface DeviceDecl extends Decl {
  kind: 'Device';
  name?: Name;
  parent?: Name;
  body?: Block<DeviceItem>;
}

export type DeviceItem = StateStmt | PropertyDecl;

export interface StateStmt extends Decl {
  kind: 'State';
  description?: Name;
}

export interface PropertyDecl extends Decl {
  kind: 'Property';
  name?: Name;
  type?: Name;
  value?: Expr;
}

export interface MachineDecl extends Decl {
  kind: 'Machine';
  name?: StringLit;
  parent?: StringLit;
  body?: Block<CompatEntry>;
}

export interface CompatEntry extends Decl {
  kind: 'Compat';
  device: Name;
  property?: Name;
  value?: Expr;
}

// ---- expressions ----

export type Expr =
  | IntExpr
  | BoolExpr
  | StringExpr
  | NameExpr
  | MemberExpr
  | OpaqueExpr
  | VersionExpr
  | PropertyExpr
  | UnaryExpr
  | BinaryExpr
  | ParenExpr
  | ErrorExpr;

export interface IntExpr extends Node {
  kind: 'Int';
  /** Undefined when the literal is malformed (already reported by the lexer). */
  value?: bigint;
  text: string;
}
export interface BoolExpr extends Node {
  kind: 'Bool';
  value: boolean;
}
export interface StringExpr extends Node {
  kind: 'StringExpr';
  value: string;
}
export interface NameExpr extends Node {
  kind: 'NameRef';
  name: Name;
}
/** `Enum.member`, or a path into an embedded struct: `recv_fifo.num`, `a.b.c`. */
export interface MemberExpr extends Node {
  kind: 'Member';
  /** Two names or more; the last may be missing after a trailing `.` (error recovery). */
  path: Name[];
}
/** `opaque("why")`: a bool the description cannot compute (state the stream does not carry). */
export interface OpaqueExpr extends Node {
  kind: 'OpaqueExpr';
  reason?: StringLit;
}
export interface VersionExpr extends Node {
  kind: 'VersionRef';
}
/** `property(name)` or `property(device.name)`. */
export interface PropertyExpr extends Node {
  kind: 'Property';
  device?: Name;
  property?: Name;
}
export type UnaryOp = '!' | '-' | '~';
export interface UnaryExpr extends Node {
  kind: 'Unary';
  op: UnaryOp;
  operand?: Expr;
}
export type BinaryOp =
  | '||' | '&&'
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '|' | '^' | '&' | '<<' | '>>'
  | '+' | '-' | '*' | '/' | '%';
export interface BinaryExpr extends Node {
  kind: 'Binary';
  op: BinaryOp;
  opRange: Range;
  left: Expr;
  right?: Expr;
}
export interface ParenExpr extends Node {
  kind: 'Paren';
  expr?: Expr;
}
/** Placeholder where an expression was required but something else was found. */
export interface ErrorExpr extends Node {
  kind: 'ErrorExpr';
}

export type AnyDecl = Item | BodyItem | EnumMember | DeviceItem | CompatEntry;
