/**
 * A faithful re-implementation of QEMU's scripts/vmstate-static-checker.py (as of QEMU
 * 7.2): it compares two `-dump-vmstate` JSON files, SRC (the QEMU migrated from) and
 * DEST (the QEMU migrated to), and reports what the script reports, with the same text,
 * in the same order, with the same error count. See docs: design/qemu-tools.md §2.
 *
 * The script's quirks are reproduced on purpose, because callers compare our output
 * with QEMU's line for line:
 * - a section-level "minimum version" problem prints only `Section "X" ` (no newline,
 *   not counted) and the next message is glued onto it;
 * - `unused size mismatch near " F"` has a stray space after the quote;
 * - only SRC's sections, entries, fields and subsections are walked: anything DEST has
 *   in addition is never reported;
 * - the rename tables compare field names by the *description* name and description
 *   names by the *section* name;
 * - the machine-type warning is not counted.
 *
 * Our own compatibility rules (types, flags, `needed`, compat properties) are a separate,
 * later piece; this module only answers "what would QEMU's checker say".
 *
 * Pure: no Node modules.
 */

export interface StaticCheckResult {
  /** The output split into lines; the last one may be unterminated (see `text`). */
  lines: string[];
  /** The number of errors the script counts (its exit status), capped at 255. */
  errors: number;
  /** Exactly what the script writes to stdout. */
  text: string;
}

export type DumpSide = 'src' | 'dest';

/**
 * The input is not a `-dump-vmstate` file where the script needs one (it would stop with
 * a Python exception). `partial` holds what was reported before that point.
 */
export class DumpShapeError extends Error {
  constructor(
    readonly side: DumpSide,
    readonly where: string,
    readonly problem: string,
    readonly partial: StaticCheckResult,
  ) {
    super(`not a -dump-vmstate file: ${where}: ${problem}`);
    this.name = 'DumpShapeError';
  }
}

/**
 * Fields (or descriptions) renamed between QEMU versions without changing the wire
 * format. Keyed by the description name (fields) or the section name (descriptions): any
 * two names of one list are taken as the same. The table of QEMU 7.2.
 */
const RENAMES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    apic: ['timer', 'timer_expiry'],
    e1000: ['dev', 'parent_obj'],
    ehci: ['dev', 'pcidev'],
    I440FX: ['dev', 'parent_obj'],
    ich9_ahci: ['card', 'parent_obj'],
    'ich9-ahci': ['ahci', 'ich9_ahci'],
    ioh3420: ['PCIDevice', 'PCIEDevice'],
    'ioh-3240-express-root-port': ['port.br.dev', 'parent_obj.parent_obj.parent_obj', 'port.br.dev.exp.aer_log', 'parent_obj.parent_obj.parent_obj.exp.aer_log'],
    cirrus_vga: ['hw_cursor_x', 'vga.hw_cursor_x', 'hw_cursor_y', 'vga.hw_cursor_y'],
    lsiscsi: ['dev', 'parent_obj'],
    mch: ['d', 'parent_obj'],
    pci_bridge: ['bridge.dev', 'parent_obj', 'bridge.dev.shpc', 'shpc'],
    pcnet: ['pci_dev', 'parent_obj'],
    PIIX3: ['pci_irq_levels', 'pci_irq_levels_vmstate'],
    piix4_pm: [
      'dev', 'parent_obj', 'pci0_status', 'acpi_pci_hotplug.acpi_pcihp_pci_status[0x0]',
      'pm1a.sts', 'ar.pm1.evt.sts', 'pm1a.en', 'ar.pm1.evt.en', 'pm1_cnt.cnt', 'ar.pm1.cnt.cnt',
      'tmr.timer', 'ar.tmr.timer', 'tmr.overflow_time', 'ar.tmr.overflow_time', 'gpe', 'ar.gpe',
    ],
    rtl8139: ['dev', 'parent_obj'],
    qxl: ['num_surfaces', 'ssd.num_surfaces'],
    'usb-ccid': ['abProtocolDataStructure', 'abProtocolDataStructure.data'],
    'usb-host': ['dev', 'parent_obj'],
    'usb-mouse': ['usb-ptr-queue', 'HIDPointerEventQueue'],
    'usb-tablet': ['usb-ptr-queue', 'HIDPointerEventQueue'],
    vmware_vga: ['card', 'parent_obj'],
    vmware_vga_internal: ['depth', 'new_depth'],
    xhci: ['pci_dev', 'parent_obj'],
    'x3130-upstream': ['PCIDevice', 'PCIEDevice'],
    'xio3130-express-downstream-port': ['port.br.dev', 'parent_obj.parent_obj.parent_obj', 'port.br.dev.exp.aer_log', 'parent_obj.parent_obj.parent_obj.exp.aer_log'],
    'xio3130-downstream': ['PCIDevice', 'PCIEDevice'],
    'xio3130-express-upstream-port': ['br.dev', 'parent_obj.parent_obj', 'br.dev.exp.aer_log', 'parent_obj.parent_obj.exp.aer_log'],
    spapr_pci: [
      'dma_liobn[0]', 'mig_liobn', 'mem_win_addr', 'mig_mem_win_addr', 'mem_win_size', 'mig_mem_win_size',
      'io_win_addr', 'mig_io_win_addr', 'io_win_size', 'mig_io_win_size',
    ],
  }).map(([k, v]) => [k, new Set(v)]),
);

