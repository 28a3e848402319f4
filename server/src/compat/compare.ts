import { Severity, severityRank } from '../diagnostics/diagnostic';
import { machineProperties } from '../codec/machine';
import * as A from '../syntax/ast';
import { Analysis } from '../semantic/analyzer';
import { BodyModel, DescriptionSym, FieldModel, MachineSym, PropertySym, SubsectionModel, Value } from '../semantic/model';
import { describeWireType, FieldType, INT_RANGES, IntName, SCALARS, WireType } from '../semantic/types';
import { evalCondition, propertiesIn, propertyValueFor } from './evaluate';
import { CompatResult, CompatSide, DEFAULT_MACHINE, Finding, FindingRelated, MatrixCell, Place, SideName, Verdict } from './findings';
import { Direction, DIRECTIONS, RULES, RuleId } from './rules';

/**
 * The compatibility engine: compares the descriptions being checked ("new") with a
 * baseline ("old"), for every machine type both know, in both directions.
 *
 * One walk serves both directions: a *sender* writes its fields at its version and with
 * its machine type's property values, and a *receiver* reads them at that version with
 * its own. old→new is (sender = baseline, receiver = new), new→old the other way round.
 * Fields are aligned by name (positions are what matter on the wire, names are how we
 * tell a removal from a change), subsections by wire name. What breaks becomes a finding
 * and a matrix cell; a few rules (the keyed stream, enums, machine tables, hygiene) are
 * structural and do not depend on the machine type.
 */
export interface CompareOptions {
  baseline: CompatSide;
  current: CompatSide;
  /** The new file that corresponds to a baseline file (for anchoring what was removed). */
  toCurrent?(baselineUri: string): string | undefined;
  /**
   * The baseline was imported from a `-dump-vmstate` file: it names fields but has no wire
   * types, counts, defaults or load checks. Types and counts are not compared, the keyed
   * and default rules are skipped, and field-level findings are warnings to check by hand.
   */
  baselineFromDump?: boolean;
}

interface SideCtx {
  name: SideName;
  side: CompatSide;
  properties: ReadonlyMap<PropertySym, Value>;
}

interface Walk {
  dir: Direction;
  /** The side that writes the stream. */
  S: SideCtx;
  /** The side that reads it. */
  R: SideCtx;
  /** The new-side bodies of the pair being compared, for anchoring. */
  machine: string;
}

interface Occurrence {
  finding: Finding;
  machines: Set<string>;
  dirs: Set<Direction>;
}

interface Cell {
  verdict: Verdict;
  reasons: string[];
  notes: string[];
}

/** Machine-independent comparisons run once, under this name, and count for every machine type. */
const ALL = '*';

export function compareWorkspaces(opts: CompareOptions): CompatResult {
  return new Comparison(opts).run();
}

class Comparison {
  private readonly B: CompatSide;
  private readonly C: CompatSide;
  private readonly occurrences = new Map<string, Occurrence>();
  private readonly machineNames: string[];
  private readonly machinesB = new Map<string, MachineSym>();
  private readonly machinesC = new Map<string, MachineSym>();
  private cell?: Cell;
  private readonly matrix: MatrixCell[] = [];
  private readonly sensitivity = new Map<DescriptionSym, boolean>();
  /** Nested pairs being compared (struct recursion is reported by the language rules). */
  private readonly active = new Set<string>();
  private readonly machineProps = new Map<string, ReadonlyMap<PropertySym, Value>>();
  /** Items per body, version and property values (null: the fields read no property). */
  private readonly itemCache = new WeakMap<BodyModel, Map<string, Item[]>>();
  private readonly propsIds = new WeakMap<ReadonlyMap<PropertySym, Value>, number>();
  private nextPropsId = 0;
  /** Field walks that do not depend on the machine type, recorded once and replayed. */
  private readonly walkMemo = new Map<string, Recorded[]>();
  private readonly recorders: Recorded[][] = [];
  private readonly fieldSensitivity = new Map<BodyModel, boolean>();

  constructor(private readonly opts: CompareOptions) {
    this.B = opts.baseline;
    this.C = opts.current;
    for (const m of this.B.analysis.machines) if (!this.machinesB.has(m.name)) this.machinesB.set(m.name, m);
    for (const m of this.C.analysis.machines) if (!this.machinesC.has(m.name)) this.machinesC.set(m.name, m);
    const both = [...this.machinesC.keys()].filter((n) => this.machinesB.has(n)).sort(compareMachineNames);
    this.machineNames = both.length ? both : [DEFAULT_MACHINE];
  }

  run(): CompatResult {
    const b = this.B.analysis;
    const c = this.C.analysis;
    const cByWire = new Map<string, DescriptionSym>();
    const cByName = new Map<string, DescriptionSym>();
    for (const d of c.descriptions) {
      if (isRoot(d) && !cByWire.has(d.body.wireName)) cByWire.set(d.body.wireName, d);
      if (!cByName.has(d.name)) cByName.set(d.name, d);
    }
    const bWires = new Set<string>();
    for (const bd of b.descriptions) {
      if (!isRoot(bd) || bWires.has(bd.body.wireName)) continue;
      bWires.add(bd.body.wireName);
      const cd = cByWire.get(bd.body.wireName);
      if (cd) {
        this.compareRoot(bd, cd);
        continue;
      }
      const renamed = cByName.get(bd.name);
      if (renamed && isRoot(renamed)) {
        this.report('VS002', {
          message: `description "${bd.name}" changed its wire name from "${bd.body.wireName}" to "${renamed.body.wireName}": QEMU matches sections by that name`,
          place: this.placeC(renamed.uri, wireNameRange(renamed.body) ?? renamed.nameRange),
          related: [this.rel('baseline', bd.uri, wireNameRange(bd.body) ?? bd.nameRange, `the old wire name "${bd.body.wireName}"`)],
          subject: bd.body.wireName,
          directions: ['old→new', 'new→old'],
          data: { wireName: bd.body.wireName },
        });
        for (const m of this.machineNames) for (const dir of DIRECTIONS) this.matrix.push({ description: bd.body.wireName, machine: m, direction: dir, verdict: 'error', reasons: [`VS002 the section is called "${renamed.body.wireName}" on the new side`] });
        continue;
      }
      if (this.opts.baselineFromDump) {
        // A dump holds every device class of the binary; the files checked may describe a few.
        this.report('VS001', {
          message: `section "${bd.body.wireName}" of the -dump-vmstate baseline is not described in the files checked`,
          place: { side: 'baseline', uri: bd.uri, start: bd.nameRange.start, end: bd.nameRange.end },
          related: [],
          subject: bd.body.wireName,
          directions: ['old→new'],
          severity: 'info',
        });
        continue;
      }
      this.report('VS001', {
        message: `description "${bd.name}" (section "${bd.body.wireName}") was removed: an old source that sends it cannot migrate`,
        place: this.placeForRemoved(bd.uri, bd.nameRange),
        related: [this.rel('baseline', bd.uri, bd.nameRange, `"${bd.name}" in the baseline`)],
        subject: bd.body.wireName,
        directions: ['old→new'],
      });
      this.removedWithoutDeprecation(bd, `description "${bd.name}"`, bd.body.wireName, this.placeForRemoved(bd.uri, bd.nameRange), bd.uri, bd.nameRange);
      for (const m of this.machineNames) {
        this.matrix.push({ description: bd.body.wireName, machine: m, direction: 'old→new', verdict: 'error', reasons: [`VS001 the new side has no description "${bd.body.wireName}"`] });
        this.matrix.push({ description: bd.body.wireName, machine: m, direction: 'new→old', verdict: 'ok', reasons: ['the new side never sends it'] });
      }
    }
    for (const [wire] of cByWire) {
      if (bWires.has(wire)) continue;
      for (const m of this.machineNames) {
        this.matrix.push({ description: wire, machine: m, direction: 'old→new', verdict: 'ok', reasons: ['new description: the old side never sends it'] });
        this.matrix.push({ description: wire, machine: m, direction: 'new→old', verdict: 'ok', reasons: ['new description: only a VM with the new device sends it, and the old side cannot create one'] });
      }
    }
    // Structural rules: every description known to both sides by name, embedded ones too
    // (not against a dump: it has no defaults, load checks, reserved names or deprecations).
    for (const bd of this.opts.baselineFromDump ? [] : firstBy(b.descriptions, (d) => d.name).values()) {
      const cd = cByName.get(bd.name);
      if (cd && cd.body && bd.body) this.structural(bd.body, cd.body);
    }
    this.compareEnums();
    this.compareMachines();
    return this.result();
  }

