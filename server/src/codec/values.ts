import { Analysis } from '../semantic/analyzer';
import { BodyModel, FieldModel, MachineSym, PropertySym, SubsectionModel } from '../semantic/model';
import { IntName, valueRange, WireType } from '../semantic/types';
import * as A from '../syntax/ast';
import { closestMatches } from '../util/names';
import { DecodeError, EncodeError, hexBytes } from './bytes';
import { findMachine, machineProperties } from './machine';
import { BodyValue, CodecOptions, countOf, evaluate, exists, FieldValue, propertyValue, Scope, setValue } from './vmstate';

/**
 * Values of a description without a stream: the defaults of a body at a version under a
 * machine type's property values, and the JSON form of a value — the one `vmsd decode
 * --format json` prints for a device section — in both directions, so that
 * decode → edit → encode round-trips. Both also say, for previews, why each field and
 * subsection is there or not (its version, its test, a property the machine type sets,
 * or a test the description cannot compute).
 *
 * JSON form: `{"fields": {NAME: VALUE…}, "subsections": {NAME: {fields, subsections}…}}`,
 * integers as JSON numbers with every digit (64-bit ones too: read them with parseJson,
 * or write them as decimal strings), bools as true/false, buffers, bitmaps, opaque data
 * and `unused` bytes as hex strings, NULL pointer elements as null, arrays as arrays,
 * embedded descriptions as nested `{fields, subsections}`.
 */

export interface ValueOptions extends CodecOptions {
  /** The machine type whose compat entries gave `properties` (named in explanations). */
  machine?: string;
  /**
   * Answers for the tests a description cannot compute: `if opaque "…"` on fields and
   * `needed opaque "…"` on subsections, keyed by path (`e1000.parent_obj.config`,
   * `timer/icount`) or by bare name (`config`, `icount`), the path winning. Without an
   * answer a JSON value decides a field by having it; otherwise it is taken as false.
   */
  opaque?: Record<string, boolean>;
  /**
   * Read as a keyed (self-describing) stream is read with a description of another
   * version (language.md §3.22): fields and subsections the description does not know,
   * or not at this version, are skipped and listed in `skipped` instead of rejected.
   */
  keyed?: boolean;
}

export type PresenceReason = 'always' | 'version' | 'test' | 'property' | 'opaque' | 'value';

/** Why a field, subsection or the section itself is (or is not) in the value. */
export interface Presence {
  /** Codec path: `hpet.num_timers`, `hpet.timer[0].tn`, `hpet/offset`. */
  path: string;
  kind: 'field' | 'subsection' | 'section';
  present: boolean;
  reason: PresenceReason;
  /** In words: `since 2 ≤ version 2`, `needed (property(mitigation)) is false: e1000.mitigation = false (machine type pc-i440fx-1.6)`. */
  detail: string;
}

export interface BuiltValue {
  value: BodyValue;
  presence: Presence[];
  /** valueFromJson: paths the JSON did not give, filled with defaults (fields, or whole subsections chosen by `needed`). */
  defaulted: string[];
  /** keyed: paths of the value the description has no place for, left out. */
  skipped: string[];
  /** Options that encode and decode this value consistently: properties, opaque answers, NULL elements. */
  codec: CodecOptions;
}

