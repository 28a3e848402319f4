import { DumpFormatError } from '../interop/qemu-dump';
import { Direction, RuleId } from './rules';
import { type DumpSide, staticCheckerRenames, staticCheckerSectionRenames } from './static-checker';

/**
 * Our own comparison of two QEMU `-dump-vmstate` files (`vmsd check-dumps --format
 * text|json`): SRC, the QEMU migrated from, and DEST, the QEMU migrated to. Where QEMU's
 * scripts/vmstate-static-checker.py (reproduced as it is in static-checker.ts) compares
 * the two JSON trees key by key, this follows what QEMU does with the stream
 * (migration/vmstate.c, migration/savevm.c):
 *
 * - **What is on the wire.** SRC writes a description's fields at its version, DEST reads
 *   them at the version it receives: a field is on the wire when its `version_id` is at
 *   most that version, unless it has a `field_exists` test, which then alone decides (and
 *   which the dump does not show: such fields give warnings, never errors). A field that
 *   only one side has at that version — however the names line up — shifts every later
 *   byte; a DEST field above SRC's version is not read and is fine.
 * - **Which versions.** A section's version travels in its header and must be within
 *   DEST's range; a subsection's travels before its fields, likewise. A nested
 *   description (VMS_STRUCT) travels without any version: each side uses its *own*
 *   current version, so nested versions that differ are no error in themselves — only
 *   the fields that then differ on the wire are (reported as such).
 * - **Names.** Field names and nested description names are not on the wire: fields are
 *   matched by name to find what was added, removed or moved, but a struct split or
 *   merged (fields moved into or out of a nested description) is followed, and two
 *   fields of different names but the same size at the same place are a warning, not an
 *   error. Section (top-level description) and subsection names are on the wire.
 * - After a difference the comparison realigns and goes on (the script stops the whole
 *   description at the first unexpected name).
 *
 * Directions are named as in rules.ts: "old" is the first dump given, "new" the second;
 * SRC → DEST is old→new, or new→old with --reverse (SRC and DEST swapped). The rule of a
 * finding depends on which side has the element (a field only the old side has is
 * VS010 in both directions), as in compare.ts:
 *
 *   VS001 a section DEST cannot load (no such class, or no description) · VS002 the
 *   section's description (its wire name) renamed · VS006/VS004 a version too new
 *   (old→new / new→old) · VS005/VS006 too old (old→new / new→old) · VS010/VS011 a field
 *   only the old/new side has on the wire · VS012 a field moved · VS013 another size, or
 *   a struct on one side and a plain field on the other · VS014 (warning) an unlisted
 *   rename, same size · VS015 another array length (`num`, QEMU 8.1+) · VS017 a field on
 *   the wire on one side only because of its version (warning: a `field_exists` test on
 *   one side only) · VS020 `unused` placeholders that do not cover the same bytes ·
 *   VS031 a subsection removed · VS030 (warning) a subsection added.
 *
 * A field finding about a field under a `field_exists` test is a warning instead.
 *
 * Pure: no Node modules.
 */

export interface DumpPathStep {
  kind: 'Description' | 'Field' | 'Subsection';
  name: string;
}

export interface DumpFinding {
  rule: RuleId;
  severity: 'error' | 'warning';
  /** The section (QOM device class) of SRC the finding is about. */
  section: string;
  /**
   * From the section's description down to the element: on the new side when the element
   * is there, else on the old side. Empty for the section itself.
   */
  path: DumpPathStep[];
  /** One sentence, ending with the direction in parentheses: `… (old→new)`. */
  message: string;
}

export interface DumpComparison {
  direction: Direction;
  findings: DumpFinding[];
  errors: number;
  warnings: number;
  /** What is worth knowing but is no finding (machine types, sections without a description). */
  notes: string[];
}

/** An input that is not a `-dump-vmstate` file; `side` says which (SRC or DEST of the comparison). */
export class DumpInputError extends DumpFormatError {
  constructor(
    readonly side: DumpSide,
    where: string,
    problem: string,
  ) {
    super(where, problem);
    this.name = 'DumpInputError';
  }
}

/** Compare what SRC sends with what DEST reads; throws DumpInputError when an input is not a dump. */
export function compareDumps(src: unknown, dest: unknown, opts: { direction: Direction }): DumpComparison {
  return new Comparer(readDump(src, 'src'), readDump(dest, 'dest'), opts.direction).run();
}

/** `Section "X", Description "D", Field "F"`: the section, the innermost description and the element. */
export function findingLocation(f: DumpFinding): string {
  const parts = [`Section "${f.section}"`];
  const last = f.path[f.path.length - 1];
  if (last) {
    const container = last.kind === 'Field' || last.kind === 'Subsection' ? [...f.path.slice(0, -1)].reverse().find((s) => s.kind !== 'Field') : last;
    if (container) parts.push(`${container.kind} "${container.name}"`);
    if (container !== last) parts.push(`${last.kind} "${last.name}"`);
  }
  return parts.join(', ');
}

// ---------------------------------------------------------------- the dump, read