  // ---- the positional stream, per machine type and direction ----

  private compareRoot(bd: DescriptionSym, cd: DescriptionSym): void {
    const sensitive = this.isSensitive(bd) || this.isSensitive(cd);
    const machines = sensitive ? this.machineNames : [ALL];
    for (const m of machines) {
      const bCtx: SideCtx = { name: 'baseline', side: this.B, properties: this.propsOf('baseline', m) };
      const cCtx: SideCtx = { name: 'current', side: this.C, properties: this.propsOf('current', m) };
      for (const dir of DIRECTIONS) {
        const w: Walk = dir === 'old→new' ? { dir, S: bCtx, R: cCtx, machine: m } : { dir, S: cCtx, R: bCtx, machine: m };
        const [sBody, rBody] = dir === 'old→new' ? [bd.body, cd.body] : [cd.body, bd.body];
        this.cell = { verdict: 'ok', reasons: [], notes: [] };
        this.compareBody(sBody, rBody, w, sBody.version, undefined);
        const cell = this.cell;
        this.cell = undefined;
        const reasons = cell.reasons.length ? cell.reasons : cell.notes.length ? cell.notes : ['same wire layout'];
        for (const name of m === ALL ? this.machineNames : [m]) this.matrix.push({ description: bd.body.wireName, machine: name, direction: dir, verdict: cell.verdict, reasons: [...new Set(reasons)] });
      }
    }
  }

  private propsOf(side: SideName, machine: string): ReadonlyMap<PropertySym, Value> {
    if (machine === ALL || machine === DEFAULT_MACHINE) return EMPTY_PROPS;
    const key = `${side}\u0000${machine}`;
    let p = this.machineProps.get(key);
    if (!p) this.machineProps.set(key, (p = machineProperties((side === 'baseline' ? this.machinesB : this.machinesC).get(machine)!)));
    return p;
  }

  /**
   * Compare what S writes for a body with what R reads. `vR` is the receiver's version for
   * a nested struct (its own, never sent); undefined for sections and subsections, whose
   * version is on the wire and must be within the receiver's range.
   */
  private compareBody(sBody: BodyModel, rBody: BodyModel, w: Walk, vS: number, vR: number | undefined): void {
    const cBody = w.S.name === 'current' ? sBody : rBody;
    const bBody = w.S.name === 'current' ? rBody : sBody;
    const subject = cBody.wireName;
    if (vR === undefined) {
      // An invalid or empty range (minimum above version) is the language rules' finding;
      // such a body cannot even load its own stream, so there is nothing to compare.
      if (sBody.versionKnown === false || rBody.versionKnown === false || sBody.minimumVersion > sBody.version || rBody.minimumVersion > rBody.version) return;
      if (vS > rBody.version || vS < rBody.minimumVersion) {
        const raised = cBody.version > bBody.version;
        const lowered = cBody.version < bBody.version;
        const rule: RuleId = vS > rBody.version ? (w.dir === 'new→old' ? 'VS004' : 'VS006') : w.dir === 'old→new' && !lowered ? 'VS005' : 'VS006';
        const what = sBody.subsection ? `subsection "${subject}"` : `"${subject}"`;
        const message =
          rule === 'VS004' || (rule === 'VS006' && (raised || lowered))
            ? `${what}: version ${raised ? 'raised' : 'lowered'} from ${bBody.version} to ${cBody.version}; the ${w.dir === 'new→old' ? 'old' : 'new'} destination accepts versions ${rBody.minimumVersion}–${rBody.version} and gets ${vS}`
            : `${what}: minimum_version raised from ${bBody.minimumVersion} to ${cBody.minimumVersion}, above the old version ${bBody.version}`;
        this.report(rule, {
          message,
          place: this.placeC(cBody.owner.uri, versionRange(cBody, rule === 'VS005' ? 'MinimumVersion' : 'Version') ?? bodyAnchor(cBody)),
          related: [this.rel('baseline', bBody.owner.uri, versionRange(bBody, rule === 'VS005' ? 'MinimumVersion' : 'Version') ?? bodyAnchor(bBody), `version ${bBody.version}, minimum_version ${bBody.minimumVersion} in the baseline`)],
          subject,
          w,
          data: { baselineVersion: bBody.version, baselineMinimumVersion: bBody.minimumVersion },
        });
        return;
      }
      vR = vS;
    }
    this.compareFields(sBody, rBody, w, vS, vR);
    this.compareSubsections(sBody, rBody, w, vS);
  }

  /**
   * The field walk. When neither side's fields (nested structs included) read a property,
   * its findings are the same for every machine type: recorded on the first one and
   * replayed for the others (a 20,000-line workspace has thousands of such walks).
   */
  private compareFields(sBody: BodyModel, rBody: BodyModel, w: Walk, vS: number, vR: number): void {
    const memoable = !this.fieldsSensitive(sBody) && !this.fieldsSensitive(rBody);
    const key = memoable ? `${w.dir}\u0000${bodyId(sBody)}@${vS}\u0000${bodyId(rBody)}@${vR}` : undefined;
    const replay = key ? this.walkMemo.get(key) : undefined;
    if (replay) {
      for (const r of replay) {
        if (r.note !== undefined) this.note(r.note);
        else this.report(r.rule!, { ...r.args!, w });
      }
      return;
    }
    const rec: Recorded[] = [];
    if (key) this.recorders.push(rec);
    try {
      this.walkFields(this.items(sBody, vS, w.S), this.items(rBody, vR, w.R), w, sBody, rBody);
    } finally {
      if (key) {
        this.recorders.splice(this.recorders.lastIndexOf(rec), 1);
        this.walkMemo.set(key, rec);
      }
    }
  }

  /** Whether the fields of a body (nested structs with their subsections included) read a property. */
  private fieldsSensitive(b: BodyModel): boolean {
    let v = this.fieldSensitivity.get(b);
    if (v === undefined) {
      const nested = (e: WireType): boolean =>
        e.kind === 'struct' || e.kind === 'tmp' ? this.isSensitive(e.description) : e.kind === 'list' ? nested(e.element) : e.kind === 'tree' ? nested(e.key) || nested(e.value) : false;
      v = b.fields.some((f) => hasProperty(f.condition) || f.type.count?.kind === 'property' || nested(f.type.element));
      this.fieldSensitivity.set(b, v);
    }
    return v;
  }

  private items(body: BodyModel, version: number, side: SideCtx): Item[] {
    let byKey = this.itemCache.get(body);
    if (!byKey) this.itemCache.set(body, (byKey = new Map()));
    let pid = 0;
    if (this.fieldsSensitive(body)) {
      pid = this.propsIds.get(side.properties) ?? 0;
      if (!pid) this.propsIds.set(side.properties, (pid = ++this.nextPropsId));
    }
    const key = `${side.name}@${version}#${pid}`;
    let items = byKey.get(key);
    if (!items) byKey.set(key, (items = this.computeItems(body, version, side)));
    return items;
  }

  private computeItems(body: BodyModel, version: number, side: SideCtx): Item[] {
    const out: Item[] = [];
    let unused = 0;
    for (const f of body.fields) {
      // Placeholders have no name to match: their keys never match the other side's, so
      // the walk pairs them by position and size (a field replaced by `unused N` is fine).
      const key = f.name ?? `unused#${side.name}#${unused++}`;
      let present: boolean | undefined;
      if (f.condition) present = evalCondition(f.condition, { analysis: side.side.analysis, uri: f.uri, version, properties: side.properties });
      else present = f.since === undefined || f.since <= version;
      out.push({ f, key, present, ...signature(f.type, side, f) });
    }
    return out;
  }