/** A bad value: the path of the value, what was expected and what was found. */
export class ValueError extends EncodeError {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** JSON data as parseJson gives it: integers beyond ±2^53 as bigints, exact. */
export type JsonData = null | boolean | number | bigint | string | JsonData[] | { [key: string]: JsonData };

const MAX_DEPTH = 64;

// ---- machine types ----

/** The newest machine type: the first one without a parent (others derive from it). */
export function newestMachine(analysis: Analysis): MachineSym | undefined {
  return analysis.machines.find((m) => !m.parent);
}

/**
 * Codec options with the property values of a machine type: the one named (a ValueError
 * when the descriptions do not define it), else the newest, else none (property defaults).
 */
export function machineOptions(analysis: Analysis, machine?: string): ValueOptions {
  const m = machine !== undefined ? findMachine(analysis, machine) : newestMachine(analysis);
  if (machine !== undefined && !m) {
    const known = analysis.machines.map((x) => x.name);
    const close = closestMatches(machine, known);
    throw new ValueError('machine', `expected a machine type of the descriptions${close.length ? ` (did you mean ${close.map((c) => `\`${c}\``).join(', ')}?)` : ''}, found \`${machine}\``);
  }
  return m ? { analysis, properties: machineProperties(m), machine: m.name } : { analysis };
}

// ---- defaults and JSON → value ----

/**
 * The value of `body` at `version` when nothing is known: every field present at that
 * version with zero (false, empty) values — or its declared `default` (language.md
 * §3.22: what pre_load sets, e.g. hpet's num_timers = HPET_MIN_TIMERS) — arrays at their
 * counts, buffers and bitmaps zero-filled at their size, embedded descriptions at their
 * version, lists empty; the subsections whose `needed` holds on these values and the
 * properties. A `needed` that cannot be decided (opaque) leaves the subsection out.
 */
export function defaultValue(body: BodyModel, version: number, opts: ValueOptions): BuiltValue {
  checkVersion(body, version);
  const b = new Builder(opts);
  const value = b.top(body, version, undefined);
  return { value, presence: b.presence, defaulted: [], skipped: [], codec: b.codecOptions() };
}

/**
 * A value from its JSON form (parsed with parseJson or JSON.parse; see the header), or
 * a decoded value itself (bigints and byte arrays are taken as they are).
 * Fields the JSON lacks take their defaults and are listed in `defaulted`; without a
 * `subsections` key the subsections are chosen as for defaultValue, with one exactly
 * those given. Unknown names are errors (with a did-you-mean), and so are fields that
 * do not exist at this version; every error is a ValueError naming the path.
 */
export function valueFromJson(json: unknown, body: BodyModel, version: number, opts: ValueOptions): BuiltValue {
  checkVersion(body, version);
  const b = new Builder(opts);
  const value = b.top(body, version, object(json, body.wireName, 'a value {"fields": {…}, "subsections": {…}}'));
  return { value, presence: b.presence, defaulted: b.defaulted, skipped: b.skipped, codec: b.codecOptions() };
}

function subsectionVersion(j: unknown, body: BodyModel, path: string): number {
  if (typeof j !== 'number' && typeof j !== 'bigint' && typeof j !== 'string') throw new ValueError(`${path}.version`, `expected a version number, found ${found(j)}`);
  const v = Number(j);
  if (!Number.isInteger(v) || v < body.minimumVersion || v > body.version) throw new ValueError(`${path}.version`, `expected a version from ${body.minimumVersion} to ${body.version}, found ${String(j)}`);
  return v;
}

function checkVersion(body: BodyModel, version: number): void {
  if (!Number.isInteger(version) || version < body.minimumVersion || version > body.version) {
    throw new ValueError(body.wireName, `expected a version from ${body.minimumVersion} to ${body.version}, found ${version}`);
  }
}

type JsonObject = Record<string, unknown>;

class Builder {
  readonly presence: Presence[] = [];
  readonly defaulted: string[] = [];
  readonly skipped: string[] = [];
  /** Decisions of opaque field tests by path (and by path without indexes, for list elements). */
  private readonly opaqueDecided = new Map<string, boolean>();
  private readonly nulls = new Set<string>();
  private readonly opts: ValueOptions;

  constructor(opts: ValueOptions) {
    this.opts = { ...opts, opaqueTest: (f, path) => this.opaqueDecided.get(path) ?? this.opaqueDecided.get(unindexed(path)) ?? false };
  }

  codecOptions(): CodecOptions {
    const decided = new Map(this.opaqueDecided);
    const nulls = new Set(this.nulls);
    return {
      analysis: this.opts.analysis,
      properties: this.opts.properties,
      opaqueTest: (f, path) => decided.get(path) ?? decided.get(unindexed(path)) ?? this.answer(path, f.name) ?? false,
      isNull: (f, i, path) => nulls.has(path),
    };
  }