/** Two descriptions alike in everything the comparison reads. */
function sameDesc(a: Desc, b: Desc): boolean {
  if (a === b) return true;
  if (a.name !== b.name || a.version !== b.version || a.minimum !== b.minimum || a.fields.length !== b.fields.length || a.subsections.length !== b.subsections.length) return false;
  for (let i = 0; i < a.fields.length; i++) {
    const x = a.fields[i];
    const y = b.fields[i];
    if (x.name !== y.name || x.version !== y.version || x.exists !== y.exists || x.size !== y.size || x.num !== y.num) return false;
    if (x.desc || y.desc) if (!x.desc || !y.desc || !sameDesc(x.desc, y.desc)) return false;
  }
  for (let i = 0; i < a.subsections.length; i++) if (!sameDesc(a.subsections[i], b.subsections[i])) return false;
  return true;
}

/** Every subsection's version within its own range: such a description loads what it sends. */
function selfConsistent(d: Desc): boolean {
  return d.minimum <= d.version && d.subsections.every(selfConsistent);
}

interface Desc {
  name: string;
  version: number;
  minimum: number;
  fields: Field[];
  subsections: Desc[];
}

interface Field {
  name: string;
  version: number;
  exists: boolean;
  size: number;
  num?: number;
  desc?: Desc;
}

interface Section {
  version: number;
  minimum: number;
  desc?: Desc;
}

interface Dump {
  machine?: string;
  sections: Map<string, Section>;
}