  private walkFields(S: Item[], R: Item[], w: Walk, sBody: BodyModel, rBody: BodyModel): void {
    const sAll = firstBy(S, (x) => x.key);
    const rAll = firstBy(R, (x) => x.key);
    const s = S.filter((x) => x.present !== false);
    const r = R.filter((x) => x.present !== false);
    const sIndex = indexBy(s, (x) => x.key);
    const rIndex = indexBy(r, (x) => x.key);
    const consumedS = new Set<string>();
    const consumedR = new Set<string>();
    let i = 0;
    let j = 0;
    while (i < s.length || j < r.length) {
      const a = s[i];
      const b = r[j];
      if (a && consumedS.has(a.key)) { i++; continue; }
      if (b && consumedR.has(b.key)) { j++; continue; }
      if (this.opts.baselineFromDump && a && b) {
        // A dump's field tests are opaque: a field that may be absent is skipped when the
        // next one lines up better (`cur_offset` tested for version 1, then `cur_offset`
        // since 2; an `unused 4` tested for version 1, then an `unused 4`).
        const better = (maybe: Item, next: Item | undefined, other: Item) => maybe.present === undefined && next !== undefined && dumpPair(next, other) && (!dumpPair(maybe, other) || next.present !== undefined);
        if (better(a, s[i + 1], b)) { i++; continue; }
        if (better(b, r[j + 1], a)) { j++; continue; }
      }
      if (a && b && (a.key === b.key || (this.opts.baselineFromDump && dumpPair(a, b)))) {
        this.compareItems(a, b, w, sBody, rBody);
        i++;
        j++;
        continue;
      }
      const aLater = a ? (rIndex.get(a.key) ?? -1) > j : false;
      const bLater = b ? (sIndex.get(b.key) ?? -1) > i : false;
      if (a && b && !aLater && !bLater && !rAll.has(a.key) && !sAll.has(b.key)) {
        // Same position, different names: a rename or a replacement — unless one is a
        // placeholder of another size, next to a field the other side lacks.
        const aUnused = a.f.decl.kind === 'Unused';
        if (aUnused !== (b.f.decl.kind === 'Unused') && a.size !== b.size) {
          if (aUnused) {
            this.extra(b, 'receiver', undefined, w, sBody, rBody);
            j++;
          } else {
            this.extra(a, 'sender', undefined, w, sBody, rBody);
            i++;
          }
          continue;
        }
        this.replaced(a, b, w, sBody, rBody);
        i++;
        j++;
      } else if (a && b && aLater && bLater) {
        // Crossed: the one the new side moved is reported, then both are aligned.
        const moved = w.S.name === 'current' ? a : b;
        const other = moved === a ? b : a;
        this.report('VS012', {
          message: `fields "${moved.key}" and "${other.key}" changed places: the fields between them are read as each other`,
          place: this.placeC(moved.f.uri, moved.f.nameRange),
          related: [this.relItem(w.S.name === 'current' ? b : a, 'baseline', `"${moved.key}" in the baseline order`)],
          subject: `${this.subjectOf(w, sBody, rBody)}:${moved.key}`,
          w,
          present: [a.present, b.present],
        });
        this.compareItems(a, r[rIndex.get(a.key)!], w, sBody, rBody);
        consumedR.add(a.key);
        i++;
      } else if (a && (!b || bLater || !aLater)) {
        // S writes `a` here; R does not read it here.
        this.extra(a, 'sender', rAll.get(a.key), w, sBody, rBody);
        if (aLater) consumedR.add(a.key);
        i++;
      } else {
        this.extra(b!, 'receiver', sAll.get(b!.key), w, sBody, rBody);
        if (bLater) consumedS.add(b!.key);
        j++;
      }
    }
  }

  /** A field only one side puts on the wire at this point. */
  private extra(x: Item, role: 'sender' | 'receiver', twin: Item | undefined, w: Walk, sBody: BodyModel, rBody: BodyModel): void {
    const side: SideName = role === 'sender' ? w.S.name : w.R.name;
    const subject = `${this.subjectOf(w, sBody, rBody)}:${x.key}`;
    const cBody = w.S.name === 'current' ? sBody : rBody;
    const sizeText = x.size !== undefined ? `${x.size} byte${x.size === 1 ? '' : 's'}` : 'bytes';
    if (twin && twin.present === false) {
      // Both sides declare it, but only one puts it on the wire for this version and machine type.
      const [cItem, bItem] = side === 'current' ? [x, twin] : [twin, x];
      const why = this.propertyDifference(cItem.f, bItem.f, w);
      const verb = `on the wire on the ${side === 'current' ? 'new' : 'old'} side only`;
      if (why) {
        this.report('VS041', {
          message: `field "${x.key}" is ${verb}: ${why}`,
          place: this.placeC(cItem.f.uri, cItem.f.nameRange),
          related: [this.relItem(bItem, 'baseline', 'in the baseline')],
          subject,
          w,
          present: [x.present],
        });
      } else {
        this.report('VS017', {
          message: `field "${x.key}" is ${verb}: its condition changed from ${this.conditionText(bItem.f, 'baseline')} to ${this.conditionText(cItem.f, 'current')}`,
          place: this.placeC(cItem.f.uri, cItem.f.nameRange),
          related: [this.relItem(bItem, 'baseline', 'in the baseline')],
          subject,
          w,
          present: [x.present],
        });
      }
      return;
    }
    if (x.f.decl.kind === 'Unused') {
      this.report('VS020', {
        message: `an \`unused ${x.size ?? '?'}\` placeholder was ${side === 'current' ? 'added' : 'removed'}: ${sizeText} shift the fields after it`,
        place: side === 'current' ? this.placeC(x.f.uri, x.f.decl) : this.placeC(cBody.owner.uri, bodyAnchor(cBody)),
        related: side === 'current' ? [] : [this.relItem(x, 'baseline', 'the placeholder in the baseline')],
        subject,
        w,
        present: [x.present],
      });
      return;
    }
    if (side === 'current') {
      this.report('VS011', {
        message: `field "${x.key}" (${x.text}) was added without a version or a gate: the old side neither sends nor reads its ${sizeText}; add it in a subsection gated by a property, or with \`since ${bodyVersionNext(cBody)}\` and a version bump`,
        place: this.placeC(x.f.uri, x.f.nameRange),
        related: [],
        subject,
        w,
        present: [x.present],
        data: { field: x.key, nextVersion: bodyVersionNext(cBody), knownMachines: this.knownMachines() },
      });
    } else {
      this.report('VS010', {
        message: `field "${x.key}" (${x.text}) was removed: the old side still sends and reads its ${sizeText}; keep \`unused ${x.size ?? 'N'}\` in its place`,
        place: this.placeC(cBody.owner.uri, bodyAnchor(cBody)),
        related: [this.relItem(x, 'baseline', `"${x.key}" in the baseline`)],
        subject,
        w,
        present: [x.present],
        data: { field: x.key, size: x.size, index: x.f.index },
      });
    }
  }

  /** Two fields at the same position with different names. */
  private replaced(a: Item, b: Item, w: Walk, sBody: BodyModel, rBody: BodyModel): void {
    if (isWildcard(a) || isWildcard(b)) return;
    if (a.f.decl.kind === 'Unused' && b.f.decl.kind === 'Unused') {
      if (a.size === b.size) return;
      const [c, o] = w.S.name === 'current' ? [a, b] : [b, a];
      this.report('VS020', {
        message: `an \`unused\` placeholder changed from ${o.size ?? '?'} to ${c.size ?? '?'} bytes`,
        place: this.placeC(c.f.uri, c.f.decl),
        related: [this.relItem(o, 'baseline', 'the placeholder in the baseline')],
        subject: `${this.subjectOf(w, sBody, rBody)}:unused`,
        w,
        present: [a.present, b.present],
      });
      return;
    }
    if (a.size !== undefined && a.size === b.size && (a.f.decl.kind === 'Unused' || b.f.decl.kind === 'Unused' || a.sig === b.sig)) return; // same bytes: fine positionally (the keyed rules look at names)
    if (a.sig === b.sig && a.size === undefined) return;
    const [cItem, bItem] = w.S.name === 'current' ? [a, b] : [b, a];
    this.report('VS013', {
      message: `field "${bItem.key}" (${bItem.text}) was replaced by "${cItem.key}" (${cItem.text}) at the same position: ${describeSizes(bItem, cItem)}`,
      place: this.placeC(cItem.f.uri, cItem.f.nameRange),
      related: [this.relItem(bItem, 'baseline', `"${bItem.key}" in the baseline`)],
      subject: `${this.subjectOf(w, sBody, rBody)}:${cItem.key}`,
      w,
      present: [a.present, b.present],
    });
  }

