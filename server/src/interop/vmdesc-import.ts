import { VmdescBody, VmdescDevice, VmdescField } from '../codec/vmdesc';
import { SCALARS } from '../semantic/types';
import { canonical, fieldName, IDENT, identFor, ImportedFile, uniqueNames } from './import-common';

/**
 * `.vmsd` descriptions from a stream's vmdesc (qemu-wire.md §9): the fields QEMU sent,
 * in order, with their types and sizes. The vmdesc records one stream, not the C code,
 * so what it cannot know is written as such:
 *
 * - every subsection it lists was sent, so its condition is `opaque` (decoding reads
 *   what the stream has; it never needs the condition); subsections that were not sent
 *   are unknown and missing;
 * - a description accepts only the version seen (`minimum_version` = `version`);
 * - fields of custom encodings, lists and trees are `opaque "INFO" [size]` with the size
 *   this stream had — exact for fixed-size encodings, one stream's worth for the others;
 * - field tests are unknown: a field is there because it was sent.
 *
 * Descriptions with the same wire name and the same fields are one declaration; their
 * subsections are merged. Embedded descriptions used by more than one section go to
 * common.vmsd, which the others include.
 */
export type { ImportedFile };

export interface ImportResult {
  files: ImportedFile[];
  /** What the import could not express exactly, one line each. */
  notes: string[];
}

interface Desc {
  ident: string;
  wireName: string;
  version: number;
  fields: FieldOut[];
  subsections: SubOut[];
  /** Fields only: descriptions with the same signature are one. */
  signature: string;
  /** The top-level sections (by file) that use it. */
  users: Set<string>;
  top: boolean;
  /** Instances seen (idstrs), for the doc comment. */
  idstrs: string[];
}

interface SubOut {
  wireName: string;
  version: number;
  fields: FieldOut[];
  subsections: SubOut[];
}

interface FieldOut {
  name: string;
  /** The type as written, or `unused N`. */
  type?: string;
  unused?: number;
  /** Descriptions it refers to (for includes). */
  refs: Desc[];
  comment?: string;
}

const INT_TYPES: Record<string, string> = Object.fromEntries(
  Object.entries(SCALARS)
    .filter(([, s]) => s.info !== 'CPU_Double_U')
    .map(([name, s]) => [s.info, name]),
);
const CHECKED: Record<string, [string, string]> = {
  'int32 equal': ['i32', 'equal'],
  'uint8 equal': ['u8', 'equal'],
  'uint16 equal': ['u16', 'equal'],
  'uint32 equal': ['u32', 'equal'],
  'uint64 equal': ['u64', 'equal'],
  'int32 le': ['i32', 'le'],
};
/** Deepest nesting followed; validVmdesc already bounds it for stream vmdescs. */
const MAX_DEPTH = 64;

export function importVmdesc(devices: VmdescDevice[], source: string): ImportResult {
  return new Importer(source).run(devices);
}

class Importer {
  private readonly descs: Desc[] = [];
  private readonly bySignature = new Map<string, Desc>();
  private readonly idents = new Set<string>();
  private readonly notes: string[] = [];
  private readonly tops = new Map<string, Desc>();

  constructor(private readonly source: string) {}

  run(devices: VmdescDevice[]): ImportResult {
    for (const d of devices) {
      const wireName = d.vmsd_name ?? d.name.slice(d.name.lastIndexOf('/') + 1);
      const known = this.tops.get(wireName);
      const body: VmdescBody = { vmsd_name: wireName, version: d.version ?? 0, fields: d.fields, subsections: d.subsections };
      if (known) {
        if (known.signature !== this.signature(body) || known.version !== body.version) {
          this.notes.push(`${d.name} (instance ${d.instance_id}): its fields differ from another section of \`${wireName}\`; only the first is described`);
          continue;
        }
        this.mergeSubsections(known.subsections, d.subsections ?? [], known, wireName, 0);
        known.idstrs.push(`${d.name} (instance ${d.instance_id})`);
        continue;
      }
      const top = this.describe(body, wireName, true, 0);
      top.idstrs.push(`${d.name} (instance ${d.instance_id})`);
      this.tops.set(wireName, top);
    }
    return { files: this.files(), notes: this.notes };
  }

  /** Fields only: a struct sent with different subsections is still the same struct. */
  private signature(b: VmdescBody): string {
    const f = (x: VmdescField): unknown => [x.name, x.type, x.size, x.array_len, x.struct ? [x.struct.vmsd_name, x.struct.version, x.struct.fields?.map(f)] : undefined, x.fields?.map(f)];
    return JSON.stringify([b.vmsd_name, b.version, b.fields?.map(f)]);
  }

  private describe(b: VmdescBody, user: string, top: boolean, depth: number): Desc {
    const sig = this.signature(b);
    const known = top ? undefined : this.bySignature.get(sig);
    if (known) {
      known.users.add(user);
      this.mergeSubsections(known.subsections, b.subsections ?? [], known, user, depth);
      return known;
    }
    const d: Desc = { ident: this.identFor(b.vmsd_name), wireName: b.vmsd_name, version: b.version, fields: [], subsections: [], signature: sig, users: new Set([user]), top, idstrs: [] };
    if (!top) this.bySignature.set(sig, d);
    this.descs.push(d);
    d.fields = this.fields(b.fields ?? [], user, b.vmsd_name, depth);
    this.mergeSubsections(d.subsections, b.subsections ?? [], d, user, depth);
    return d;
  }

