import * as A from '../syntax/ast';
import { Size } from './size';
import { FieldType, IntName } from './types';

/**
 * The semantic model: what the declarations of a workspace mean once names are resolved.
 * Built by analyzer.ts; read by the IDE features, the codecs and the compatibility engine.
 */

interface SymBase {
  name: string;
  uri: string;
  /** Range of the name in its file (for navigation). */
  nameRange: A.Range;
  /** `@deprecated("reason")`: the reason ('' when none was given). */
  deprecated?: string;
  unstable?: boolean;
  doc?: A.Doc;
}

export interface DescriptionSym extends SymBase {
  kind: 'vmstate';
  decl: A.VmstateDecl;
  body: BodyModel;
  /** Devices whose `state` is this description. */
  devices: DeviceSym[];
  /** Fields (anywhere) that embed this description as a struct, list element or tmp. */
  embeddedBy: FieldModel[];
}

export interface EnumSym extends SymBase {
  kind: 'enum';
  decl: A.EnumDecl;
  base: IntName;
  members: EnumMemberSym[];
}

export interface EnumMemberSym extends SymBase {
  kind: 'enumMember';
  decl: A.EnumMember;
  owner: EnumSym;
  value: bigint;
}

export interface ConstSym extends SymBase {
  kind: 'const';
  decl: A.ConstDecl;
  type?: IntName;
  /** Undefined until evaluated, or when evaluation failed. */
  value?: bigint | boolean;
  state: 'pending' | 'evaluating' | 'done';
}

export interface DeviceSym extends SymBase {
  kind: 'device';
  decl: A.DeviceDecl;
  parent?: DeviceSym;
  state?: DescriptionSym;
  properties: PropertySym[];
  abstract: boolean;
  /** `state` comes from a parent device (QOM subclasses inherit dc->vmsd). */
  inheritedState?: boolean;
}

export interface PropertySym extends SymBase {
  kind: 'property';
  decl: A.PropertyDecl;
  owner: DeviceSym;
  type: PropertyType;
  default?: Value;
}

export type PropertyType = { kind: 'int'; name: IntName } | { kind: 'bool' } | { kind: 'str' } | { kind: 'enum'; enum: EnumSym } | { kind: 'error' };

export type Value = bigint | boolean | string;

export interface MachineSym extends SymBase {
  kind: 'machine';
  decl: A.MachineDecl;
  parent?: MachineSym;
  compat: CompatModel[];
}

export interface CompatModel {
  decl: A.CompatEntry;
  device?: DeviceSym;
  property?: PropertySym;
  value?: Value;
}

export type TopSym = DescriptionSym | EnumSym | ConstSym | DeviceSym | MachineSym;
export type AnySym = TopSym | EnumMemberSym | PropertySym | FieldModel | SubsectionModel;

/** The fields and subsections of a description or of one of its subsections. */
export interface BodyModel {
  owner: DescriptionSym;
  /** The subsection this body belongs to; undefined for the description itself. */
  subsection?: SubsectionModel;
  wireName: string;
  version: number;
  minimumVersion: number;
  /** Explicit `version` statement present. */
  hasVersion: boolean;
  /** False when `version` or `minimum_version` was invalid (reported); comparisons skip it. */
  versionKnown?: boolean;
  needed?: A.Condition;
  fields: FieldModel[];
  subsections: SubsectionModel[];
  reserved: string[];
  /** Wire size of the fields at the current version, subsections excluded. */
  fieldsSize?: Size;
  /** Fields plus the subsections that may follow (conditional). */
  totalSize?: Size;
}

export interface SubsectionModel {
  kind: 'subsection';
  name: string;
  uri: string;
  nameRange: A.Range;
  decl: A.SubsectionDecl;
  parent: BodyModel;
  body: BodyModel;
  doc?: A.Doc;
  deprecated?: string;
  /** Always sent (no `needed`, or a constant one): true; never: false; else unknown. */
  staticNeeded?: boolean;
}

export interface FieldModel {
  kind: 'field';
  /** Key in the self-describing stream; `unused` placeholders have none. */
  name?: string;
  uri: string;
  nameRange: A.Range;
  decl: A.FieldDecl | A.UnusedDecl;
  body: BodyModel;
  index: number;
  type: FieldType;
  since?: number;
  /** `if (expr)` or `if opaque "why"` (a test QEMU runs on state the stream does not carry). */
  condition?: A.Condition;
  /** The condition's value at the body's current version, when it is known statically. */
  staticCondition?: boolean;
  /** Set when that value depends on `version`: it holds at this version only. */
  staticAtVersion?: number;
  default?: Value;
  aliases: string[];
  /** `@member("…")`: the C member, when it differs from the name. */
  member?: string;
  deprecated?: string;
  doc?: A.Doc;
  /** Wire size of the whole field (all elements) when it exists. */
  size?: Size;
  /** Offset from the start of the body's data; static when all earlier fields are. */
  offset?: Size;
}