const MACHINE_KEY = 'vmschkmachine';
/** Deepest nesting followed (QEMU's own trees are a few levels deep). */
const MAX_DEPTH = 64;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The dump's shape, checked whole before anything is compared. What QEMU always writes is
 * required (`version_id`, a description's `name`, a field's `field` and `size`); what
 * hand-made dumps (QEMU's own test data) leave out is not: a section without a
 * description, a description without fields or subsections, a missing
 * `minimum_version_id` (0) or `field_exists` (false).
 */
function readDump(json: unknown, side: DumpSide): Dump {
  const fail = (where: string, problem: string): never => {
    throw new DumpInputError(side, where, problem);
  };
  if (!isObj(json)) fail('the file', 'a JSON object of device classes was expected');
  const top = json as Obj;
  const sections = new Map<string, Section>();
  let machine: string | undefined;
  const int = (o: Obj, key: string, where: string, optional = false): number => {
    const v = o[key];
    if (v === undefined && optional) return 0;
    if (!isInt(v)) fail(where, v === undefined ? `no "${key}"` : `"${key}" is not a non-negative integer`);
    return v as number;
  };
  const desc = (v: unknown, where: string, depth: number): Desc => {
    if (depth > MAX_DEPTH) fail(where, `nested deeper than ${MAX_DEPTH}`);
    if (!isObj(v)) fail(where, 'a description object was expected');
    const d = v as Obj;
    if (typeof d.name !== 'string') fail(where, 'no "name"');
    const list = (key: string): unknown[] => {
      if (d[key] === undefined) return [];
      if (!Array.isArray(d[key])) fail(where, `"${key}" is not a list`);
      return d[key] as unknown[];
    };
    const fields = list('Fields').map((f, i): Field => {
      const at = `${where}.Fields[${i}]`;
      if (!isObj(f) || typeof f.field !== 'string') fail(at, 'a field with a "field" name was expected');
      const o = f as Obj;
      if (o.field_exists !== undefined && typeof o.field_exists !== 'boolean') fail(at, '"field_exists" is not true or false');
      const field: Field = { name: o.field as string, version: int(o, 'version_id', at), exists: o.field_exists === true, size: int(o, 'size', at) };
      if (o.num !== undefined) field.num = int(o, 'num', at);
      if (o.Description !== undefined) field.desc = desc(o.Description, `${at}.Description`, depth + 1);
      return field;
    });
    const subsections = list('Subsections').map((s, i) => desc(s, `${where}.Subsections[${i}]`, depth + 1));
    return { name: d.name as string, version: int(d, 'version_id', where), minimum: int(d, 'minimum_version_id', where, true), fields, subsections };
  };
  for (const [key, value] of Object.entries(top)) {
    if (key === MACHINE_KEY) {
      if (isObj(value) && typeof value.Name === 'string') machine = value.Name;
      continue;
    }
    const where = `section "${key}"`;
    if (!isObj(value)) fail(where, 'an object was expected');
    const o = value as Obj;
    sections.set(key, {
      version: int(o, 'version_id', where),
      minimum: int(o, 'minimum_version_id', where, true),
      desc: o.Description === undefined ? undefined : desc(o.Description, `${where}.Description`, 0),
    });
  }
  return { machine, sections };
}

// ---------------------------------------------------------------- renames

/**
 * The renames QEMU's checker accepts (static-checker.ts keeps its QEMU 7.2 table): field
 * names keyed by the description that has them, description names keyed by the section,
 * and device classes. They are no error here either. A field's name is not on the wire at all — only its place and size are — and
 * these renames were listed by QEMU's developers because the wire format stayed the same
 * across them (`dev` → `parent_obj` when a device struct got a QOM parent, and so on); a
 * class name is not on the wire either. A section's own description name is (it is the
 * section's idstr), so an unlisted change there is an error, and the table is trusted for
 * the listed ones as the script trusts it. A field renamed without being listed is a
 * warning when its size is the same, for the reason above, and never matched by name.
 */
const RENAMES = staticCheckerRenames();
const SECTION_RENAMES = staticCheckerSectionRenames();

function renamed(scope: string, a: string, b: string): boolean {
  const names = RENAMES.get(scope);
  return names !== undefined && names.includes(a) && names.includes(b);
}

function sameName(a: string, b: string, ...scopes: string[]): boolean {
  return a === b || scopes.some((s) => renamed(s, a, b));
}

function renamedSection(key: string): string | undefined {
  for (const [a, b] of SECTION_RENAMES) {
    if (a === key) return b;
    if (b === key) return a;
  }
  return undefined;
}

// ---------------------------------------------------------------- the wire, flattened

/** A struct field (a field with a nested description) as one side puts it on the wire. */
interface StructNode {
  id: number;
  field: Field;
  /** The name of the description the field belongs to. */
  owner: string;
  /** The version that description is read or written at. */
  at: number;
  /** A field of the top description (not of a nested one). */
  top: boolean;
  path: DumpPathStep[];
  /** Leaves below it, all levels. */
  leaves: number;
}

/** A field without a nested description that is on the wire (or may be, with a test). */
interface Leaf {
  field: Field;
  owner: string;
  /** The version its description is read or written at. */
  at: number;
  /** It has a field_exists test, or one of the structs around it has. */
  conditional: boolean;
  path: DumpPathStep[];
  /** The struct fields around it, outermost first. */
  chain: StructNode[];
  /** Its index in its side's list. */
  index: number;
}

/** A field that is not on the wire at this version (its version_id is higher). */
interface Absent {
  field: Field;
  owner: string;
  at: number;
  path: DumpPathStep[];
}

interface Flat {
  leaves: Leaf[];
  absent: Absent[];
  structs: StructNode[];
}

/**
 * A description's fields as they follow each other on the wire: a nested description's
 * fields take the place of its struct field (QEMU writes no framing around them), read
 * at the nested description's own version. `at` is the version of the top description.
 */
function flatten(d: Desc, at: number, path: DumpPathStep[], ids: { next: number }): Flat {
  const flat: Flat = { leaves: [], absent: [], structs: [] };
  const walk = (desc: Desc, version: number, prefix: DumpPathStep[], chain: StructNode[], conditional: boolean) => {
    for (const f of desc.fields) {
      const fieldPath = [...prefix, { kind: 'Field', name: f.name } as DumpPathStep];
      // vmstate.c: a test alone decides; otherwise version_id <= the version.
      if (!f.exists && f.version > version) {
        flat.absent.push({ field: f, owner: desc.name, at: version, path: fieldPath });
        continue;
      }
      if (f.desc) {
        const node: StructNode = { id: ids.next++, field: f, owner: desc.name, at: version, top: chain.length === 0, path: fieldPath, leaves: 0 };
        flat.structs.push(node);
        // VMS_STRUCT: loaded and saved at the nested description's own version, which is
        // not sent (VMS_VSTRUCT uses a version fixed in the field, which the dump does not
        // show; it is rare, and taken here as the description's version).
        walk(f.desc, f.desc.version, [...fieldPath, { kind: 'Description', name: f.desc.name }], [...chain, node], conditional || f.exists);
        continue;
      }
      for (const n of chain) n.leaves++;
      flat.leaves.push({ field: f, owner: desc.name, at: version, conditional: conditional || f.exists, path: fieldPath, chain, index: flat.leaves.length });
    }
  };
  walk(d, at, path, [], false);
  return flat;
}

/** Bytes on the wire as far as the dump tells: the element size, times `num` when given. */
function bytesOf(f: Field): number {
  return f.size * (f.num ?? 1);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A run of leaves, or a whole struct whose leaves are all in the run. */
type Item = { kind: 'leaf'; leaf: Leaf } | { kind: 'struct'; node: StructNode; leaves: Leaf[] };

function itemName(x: Item): string {
  return x.kind === 'leaf' ? x.leaf.field.name : x.node.field.name;
}
function itemOwner(x: Item): string {
  return x.kind === 'leaf' ? x.leaf.owner : x.node.owner;
}
function itemPath(x: Item): DumpPathStep[] {
  return x.kind === 'leaf' ? x.leaf.path : x.node.path;
}
function itemConditional(x: Item): boolean {
  return x.kind === 'leaf' ? x.leaf.conditional : x.leaves.some((l) => l.conditional);
}
function itemBytes(x: Item): number {
  return x.kind === 'leaf' ? bytesOf(x.leaf.field) : x.leaves.reduce((n, l) => n + bytesOf(l.field), 0);
}
function isUnused(x: Item): boolean {
  return x.kind === 'leaf' && x.leaf.field.name === 'unused';
}
function describeItem(x: Item): string {
  if (x.kind === 'leaf') return `field "${x.leaf.field.name}" (${sizeText(x.leaf.field)})`;
  return `field "${x.node.field.name}" (struct "${x.node.field.desc!.name}", ${plural(x.leaves.length, 'field')})`;
}
function sizeText(f: Field): string {
  return f.num !== undefined ? `${f.num} × ${plural(f.size, 'byte')}` : plural(f.size, 'byte');
}

/** Gather a run's leaves into items: a struct all of whose leaves are in the run is one item. */
function collapse(run: Leaf[]): Item[] {
  const inRun = new Map<number, number>();
  for (const l of run) for (const n of l.chain) inRun.set(n.id, (inRun.get(n.id) ?? 0) + 1);
  const items: Item[] = [];
  let open: { node: StructNode; leaves: Leaf[] } | undefined;
  for (const l of run) {
    if (open && l.chain.includes(open.node)) {
      open.leaves.push(l);
      continue;
    }
    const whole = l.chain.find((n) => inRun.get(n.id) === n.leaves);
    if (whole) {
      open = { node: whole, leaves: [l] };
      items.push({ kind: 'struct', ...open });
    } else {
      open = undefined;
      items.push({ kind: 'leaf', leaf: l });
    }
  }
  return items;
}

/** Above this many cells the middle of two leaf lists is aligned greedily (memory and time stay linear). */
const MAX_ALIGN_CELLS = 1 << 20;

/**
 * Pairs of the two leaf lists matched by name, in order: the common prefix and suffix
 * directly (two dumps of one device class are mostly identical), the rest as the
 * heaviest common subsequence — or, for a middle too large for that (a hostile or huge
 * dump), greedily in order.
 */
function align(S: Leaf[], D: Leaf[]): Array<[number, number]> {
  const weight = (a: Leaf, b: Leaf): number => {
    // `unused` placeholders are never paired by name: they stand for whatever bytes are
    // at their place, and are weighed by size against the run they fall in.
    if (a.field.name === 'unused' || !sameName(a.field.name, b.field.name, a.owner, b.owner)) return 0;
    // A name match counts most; the same description around it and the same size break ties.
    return 4 + (a.owner === b.owner ? 1 : 0) + (a.field.size === b.field.size ? 1 : 0);
  };
  let p = 0;
  while (p < S.length && p < D.length && weight(S[p], D[p])) p++;
  let q = 0;
  while (q < S.length - p && q < D.length - p && weight(S[S.length - 1 - q], D[D.length - 1 - q])) q++;
  const pairs: Array<[number, number]> = [];
  for (let k = 0; k < p; k++) pairs.push([k, k]);
  const s = S.slice(p, S.length - q);
  const d = D.slice(p, D.length - q);
  const middle = (s.length + 1) * (d.length + 1) <= MAX_ALIGN_CELLS ? heaviest(s, d, weight) : greedy(s, d, weight);
  for (const [i, j] of middle) pairs.push([i + p, j + p]);
  for (let k = q; k > 0; k--) pairs.push([S.length - k, D.length - k]);
  return pairs;
}

function heaviest(S: Leaf[], D: Leaf[], weight: (a: Leaf, b: Leaf) => number): Array<[number, number]> {
  const n = S.length;
  const m = D.length;
  if (!n || !m) return [];
  const W = new Int32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const w = weight(S[i - 1], D[j - 1]);
      W[at(i, j)] = Math.max(W[at(i - 1, j)], W[at(i, j - 1)], w ? W[at(i - 1, j - 1)] + w : 0);
    }
  }
  const pairs: Array<[number, number]> = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    const w = weight(S[i - 1], D[j - 1]);
    if (w && W[at(i, j)] === W[at(i - 1, j - 1)] + w) {
      pairs.push([i - 1, j - 1]);
      i--;
      j--;
    } else if (W[at(i - 1, j)] >= W[at(i, j - 1)]) i--;
    else j--;
  }
  return pairs.reverse();
}