  private compareItems(a: Item, b: Item, w: Walk, sBody: BodyModel, rBody: BodyModel): void {
    const [cItem, bItem] = w.S.name === 'current' ? [a, b] : [b, a];
    const subject = `${this.subjectOf(w, sBody, rBody)}:${cItem.key}`;
    const related = [this.relItem(bItem, 'baseline', 'in the baseline')];
    const base = { place: this.placeC(cItem.f.uri, cItem.f.nameRange), related, subject, w, present: [a.present, b.present] as Array<boolean | undefined> };
    // A dump's tests are all opaque, and it has no load checks: nothing to compare there.
    if (!this.opts.baselineFromDump) this.compareConditions(a, b, w, base, cItem, bItem);
    // Imported from a dump: neither its type nor its count is known.
    if (isWildcard(a) || isWildcard(b)) return;
    this.compareTypes(a, b, w, base, cItem, bItem);
  }

  private compareConditions(a: Item, b: Item, w: Walk, base: ItemReport, cItem: Item, bItem: Item): void {
    // Runtime-dependent on one side only, or on both with different tests: the two may disagree.
    if ((a.present === undefined) !== (b.present === undefined) || (a.present === undefined && this.conditionText(a.f, w.S.name) !== this.conditionText(b.f, w.R.name))) {
      this.report('VS017', {
        ...base,
        severity: 'warning',
        message: `field "${cItem.key}": its condition changed from ${this.conditionText(bItem.f, 'baseline')} to ${this.conditionText(cItem.f, 'current')}; when the two disagree the rest of the section is misread`,
      });
    }
    if (w.dir === 'old→new' && b.f.type.check && b.f.type.check !== a.f.type.check) {
      this.report('VS054', { ...base, message: `field "${cItem.key}" is now checked on load (\`${b.f.type.check}\`): an old stream whose value differs is rejected` });
    }
  }

  private compareTypes(a: Item, b: Item, w: Walk, base: ItemReport, cItem: Item, bItem: Item): void {
    const ea = a.f.type.element;
    const eb = b.f.type.element;
    // A count the description cannot give cannot be compared; a dump gives none at all.
    if (!this.opts.baselineFromDump && !sameCount(a.count, b.count) && a.count.kind !== 'unknown' && b.count.kind !== 'unknown') {
      if (a.count.kind === 'fixed' && b.count.kind === 'fixed' && a.elem === b.elem) {
        return this.report('VS015', { ...base, message: `array "${cItem.key}" changed from ${bItem.count.n} to ${cItem.count.n} elements (${bItem.text} → ${cItem.text}): ${describeSizes(bItem, cItem)}`, data: { baselineCount: bItem.count.n } });
      }
      if (a.count.kind === 'property' && b.count.kind === 'property' && a.count.name === b.count.name && a.count.factor === b.count.factor && a.elem === b.elem) {
        return this.report('VS041', { ...base, message: `array "${cItem.key}" takes its count from property ${a.count.name}, which is ${bItem.count.n ?? '?'} on the old side and ${cItem.count.n ?? '?'} on the new side for this machine type: ${describeSizes(bItem, cItem)}` });
      }
      if (a.f.decl.kind === 'Unused' || b.f.decl.kind === 'Unused') {
        return this.report('VS020', { ...base, message: `an \`unused\` placeholder changed from ${bItem.size ?? '?'} to ${cItem.size ?? '?'} bytes` });
      }
      const variable = (k: CountSig['kind']) => k === 'field' || k === 'property' || k === 'unknown';
      if (variable(a.count.kind) || variable(b.count.kind)) {
        return this.report('VS016', { ...base, message: `"${cItem.key}" takes its element count from ${bItem.count.text} on the old side and from ${cItem.count.text} on the new side` });
      }
    }
    const structA = structOf(ea);
    const structB = structOf(eb);
    if (structA && structB) {
      if (ea.kind !== eb.kind) {
        return this.report('VS013', { ...base, message: `field "${cItem.key}" changed its encoding from ${bItem.text} to ${cItem.text}` });
      }
      const key = `${w.dir}|${w.machine}|${structA.d.name}@${structA.v}|${structB.d.name}@${structB.v}`;
      if (this.active.has(key)) return;
      this.active.add(key);
      this.compareBody(structA.d.body, structB.d.body, w, structA.v, structB.v);
      this.active.delete(key);
      return;
    }
    if (a.elem === b.elem && a.f.type.nullable === b.f.type.nullable && (sameCount(a.count, b.count) || this.opts.baselineFromDump)) return;
    if (a.size !== undefined && b.size !== undefined && a.size !== b.size) {
      return this.report('VS013', { ...base, message: `field "${cItem.key}" changed from ${bItem.text} to ${cItem.text}: ${describeSizes(bItem, cItem)}`, data: { baselineType: bItem.text } });
    }
    if (a.size !== undefined && a.size === b.size) {
      return this.report('VS014', { ...base, message: `field "${cItem.key}" changed from ${bItem.text} to ${cItem.text}: the same ${a.size} byte${a.size === 1 ? '' : 's'}, read differently`, data: { baselineType: bItem.text } });
    }
    this.report('VS013', { ...base, message: `field "${cItem.key}" changed its encoding from ${bItem.text} to ${cItem.text}`, data: { baselineType: bItem.text } });
  }

  private compareSubsections(sBody: BodyModel, rBody: BodyModel, w: Walk, vS: number): void {
    const rSubs = firstBy(rBody.subsections, (x) => x.body.wireName);
    const sNames = new Set(sBody.subsections.map((x) => x.body.wireName));
    const cBody = w.S.name === 'current' ? sBody : rBody;
    for (const sub of sBody.subsections) {
      const env = { analysis: w.S.side.analysis, uri: sub.uri, version: vS, properties: w.S.properties };
      const needed = neededOf(sub);
      const sent = needed ? evalCondition(needed, env) : sub.staticNeeded ?? true;
      const rSub = rSubs.get(sub.body.wireName);
      if (sent === false) {
        if (!rSub) this.note(`subsection "${sub.body.wireName}" is not sent (${this.neededText(sub, w.S)})`);
        continue;
      }
      if (rSub) {
        this.compareBody(sub.body, rSub.body, w, sub.body.version, undefined);
        continue;
      }
      // A renamed subsection: an unmatched one on the other side with the same fields.
      const twin = rBody.subsections.find((x) => !sNames.has(x.body.wireName) && sameFieldKeys(x.body, sub.body));
      if (twin) {
        const [c, b] = w.S.name === 'current' ? [sub, twin] : [twin, sub];
        this.report('VS032', {
          message: `subsection "${b.body.wireName}" was renamed "${c.body.wireName}": subsections are matched by name, so neither side finds the other's`,
          place: this.placeC(c.uri, c.nameRange),
          related: [this.rel('baseline', b.uri, b.nameRange, `"${b.body.wireName}" in the baseline`)],
          subject: b.body.wireName,
          w,
          present: [sent],
        });
        continue;
      }
      if (w.S.name === 'current') {
        const props = propertiesIn(needed, { analysis: w.S.side.analysis, uri: sub.uri });
        if (props.length) {
          const p = props[0];
          const value = propertyValueFor(p, w.S.properties);
          this.report('VS040', {
            message: `subsection "${sub.body.wireName}" is new and ${sent ? 'sent' : 'may be sent'} while ${p.owner.name}.${p.name} is ${String(value)} (${w.S.properties.has(p) ? 'as the machine type sets it' : 'its default'}); an old destination does not know it. Add \`${p.owner.name}.${p.name} = ${offValue(value)}\` to the compat table of the machine types the old side knows`,
            place: this.placeC(sub.uri, sub.nameRange),
            related: [],
            subject: sub.body.wireName,
            w,
            present: [sent],
            data: { device: p.owner.name, property: p.name, value: offValue(value), knownMachines: this.knownMachines() },
          });
        } else {
          this.report('VS030', {
            message: `subsection "${sub.body.wireName}" is new and ${sent ? 'always sent' : `sent when ${this.neededText(sub, w.S)}`}: an old destination fails on the unknown subsection; gate it on a property that older machine types turn off`,
            place: this.placeC(sub.uri, sub.nameRange),
            related: [],
            subject: sub.body.wireName,
            w,
            present: [sent],
          });
        }
      } else {
        this.report('VS031', {
          message: `subsection "${sub.body.wireName}" was removed, but an old source sends it ${sent ? 'always' : `when ${this.neededText(sub, w.S)}`}; keep it as a stub that reads and discards its fields`,
          place: this.placeC(cBody.subsection?.uri ?? cBody.owner.uri, bodyAnchor(cBody)),
          related: [this.rel('baseline', sub.uri, sub.nameRange, `"${sub.body.wireName}" in the baseline`)],
          subject: sub.body.wireName,
          w,
          present: [sent],
          data: { subsection: sub.body.wireName, stub: this.discardingStub(sub) },
        });
      }
    }
  }