  top(body: BodyModel, version: number, json: JsonObject | undefined): BodyValue {
    const value = this.body(body, version, body.wireName, json, undefined, 0);
    const needed = body.needed;
    if (needed && !body.subsection) {
      // The section itself: QEMU leaves it out of the stream when this is false.
      const d = this.decide(needed, { body, values: value.fields, version, parent: undefined }, body.wireName, body.owner.name);
      this.presence.push({ path: body.wireName, kind: 'section', present: d.present, reason: d.reason, detail: d.present ? d.detail : `${d.detail.replace(/; not included$/, '')}; QEMU leaves the section out of the stream when it is false` });
    }
    return value;
  }

  private answer(path: string, name: string | undefined): boolean | undefined {
    const a = this.opts.opaque;
    if (!a) return undefined;
    if (Object.prototype.hasOwnProperty.call(a, path)) return a[path];
    if (name !== undefined && Object.prototype.hasOwnProperty.call(a, name)) return a[name];
    return undefined;
  }

  body(body: BodyModel, version: number, path: string, json: JsonObject | undefined, parent: Scope | undefined, depth: number): BodyValue {
    if (depth > MAX_DEPTH) throw new ValueError(path, `expected descriptions nested at most ${MAX_DEPTH} deep, found deeper`);
    const value: BodyValue = { fields: {}, subsections: {} };
    const scope: Scope = { body, values: value.fields, version, parent };
    let jf: JsonObject | undefined;
    let js: JsonObject | undefined;
    if (json) {
      for (const k of Object.keys(json)) {
        if (k === 'version' && body.subsection) continue; // read by the caller: the version the subsection is sent at
        if (k !== 'fields' && k !== 'subsections') throw new ValueError(path, `expected only "fields" and "subsections" in a value, found ${JSON.stringify(k)}${hint(k, ['fields', 'subsections'])}`);
      }
      jf = json.fields === undefined ? {} : object(json.fields, path, 'an object of fields');
      js = json.subsections === undefined ? undefined : object(json.subsections, path, 'an object of subsections');
    }
    if (jf) {
      // Unknown names first: a misspelt count field would otherwise show up as a wrong count.
      let u = 0;
      const names = body.fields.flatMap((f) => [f.name ?? `unused[${u++}]`, ...f.aliases]);
      for (const k of Object.keys(jf)) {
        if (!names.includes(k) && this.opts.keyed) this.skipped.push(`${path}.${k}`);
        else if (!names.includes(k)) throw new ValueError(`${path}.${k}`, `expected a field of \`${body.wireName}\`${hint(k, names)}, found the unknown field \`${k}\``);
      }
    }
    let unusedIndex = 0;
    for (const f of body.fields) {
      const name = f.name ?? `unused[${unusedIndex++}]`;
      const fpath = `${path}.${name}`;
      const keys = jf ? [name, ...f.aliases].filter((k) => Object.prototype.hasOwnProperty.call(jf, k)) : [];
      if (keys.length > 1) throw new ValueError(fpath, `expected \`${name}\` once, found it under ${keys.map((k) => `\`${k}\``).join(' and ')}`);
      const key = keys[0];
      const p = this.fieldPresence(f, scope, fpath, jf ? key !== undefined : undefined);
      this.presence.push(p);
      if (!p.present) {
        if (key !== undefined && this.opts.keyed) this.skipped.push(fpath);
        else if (key !== undefined) throw new ValueError(fpath, `expected no \`${name}\` at version ${version} (${p.detail}), found one in the value`);
        continue;
      }
      if (key !== undefined) setValue(value.fields, name, this.field(f, scope, fpath, jf![key], depth));
      else {
        setValue(value.fields, name, this.defaultField(f, scope, fpath, depth));
        if (jf) this.defaulted.push(fpath);
      }
    }
    for (const s of body.subsections) {
      const spath = s.body.wireName;
      if (js) {
        const given = Object.prototype.hasOwnProperty.call(js, s.name);
        if (!given) {
          this.presence.push({ path: spath, kind: 'subsection', present: false, reason: 'value', detail: 'not in the value' });
          continue;
        }
        const mark = this.presence.length;
        const sj = object(js[s.name], spath, 'a subsection value {"fields": {…}}');
        // An older sender's version, kept to be written back; a keyed reader reads at its own.
        const sversion = sj.version === undefined || this.opts.keyed ? s.body.version : subsectionVersion(sj.version, s.body, spath);
        const sv = this.body(s.body, sversion, spath, sj, scope, depth + 1);
        if (sversion !== s.body.version) sv.version = sversion;
        const d = this.subsectionNeeded(s, sv, scope, spath);
        this.presence.splice(mark, 0, { path: spath, kind: 'subsection', present: true, reason: 'value', detail: `in the value${d.present ? '' : ` (QEMU would not send it: ${d.detail})`}` });
        setValue(value.subsections, s.name, sv);
        continue;
      }
      // Chosen by `needed`, evaluated on the subsection's own defaults and the enclosing values.
      const outer = this.presence.splice(0);
      const defaultedBefore = this.defaulted.length;
      const sv = this.body(s.body, s.body.version, spath, undefined, scope, depth + 1);
      const inner = this.presence.splice(0);
      this.presence.push(...outer);
      const d = this.subsectionNeeded(s, sv, scope, spath);
      this.presence.push({ path: spath, kind: 'subsection', present: d.present, reason: d.reason, detail: d.detail });
      this.defaulted.length = defaultedBefore;
      if (!d.present) continue;
      this.presence.push(...inner);
      setValue(value.subsections, s.name, sv);
      if (json) this.defaulted.push(spath);
    }
    if (js) {
      for (const k of Object.keys(js)) {
        if (!body.subsections.some((s) => s.name === k) && this.opts.keyed) this.skipped.push(`${path}/${k}`);
        else if (!body.subsections.some((s) => s.name === k)) {
          throw new ValueError(`${path}/${k}`, `expected a subsection of \`${body.wireName}\`${hint(k, body.subsections.map((s) => s.name))}, found the unknown subsection \`${k}\``);
        }
      }
    }
    return value;
  }

  private fieldPresence(f: FieldModel, scope: Scope, fpath: string, inJson: boolean | undefined): Presence {
    const c = f.condition;
    const base = { path: fpath, kind: 'field' as const };
    if (c?.kind === 'OpaqueCondition') {
      const why = c.reason?.value ?? '';
      const answer = this.answer(fpath, f.name);
      const present = answer ?? inJson ?? false;
      this.opaqueDecided.set(fpath, present);
      this.opaqueDecided.set(unindexed(fpath), present);
      const how = answer !== undefined ? `answered ${answer}` : inJson !== undefined ? (inJson ? 'the value has it' : 'the value does not have it') : 'the description cannot decide it; taken as false';
      return { ...base, present: guard(() => exists(f, scope, this.opts, { offset: 0, path: fpath }), fpath), reason: 'opaque', detail: `if opaque "${why}": ${how}` };
    }
    if (c?.kind === 'ExprCondition' && c.expr) {
      const expr = c.expr;
      if (mentions(expr, 'OpaqueExpr')) {
        try {
          const present = exists(f, scope, this.opts, { offset: 0, path: fpath });
          return { ...base, present, reason: reasonOf(expr), detail: `if (${this.text(f.body, expr)}) is ${present}${this.propertyNote(f.body, expr)}` };
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          return { ...base, present: false, reason: 'opaque', detail: `if (${this.text(f.body, expr)}) depends on state the description cannot compute; taken as false` };
        }
      }
      const present = guard(() => exists(f, scope, this.opts, { offset: 0, path: fpath }), fpath);
      return { ...base, present, reason: reasonOf(expr), detail: `if (${this.text(f.body, expr)}) is ${present}${this.propertyNote(f.body, expr)}` };
    }
    const present = guard(() => exists(f, scope, this.opts, { offset: 0, path: fpath }), fpath);
    if (f.since === undefined) return { ...base, present, reason: 'always', detail: 'always sent' };
    return { ...base, present, reason: 'version', detail: `since ${f.since} ${present ? '≤' : '>'} version ${scope.version}` };
  }

  private subsectionNeeded(s: SubsectionModel, sv: BodyValue, parent: Scope, spath: string): { present: boolean; reason: PresenceReason; detail: string } {
    const c = s.decl.needed;
    if (!c) return { present: true, reason: 'always', detail: 'no `needed`: always sent' };
    return this.decide(c, { body: s.body, values: sv.fields, version: s.body.version, parent }, spath, s.name);
  }

  /** A `needed` condition on the values and properties; undecidable ones are false. */
  private decide(c: A.Condition, scope: Scope, path: string, name: string): { present: boolean; reason: PresenceReason; detail: string } {
    if (c.kind === 'OpaqueCondition') {
      const answer = this.answer(path, name);
      const why = c.reason?.value ?? '';
      if (answer !== undefined) return { present: answer, reason: 'opaque', detail: `needed opaque "${why}": answered ${answer}` };
      return { present: false, reason: 'opaque', detail: `needed opaque "${why}": the description cannot decide it; not included` };
    }
    if (!c.expr) return { present: false, reason: 'test', detail: 'the `needed` condition is missing' };
    const text = this.text(scope.body, c.expr);
    try {
      const v = evaluate(c.expr, scope, this.opts, { offset: 0, path });
      if (typeof v !== 'boolean') return { present: false, reason: 'test', detail: `needed (${text}) is not a boolean` };
      return { present: v, reason: reasonOf(c.expr), detail: `needed (${text}) is ${v}${this.propertyNote(scope.body, c.expr)}` };
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      if (mentions(c.expr, 'OpaqueExpr')) return { present: false, reason: 'opaque', detail: `needed (${text}) depends on state the description cannot compute; not included` };
      return { present: false, reason: 'test', detail: `needed (${text}) cannot be evaluated: ${rawMessage(e)}; not included` };
    }
  }

  private text(body: BodyModel, node: A.Node): string {
    const t = this.opts.analysis.files.get(body.owner.uri)?.tree.text;
    return t ? t.slice(node.start, node.end).replace(/\s+/g, ' ') : '…';
  }

  /** `: e1000.mitigation = false (machine type pc-i440fx-1.6)` for the properties an expression reads. */
  private propertyNote(body: BodyModel, e: A.Expr): string {
    const notes: string[] = [];
    for (const p of propertiesIn(e, body, this.opts.analysis)) {
      const v = propertyValue(this.opts, p);
      const from = this.opts.properties?.has(p) ? `machine type ${this.opts.machine ?? 'given'}` : p.default !== undefined ? 'default' : 'no value';
      notes.push(`${p.owner.name}.${p.name} = ${v === undefined ? '?' : typeof v === 'string' ? JSON.stringify(v) : String(v)} (${from})`);
    }
    return notes.length ? `: ${notes.join(', ')}` : '';
  }

  // ---- defaults ----

  private defaultField(f: FieldModel, scope: Scope, path: string, depth: number): FieldValue {
    const n = guard(() => countOf(f, scope, this.opts, { offset: 0, path }), path);
    const el = f.type.element;
    if (el.kind === 'bytes' || el.kind === 'opaque') return new Uint8Array(n ?? 0);
    if (el.kind === 'bitmap') return new Uint8Array(Math.ceil((n ?? 0) / 64) * 8);
    if (n === undefined) return this.defaultElement(f, el, path, depth, true);
    const out: FieldValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.defaultElement(f, el, `${path}[${i}]`, depth, false));
    return out;
  }

  private defaultElement(f: FieldModel, el: WireType, path: string, depth: number, single: boolean): FieldValue {
    const declared = single ? f.default : undefined;
    switch (el.kind) {
      case 'scalar':
        if (el.name === 'bool') return typeof declared === 'boolean' ? declared : false;
        if (el.name === 'f64') return 0;
        return typeof declared === 'bigint' ? declared : 0n;
      case 'enum':
        return typeof declared === 'bigint' ? declared : 0n;
      case 'struct':
      case 'tmp':
        return this.body(el.description.body, elementVersion(el), path, undefined, undefined, depth + 1);
      case 'list':
      case 'tree':
        return [];
      default:
        throw new ValueError(path, `expected a field of a known type, found ${el.kind === 'error' ? 'an unresolved type' : el.kind}`);
    }
  }

  // ---- JSON ----

  private nodeFields(x: unknown, path: string): JsonObject {
    const o = object(x, path, 'a tree node {"fields": {"key": …, "value": …}}');
    const f = object(o.fields, path, 'a tree node {"fields": {"key": …, "value": …}}');
    for (const k of Object.keys(f)) if (k !== 'key' && k !== 'value') throw new ValueError(`${path}.${k}`, `expected only "key" and "value" in a tree node, found ${JSON.stringify(k)}`);
    if (f.key === undefined || f.value === undefined) throw new ValueError(path, `expected a tree node with "key" and "value", found ${f.key === undefined ? 'no key' : 'no value'}`);
    return f;
  }

  private field(f: FieldModel, scope: Scope, path: string, j: unknown, depth: number): FieldValue {
    const n = guard(() => countOf(f, scope, this.opts, { offset: 0, path }), path);
    const el = f.type.element;
    if (el.kind === 'bytes' || el.kind === 'bitmap' || el.kind === 'opaque') {
      const b = hex(j, path);
      const want = el.kind === 'bitmap' ? Math.ceil((n ?? 0) / 64) * 8 : n;
      if (want !== undefined && b.length !== want) throw new ValueError(path, `expected ${want} bytes (${2 * want} hex digits), found ${b.length}`);
      return b;
    }
    if (n === undefined) return this.element(f, el, path, j, depth);
    if (!Array.isArray(j)) throw new ValueError(path, `expected an array of ${n} elements, found ${found(j)}`);
    if (j.length !== n) throw new ValueError(path, `expected ${n} elements, found ${j.length}`);
    return j.map((x, i) => {
      const epath = `${path}[${i}]`;
      if (x === null && f.type.nullable) {
        this.nulls.add(epath);
        return null;
      }
      return this.element(f, el, epath, x, depth);
    });
  }

  private element(f: FieldModel, el: WireType, path: string, j: unknown, depth: number): FieldValue {
    switch (el.kind) {
      case 'scalar':
        if (el.name === 'bool') {
          if (typeof j !== 'boolean') throw new ValueError(path, `expected true or false, found ${found(j)}`);
          return j;
        }
        if (el.name === 'f64') return float(j, path);
        return integer(j, el.name === 'timer' ? 'timer' : el.name, path);
      case 'enum': {
        if (typeof j === 'string') {
          const m = el.enum.members.find((x) => x.name === j);
          if (m) return m.value;
          if (!/^[+-]?(\d+|0x[0-9a-f]+)$/i.test(j)) throw new ValueError(path, `expected a member of ${el.enum.name} or an integer${hint(j, el.enum.members.map((x) => x.name))}, found ${found(j)}`);
        }
        return integer(j, el.enum.base, path);
      }
      case 'struct':
      case 'tmp':
        return this.body(el.description.body, elementVersion(el), path, object(j, path, `a value of ${el.description.name} {"fields": {…}}`), undefined, depth + 1);
      case 'list': {
        if (!Array.isArray(j)) throw new ValueError(path, `expected an array of list elements, found ${found(j)}`);
        const item = el.element;
        if (item.kind !== 'struct') throw new ValueError(path, 'expected a list of descriptions, found a list of another kind');
        return j.map((x, i) => this.body(item.description.body, item.description.body.version, `${path}[${i}]`, object(x, `${path}[${i}]`, `a value of ${item.description.name}`), undefined, depth + 1));
      }
      case 'tree': {
        // As the decoder gives them: nodes `{"fields": {"key": K, "value": {…}}}`, keys direct integers or descriptions.
        if (!Array.isArray(j)) throw new ValueError(path, `expected an array of tree nodes {"fields": {"key": …, "value": …}}, found ${found(j)}`);
        const { key, value } = el;
        if (value.kind !== 'struct') throw new ValueError(path, 'expected a tree of descriptions, found a tree of another kind');
        return j.map((x, i): BodyValue => {
          const npath = `${path}[${i}]`;
          const node = this.nodeFields(x, npath);
          const k =
            key.kind === 'struct'
              ? this.body(key.description.body, key.description.body.version, `${npath}.key`, object(node.key, `${npath}.key`, `a value of ${key.description.name}`), undefined, depth + 1)
              : integer(node.key, (key.kind === 'scalar' && key.name.startsWith('i')) || (key.kind === 'enum' && key.enum.base.startsWith('i')) ? 'i64' : 'u64', `${npath}.key`);
          const v = this.body(value.description.body, value.description.body.version, `${npath}.value`, object(node.value, `${npath}.value`, `a value of ${value.description.name}`), undefined, depth + 1);
          return { fields: { key: k, value: v }, subsections: {} };
        });
      }
      default:
        throw new ValueError(path, `expected a field of a known type, found ${el.kind === 'error' ? 'an unresolved type' : el.kind}`);
    }
  }
}