/** In order: each S leaf takes the first D leaf after the last pair that it matches. */
function greedy(S: Leaf[], D: Leaf[], weight: (a: Leaf, b: Leaf) => number): Array<[number, number]> {
  const byName = new Map<string, number[]>();
  D.forEach((x, j) => {
    if (x.field.name === 'unused') return;
    const list = byName.get(x.field.name);
    if (list) list.push(j);
    else byName.set(x.field.name, [j]);
  });
  const pairs: Array<[number, number]> = [];
  let last = -1;
  S.forEach((x, i) => {
    const list = byName.get(x.field.name);
    if (!list) return;
    // The first index after `last` (binary search: many leaves may share a name).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] > last) hi = mid;
      else lo = mid + 1;
    }
    const j = list[lo];
    if (j !== undefined && weight(x, D[j]) > 0) {
      pairs.push([i, j]);
      last = j;
    }
  });
  return pairs;
}

// ---------------------------------------------------------------- the comparison

interface Gap {
  s: Item[];
  d: Item[];
}

class Comparer {
  private findings: DumpFinding[] = [];
  private notes: string[] = [];
  private ids = { next: 0 };
  /** The section being compared. */
  private section = '';

  constructor(
    private readonly src: Dump,
    private readonly dest: Dump,
    private readonly direction: Direction,
  ) {}