  /** Why a field with the same condition text is on the wire on one side only: a property value. */
  private propertyDifference(cf: FieldModel, bf: FieldModel, w: Walk): string | undefined {
    const cCtx = w.S.name === 'current' ? w.S : w.R;
    const bCtx = w.S.name === 'current' ? w.R : w.S;
    const cProps = propertiesIn(cf.condition, { analysis: cCtx.side.analysis, uri: cf.uri });
    const bProps = propertiesIn(bf.condition, { analysis: bCtx.side.analysis, uri: bf.uri });
    for (const cp of cProps) {
      const bp = bProps.find((x) => x.name === cp.name && x.owner.name === cp.owner.name);
      if (!bp) continue;
      const cv = propertyValueFor(cp, cCtx.properties);
      const bv = propertyValueFor(bp, bCtx.properties);
      if (cv === bv) continue;
      const how = cCtx.properties.has(cp) || bCtx.properties.has(bp) ? 'the machine type\'s compat entries differ' : `its default changed from ${String(bp.default)} to ${String(cp.default)} and no compat entry keeps the old value`;
      return `property ${cp.owner.name}.${cp.name} is ${String(bv)} on the old side and ${String(cv)} on the new side for this machine type (${how})`;
    }
    return undefined;
  }

  private conditionText(f: FieldModel, side: SideName): string {
    if (f.condition) return `\`if ${sourceText(this.sideOf(side).analysis, f.uri, f.condition)}\``;
    if (f.since !== undefined) return `\`since ${f.since}\``;
    return 'none';
  }

  private neededText(sub: SubsectionModel, side: SideCtx): string {
    const needed = neededOf(sub);
    return needed ? `needed ${sourceText(side.side.analysis, sub.uri, needed)}` : 'always';
  }

  private note(s: string): void {
    for (const rec of this.recorders) rec.push({ note: s });
    if (this.cell && !this.cell.notes.includes(s)) this.cell.notes.push(s);
  }

  /** The machine types both sides know (where a compat entry keeps the old behaviour). */
  private knownMachines(): string[] {
    return this.machineNames.filter((m) => m !== DEFAULT_MACHINE);
  }

  /**
   * A removed subsection restored so that the new side can still load it from an old
   * source and never sends it: fields of a static size become `unused`, the others keep
   * their declaration (their count or encoding is needed to skip them).
   */
  private discardingStub(sub: SubsectionModel): string {
    const text = this.B.analysis.files.get(sub.uri)?.tree.text ?? '';
    const lines = [`subsection ${sub.name} needed (false) {`, `    version ${sub.body.version}`];
    if (sub.body.minimumVersion !== sub.body.version) lines.push(`    minimum_version ${sub.body.minimumVersion}`);
    let pending = 0;
    const flush = () => {
      if (pending) lines.push(`    unused ${pending}`);
      pending = 0;
    };
    for (const f of sub.body.fields) {
      const size = f.size && f.size.terms.size === 0 && !f.size.unknown.length && !f.size.conditional.length && !f.condition && f.since === undefined ? f.size.constant : undefined;
      if (size !== undefined && size > 0) pending += size;
      else {
        flush();
        lines.push(`    ${text.slice(f.decl.start, f.decl.end).replace(/\s+/g, ' ')}`);
      }
    }
    flush();
    lines.push('}');
    return lines.join('\n');
  }

  // ---- structural rules: the keyed stream, defaults, removals ----

  private structural(bBody: BodyModel, cBody: BodyModel): void {
    const subject = cBody.wireName;
    // The first field of each name (a repeated name is the language rules' finding).
    const bFields = [...firstBy(bBody.fields.filter((f) => f.name !== undefined), (f) => f.name!).values()];
    const cFields = [...firstBy(cBody.fields.filter((f) => f.name !== undefined), (f) => f.name!).values()];
    const cByName = firstBy(cFields, (f) => f.name!);
    const cByAlias = new Map<string, FieldModel>();
    for (const f of cFields) for (const a of f.aliases) if (!cByAlias.has(a)) cByAlias.set(a, f);
    const bNames = new Set(bFields.map((f) => f.name!));
    const renamedTo = new Map<FieldModel, FieldModel>();
    // A rename: a removed and an added field at the same index with the same type.
    for (const bf of bFields) {
      if (cByName.has(bf.name!)) continue;
      const cf = cByAlias.get(bf.name!) ?? cBody.fields[bf.index];
      if (cf && cf.name !== undefined && !bNames.has(cf.name) && typeKey(cf.type) === typeKey(bf.type)) renamedTo.set(bf, cf);
    }
    for (const bf of bFields) {
      const cf = cByName.get(bf.name!);
      if (cf) {
        this.keyedTypeChange(bf, cf, subject);
        if (!sameValue(bf.default, cf.default) && (bf.default !== undefined || cf.default !== undefined)) {
          this.report('VS053', {
            message: `field "${cf.name}": its default changed from ${showValue(bf.default)} to ${showValue(cf.default)}; a stream without the field now loads another value`,
            place: this.placeC(cf.uri, cf.nameRange),
            related: [this.rel('baseline', bf.uri, bf.nameRange, `default ${showValue(bf.default)} in the baseline`)],
            subject: `${subject}:${cf.name}`,
            directions: ['old→new'],
          });
        }
        continue;
      }
      const to = renamedTo.get(bf);
      if (to) {
        const aliased = to.aliases.includes(bf.name!);
        this.report('VS060', {
          message: aliased
            ? `field "${bf.name}" was renamed "${to.name}" (with \`alias\`): an old destination of the keyed stream does not know the new name and loads its default`
            : `field "${bf.name}" was renamed "${to.name}" without \`alias "${bf.name}"\`: in the keyed stream its value is dropped and the default loaded`,
          place: this.placeC(to.uri, to.nameRange),
          related: [this.rel('baseline', bf.uri, bf.nameRange, `"${bf.name}" in the baseline`)],
          subject: `${subject}:${bf.name}`,
          directions: aliased ? ['new→old'] : ['old→new', 'new→old'],
          data: { oldName: bf.name },
        });
        continue;
      }
      if (!cBody.reserved.includes(bf.name!)) {
        this.report('VS062', {
          message: `field "${bf.name}" was removed without \`reserved "${bf.name}"\`: the name could come back with another meaning, and an old destination of the keyed stream loads its default`,
          place: this.placeC(cBody.subsection?.uri ?? cBody.owner.uri, bodyAnchor(cBody)),
          related: [this.rel('baseline', bf.uri, bf.nameRange, `"${bf.name}" in the baseline`)],
          subject: `${subject}:${bf.name}`,
          directions: ['new→old'],
          data: { name: bf.name },
        });
      }
      this.removedWithoutDeprecation(bf, `field "${bf.name}"`, `${subject}:${bf.name}`, this.placeC(cBody.subsection?.uri ?? cBody.owner.uri, bodyAnchor(cBody)), bf.uri, bf.nameRange);
    }
    const renamedNew = new Set(renamedTo.values());
    for (const cf of cFields) {
      if (bNames.has(cf.name!) || renamedNew.has(cf)) continue;
      if (bBody.reserved.includes(cf.name!)) {
        this.report('VS061', {
          message: `field "${cf.name}" uses a name the baseline reserves: old keyed streams may carry the retired meaning`,
          place: this.placeC(cf.uri, cf.nameRange),
          related: [],
          subject: `${subject}:${cf.name}`,
          directions: ['old→new', 'new→old'],
        });
      } else if (cf.default === undefined && !cf.aliases.some((a) => bNames.has(a))) {
        this.report('VS063', {
          message: `field "${cf.name}" is new and has no \`default\`: an old keyed stream lacks it and it loads as zero`,
          place: this.placeC(cf.uri, cf.nameRange),
          related: [],
          subject: `${subject}:${cf.name}`,
          directions: ['old→new'],
        });
      }
    }
    const cSubs = firstBy(cBody.subsections, (x) => x.body.wireName);
    for (const bs of bBody.subsections) {
      const cs = cSubs.get(bs.body.wireName);
      if (cs) this.structural(bs.body, cs.body);
      else if (!cBody.subsections.some((x) => sameFieldKeys(x.body, bs.body))) {
        this.removedWithoutDeprecation(bs, `subsection "${bs.body.wireName}"`, bs.body.wireName, this.placeC(cBody.subsection?.uri ?? cBody.owner.uri, bodyAnchor(cBody)), bs.uri, bs.nameRange);
      }
    }
  }