function elementVersion(el: WireType & { kind: 'struct' | 'tmp' }): number {
  return el.kind === 'struct' && el.version !== undefined ? el.version : el.description.body.version;
}

function unindexed(path: string): string {
  return path.replace(/\[\d+\]/g, '');
}

/** Runs codec evaluation; its located DecodeErrors become ValueErrors on the path. */
function guard<T>(fn: () => T, path: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DecodeError) throw new ValueError(e.path || path, rawMessage(e));
    throw e;
  }
}

/** A DecodeError's message without its `at byte N (0xN), path: ` prefix. */
function rawMessage(e: DecodeError): string {
  return e.message.replace(/^at byte \d+ \(0x[0-9a-f]+\), [^:]*: /, '');
}

function mentions(e: A.Expr | undefined, kind: A.Expr['kind']): boolean {
  if (!e) return false;
  if (e.kind === kind) return true;
  switch (e.kind) {
    case 'Paren':
      return mentions(e.expr, kind);
    case 'Unary':
      return mentions(e.operand, kind);
    case 'Binary':
      return mentions(e.left, kind) || mentions(e.right, kind);
    default:
      return false;
  }
}

function reasonOf(e: A.Expr): PresenceReason {
  if (mentions(e, 'Property')) return 'property';
  if (mentions(e, 'VersionRef')) return 'version';
  return 'test';
}