  private mergeSubsections(into: SubOut[], subs: VmdescBody[], owner: Desc, user: string, depth: number): void {
    for (const s of subs) {
      if (depth > MAX_DEPTH) {
        this.notes.push(`${owner.wireName}: subsections nest deeper than ${MAX_DEPTH}; the deeper ones are left out`);
        return;
      }
      const known = into.find((x) => x.wireName === s.vmsd_name);
      if (known) {
        if (known.version !== s.version) this.notes.push(`${s.vmsd_name}: sent with versions ${known.version} and ${s.version}; described at ${known.version}`);
        this.mergeSubsections(known.subsections, s.subsections ?? [], owner, user, depth + 1);
        continue;
      }
      const out: SubOut = { wireName: s.vmsd_name, version: s.version, fields: [], subsections: [] };
      into.push(out);
      out.fields = this.fields(s.fields ?? [], user, s.vmsd_name, depth + 1);
      this.mergeSubsections(out.subsections, s.subsections ?? [], owner, user, depth + 1);
    }
  }

  private fields(fields: VmdescField[], user: string, where: string, depth: number): FieldOut[] {
    const out: FieldOut[] = [];
    const uniqueName = uniqueNames();
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.type === 'unused_buffer') {
        out.push({ name: '', unused: f.size * (f.array_len ?? 1), refs: [] });
        continue;
      }
      // QEMU lists the elements of some struct arrays one by one, each with its index.
      const indexed = (f as VmdescField & { index?: number }).index === 0;
      let count = f.array_len;
      if (indexed) {
        let j = i + 1;
        while (j < fields.length && fields[j].name === f.name && (fields[j] as VmdescField & { index?: number }).index === j - i) j++;
        const group = fields.slice(i, j);
        const same = group.every((g) => this.signature(this.structOf(g) ?? { vmsd_name: '', version: 0 }) === this.signature(this.structOf(f) ?? { vmsd_name: '', version: 0 }) && g.size === f.size && g.type === f.type);
        if (same && group.length > 1) {
          const el = this.element(f, user, where, depth);
          // Elements may differ in the subsections they sent; the description takes them all.
          for (const g of group.slice(1)) {
            const s = this.structOf(g);
            if (s && el.refs[0]) this.mergeSubsections(el.refs[0].subsections, s.subsections ?? [], el.refs[0], user, depth + 1);
          }
          out.push({ ...el, name: uniqueName(f.name), type: `${el.type}[${group.length}]` });
          i = j - 1;
          continue;
        }
        count = undefined;
        out.push({ ...this.element(f, user, where, depth), name: uniqueName(`${f.name}[0]`) });
        for (let k = 1; k < group.length; k++) out.push({ ...this.element(group[k], user, where, depth), name: uniqueName(`${f.name}[${k}]`) });
        i = j - 1;
        continue;
      }
      const el = this.element(f, user, where, depth);
      if (count !== undefined && el.type?.startsWith('opaque ')) {
        // An array of a custom encoding: one opaque of the whole size decodes the same bytes.
        out.push({ ...el, name: uniqueName(f.name), type: `opaque ${JSON.stringify(f.type ?? 'data')} [${f.size * count}]`, comment: `${count} elements of ${f.size} bytes` });
      } else if (count !== undefined && el.type?.startsWith('bytes')) {
        out.push({ ...el, name: uniqueName(f.name), type: `bytes[${f.size * count}]`, comment: `${count} buffers of ${f.size} bytes` });
      } else out.push({ ...el, name: uniqueName(f.name), type: count !== undefined ? `${el.type}[${count}]` : el.type });
    }
    return out;
  }

  private structOf(f: VmdescField): VmdescBody | undefined {
    if (f.struct) return f.struct;
    if (f.type === 'tmp' || f.fields) {
      const t = f as VmdescField & { vmsd_name?: string; version?: number };
      return { vmsd_name: t.vmsd_name ?? f.name, version: t.version ?? 0, fields: f.fields, subsections: f.subsections };
    }
    return undefined;
  }

  private element(f: VmdescField, user: string, where: string, depth: number): FieldOut {
    const struct = this.structOf(f);
    if (struct) {
      if (depth > MAX_DEPTH) {
        this.notes.push(`${where}.${f.name}: nested deeper than ${MAX_DEPTH}; kept as opaque bytes`);
        return { name: f.name, type: `opaque "struct" [${f.size}]`, refs: [] };
      }
      const d = this.describe(struct, user, false, depth + 1);
      return { name: f.name, type: f.type === 'tmp' ? `tmp<${d.ident}>` : d.ident, refs: [d] };
    }
    const t = f.type ?? 'data';
    const int = INT_TYPES[t];
    if (int && SCALARS[int as keyof typeof SCALARS].size === f.size) return { name: f.name, type: int, refs: [] };
    const checked = CHECKED[t];
    if (checked && SCALARS[checked[0] as keyof typeof SCALARS].size === f.size) return { name: f.name, type: `${checked[0]} ${checked[1]}`, refs: [] };
    if (t === 'CPU_Double_U' && f.size === 8) return { name: f.name, type: 'f64', refs: [] };
    if (t === 'buffer') return { name: f.name, type: `bytes[${f.size}]`, refs: [] };
    if (t === 'bitmap') return { name: f.name, type: `bitmap[${f.size * 8}]`, refs: [] };
    const variable = /^(qtailq|qlist|gtree|vbuffer|str)$/.test(t);
    if (variable) this.notes.push(`${where}.${f.name}: \`${t}\` has no fixed size; described with the ${f.size} bytes this stream had`);
    return { name: f.name, type: `opaque ${JSON.stringify(t)} [${f.size}]`, refs: [], comment: variable ? `variable size; ${f.size} bytes in ${this.source}` : undefined };
  }

  private identFor(wireName: string): string {
    return identFor(wireName, this.idents);
  }

  // ---- output ----

  private files(): ImportedFile[] {
    const shared = this.descs.filter((d) => !d.top && d.users.size > 1);
    const fileOf = new Map<Desc, string>();
    const names = new Set<string>(['common.vmsd']);
    const files: Array<{ name: string; descs: Desc[] }> = [];
    for (const top of this.tops.values()) {
      let name = `${top.ident}.vmsd`;
      for (let n = 2; names.has(name); n++) name = `${top.ident}_${n}.vmsd`;
      names.add(name);
      const own = [top, ...this.descs.filter((d) => !d.top && d.users.size === 1 && d.users.has(top.wireName))];
      for (const d of own) fileOf.set(d, name);
      files.push({ name, descs: own });
    }
    for (const d of shared) fileOf.set(d, 'common.vmsd');
    if (shared.length) files.unshift({ name: 'common.vmsd', descs: shared });
    return files.map(({ name, descs }) => {
      const includes = new Set<string>();
      for (const d of descs) for (const r of this.refsOf(d)) if (fileOf.get(r) && fileOf.get(r) !== name) includes.add(fileOf.get(r)!);
      const text = [
        `// Imported by \`vmsd import vmdesc\` from the vmdesc of ${this.source}: the fields QEMU`,
        '// sent in that stream. Subsections are those it sent (their conditions are opaque), and',
        '// only the versions seen are accepted. Review before relying on it for other streams.',
        '',
        ...[...includes].sort().map((i) => `include ${JSON.stringify(i)}`),
        includes.size ? '' : undefined,
        ...descs.map((d) => this.printDesc(d)),
      ]
        .filter((l): l is string => l !== undefined)
        .join('\n');
      return { name, text: canonical(text) };
    });
  }

  private refsOf(d: Desc): Desc[] {
    const out: Desc[] = [];
    const walk = (fields: FieldOut[], subs: SubOut[]) => {
      for (const f of fields) out.push(...f.refs);
      for (const s of subs) walk(s.fields, s.subsections);
    };
    walk(d.fields, d.subsections);
    return out;
  }

  private printDesc(d: Desc): string {
    const lines: string[] = [];
    if (d.top) lines.push(`/// Section${d.idstrs.length > 1 ? 's' : ''} ${d.idstrs.join(', ')}.`);
    else lines.push(`/// Embedded in ${[...d.users].sort().join(', ')}.`);
    lines.push(`vmstate ${d.ident} {`);
    if (d.ident !== d.wireName) lines.push(`    name ${JSON.stringify(d.wireName)}`);
    lines.push(`    version ${d.version}`, `    minimum_version ${d.version}`, '');
    this.printBody(lines, d.fields, d.subsections, d.wireName, '    ');
    lines.push('}', '');
    return lines.join('\n');
  }

  private printBody(lines: string[], fields: FieldOut[], subs: SubOut[], wireName: string, indent: string): void {
    for (const f of fields) {
      if (f.comment) lines.push(`${indent}/// ${f.comment}.`);
      if (f.unused !== undefined) lines.push(`${indent}unused ${f.unused}`);
      else lines.push(`${indent}${fieldName(f.name)}: ${f.type}`);
    }
    for (const s of subs) {
      const prefix = `${wireName}/`;
      const rest = s.wireName.startsWith(prefix) ? s.wireName.slice(prefix.length) : '';
      const ident = IDENT.test(rest) ? rest : this.identFor(s.wireName);
      lines.push('', `${indent}subsection ${ident} needed opaque ${JSON.stringify(`sent in ${this.source}`)} {`);
      if (ident !== rest) lines.push(`${indent}    name ${JSON.stringify(s.wireName)}`);
      lines.push(`${indent}    version ${s.version}`, `${indent}    minimum_version ${s.version}`, '');
      this.printBody(lines, s.fields, s.subsections, s.wireName, indent + '    ');
      lines.push(`${indent}}`);
    }
  }
}