  run(): DumpComparison {
    const { src, dest } = this;
    if (src.machine !== undefined && dest.machine !== undefined && src.machine !== dest.machine) {
      const [o, n] = this.direction === 'old→new' ? [src.machine, dest.machine] : [dest.machine, src.machine];
      this.notes.push(
        `the dumps were made with machine types "${o}" (old) and "${n}" (new); -dump-vmstate lists device classes, which do not depend on the machine type, so this compares the classes (a migration itself needs the same machine type on both sides)`,
      );
    }
    for (const [key, s] of src.sections) {
      this.section = key;
      const other = renamedSection(key);
      const d = dest.sections.get(key) ?? (other !== undefined ? dest.sections.get(other) : undefined);
      if (!d) {
        this.sectionMissing(key, s);
        continue;
      }
      this.compareSection(s, d);
    }
    const errors = this.findings.filter((f) => f.severity === 'error').length;
    return { direction: this.direction, findings: this.findings, errors, warnings: this.findings.length - errors, notes: this.notes };
  }

  // --- words

  /** 'old' or 'new': which side SRC or DEST is. */
  private age(side: DumpSide): 'old' | 'new' {
    return (side === 'src') === (this.direction === 'old→new') ? 'old' : 'new';
  }
  private get S(): string {
    return `the ${this.age('src')} source`;
  }
  private get R(): string {
    return `the ${this.age('dest')} destination`;
  }
  /** The path on the new side (SRC's in new→old), else the old one. */
  private pick(pS: DumpPathStep[] | undefined, pD: DumpPathStep[] | undefined): DumpPathStep[] {
    const [n, o] = this.direction === 'old→new' ? [pD, pS] : [pS, pD];
    return n ?? o ?? [];
  }
  /** The rule for an element only one side has: VS010 when that is the old side (removed), VS011 when the new (added). */
  private onlyRule(side: DumpSide): RuleId {
    return this.age(side) === 'old' ? 'VS010' : 'VS011';
  }

  private report(rule: RuleId, severity: 'error' | 'warning', path: DumpPathStep[], message: string): void {
    this.findings.push({ rule, severity, section: this.section, path, message: `${message} (${this.direction})` });
  }

  // --- sections

  private sectionMissing(key: string, s: Section): void {
    const newSide = this.age('dest');
    // A class of the same description that SRC does not have: probably the same device renamed.
    const twins = s.desc ? [...this.dest.sections].filter(([k, d]) => !this.src.sections.has(k) && d.desc?.name === s.desc!.name).map(([k]) => `"${k}"`) : [];
    const hint = twins.length ? ` (${twins.join(', ')} there ${twins.length === 1 ? 'has' : 'have'} the same description "${s.desc!.name}": renamed?)` : '';
    this.report('VS001', 'error', [], `the ${newSide} side has no device class "${key}": ${this.R} cannot create the device or load the section ${this.S} sends${hint}`);
  }

  private compareSection(s: Section, d: Section): void {
    // Section versions: the header carries SRC's, DEST checks it against its own range
    // (savevm.c for the maximum, vmstate_load_state for the minimum).
    const sectionTooNew = this.versions([], 'section', s.version, d.version, d.minimum);
    if (!s.desc) {
      this.notes.push(`section "${this.section}": SRC has no description, so nothing it sends can be compared`);
      return;
    }
    if (!d.desc) {
      this.report('VS001', 'error', [], `the ${this.age('dest')} side's "${this.section}" has no description: ${this.R} cannot load the section ${this.S} sends`);
      return;
    }
    const pS: DumpPathStep[] = [{ kind: 'Description', name: s.desc.name }];
    const pD: DumpPathStep[] = [{ kind: 'Description', name: d.desc.name }];
    // The top description's name is the section's name on the wire (its idstr).
    if (!sameName(s.desc.name, d.desc.name, this.section)) {
      const [o, n] = this.age('src') === 'old' ? [s.desc.name, d.desc.name] : [d.desc.name, s.desc.name];
      this.report('VS002', 'error', this.pick(pS, pD), `the description is "${o}" on the old side and "${n}" on the new: it is the section's name on the wire, so ${this.R} finds no section "${s.desc.name}" to load`);
    }
    // In a real dump a section's versions are its description's (savevm.c writes
    // dc->vmsd's in both places); QEMU's test data sets them apart, so both are checked,
    // and the description's only when its numbers are not the section's.
    let tooNew = sectionTooNew;
    if (s.desc.version !== s.version || d.desc.version !== d.version || d.desc.minimum !== d.minimum) {
      const t = this.versions(this.pick(pS, pD), 'description', s.desc.version, d.desc.version, d.desc.minimum);
      if (t !== undefined) tooNew = Math.min(t, tooNew ?? t);
    }
    // Most classes are the same in two dumps: a description that reads its own stream has
    // nothing to report against its twin (and walking 200 such trees is most of a run).
    if (tooNew === undefined && s.version === d.version && sameDesc(s.desc, d.desc) && selfConsistent(s.desc)) return;
    // SRC writes the fields at its description's version, DEST reads them at the version
    // in the header (the same number in a real dump).
    this.compareBody(s.desc, d.desc, pS, pD, s.desc.version, tooNew);
  }

