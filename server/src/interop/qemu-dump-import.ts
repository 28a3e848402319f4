import { canonical, fieldName, IDENT, identFor, ImportedFile, uniqueNames } from './import-common';
import { DumpDescription, QemuDump } from './qemu-dump';

/**
 * `.vmsd` descriptions from a QEMU `-dump-vmstate` file (qemu-wire.md §10): per QOM
 * device class, its VMStateDescription tree with names, versions, `field_exists` flags
 * and C sizes. The dump has no types, no counts, no wire sizes and no test names, so:
 *
 * - a leaf field is `opaque "unknown"` without a size (the `size` is the C size, not
 *   what goes on the wire), with the C size in its doc comment;
 * - a field with a nested description has that description as its type, one element
 *   (an array, a pointer or a temporary look the same in the dump);
 * - a field with a test is `if opaque "…"`; its `version_id`, which QEMU then ignores,
 *   goes to the doc comment; otherwise a `version_id` above 0 is `since`;
 * - a subsection's `needed` is opaque;
 * - a field named exactly `unused` is `unused N`: for VMSTATE_UNUSED the dump's size is
 *   the byte count.
 *
 * Identical descriptions (name, versions, fields and subsections) are one declaration,
 * whichever classes use them; one file per description that is a class's state, with
 * its `device` declarations; descriptions reached from more than one file go to
 * common.vmsd, which the others include.
 */
export interface DumpImportResult {
  files: ImportedFile[];
  /** What the import could not express exactly, one line each. */
  notes: string[];
  /** Descriptions written (after merging identical ones). */
  descriptions: number;
  /** `device` declarations written (one per class of the dump). */
  devices: number;
}

export function importQemuDump(dump: QemuDump, source: string): DumpImportResult {
  return new DumpImporter(dump, source).run();
}

interface Desc {
  ident: string;
  d: DumpDescription;
  signature: string;
  /** Classes whose state it is. */
  classes: string[];
  /** Wire names of the descriptions and subsections that embed it. */
  embeddedBy: Set<string>;
  /** Descriptions its fields (and its subsections' fields) embed. */
  refs: Desc[];
}

class DumpImporter {
  private readonly descs: Desc[] = [];
  private readonly bySignature = new Map<string, Desc>();
  private readonly idents = new Set<string>();
  private readonly notes: string[] = [];
  /** State descriptions whose embedded uses are a separate copy (splitClashingSections). */
  private readonly embeddedCopy = new Map<Desc, Desc>();

  constructor(
    private readonly dump: QemuDump,
    private readonly source: string,
  ) {}

  run(): DumpImportResult {
    const tops: Desc[] = [];
    for (const [cls, entry] of this.dump.classes) {
      const top = this.describe(entry.Description);
      if (!top.classes.length) tops.push(top);
      top.classes.push(cls);
      if (entry.version_id !== entry.Description.version_id || entry.minimum_version_id !== entry.Description.minimum_version_id) {
        this.notes.push(`${cls}: the entry's versions (${entry.version_id}, minimum ${entry.minimum_version_id}) differ from its description's; the description's are written`);
      }
    }
    this.splitClashingSections(tops);
    return { files: this.files(tops), notes: this.notes, descriptions: this.descs.length, devices: this.dump.classes.length };
  }

  /**
   * A class's state is a section; two sections with one wire name cannot be seen from
   * one file ([VL102]). When a state description is also embedded where another class's
   * state has its wire name (isa-vga's `vga` is embedded in pci-vga's `vga`), the
   * embedding uses a copy that is only embedded, which does not count as a section.
   */
  private splitClashingSections(tops: Desc[]): void {
    for (const s of tops) {
      if (!s.embeddedBy.size || !tops.some((t) => t !== s && t.d.name === s.d.name)) continue;
      const copy: Desc = { ident: identFor(s.d.name, this.idents), d: s.d, signature: s.signature, classes: [], embeddedBy: s.embeddedBy, refs: s.refs };
      s.embeddedBy = new Set();
      this.descs.splice(this.descs.indexOf(s) + 1, 0, copy);
      this.embeddedCopy.set(s, copy);
      for (const d of this.descs) d.refs = d.refs.map((r) => (r === s ? copy : r));
      this.notes.push(`\`${s.d.name}\` is the state of ${s.classes.join(', ')} and is embedded in ${[...copy.embeddedBy].sort().join(', ')}, where another class's section has the same wire name: written twice, as ${s.ident} (the state) and ${copy.ident} (embedded)`);
    }
  }