/** Section (device) names that changed; looked up in both directions. */
const SECTION_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['ICH9 LPC', 'ICH9-LPC'],
  ['e1000-82540em', 'e1000'],
];

/** The whitelisted-rename table as data, for documentation and tests. */
export function staticCheckerRenames(): ReadonlyMap<string, readonly string[]> {
  return new Map([...RENAMES].map(([k, v]) => [k, [...v]]));
}

/** The section (device class) renames the script knows, as pairs, for documentation and our own comparison. */
export function staticCheckerSectionRenames(): ReadonlyArray<readonly [string, string]> {
  return SECTION_RENAMES.map(([a, b]) => [a, b] as const);
}

type Obj = Record<string, unknown>;

const has = (o: Obj, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compare the two dumps; throws DumpShapeError when an input is not a dump. */
export function staticCheck(src: unknown, dest: unknown): StaticCheckResult {
  return new Checker().run(src, dest);
}

/** A node of a dump together with the side it comes from and a path for messages. */
interface At {
  side: DumpSide;
  path: string;
}

class Checker {
  private text = '';
  private errors = 0;

  run(src: unknown, dest: unknown): StaticCheckResult {
    const s = this.object(src, { side: 'src', path: 'the top level' });
    const d = this.object(dest, { side: 'dest', path: 'the top level' });
    for (const sec of Object.keys(s)) {
      let destSec = sec;
      if (!has(d, destSec)) {
        destSec = renamedSection(sec);
        if (!has(d, destSec)) {
          this.print([`Section "${sec}" does not exist in dest`]);
          this.count();
          continue;
        }
      }
      const sAt: At = { side: 'src', path: `section "${sec}"` };
      const dAt: At = { side: 'dest', path: `section "${destSec}"` };
      const sv = this.object(s[sec], sAt);
      const dv = this.object(d[destSec], dAt);
      if (sec === 'vmschkmachine') {
        const a = this.string(sv, 'Name', sAt);
        const b = this.string(dv, 'Name', dAt);
        if (a !== b) this.print([`Warning: checking incompatible machine types: "${a}", "${b}"`]);
        continue;
      }
      this.versions(sv, sAt, dv, dAt, sec, undefined);
      for (const entry of Object.keys(sv)) {
        if (!has(dv, entry)) {
          this.print([`Section "${sec}": Entry "${entry}" missing`]);
          this.count();
          continue;
        }
        if (entry === 'Description') {
          this.descriptions(this.object(sv[entry], sub(sAt, 'Description')), sub(sAt, 'Description'), this.object(dv[entry], sub(dAt, 'Description')), sub(dAt, 'Description'), sec);
        }
      }
    }
    return this.result();
  }

  private result(): StaticCheckResult {
    const lines = this.text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { lines, errors: this.errors, text: this.text };
  }

  // --- output, as Python's print(*parts, end=...) writes it

  private print(parts: Array<string | number>, end = '\n'): void {
    this.text += parts.map(String).join(' ') + end;
  }

  private count(): void {
    if (this.errors < 255) this.errors++;
  }

  // --- the checks

  /** The version checks of a section, description or field; `desc` is the description named, if any. */
  private versions(s: Obj, sAt: At, d: Obj, dAt: At, sec: string, desc: string | undefined): void {
    const sv = this.int(s, 'version_id', sAt);
    const dv = this.int(d, 'version_id', dAt);
    // An empty description name counts as none, as in the script.
    const named = desc !== undefined && desc !== '';
    if (sv > dv) {
      this.print([`Section "${sec}"`], ' ');
      if (named) this.print([`Description "${desc}":`], ' ');
      this.print(['version error:', sv, '>', dv]);
      this.count();
    }
    if (!has(d, 'minimum_version_id')) return;
    const dmin = this.int(d, 'minimum_version_id', dAt);
    if (sv < dmin) {
      // Without a description the script writes only the start of the line and counts
      // nothing: the next message continues it.
      this.print([`Section "${sec}"`], ' ');
      if (named) {
        this.print([`Description "${desc}":`], ' ');
        this.print(['minimum version error:', sv, '<'], ' ');
        this.print([dmin]);
        this.count();
      }
    }
  }

  private descriptions(s: Obj, sAt: At, d: Obj, dAt: At, sec: string): void {
    const sName = this.string(s, 'name', sAt);
    this.versions(s, sAt, d, dAt, sec, sName);
    const dName = this.string(d, 'name', dAt);
    if (!namesMatch(sec, sName, dName)) {
      this.print([`Section "${sec}":`], ' ');
      this.print([`Description "${sName}"`], ' ');
      this.print([`missing, got "${dName}" instead; skipping`]);
      this.count();
      return;
    }
    for (const key of Object.keys(s)) {
      if (!has(d, key)) {
        this.print([`Section "${sec}"`], ' ');
        this.print([`Description "${sName}":`], ' ');
        this.print([`Entry "${key}" missing`]);
        this.count();
        continue;
      }
      if (key === 'Fields') this.fields(this.list(s, key, sAt), sub(sAt, key), this.list(d, key, dAt), sub(dAt, key), sName, sec);
      if (key === 'Subsections') this.subsections(this.list(s, key, sAt), sub(sAt, key), this.list(d, key, dAt), sub(dAt, key), sName, sec);
    }
  }

  private subsections(src: unknown[], sAt: At, dest: unknown[], dAt: At, desc: string, sec: string): void {
    src.forEach((sv, i) => {
      const sItemAt = sub(sAt, `[${i}]`);
      const sItem = this.object(sv, sItemAt);
      // Read when needed, as the script does: what it prints before a bad entry stops it.
      const sName = () => this.string(sItem, 'name', sItemAt);
      let found = false;
      // Every DEST subsection of that name is checked (the script does not stop at the first).
      dest.forEach((dv, j) => {
        const dItemAt = sub(dAt, `[${j}]`);
        const name = sName();
        const dItem = this.object(dv, dItemAt);
        if (this.string(dItem, 'name', dItemAt) !== name) return;
        found = true;
        this.descriptions(sItem, sItemAt, dItem, dItemAt, sec);
      });
      if (!found) {
        this.print([`Section "${sec}", Description "${desc}":`], ' ');
        this.print([`Subsection "${sName()}" not found`]);
        this.count();
      }
    });
  }

  /**
   * The two field lists, walked in parallel. A field may have moved into (or out of) a
   * nested description that starts with it: the walk then descends into that side's
   * nested fields and resumes after them. An `unused` block on one side may stand for one
   * or more fields of the same total size on the other.
   */
  private fields(srcList: unknown[], sAt: At, destList: unknown[], dAt: At, desc: string, sec: string): void {
    let sCur = new Cursor(srcList, sAt);
    let dCur = new Cursor(destList, dAt);
    const sOuter: Cursor[] = [];
    const dOuter: Cursor[] = [];
    let nextSrc = true;
    let nextDest = true;
    let unused = 0;
    let s: FieldAt | undefined;
    let d: FieldAt | undefined;

    for (;;) {
      if (nextSrc) {
        const n = sCur.next();
        if (n === undefined) {
          const outer = sOuter.pop();
          if (outer === undefined) break;
          sCur = outer;
          continue;
        }
        s = this.field(n);
      } else if (unused === 0) {
        // Stay on this SRC field once only (entering or leaving a DEST substruct).
        nextSrc = true;
      }

      if (nextDest) {
        const n = dCur.next();
        if (n === undefined) {
          const outer = dOuter.pop();
          if (outer === undefined) {
            this.print([`Section "${sec}",`], ' ');
            this.print([`Description "${desc}":`], ' ');
            this.print([`expected field "${s!.name}",`], ' ');
            this.print(['while dest has no further fields']);
            this.count();
            break;
          }
          dCur = outer;
          nextSrc = false;
          continue;
        }
        d = this.field(n);
      } else if (unused === 0) {
        nextDest = true;
      }

      // `s` is set: SRC is read first and an empty SRC ends the walk; `d` is set once DEST
      // has been read, which happens on the first pass through.
      const sf = s!;
      const df = d!;

      if (unused > 0) {
        // An `unused` block is absorbing fields of the other side.
        const absorbed = !nextDest ? sf : !nextSrc ? df : undefined;
        if (absorbed !== undefined) {
          unused -= this.int(absorbed.obj, 'size', absorbed.at);
          if (unused === 0) {
            if (!nextDest) nextDest = true;
            else nextSrc = true;
            continue;
          }
          if (unused < 0) {
            this.print([`Section "${sec}",`], ' ');
            this.print([`Description "${desc}":`], ' ');
            this.print(['unused size mismatch near "'], ' ');
            this.print([`${absorbed.name}"`]);
            this.count();
            break;
          }
          continue;
        }
      }

      if (!namesMatch(desc, sf.name, df.name)) {
        const dInner = this.substructStartingWith(df, sf.name);
        if (dInner !== undefined) {
          dOuter.push(dCur);
          dCur = dInner;
          nextSrc = false;
          continue;
        }
        const sInner = this.substructStartingWith(sf, df.name);
        if (sInner !== undefined) {
          sOuter.push(sCur);
          sCur = sInner;
          nextDest = false;
          continue;
        }
        if (sf.name === 'unused' || df.name === 'unused') {
          const sSize = this.int(sf.obj, 'size', sf.at);
          const dSize = this.int(df.obj, 'size', df.at);
          if (sSize === dSize) continue;
          if (df.name === 'unused') {
            nextDest = false;
            unused = dSize - sSize;
            continue;
          }
          nextSrc = false;
          unused = sSize - dSize;
          continue;
        }
        this.print([`Section "${sec}",`], ' ');
        this.print([`Description "${desc}":`], ' ');
        this.print([`expected field "${sf.name}",`], ' ');
        this.print([`got "${df.name}"; skipping rest`]);
        this.count();
        break;
      }

      this.versions(sf.obj, sf.at, df.obj, df.at, sec, desc);
      if (!has(sf.obj, 'Description')) {
        // Only plain fields have a size to compare; a struct's is its description's.
        const sSize = this.int(sf.obj, 'size', sf.at);
        const dSize = this.int(df.obj, 'size', df.at);
        if (sSize !== dSize) {
          this.print([`Section "${sec}"`], ' ');
          if (desc !== '') this.print([`Description "${desc}"`], ' ');
          if (sf.name !== '') this.print([`Field "${sf.name}"`], ' ');
          this.print(['size mismatch:', sSize, ',', dSize]);
          this.count();
        }
      }
      if (has(sf.obj, 'Description')) {
        if (!has(df.obj, 'Description')) {
          this.print([`Section "${sec}", Description "${desc}",`], ' ');
          this.print([`Field "${sf.name}": missing description`]);
          this.count();
        } else {
          const sd = sub(sf.at, 'Description');
          const dd = sub(df.at, 'Description');
          this.descriptions(this.object(sf.obj.Description, sd), sd, this.object(df.obj.Description, dd), dd, sec);
        }
      }
    }
  }

  /** The nested fields of `f` when they start with a field the rename table equates with `name`. */
  private substructStartingWith(f: FieldAt, name: string): Cursor | undefined {
    if (!has(f.obj, 'Description')) return undefined;
    const at = sub(f.at, 'Description');
    const desc = this.object(f.obj.Description, at);
    if (!has(desc, 'Fields')) return undefined;
    const fields = this.list(desc, 'Fields', at);
    if (fields.length === 0) return undefined;
    const first = this.field({ value: fields[0], at: sub(at, 'Fields[0]') });
    if (!namesMatch(this.string(desc, 'name', at), first.name, name)) return undefined;
    return new Cursor(fields, sub(at, 'Fields'));
  }

  // --- reading the dump; a wrong shape is where the script would stop with an exception

  private field(n: { value: unknown; at: At }): FieldAt {
    const obj = this.object(n.value, n.at);
    return { obj, at: n.at, name: this.string(obj, 'field', n.at) };
  }

  private fail(at: At, problem: string): never {
    throw new DumpShapeError(at.side, at.path, problem, this.result());
  }

  private object(v: unknown, at: At): Obj {
    if (!isObj(v)) this.fail(at, `expected an object, found ${kind(v)}`);
    return v;
  }

  private get(o: Obj, key: string, at: At): unknown {
    if (!has(o, key)) this.fail(at, `no "${key}"`);
    return o[key];
  }

  private string(o: Obj, key: string, at: At): string {
    const v = this.get(o, key, at);
    if (typeof v !== 'string') this.fail(at, `"${key}" is ${kind(v)}, not a string`);
    return v;
  }

  private int(o: Obj, key: string, at: At): number {
    const v = this.get(o, key, at);
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(at, `"${key}" is ${kind(v)}, not an integer`);
    return v;
  }

  private list(o: Obj, key: string, at: At): unknown[] {
    const v = this.get(o, key, at);
    if (!Array.isArray(v)) this.fail(at, `"${key}" is ${kind(v)}, not a list`);
    return v;
  }
}

interface FieldAt {
  obj: Obj;
  at: At;
  name: string;
}

/** A position in one field list. */
class Cursor {
  private i = 0;
  constructor(
    private readonly items: unknown[],
    private readonly at: At,
  ) {}

  next(): { value: unknown; at: At } | undefined {
    if (this.i >= this.items.length) return undefined;
    const i = this.i++;
    return { value: this.items[i], at: sub(this.at, `[${i}]`) };
  }
}

function sub(at: At, step: string): At {
  return { side: at.side, path: step.startsWith('[') ? at.path + step : `${at.path} ${step}` };
}

/** Equal names, or two names of the rename list kept for `scope`. */
function namesMatch(scope: string, a: string, b: string): boolean {
  if (a === b) return true;
  const renames = RENAMES.get(scope);
  return renames !== undefined && renames.has(a) && renames.has(b);
}

function renamedSection(sec: string): string {
  for (const [a, b] of SECTION_RENAMES) {
    if (a === sec) return b;
    if (b === sec) return a;
  }
  return '';
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer out of range' : 'a non-integer number';
  return `a ${typeof v}`;
}