  private keyedTypeChange(bf: FieldModel, cf: FieldModel, subject: string): void {
    const bi = intOf(bf.type.element);
    const ci = intOf(cf.type.element);
    if (!bi || !ci || bi === ci || bf.type.count?.kind !== cf.type.count?.kind) return;
    const b = INT_RANGES[bi];
    const c = INT_RANGES[ci];
    const narrowed = c.min > b.min || c.max < b.max;
    const widened = c.min < b.min || c.max > b.max;
    const base = {
      place: this.placeC(cf.uri, cf.nameRange),
      related: [this.rel('baseline', bf.uri, bf.nameRange, `${bi} in the baseline`)],
      subject: `${subject}:${cf.name}`,
    };
    if (narrowed) this.report('VS064', { ...base, message: `field "${cf.name}" changed from ${bi} to ${ci}: in the keyed stream, old values outside ${ci} do not load`, directions: ['old→new'] });
    if (widened) this.report('VS065', { ...base, message: `field "${cf.name}" changed from ${bi} to ${ci}: in the keyed stream, new values outside ${bi} do not load on the old side`, directions: ['new→old'] });
  }

  private removedWithoutDeprecation(sym: { deprecated?: string }, what: string, subject: string, place: Place, bUri: string, bRange: A.Range): void {
    if (sym.deprecated !== undefined) return;
    this.report('VS070', {
      message: `${what} was removed without first being marked @deprecated in a release`,
      place,
      related: [this.rel('baseline', bUri, bRange, 'in the baseline')],
      subject,
      directions: [],
    });
  }

  private compareEnums(): void {
    const cEnums = firstBy(this.C.analysis.enums, (e) => e.name);
    for (const be of firstBy(this.B.analysis.enums, (e) => e.name).values()) {
      const ce = cEnums.get(be.name);
      if (!ce) continue;
      const cMembers = firstBy(ce.members, (m) => m.name);
      const bMembers = firstBy(be.members, (m) => m.name);
      for (const bm of bMembers.values()) {
        const cm = cMembers.get(bm.name);
        const subject = `enum ${be.name}.${bm.name}`;
        if (!cm) {
          const reused = ce.members.find((m) => m.value === bm.value);
          this.report('VS050', {
            message: `enum member ${be.name}.${bm.name} (${bm.value}) was removed${reused ? ` (${reused.name} now has its value)` : ''}: an old stream may carry it`,
            place: this.placeC(ce.uri, ce.nameRange),
            related: [this.rel('baseline', bm.uri, bm.nameRange, 'in the baseline')],
            subject,
            directions: ['old→new'],
          });
          this.removedWithoutDeprecation(bm, `enum member ${be.name}.${bm.name}`, subject, this.placeC(ce.uri, ce.nameRange), bm.uri, bm.nameRange);
        } else if (cm.value !== bm.value) {
          this.report('VS052', {
            message: `enum member ${be.name}.${bm.name} changed from ${bm.value} to ${cm.value}: the same bytes now mean another member`,
            place: this.placeC(cm.uri, cm.nameRange),
            related: [this.rel('baseline', bm.uri, bm.nameRange, `${bm.value} in the baseline`)],
            subject,
            directions: ['old→new', 'new→old'],
          });
        }
      }
      for (const cm of ce.members) {
        if (bMembers.has(cm.name)) continue;
        this.report('VS051', {
          message: `enum member ${ce.name}.${cm.name} (${cm.value}) is new: a new source may send a value the old side does not define`,
          place: this.placeC(cm.uri, cm.nameRange),
          related: [],
          subject: `enum ${ce.name}.${cm.name}`,
          directions: ['new→old'],
        });
      }
    }
  }

  private compareMachines(): void {
    for (const [name, bm] of this.machinesB) {
      const cm = this.machinesC.get(name);
      if (!cm) {
        const place = this.placeForRemoved(bm.uri, bm.nameRange);
        this.report('VS043', {
          message: `machine type "${name}" was removed: VMs started with it cannot migrate to the new side${bm.deprecated === undefined ? ' (and it was not @deprecated first)' : ''}`,
          place,
          related: [this.rel('baseline', bm.uri, bm.nameRange, 'in the baseline')],
          subject: `machine ${name}`,
          directions: ['old→new', 'new→old'],
        });
        continue;
      }
    }
    this.compareMachineValues();
  }

  /**
   * VS042: for each device property, the machine types (known to both sides) on which its
   * effective value — compat entries, else the default — differs. One finding per
   * property, listing them; a removed entry typically changes a whole run of machine types.
   */
  private compareMachineValues(): void {
    const props = (a: Analysis) => {
      const m = new Map<string, PropertySym>();
      for (const d of a.devices) for (const p of d.properties) m.set(`${d.name}.${p.name}`, p);
      return m;
    };
    const bAll = props(this.B.analysis);
    const cAll = props(this.C.analysis);
    const byKey = new Map<string, Array<{ machine: string; old?: Value; now?: Value }>>();
    for (const name of this.machineNames) {
      const bm = this.machinesB.get(name);
      const cm = this.machinesC.get(name);
      if (!bm || !cm) continue;
      const bProps = machineProperties(bm);
      const cProps = machineProperties(cm);
      const keys = new Set<string>();
      for (const p of bProps.keys()) keys.add(`${p.owner.name}.${p.name}`);
      for (const p of cProps.keys()) keys.add(`${p.owner.name}.${p.name}`);
      for (const key of keys) {
        const bp = bAll.get(key);
        const cp = cAll.get(key);
        if (!bp || !cp) continue; // a property only one side has: the language and field rules speak
        const old = propertyValueFor(bp, bProps);
        const now = propertyValueFor(cp, cProps);
        if (old === now) continue;
        let list = byKey.get(key);
        if (!list) byKey.set(key, (list = []));
        list.push({ machine: name, old, now });
      }
    }
    for (const [key, list] of byKey) {
      const newest = list[list.length - 1];
      const cm = this.machinesC.get(newest.machine)!;
      const bm = this.machinesB.get(newest.machine)!;
      const [device, property] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
      const entry = [...chain(bm)].flatMap((m) => m.compat).find((c) => c.property && `${c.property.owner.name}.${c.property.name}` === key);
      const values = [...new Set(list.map((x) => `${String(x.old)} → ${String(x.now)}`))].join(', ');
      this.report('VS042', {
        message: `${key} changes value for machine types the old side knows (${values}): the guest sees different hardware after migration`,
        place: this.placeC(cm.uri, cm.nameRange),
        related: entry ? [this.rel('baseline', machineOf(entry, bm).uri, entry.decl, 'the entry in the baseline')] : [],
        subject: `property ${key}`,
        directions: ['old→new', 'new→old'],
        machines: list.map((x) => x.machine),
        data: { device, property, value: list[0].old },
      });
    }
  }