  private describe(d: DumpDescription): Desc {
    const signature = JSON.stringify(d);
    const known = this.bySignature.get(signature);
    if (known) return known;
    const desc: Desc = { ident: identFor(d.name, this.idents), d, signature, classes: [], embeddedBy: new Set(), refs: [] };
    this.bySignature.set(signature, desc);
    this.descs.push(desc);
    const walk = (body: DumpDescription) => {
      for (const f of body.Fields ?? []) {
        if (!f.Description) continue;
        const child = this.describe(f.Description);
        child.embeddedBy.add(body.name);
        if (!desc.refs.includes(child)) desc.refs.push(child);
      }
      for (const s of body.Subsections ?? []) walk(s);
    };
    walk(d);
    return desc;
  }

  // ---- output ----

  private files(tops: Desc[]): ImportedFile[] {
    // The file of each state description; then every description goes to the one file
    // that reaches it, or to common.vmsd when several do. A description's children are
    // reached by at least the files that reach it, so common.vmsd includes nothing and
    // the others include common.vmsd at most: no include cycles.
    const names = new Set<string>(['common.vmsd']);
    const fileOfTop = new Map<Desc, string>();
    for (const t of tops) {
      let name = `${t.ident}.vmsd`;
      for (let n = 2; names.has(name); n++) name = `${t.ident}_${n}.vmsd`;
      names.add(name);
      fileOfTop.set(t, name);
    }
    const reachedBy = new Map<Desc, Set<string>>();
    for (const t of tops) {
      const file = fileOfTop.get(t)!;
      const stack = [t];
      while (stack.length) {
        const d = stack.pop()!;
        const set = reachedBy.get(d) ?? new Set<string>();
        if (set.has(file)) continue;
        set.add(file);
        reachedBy.set(d, set);
        stack.push(...d.refs);
      }
    }
    const home = new Map<Desc, string>();
    for (const d of this.descs) {
      const by = reachedBy.get(d)!;
      home.set(d, by.size === 1 ? [...by][0] : 'common.vmsd');
    }
    const order = ['common.vmsd', ...tops.map((t) => fileOfTop.get(t)!)];
    const out: ImportedFile[] = [];
    for (const name of order) {
      const descs = this.descs.filter((d) => home.get(d) === name);
      const devices = tops.filter((t) => fileOfTop.get(t) === name);
      if (!descs.length && !devices.length) continue;
      const includes = new Set<string>();
      for (const d of descs) for (const r of d.refs) if (home.get(r) !== name) includes.add(home.get(r)!);
      for (const t of devices) if (home.get(t) !== name) includes.add(home.get(t)!);
      const text = [
        ...this.header(),
        '',
        ...[...includes].sort().map((i) => `include ${JSON.stringify(i)}`),
        includes.size ? '' : undefined,
        ...descs.map((d) => this.printDesc(d)),
        ...devices.map((t) => this.printDevices(t)),
      ]
        .filter((l): l is string => l !== undefined)
        .join('\n');
      out.push({ name, text: canonical(text) });
    }
    return out;
  }

  private header(): string[] {
    const machine = this.dump.machine ? ` (machine ${this.dump.machine})` : '';
    return [
      `// Imported by \`vmsd import qemu-dump\` from ${this.source}${machine}, a QEMU -dump-vmstate`,
      '// file. The dump names the fields and gives the versions, but no types, no array counts,',
      '// no wire sizes and no test names: leaf fields are `opaque "unknown"` without a size (a',
      '// decoder needs the stream\'s vmdesc for them), an embedded description is one element,',
      '// field tests and subsection conditions are opaque. Sections QEMU registers at run time',
      '// (cpu, apic, timer, ram, …) are not in the dump. Fill in the types before relying on it.',
    ];
  }