function propertiesIn(e: A.Expr | undefined, body: BodyModel, analysis: Analysis, out: PropertySym[] = []): PropertySym[] {
  if (!e) return out;
  switch (e.kind) {
    case 'Property': {
      const ref = analysis.references.get(body.owner.uri)?.find((x) => e.property && x.range.start === e.property.start && x.sym.kind === 'property');
      if (ref?.sym.kind === 'property' && !out.includes(ref.sym)) out.push(ref.sym);
      break;
    }
    case 'Paren':
      propertiesIn(e.expr, body, analysis, out);
      break;
    case 'Unary':
      propertiesIn(e.operand, body, analysis, out);
      break;
    case 'Binary':
      propertiesIn(e.left, body, analysis, out);
      propertiesIn(e.right, body, analysis, out);
      break;
  }
  return out;
}

function hint(word: string, candidates: string[]): string {
  const close = closestMatches(word, candidates);
  return close.length ? ` (did you mean ${close.map((c) => `\`${c}\``).join(' or ')}?)` : '';
}

/** A JSON value, briefly, for "found …". */
function found(j: unknown): string {
  if (j === undefined) return 'nothing';
  if (j === null) return 'null';
  if (typeof j === 'string') return JSON.stringify(j.length > 40 ? j.slice(0, 40) + '…' : j);
  if (typeof j === 'number' || typeof j === 'bigint' || typeof j === 'boolean') return String(j);
  if (Array.isArray(j)) return `an array of ${j.length}`;
  if (j instanceof Uint8Array) return `${j.length} bytes`;
  return 'an object';
}

function object(j: unknown, path: string, what: string): JsonObject {
  if (!j || typeof j !== 'object' || Array.isArray(j) || j instanceof Uint8Array) throw new ValueError(path, `expected ${what}, found ${found(j)}`);
  return j as JsonObject;
}

function integer(j: unknown, type: IntName | 'timer', path: string): bigint {
  let v: bigint;
  if (typeof j === 'bigint') v = j;
  else if (typeof j === 'number') {
    if (!Number.isInteger(j)) throw new ValueError(path, `expected an integer (${type}), found ${found(j)}`);
    if (!Number.isSafeInteger(j)) throw new ValueError(path, `expected an exact integer (${type}; beyond ±2^53 write it as a decimal string or read the JSON with exact integers), found ${found(j)}`);
    v = BigInt(j);
  } else if (typeof j === 'string' && /^[+-]?(\d+|0x[0-9a-f]+)$/i.test(j.trim())) {
    const t = j.trim();
    const neg = t.startsWith('-');
    v = BigInt(t.replace(/^[+-]/, ''));
    if (neg) v = -v;
  } else throw new ValueError(path, `expected an integer (${type}), found ${found(j)}`);
  const r = valueRange(type);
  if (v < r.min || v > r.max) throw new ValueError(path, `expected ${type === 'timer' ? 'a timer' : `a ${type}`} from ${r.min} to ${r.max}, found ${v}`);
  return v;
}

function float(j: unknown, path: string): number {
  if (typeof j === 'number') return j;
  if (typeof j === 'bigint') return Number(j);
  if (j === null) return NaN; // JSON.stringify writes NaN and the infinities as null
  if (typeof j === 'string') {
    const t = j.trim();
    if (t === 'NaN') return NaN;
    if (t === 'Infinity' || t === '+Infinity') return Infinity;
    if (t === '-Infinity') return -Infinity;
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  }
  throw new ValueError(path, `expected a number (f64), found ${found(j)}`);
}

function hex(j: unknown, path: string): Uint8Array {
  if (j instanceof Uint8Array) return j;
  if (typeof j !== 'string') throw new ValueError(path, `expected bytes as a hex string, found ${found(j)}`);
  const t = j.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t)) throw new ValueError(path, `expected bytes as a hex string (two digits a byte), found ${found(j)}`);
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---- value → JSON ----

/**
 * The JSON text of a value, exactly as `vmsd decode --format json` prints a section's
 * `value` (integers with all their digits, bytes in hex, two-space indentation);
 * `indent` is the indentation of the line the value starts on.
 */
export function valueToJson(v: BodyValue | FieldValue, indent = ''): string {
  return exactJson(v, indent);
}

/**
 * JSON text of any data with 64-bit integers exact (bigints as their digits) and byte
 * strings in hex, keys in their order, two-space indentation: the one printer of
 * `vmsd decode --format json` and of values.
 */
export function exactJson(v: unknown, indent = ''): string {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return JSON.stringify(hexBytes(v));
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => inner + exactJson(x, inner)).join(',\n') + '\n' + indent + ']';
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  return '{\n' + entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${exactJson(x, inner)}`).join(',\n') + '\n' + indent + '}';
}