  // ---- reporting ----

  private report(
    rule: RuleId,
    r: {
      message: string;
      place: Place;
      related: FindingRelated[];
      subject: string;
      w?: Walk;
      directions?: Direction[];
      /** The presence of the items involved: undefined (runtime-dependent) makes an error a warning. */
      present?: Array<boolean | undefined>;
      severity?: Severity;
      data?: Record<string, unknown>;
      /** For structural findings that concern some machine types only. */
      machines?: string[];
    },
  ): void {
    if (r.w && this.recorders.length) {
      const { w: _w, ...args } = r;
      for (const rec of this.recorders) rec.push({ rule, args });
    }
    let severity: Severity = r.severity ?? RULES[rule].severity;
    let message = r.message;
    if (this.opts.baselineFromDump && DUMP_UNCERTAIN.has(rule) && severity === 'error') {
      severity = 'warning';
      message += ' (the -dump-vmstate baseline names fields but not their types: check by hand)';
    }
    if (severity === 'error' && r.present?.some((p) => p === undefined)) {
      severity = 'warning';
      message += ' (it depends on runtime state)';
    }
    if (this.isUnstable(r.place)) severity = 'info';
    const key = `${rule}|${r.place.side}|${r.place.uri}|${r.place.start}|${message}`;
    let occ = this.occurrences.get(key);
    if (!occ) {
      occ = {
        finding: { rule, severity, message, place: r.place, related: r.related, directions: [], subject: r.subject, baseline: this.B.label, ...(r.data ? { data: r.data } : {}) },
        machines: new Set(),
        dirs: new Set(r.directions ?? []),
      };
      this.occurrences.set(key, occ);
    } else if (severityRank[severity] > severityRank[occ.finding.severity]) occ.finding.severity = severity;
    if (r.w) {
      occ.dirs.add(r.w.dir);
      occ.machines.add(r.w.machine);
      if (this.cell) {
        if (severityRank[severity] > severityRank[this.cell.verdict === 'ok' ? 'info' : this.cell.verdict]) this.cell.verdict = severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : this.cell.verdict;
        this.cell.reasons.push(`${rule} ${message}`);
      }
    } else if (r.machines) for (const m of r.machines) occ.machines.add(m);
    else occ.machines.add(ALL);
  }

  private isUnstable(place: Place): boolean {
    if (place.side !== 'current') return false;
    const info = this.C.analysis.files.get(place.uri);
    for (const s of info?.syms ?? []) if (s.unstable && s.decl.start <= place.start && place.end <= s.decl.end) return true;
    return false;
  }

  private result(): CompatResult {
    const order = new Map(this.machineNames.map((m, i) => [m, i]));
    const findings: Finding[] = [];
    for (const occ of this.occurrences.values()) {
      const f = occ.finding;
      f.directions = DIRECTIONS.filter((d) => occ.dirs.has(d));
      const named = [...occ.machines].filter((m) => m !== ALL && m !== DEFAULT_MACHINE);
      if (!occ.machines.has(ALL) && named.length && named.length < this.machineNames.length) f.machines = named.sort((a, b) => order.get(a)! - order.get(b)!);
      findings.push(f);
    }
    findings.sort((a, b) => a.place.uri.localeCompare(b.place.uri) || a.place.start - b.place.start || a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message));
    const dirOrder = (d: Direction) => DIRECTIONS.indexOf(d);
    this.matrix.sort((a, b) => a.description.localeCompare(b.description) || order.get(a.machine)! - order.get(b.machine)! || dirOrder(a.direction) - dirOrder(b.direction));
    return { baseline: this.B.label, machines: this.machineNames, findings, matrix: this.matrix };
  }

  // ---- places ----

  private sideOf(side: SideName): CompatSide {
    return side === 'baseline' ? this.B : this.C;
  }

  private placeC(uri: string, range: A.Range): Place {
    return { side: 'current', uri, start: range.start, end: range.end };
  }

  /** Something only the baseline has: shown in the new file that replaced its file, else in the baseline. */
  private placeForRemoved(bUri: string, range: A.Range): Place {
    const cUri = this.opts.toCurrent?.(bUri);
    if (cUri && this.C.analysis.files.has(cUri)) return { side: 'current', uri: cUri, start: 0, end: 0 };
    return { side: 'baseline', uri: bUri, start: range.start, end: range.end };
  }

  private rel(side: SideName, uri: string, range: A.Range, message: string): FindingRelated {
    return { side, uri, start: range.start, end: range.end, message };
  }

  private relItem(x: Item, side: SideName, message: string): FindingRelated {
    return this.rel(side, x.f.uri, x.f.decl.kind === 'Unused' ? x.f.decl : x.f.nameRange, message);
  }

  private subjectOf(w: Walk, sBody: BodyModel, rBody: BodyModel): string {
    return (w.S.name === 'current' ? sBody : rBody).wireName;
  }

  /** Whether any condition, `needed` or count of a description (nested ones too) reads a property. */
  private isSensitive(d: DescriptionSym): boolean {
    const known = this.sensitivity.get(d);
    if (known !== undefined) return known;
    this.sensitivity.set(d, false); // recursion guard
    const body = (b: BodyModel): boolean =>
      b.fields.some((f) => hasProperty(f.condition) || f.type.count?.kind === 'property' || nestedSensitive(f.type.element)) ||
      b.subsections.some((s) => hasProperty(neededOf(s)) || body(s.body));
    const nestedSensitive = (e: WireType): boolean =>
      e.kind === 'struct' || e.kind === 'tmp' ? this.isSensitive(e.description) : e.kind === 'list' ? nestedSensitive(e.element) : e.kind === 'tree' ? nestedSensitive(e.key) || nestedSensitive(e.value) : false;
    const v = body(d.body);
    this.sensitivity.set(d, v);
    return v;
  }
}

/** What every finding about a pair of fields shares. */
interface ItemReport {
  place: Place;
  related: FindingRelated[];
  subject: string;
  w: Walk;
  present: Array<boolean | undefined>;
}

/**
 * Two fields a dump baseline pairs: the same name (the importer suffixes repeated names
 * with `#N`), or two placeholders of one size.
 */