  /**
   * A version sent on the wire (section header, subsection) against the receiver's range;
   * returns the receiver's version when the one sent is too new.
   */
  private versions(path: DumpPathStep[], what: string, sent: number, max: number, min: number): number | undefined {
    // A hand-made dump may have a minimum above the version: nothing loads then.
    const range = min > max ? `accepts no version at all (its minimum ${min} is above its version ${max})` : `accepts versions ${min} to ${max}`;
    if (sent > max) {
      this.report(this.age('src') === 'old' ? 'VS006' : 'VS004', 'error', path, `${this.S} sends ${what} version ${sent}; ${this.R} ${range}: too new, the load fails`);
      return max;
    }
    if (sent < min) {
      this.report(this.age('src') === 'old' ? 'VS005' : 'VS006', 'error', path, `${this.S} sends ${what} version ${sent}; ${this.R} ${range}: too old, the load fails`);
    }
    return undefined;
  }

  // --- a description's fields, and its subsections

  /**
   * What SRC writes for `s` at version `at` against what DEST reads for `d` at that
   * version. `tooNew`: DEST's version, when `at` was reported too new for it.
   */
  private compareBody(s: Desc, d: Desc, pS: DumpPathStep[], pD: DumpPathStep[], at: number, tooNew?: number): void {
    const S = flatten(s, at, pS, this.ids);
    const D = flatten(d, at, pD, this.ids);
    const pairs = align(S.leaves, D.leaves);

    // The runs between matched pairs.
    const gaps: Gap[] = [];
    let i = 0;
    let j = 0;
    const matched: Array<[Leaf, Leaf]> = [];
    for (const [a, b] of [...pairs, [S.leaves.length, D.leaves.length] as [number, number]]) {
      if (a > i || b > j) gaps.push({ s: collapse(S.leaves.slice(i, a)), d: collapse(D.leaves.slice(j, b)) });
      if (a < S.leaves.length) matched.push([S.leaves[a], D.leaves[b]]);
      i = a + 1;
      j = b + 1;
    }
    for (const [a, b] of matched) this.compareLeaves(a, b);

    // The fields SRC sends from a version above DEST's own are what made the version too
    // new (a version bump with its fields): that finding says it.
    if (tooNew !== undefined) {
      for (const g of gaps) {
        g.s = g.s.filter((x) => !(x.kind === 'leaf' ? x.leaf.chain.length === 0 && x.leaf.field.version > tooNew : x.node.top && x.node.field.version > tooNew));
      }
    }
    this.moved(gaps, S, D);
    this.versionTwins(gaps, S, D);
    for (const g of gaps) this.gap(g);

    this.compareStructs(S, D, matched);
    this.compareSubsections(s, d, pS, pD);
  }

  /** Two fields matched by name. */
  private compareLeaves(a: Leaf, b: Leaf): void {
    const path = this.pick(a.path, b.path);
    const fa = a.field;
    const fb = b.field;
    const [o, n] = this.age('src') === 'old' ? [fa, fb] : [fb, fa];
    const name = fa.name === fb.name ? `"${fa.name}"` : `"${o.name}" (new: "${n.name}")`;
    if (fa.size !== fb.size) {
      this.report('VS013', 'error', path, `field ${name} is ${sizeText(o)} on the old side and ${sizeText(n)} on the new: the fields after it are misread`);
    } else if (fa.num !== undefined && fb.num !== undefined && fa.num !== fb.num) {
      this.report('VS015', 'error', path, `array ${name} has ${o.num} elements on the old side and ${n.num} on the new: the fields after it are misread`);
    }
    if (fa.exists !== fb.exists) this.conditionChanged(path, fa, fb);
  }

  private conditionChanged(path: DumpPathStep[], fa: Field, fb: Field): void {
    const only = fa.exists ? 'src' : 'dest';
    this.report(
      'VS017',
      'warning',
      path,
      `field "${fa.name}" has a field_exists test on the ${this.age(only)} side only: whenever the test and the other side's version disagree, the rest of the section is misread (the dump does not show the test)`,
    );
  }

  /** A field both sides have, found at different places: it moved. */
  private moved(gaps: Gap[], S: Flat, D: Flat): void {
    const dItems = gaps.flatMap((g) => g.d.map((x) => ({ g, x })));
    for (const g of gaps) {
      for (const x of [...g.s]) {
        if (isUnused(x)) continue;
        // In the same run it is the same place (see gap()); elsewhere it moved.
        const hit = dItems.find((y) => y.g !== g && y.x.kind === x.kind && sameName(itemName(x), itemName(y.x), itemOwner(x), itemOwner(y.x)) && itemOwner(x) === itemOwner(y.x) && y.g.d.includes(y.x));
        if (!hit) continue;
        g.s.splice(g.s.indexOf(x), 1);
        hit.g.d.splice(hit.g.d.indexOf(hit.x), 1);
        const after = (flat: Flat, item: Item) => {
          const first = item.kind === 'leaf' ? item.leaf : item.leaves[0];
          const prev = flat.leaves[first.index - 1];
          return prev ? `after "${prev.field.name}"` : 'first';
        };
        const [oAfter, nAfter] = this.age('src') === 'old' ? [after(S, x), after(D, hit.x)] : [after(D, hit.x), after(S, x)];
        this.report(
          'VS012',
          itemConditional(x) || itemConditional(hit.x) ? 'warning' : 'error',
          this.pick(itemPath(x), itemPath(hit.x)),
          `field "${itemName(x)}" moved (${oAfter} on the old side, ${nAfter} on the new side): the fields in between are misread`,
        );
        if (x.kind === 'leaf' && hit.x.kind === 'leaf') this.compareLeaves(x.leaf, hit.x.leaf);
      }
    }
  }