  private printDesc(desc: Desc): string {
    const lines: string[] = [];
    if (desc.classes.length) lines.push(`/// The state of ${desc.classes.join(', ')}.`);
    if (desc.embeddedBy.size) lines.push(`/// Embedded in ${[...desc.embeddedBy].sort().join(', ')}.`);
    lines.push(`vmstate ${desc.ident} {`);
    if (desc.ident !== desc.d.name) lines.push(`    name ${JSON.stringify(desc.d.name)}`);
    this.printBody(lines, desc.d, '    ');
    lines.push('}', '');
    return lines.join('\n');
  }

  private printBody(lines: string[], body: DumpDescription, indent: string): void {
    lines.push(`${indent}version ${body.version_id}`, `${indent}minimum_version ${body.minimum_version_id}`, '');
    if (body.minimum_version_id > body.version_id) this.notes.push(`${body.name}: minimum_version_id ${body.minimum_version_id} is above version_id ${body.version_id}`);
    const unique = uniqueNames();
    for (const f of body.Fields ?? []) {
      const mods: string[] = [];
      const docs: string[] = [];
      if (f.field_exists) {
        mods.push(`if opaque ${JSON.stringify('field_exists: a test in the C code')}`);
        if (f.version_id > 0) docs.push(`version_id ${f.version_id}, which QEMU ignores for a field with a test`);
      } else if (f.version_id > body.version_id) {
        // `since` above the body's version is an error; QEMU never sends such a field.
        mods.push(`if opaque ${JSON.stringify(`version_id ${f.version_id} is above the description's ${body.version_id}: never sent`)}`);
        this.notes.push(`${body.name}.${f.field}: version_id ${f.version_id} is above the description's version ${body.version_id}`);
      } else if (f.version_id > 0) mods.push(`since ${f.version_id}`);
      const suffix = mods.length ? ` ${mods.join(' ')}` : '';
      if (f.Description) {
        const described = this.bySignature.get(JSON.stringify(f.Description))!;
        const child = this.embeddedCopy.get(described) ?? described;
        const count = f.num !== undefined && f.num > 1 ? `[${f.num}]` : '';
        docs.unshift(
          count
            ? `C size ${f.size} per element; the count is the dump's "num".`
            : `C size ${f.size}; one element assumed: the dump gives no count (an array, a pointer or a temporary would look the same).`,
        );
        for (const doc of docs) lines.push(`${indent}/// ${doc}`);
        lines.push(`${indent}${fieldName(unique(f.field))}: ${child.ident}${count}${suffix}`);
      } else if (f.field === 'unused' && f.size > 0 && f.size < 2 ** 31) {
        docs.unshift('VMSTATE_UNUSED: the dump\'s size is the byte count.');
        for (const doc of docs) lines.push(`${indent}/// ${doc}`);
        lines.push(`${indent}unused ${f.size}${suffix}`);
      } else {
        const num = f.num !== undefined ? `, ${f.num} elements (the dump's "num")` : '';
        docs.unshift(`C size ${f.size}${num}; the dump gives no type, count or wire size.`);
        for (const doc of docs) lines.push(`${indent}/// ${doc}`);
        lines.push(`${indent}${fieldName(unique(f.field))}: opaque "unknown"${suffix}`);
      }
    }
    const subIdents = new Set<string>();
    for (const s of body.Subsections ?? []) {
      const prefix = `${body.name}/`;
      const rest = s.name.startsWith(prefix) ? s.name.slice(prefix.length) : '';
      const ident = IDENT.test(rest) && !subIdents.has(rest) ? rest : identFor(s.name, subIdents);
      subIdents.add(ident);
      lines.push('', `${indent}subsection ${ident} needed opaque ${JSON.stringify('needed(): a test in the C code')} {`);
      if (ident !== rest) lines.push(`${indent}    name ${JSON.stringify(s.name)}`);
      this.printBody(lines, s, indent + '    ');
      lines.push(`${indent}}`);
    }
  }

  private printDevices(desc: Desc): string {
    return desc.classes.map((c) => [`device ${fieldName(c)} {`, `    state ${desc.ident}`, '}', ''].join('\n')).join('\n');
  }
}