function dumpPair(x: Item, y: Item): boolean {
  if (x.f.decl.kind === 'Unused' || y.f.decl.kind === 'Unused') return x.f.decl.kind === y.f.decl.kind && x.size === y.size;
  const plain = (k: string) => k.replace(/#\d+$/, '');
  return plain(x.key) === plain(y.key);
}

/** A report or a matrix note made during a field walk, to replay for other machine types. */
interface Recorded {
  rule?: RuleId;
  args?: Omit<Parameters<Comparison['report']>[1], 'w'>;
  note?: string;
}

/** Field-level rules whose evidence a dump baseline lacks (types, sizes, exact names). */
const DUMP_UNCERTAIN: ReadonlySet<RuleId> = new Set<RuleId>(['VS010', 'VS011', 'VS012', 'VS013', 'VS014', 'VS015', 'VS016', 'VS017', 'VS020']);

const bodyIds = new WeakMap<BodyModel, number>();
let nextBodyId = 1;
function bodyId(b: BodyModel): number {
  let id = bodyIds.get(b);
  if (id === undefined) bodyIds.set(b, (id = nextBodyId++));
  return id;
}

// ---- items: what a field puts on the wire ----

interface CountSig {
  kind: 'none' | 'fixed' | 'field' | 'property' | 'unknown';
  /** Compared across sides. */
  sig: string;
  text: string;
  n?: number;
  name?: string;
  factor?: number;
  /** The count field's position in its body. */
  index?: number;
}

/**
 * The same count on both sides. A count field is the same when it has the same name, or
 * the same position (a renamed count field is still the same bytes on the wire).
 */
function sameCount(a: CountSig, b: CountSig): boolean {
  if (a.kind === 'field' && b.kind === 'field') return a.factor === b.factor && (a.name === b.name || a.index === b.index);
  return a.sig === b.sig;
}

interface Item {
  f: FieldModel;
  key: string;
  present: boolean | undefined;
  /** Element and count, compared across sides. */
  sig: string;
  elem: string;
  count: CountSig;
  /** Wire bytes, when they are known statically. */
  size?: number;
  /** As a person writes the type: `u32[4]`. */
  text: string;
}

function signature(t: FieldType, side: SideCtx, f: FieldModel): Omit<Item, 'f' | 'key' | 'present'> {
  const elem = elementSig(t.element);
  const count = countSig(t, side);
  const elemSize = elementSize(t.element);
  let size: number | undefined;
  if (f.decl.kind === 'Unused') size = count.n;
  else if (elemSize !== undefined) size = count.kind === 'none' ? elemSize : count.n !== undefined ? elemSize * count.n : undefined;
  if (t.nullable) size = undefined;
  const sig = `${elem}${t.nullable ? '?' : ''}${count.kind === 'none' ? '' : `[${count.sig}]`}`;
  const text = f.decl.kind === 'Unused' ? `unused ${count.n ?? '?'}` : `${describeWireType(t.element)}${count.kind === 'none' ? '' : `[${count.text}]`}`;
  return { sig, elem, count, size, text };
}

function elementSig(e: WireType): string {
  switch (e.kind) {
    case 'scalar':
      return e.name;
    case 'enum':
      return `enum ${e.enum.base}`;
    case 'struct':
      return e.version === undefined ? 'struct' : 'vstruct';
    case 'tmp':
      return 'tmp';
    case 'opaque':
      return `opaque ${e.info}`;
    case 'list':
      return `${e.flavor}<${elementSig(e.element)}>`;
    case 'tree':
      return `tree<${elementSig(e.key)},${elementSig(e.value)}>`;
    default:
      return e.kind;
  }
}

function elementSize(e: WireType): number | undefined {
  if (e.kind === 'scalar') return SCALARS[e.name].size;
  if (e.kind === 'enum') return SCALARS[e.enum.base].size;
  if (e.kind === 'bytes') return 1;
  return undefined;
}

function countSig(t: FieldType, side: SideCtx): CountSig {
  const c = t.count;
  if (!c) return { kind: 'none', sig: '', text: '' };
  switch (c.kind) {
    case 'fixed':
      return { kind: 'fixed', sig: String(c.value), text: String(c.value), n: c.value };
    case 'field': {
      const text = `${c.field.name ?? '?'}${c.factor !== 1 ? ` * ${c.factor}` : ''}`;
      return { kind: 'field', sig: `field ${text}`, text: `field ${text}`, name: c.field.name, factor: c.factor, index: c.field.index };
    }
    case 'property': {
      const v = propertyValueFor(c.property, side.properties);
      const name = `${c.property.owner.name}.${c.property.name}`;
      const n = typeof v === 'bigint' && v >= 0n && v <= 0x7fffffffn ? Number(v) * c.factor : undefined;
      return { kind: 'property', sig: `property ${name} * ${c.factor} = ${n ?? '?'}`, text: `property(${name})${c.factor !== 1 ? ` * ${c.factor}` : ''}`, name, factor: c.factor, n };
    }
    case 'unknown':
      return { kind: 'unknown', sig: '?', text: '?' };
  }
}

/** Imported from a `-dump-vmstate` file: the dump names the field but not its wire type. */
function isWildcard(x: Item): boolean {
  return x.f.type.element.kind === 'opaque' && x.f.type.element.info === 'unknown';
}

function structOf(e: WireType): { d: DescriptionSym; v: number } | undefined {
  if (e.kind === 'struct') return { d: e.description, v: e.version ?? e.description.body.version };
  if (e.kind === 'tmp') return { d: e.description, v: e.description.body.version };
  if (e.kind === 'list') return structOf(e.element);
  return undefined;
}

function intOf(e: WireType): IntName | undefined {
  if (e.kind === 'scalar' && e.name in INT_RANGES) return e.name as IntName;
  if (e.kind === 'enum') return e.enum.base;
  return undefined;
}

function typeKey(t: FieldType): string {
  const c = t.count;
  const count = !c ? '' : c.kind === 'fixed' ? `[${c.value}]` : c.kind === 'field' ? `[${c.field.name}*${c.factor}]` : c.kind === 'property' ? `[${c.property.name}*${c.factor}]` : '[?]';
  return `${describeWireType(t.element)}${t.nullable ? '?' : ''}${count}`;
}

function describeSizes(old: Item, now: Item): string {
  if (old.size !== undefined && now.size !== undefined) {
    const d = now.size - old.size;
    return d === 0 ? `both ${old.size} bytes` : `${old.size} → ${now.size} bytes, the fields after it shift by ${Math.abs(d)}`;
  }
  return 'the fields after it are misread';
}

function isRoot(d: DescriptionSym): boolean {
  return d.embeddedBy.length === 0 || d.devices.length > 0;
}

function hasProperty(c: A.Condition | A.Expr | undefined): boolean {
  if (!c) return false;
  switch (c.kind) {
    case 'ExprCondition':
      return hasProperty(c.expr);
    case 'Property':
      return true;
    case 'Paren':
      return hasProperty(c.expr);
    case 'Unary':
      return hasProperty(c.operand);
    case 'Binary':
      return hasProperty(c.left) || hasProperty(c.right);
    default:
      return false;
  }
}

function sameFieldKeys(a: BodyModel, b: BodyModel): boolean {
  if (a.fields.length !== b.fields.length || a.fields.length === 0) return false;
  return a.fields.every((f, i) => typeKey(f.type) === typeKey(b.fields[i].type));
}

function sourceText(analysis: Analysis, uri: string, node: A.Range): string {
  const text = analysis.files.get(uri)?.tree.text ?? '';
  const s = text.slice(node.start, node.end).replace(/\s+/g, ' ');
  return s.length > 80 ? s.slice(0, 77) + '…' : s;
}

/** A subsection's condition: `subsection x needed (…)` or a `needed` statement in its body. */
function neededOf(s: SubsectionModel): A.Condition | undefined {
  return s.decl.needed ?? s.body.needed;
}

function bodyAnchor(b: BodyModel): A.Range {
  return b.subsection ? b.subsection.nameRange : b.owner.nameRange;
}

function bodyItems(b: BodyModel): A.BodyItem[] {
  return (b.subsection ? b.subsection.decl.body?.items : b.owner.decl.body?.items) ?? [];
}

function versionRange(b: BodyModel, kind: 'Version' | 'MinimumVersion'): A.Range | undefined {
  return bodyItems(b).find((x) => x.kind === kind);
}

function wireNameRange(b: BodyModel): A.Range | undefined {
  return bodyItems(b).find((x) => x.kind === 'WireName');
}

function bodyVersionNext(b: BodyModel): number {
  return b.version + 1;
}

function offValue(v: Value | undefined): string {
  if (typeof v === 'boolean') return String(!v);
  if (typeof v === 'bigint') return '0';
  return '""';
}

function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  return a === b;
}

function showValue(v: Value | undefined): string {
  return v === undefined ? 'none (zero)' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/**
 * By key, the first of each: a name declared twice is the language rules' finding, and
 * both sides must pick the same one (a Map built from pairs would keep the last).
 */
function firstBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of xs) if (!m.has(key(x))) m.set(key(x), x);
  return m;
}

function indexBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  xs.forEach((x, i) => m.has(key(x)) || m.set(key(x), i));
  return m;
}

/** A machine type and the newer ones it inherits from. */
function* chain(m: MachineSym): Generator<MachineSym> {
  const seen = new Set<MachineSym>();
  for (let x: MachineSym | undefined = m; x && !seen.has(x); x = x.parent) {
    seen.add(x);
    yield x;
  }
}

/** The machine type whose compat table holds an entry (searched up from `m`). */
function machineOf(entry: { decl: A.CompatEntry }, m: MachineSym): MachineSym {
  for (const x of chain(m)) if (x.compat.some((c) => c.decl === entry.decl)) return x;
  return m;
}

/** Machine types in version order: `pc-i440fx-2.11` after `pc-i440fx-2.9`. */
export function compareMachineNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const EMPTY_PROPS: ReadonlyMap<PropertySym, Value> = new Map();