  /** A field only one side puts on the wire while the other has it at a higher version. */
  private versionTwins(gaps: Gap[], S: Flat, D: Flat): void {
    const twinOf = (x: Item, absent: Absent[]) =>
      absent.find((a) => a.field.name === itemName(x) && a.owner === itemOwner(x)) ?? absent.find((a) => a.field.name === itemName(x));
    for (const g of gaps) {
      for (const [items, side, others] of [
        [g.s, 'src', D.absent],
        [g.d, 'dest', S.absent],
      ] as const) {
        for (const x of [...items]) {
          if (isUnused(x)) continue;
          const twin = twinOf(x, others);
          if (!twin) continue;
          items.splice(items.indexOf(x), 1);
          const at = x.kind === 'leaf' ? x.leaf.at : x.node.at;
          const own = x.kind === 'leaf' ? x.leaf.field : x.node.field;
          const [who, verb, otherWho, otherVerb] = side === 'src' ? [this.S, 'sends', this.R, 'reads'] : [this.R, 'reads', this.S, 'sends'];
          this.report(
            'VS017',
            itemConditional(x) ? 'warning' : 'error',
            this.pick(side === 'src' ? itemPath(x) : twin.path, side === 'dest' ? itemPath(x) : twin.path),
            `${who} ${verb} field "${itemName(x)}" (its version_id ${own.version}, at version ${at}); ${otherWho} ${otherVerb} it only from version ${twin.field.version}, and is at version ${twin.at}: the rest of the section is misread`,
          );
        }
      }
    }
  }

  /** What is left of a run between matched fields. */
  private gap(g: Gap): void {
    // The same struct field on both sides with none of its fields matched: field by field.
    const leavesOf = (x: Item): Item[] => (x.kind === 'struct' ? x.leaves.map((leaf) => ({ kind: 'leaf', leaf })) : [x]);
    for (const x of [...g.s]) {
      const y = x.kind === 'struct' ? g.d.find((t) => t.kind === 'struct' && sameName(itemName(x), itemName(t), itemOwner(x), itemOwner(t))) : undefined;
      if (!y) continue;
      g.s.splice(g.s.indexOf(x), 1, ...leavesOf(x));
      g.d.splice(g.d.indexOf(y), 1, ...leavesOf(y));
    }
    // A field that is a struct on one side and a plain field on the other.
    for (const [mine, theirs, side] of [
      [g.s, g.d, 'src'],
      [g.d, g.s, 'dest'],
    ] as const) {
      for (const x of [...mine]) {
        if (x.kind !== 'struct') continue;
        const y = theirs.find((t) => t.kind === 'leaf' && sameName(itemName(x), itemName(t), itemOwner(x), itemOwner(t)));
        if (!y || y.kind !== 'leaf') continue;
        mine.splice(mine.indexOf(x), 1);
        theirs.splice(theirs.indexOf(y), 1);
        const [oText, nText] = this.age(side) === 'old' ? [`a struct ("${x.node.field.desc!.name}")`, `a plain field of ${sizeText(y.leaf.field)}`] : [`a plain field of ${sizeText(y.leaf.field)}`, `a struct ("${x.node.field.desc!.name}")`];
        this.report('VS013', itemConditional(x) || y.leaf.conditional ? 'warning' : 'error', this.pick(side === 'src' ? x.node.path : y.leaf.path, side === 'src' ? y.leaf.path : x.node.path), `field "${itemName(x)}" is ${oText} on the old side and ${nText} on the new: the two encodings differ`);
      }
    }
    const { s, d } = g;
    if (!s.length && !d.length) return;
    // `unused` placeholders stand for any fields of the same total size.
    if (s.length && d.length && (s.every(isUnused) || d.every(isUnused))) {
      const sb = s.reduce((n, x) => n + itemBytes(x), 0);
      const db = d.reduce((n, x) => n + itemBytes(x), 0);
      if (sb === db) return;
      const [oBytes, nBytes, oItems, nItems] = this.age('src') === 'old' ? [sb, db, s, d] : [db, sb, d, s];
      const names = (items: Item[]) => items.map((x) => `"${itemName(x)}"`).join(', ');
      this.report(
        'VS020',
        s.some(itemConditional) || d.some(itemConditional) ? 'warning' : 'error',
        this.pick(itemPath(s[0]), itemPath(d[0])),
        `${names(oItems)} (${plural(oBytes, 'byte')}) on the old side stand where the new side has ${names(nItems)} (${plural(nBytes, 'byte')}): the fields after them are misread`,
      );
      return;
    }
    // The same place and size under another name: the name is not on the wire.
    let k = 0;
    for (; k < Math.min(s.length, d.length); k++) {
      const x = s[k];
      const y = d[k];
      if (x.kind !== 'leaf' || y.kind !== 'leaf' || isUnused(x) || isUnused(y) || x.leaf.field.size !== y.leaf.field.size || x.leaf.field.num !== y.leaf.field.num) break;
      const [o, n] = this.age('src') === 'old' ? [x.leaf.field, y.leaf.field] : [y.leaf.field, x.leaf.field];
      this.report(
        'VS014',
        'warning',
        this.pick(x.leaf.path, y.leaf.path),
        `field "${o.name}" is "${n.name}" on the new side, at the same place with the same size (${sizeText(o)}): the same wire format if it holds the same data (the dump has no types)`,
      );
      if (x.leaf.field.exists !== y.leaf.field.exists) this.conditionChanged(this.pick(x.leaf.path, y.leaf.path), x.leaf.field, y.leaf.field);
    }
    for (const x of s.slice(k)) this.onlyOneSide(x, 'src');
    for (const x of d.slice(k)) this.onlyOneSide(x, 'dest');
  }