/** Plain JSON data of a value for transports that parse with JSON.parse: integers beyond ±2^53 as decimal strings (valueFromJson reads them back exactly). */
export function valueToJsonData(v: BodyValue | FieldValue): JsonData {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return hexBytes(v);
  if (v === null || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(valueToJsonData);
  const map = (o: Record<string, FieldValue | BodyValue>) => Object.fromEntries(Object.entries(o).map(([k, x]) => [k, valueToJsonData(x)]));
  return { ...(v.version !== undefined ? { version: v.version } : {}), fields: map(v.fields), subsections: map(v.subsections) };
}

// ---- exact JSON ----

/**
 * JSON.parse with exact integers: an integer literal beyond ±2^53 becomes a bigint
 * instead of a rounded number. Syntax errors are ValueErrors with line and column.
 */
export function parseJson(text: string): JsonData {
  let i = 0;
  const fail = (what: string): never => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const col = i - before.lastIndexOf('\n');
    throw new ValueError(`JSON line ${line} column ${col}`, `expected ${what}, found ${i >= text.length ? 'the end of the text' : JSON.stringify(text.slice(i, i + 12))}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (depth: number): JsonData => {
    if (depth > 512) fail('values nested at most 512 deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, JsonData> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a key in double quotes');
        const k = string();
        ws();
        if (text[i] !== ':') fail('`:`');
        i++;
        const v = value(depth + 1);
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        fail('`,` or `}`');
      }
    }
    if (c === '[') {
      i++;
      const out: JsonData[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        fail('`,` or `]`');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('a JSON value');
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const string = (): string => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) {
        i = start;
        fail('a closed string');
      }
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail('a valid escape');
        continue;
      }
      if (c < ' ') fail('no control character in a string');
      out += c;
      i++;
    }
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('the end of the text');
  return v;
}