  /** A field (or struct) on the wire on one side only. */
  private onlyOneSide(x: Item, side: DumpSide): void {
    const conditional = itemConditional(x);
    const what = isUnused(x) ? `an \`unused\` placeholder (${plural(itemBytes(x), 'byte')})` : describeItem(x);
    const rule: RuleId = isUnused(x) ? 'VS020' : this.onlyRule(side);
    const when = conditional ? ' when its field_exists test passes (the dump does not show it)' : '';
    const message =
      side === 'src'
        ? `${this.S} sends ${what}${when}; ${this.R} does not read it: the rest of the section is misread`
        : `${this.R} reads ${what}${when}; ${this.S} does not send it: the rest of the section is misread`;
    this.report(rule, conditional ? 'warning' : 'error', itemPath(x), message);
  }

  /**
   * Struct fields on both sides: their tests, and the subsections of their nested
   * descriptions (sent after the nested fields). A SRC struct is paired with the DEST
   * struct around the same matched fields, else with one of the same description.
   */
  private compareStructs(S: Flat, D: Flat, matched: Array<[Leaf, Leaf]>): void {
    const matchedS = new Set(matched.map(([a]) => a));
    const partner = new Map<StructNode, StructNode>();
    const taken = new Set<StructNode>();
    const pair = (a: StructNode, b: StructNode) => {
      if (partner.has(a) || taken.has(b)) return;
      partner.set(a, b);
      taken.add(b);
    };
    for (const [a, b] of matched) {
      for (const x of [...a.chain].reverse()) {
        const y = [...b.chain].reverse().find((n) => !taken.has(n) && (n.field.desc!.name === x.field.desc!.name || n.field.name === x.field.name));
        if (y) pair(x, y);
      }
    }
    for (const x of S.structs) {
      if (partner.has(x)) continue;
      const y = D.structs.find((n) => !taken.has(n) && n.field.desc!.name === x.field.desc!.name);
      if (y) pair(x, y);
    }
    for (const x of S.structs) {
      const y = partner.get(x);
      if (!y) {
        // Gone as a whole (none of its fields found on the other side): its fields were
        // reported, and its subsections go with them. Otherwise DEST has no place for them.
        if (x.leaves > 0 && !S.leaves.some((l) => l.chain.includes(x) && matchedS.has(l))) continue;
        this.compareSubsections(x.field.desc!, { ...x.field.desc!, subsections: [] }, [...x.path, { kind: 'Description', name: x.field.desc!.name }], undefined);
        continue;
      }
      if (x.field.exists !== y.field.exists) this.conditionChanged(this.pick(x.path, y.path), x.field, y.field);
      this.compareSubsections(x.field.desc!, y.field.desc!, [...x.path, { kind: 'Description', name: x.field.desc!.name }], [...y.path, { kind: 'Description', name: y.field.desc!.name }]);
    }
  }

  /**
   * Subsections: sent by name, with their version, when SRC's `needed` says so (not in the
   * dump). DEST must know each one it may get; those DEST has in addition are never sent.
   */
  private compareSubsections(s: Desc, d: Desc, pS: DumpPathStep[], pD: DumpPathStep[] | undefined): void {
    for (const sub of s.subsections) {
      const subS: DumpPathStep[] = [...pS, { kind: 'Subsection', name: sub.name }];
      const dsub = d.subsections.find((x) => x.name === sub.name);
      if (!dsub) {
        // Removed: an old source sends it when needed, and the new destination fails.
        // Added (new→old): QEMU's way to add state, safe when `needed` is off for the
        // machine types migrated to old binaries — which the dump cannot show.
        const removed = this.age('src') === 'old';
        this.report(
          removed ? 'VS031' : 'VS030',
          removed ? 'error' : 'warning',
          subS,
          `${this.R} has no subsection "${sub.name}": the load fails whenever ${this.S} sends it${removed ? '' : ' (its `needed` is not in the dump: fine if it is false for every machine type migrated)'}`,
        );
        continue;
      }
      const subD: DumpPathStep[] = [...(pD ?? pS), { kind: 'Subsection', name: dsub.name }];
      const tooNew = this.versions(this.pick(subS, subD), 'subsection', sub.version, dsub.version, dsub.minimum);
      this.compareBody(sub, dsub, subS, subD, sub.version, tooNew);
    }
  }
}
