import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { compareDumps, DumpComparison, DumpFinding, DumpInputError, findingLocation } from '../../server/src/compat/dump-compare';
import { Direction } from '../../server/src/compat/rules';
import { staticCheck } from '../../server/src/compat/static-checker';
import { fixtures } from '../util/paths';

/**
 * Our own comparison of two -dump-vmstate files (compat/dump-compare.ts), against what
 * QEMU's vmstate-static-checker.py finds (static-checker.ts, checked line for line in
 * static-checker.test.ts): everything the script finds on QEMU's test data, at the same
 * places; what it misses; no false positive.
 */

const read = (file: string): unknown => {
  const bytes = fs.readFileSync(file);
  return JSON.parse((file.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8')) as unknown;
};
const dump1 = read(path.join(fixtures, 'qemu-testdata', 'dump1.json'));
const dump2 = read(path.join(fixtures, 'qemu-testdata', 'dump2.json'));

/** `RULE severity location`, one per finding. */
const brief = (r: DumpComparison) => r.findings.map((f) => `${f.rule} ${f.severity} ${findingLocation(f)}`);

/** Old → new (SRC = old), or new → old with SRC = new: as `check-dumps OLD NEW [--reverse]`. */
function compare(old: unknown, nu: unknown, direction: Direction = 'old→new'): DumpComparison {
  return direction === 'old→new' ? compareDumps(old, nu, { direction }) : compareDumps(nu, old, { direction });
}

// Small dumps: a field, a description, a section.
const f = (field: string, size: number, extra: Record<string, unknown> = {}) => ({ field, version_id: 0, field_exists: false, size, ...extra });
const desc = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({ name, version_id: 1, minimum_version_id: 1, Fields: fields, ...extra });
const sec = (name: string, d: { version_id?: number; minimum_version_id?: number }, extra: Record<string, unknown> = {}) => ({
  [name]: { Name: name, version_id: d.version_id ?? 1, minimum_version_id: d.minimum_version_id ?? 1, Description: d, ...extra },
});

/** Where a static-checker error line of dump1 → dump2 has its counterpart among our findings. */
interface Counterpart {
  line: string;
  rule: string;
  location: string;
}

const FORWARD_COUNTERPARTS: Counterpart[] = [
  { line: 'Section "fw_cfg" does not exist in dest', rule: 'VS001', location: 'Section "fw_cfg"' },
  { line: 'Section "fusbh200-ehci-usb" version error: 2 > 1', rule: 'VS006', location: 'Section "fusbh200-ehci-usb"' },
  {
    line: 'Section "fusbh200-ehci-usb", Description "ehci-core": expected field "usbsts", got "usbsts_pending"; skipping rest',
    rule: 'VS010',
    location: 'Section "fusbh200-ehci-usb", Description "ehci-core", Field "usbsts"',
  },
  { line: 'Section "pci-serial-4x" Description "pci-serial-multi": Entry "Fields" missing', rule: 'VS010', location: 'Section "pci-serial-4x", Description "pci-serial-multi", Field "dev"' },
  { line: 'Section "intel-hda-generic", Description "intel-hda", Field "pci": missing description', rule: 'VS013', location: 'Section "intel-hda-generic", Description "intel-hda", Field "pci"' },
  { line: 'Section "cfi.pflash01": Entry "Description" missing', rule: 'VS001', location: 'Section "cfi.pflash01"' },
  { line: 'Section "megasas", Description "PCIDevice": expected field "irq_state", while dest has no further fields', rule: 'VS010', location: 'Section "megasas", Description "PCIDevice", Field "irq_state"' },
  { line: 'Section "PIIX3-xen" Description "PIIX3": minimum version error: 1 < 2', rule: 'VS005', location: 'Section "PIIX3-xen", Description "PIIX3"' },
  { line: 'Section "PIIX3-xen" Description "PIIX3": Entry "Subsections" missing', rule: 'VS031', location: 'Section "PIIX3-xen", Description "PIIX3", Subsection "PIIX3/rcr"' },
  // The new side's name: paths are the new side's where it has the element.
  { line: 'Section "tpci200": Description "tpci200" missing, got "tpci2002" instead; skipping', rule: 'VS002', location: 'Section "tpci200", Description "tpci2002"' },
  { line: 'Section "sun-fdtwo" Description "fdc": version error: 2 > 1', rule: 'VS006', location: 'Section "sun-fdtwo", Description "fdc"' },
  { line: 'Section "sun-fdtwo", Description "fdrive": Subsection "fdrive/media_rate" not found', rule: 'VS031', location: 'Section "sun-fdtwo", Description "fdrive", Subsection "fdrive/media_rate"' },
  // The new side moved the field into the nested description "HIDKeyboardDevice".
  { line: 'Section "usb-kbd" Description "usb-kbd" Field "kbd.keycodes" size mismatch: 4 , 2', rule: 'VS013', location: 'Section "usb-kbd", Description "HIDKeyboardDevice", Field "kbd.keycodes"' },
];

const REVERSE_COUNTERPARTS: Counterpart[] = [
  { line: 'Section "fw_cfg2" does not exist in dest', rule: 'VS001', location: 'Section "fw_cfg2"' },
  {
    line: 'Section "fusbh200-ehci-usb", Description "ehci-core": expected field "usbsts_pending", got "usbsts"; skipping rest',
    rule: 'VS010',
    location: 'Section "fusbh200-ehci-usb", Description "ehci-core", Field "usbsts"',
  },
  { line: 'Section "PIIX3-xen" Description "PIIX3": version error: 3 > 1', rule: 'VS004', location: 'Section "PIIX3-xen", Description "PIIX3"' },
  { line: 'Section "tpci200": Description "tpci2002" missing, got "tpci200" instead; skipping', rule: 'VS002', location: 'Section "tpci200", Description "tpci2002"' },
  { line: 'Section "sun-fdtwo" Description "fdc": minimum version error: 1 < 2', rule: 'VS006', location: 'Section "sun-fdtwo", Description "fdc"' },
  { line: 'Section "usb-kbd" Description "usb-kbd" Field "kbd.keycodes" size mismatch: 2 , 4', rule: 'VS013', location: 'Section "usb-kbd", Description "HIDKeyboardDevice", Field "kbd.keycodes"' },
];

function assertCounterparts(r: DumpComparison, script: string[], counterparts: Counterpart[]): void {
  // The script's error lines (its machine-type warning is not an error), all of them.
  assert.deepEqual(
    script.filter((l) => !l.startsWith('Warning:')),
    counterparts.map((c) => c.line),
  );
  for (const c of counterparts) {
    assert.ok(
      r.findings.some((x) => x.rule === c.rule && x.severity === 'error' && findingLocation(x) === c.location),
      `no ${c.rule} error at ${c.location} for: ${c.line}`,
    );
  }
}

describe('compat: check-dumps, our own comparison of -dump-vmstate files', () => {
  describe("QEMU's test data (dump1.json → dump2.json)", () => {
    it('old→new: every error of the script at the same place, plus what it skips', () => {
      const r = compare(dump1, dump2);
      const script = staticCheck(dump1, dump2);
      assert.equal(script.errors, 13);
      assertCounterparts(r, script.lines, FORWARD_COUNTERPARTS);
      assert.deepEqual(brief(r), [
        'VS001 error Section "fw_cfg"',
        'VS006 error Section "fusbh200-ehci-usb"',
        'VS010 error Section "fusbh200-ehci-usb", Description "ehci-core", Field "usbsts"',
        // Extras: the new "pci-serial-multi" has no fields at all, so each of the three the
        // old source sends is unread (the script prints one `Entry "Fields" missing`).
        'VS010 error Section "pci-serial-4x", Description "pci-serial-multi", Field "dev"',
        'VS010 error Section "pci-serial-4x", Description "pci-serial-multi", Field "state"',
        'VS010 error Section "pci-serial-4x", Description "pci-serial-multi", Field "level"',
        'VS013 error Section "intel-hda-generic", Description "intel-hda", Field "pci"',
        'VS001 error Section "cfi.pflash01"',
        'VS010 error Section "megasas", Description "PCIDevice", Field "irq_state"',
        'VS005 error Section "PIIX3-xen", Description "PIIX3"',
        'VS031 error Section "PIIX3-xen", Description "PIIX3", Subsection "PIIX3/rcr"',
        'VS002 error Section "tpci200", Description "tpci2002"',
        'VS006 error Section "sun-fdtwo", Description "fdc"',
        'VS031 error Section "sun-fdtwo", Description "fdrive", Subsection "fdrive/media_rate"',
        'VS013 error Section "usb-kbd", Description "HIDKeyboardDevice", Field "kbd.keycodes"',
      ]);
      assert.deepEqual([r.errors, r.warnings], [15, 0]);
      // The script stops at "usbsts" ("skipping rest"); we realign on "usbsts_pending" and
      // compare the 20 fields after it (all equal): one finding, the field really removed.
      assert.equal(r.findings.filter((x) => x.section === 'fusbh200-ehci-usb').length, 2);
      assert.equal(
        r.findings[2].message,
        'the old source sends field "usbsts" (4 bytes); the new destination does not read it: the rest of the section is misread (old→new)',
      );
      assert.match(r.findings[0].message, /"fw_cfg2" there has the same description "fw_cfg": renamed\?/);
      assert.equal(r.findings[6].message, 'field "pci" is a struct ("PCIDevice") on the old side and a plain field of 1944 bytes on the new: the two encodings differ (old→new)');
      assert.equal(r.findings[9].message, 'the old source sends description version 1; the new destination accepts versions 2 to 3: too old, the load fails (old→new)');
      assert.deepEqual(r.notes, [
        'the dumps were made with machine types "pc-i440fx-2.1" (old) and "pc-i440fx-2.2" (new); -dump-vmstate lists device classes, which do not depend on the machine type, so this compares the classes (a migration itself needs the same machine type on both sides)',
      ]);
    });

    it('new→old (--reverse): every error of the script at the same place, plus the DEST fields it never looks at', () => {
      const r = compare(dump1, dump2, 'new→old');
      const script = staticCheck(dump2, dump1);
      assert.equal(script.errors, 6);
      assertCounterparts(r, script.lines, REVERSE_COUNTERPARTS);
      assert.deepEqual(brief(r), [
        'VS001 error Section "fw_cfg2"',
        // The old destination reads "usbsts", which the new source no longer sends.
        'VS010 error Section "fusbh200-ehci-usb", Description "ehci-core", Field "usbsts"',
        // Extras the script cannot see (it walks SRC's keys only, and the new SRC has no
        // "Fields" here): the old destination reads three fields the new source never sends.
        'VS010 error Section "pci-serial-4x", Description "pci-serial-multi", Field "dev"',
        'VS010 error Section "pci-serial-4x", Description "pci-serial-multi", Field "state"',
        'VS010 error Section "pci-serial-4x", Description "pci-serial-multi", Field "level"',
        // Extra: the new source sends "pci" as a 1944-byte plain field, the old destination
        // reads the struct PCIDevice (the script compares sizes only when SRC has no nested
        // description, and 1944 = 1944).
        'VS013 error Section "intel-hda-generic", Description "intel-hda", Field "pci"',
        // Extra: the old destination reads PCIDevice's "irq_state" (version_id 2, nested
        // description at version 2), which the new source does not have.
        'VS010 error Section "megasas", Description "PCIDevice", Field "irq_state"',
        'VS004 error Section "PIIX3-xen", Description "PIIX3"',
        'VS002 error Section "tpci200", Description "tpci2002"',
        'VS006 error Section "sun-fdtwo", Description "fdc"',
        'VS013 error Section "usb-kbd", Description "HIDKeyboardDevice", Field "kbd.keycodes"',
      ]);
      assert.deepEqual([r.errors, r.warnings], [11, 0]);
      assert.equal(r.findings[1].message, 'the old destination reads field "usbsts" (4 bytes); the new source does not send it: the rest of the section is misread (new→old)');
      // The new "cfi.pflash01" has no description: nothing to compare, and no finding.
      assert.ok(r.notes.includes('section "cfi.pflash01": SRC has no description, so nothing it sends can be compared'));
      for (const x of r.findings) assert.ok(x.message.endsWith(' (new→old)'), x.message);
    });

    it('a test-data description whose minimum is above its version accepts nothing, even from itself', () => {
      // dump1's PIIX3 has version_id 1 and minimum_version_id 2 (hand-edited; QEMU writes
      // a section's and its description's versions alike).
      const r = compare(dump1, dump1);
      assert.deepEqual(brief(r), ['VS005 error Section "PIIX3-xen", Description "PIIX3"']);
      assert.match(r.findings[0].message, /accepts no version at all \(its minimum 2 is above its version 1\)/);
    });
  });

  describe('our own dumps (QEMU 7.2, tests/fixtures/qemu)', () => {
    const dumps = ['pc-i440fx-2.2', 'pc-i440fx-2.3', 'pc-i440fx-7.2', 'pc-q35-7.2'].map((m) => ({ m, json: read(path.join(fixtures, 'qemu', `dump-${m}.json.gz`)) as Record<string, unknown> }));

    for (const { m, json } of dumps) {
      it(`${m} against itself: no finding, in both directions`, () => {
        for (const dir of ['old→new', 'new→old'] as const) {
          const r = compare(json, json, dir);
          assert.deepEqual([r.findings, r.notes], [[], []]);
        }
      });
    }

    it('pc-i440fx-7.2 ↔ pc-i440fx-2.3 (one binary): the per-class dumps are identical, so no finding, only a note', () => {
      const [, v23, v72] = dumps;
      // -dump-vmstate lists device classes, which do not depend on the machine type: the
      // files differ in "vmschkmachine" only (true of pc-i440fx-2.2 and pc-q35-7.2 too).
      const classes = (j: Record<string, unknown>) => Object.fromEntries(Object.entries(j).filter(([k]) => k !== 'vmschkmachine'));
      for (const d of dumps) assert.deepEqual(classes(d.json), classes(v72.json), d.m);
      assert.deepEqual([v72.json.vmschkmachine, v23.json.vmschkmachine], [{ Name: 'pc-i440fx-7.2' }, { Name: 'pc-i440fx-2.3' }]);
      for (const dir of ['old→new', 'new→old'] as const) {
        for (const [a, b] of [
          [v72, v23],
          [v23, v72],
        ]) {
          const r = compare(a.json, b.json, dir);
          assert.deepEqual(r.findings, []);
          assert.equal(r.notes.length, 1);
          assert.match(r.notes[0], /^the dumps were made with machine types "pc-i440fx-(7\.2|2\.3)" \(old\) and "pc-i440fx-(7\.2|2\.3)" \(new\)/);
        }
      }
    });
  });

  describe('versions', () => {
    it("section level: SRC's version below DEST's minimum (the script prints half a line there)", () => {
      const r = compare(sec('dev', desc('dev', [f('a', 1)])), sec('dev', desc('dev', [f('a', 1)], { version_id: 3, minimum_version_id: 2 })));
      assert.deepEqual(brief(r), ['VS005 error Section "dev"']);
      assert.equal(r.findings[0].message, 'the old source sends section version 1; the new destination accepts versions 2 to 3: too old, the load fails (old→new)');
      // What the script prints on the same input: no complete line, nothing counted.
      const script = staticCheck(sec('dev', desc('dev', [f('a', 1)])), sec('dev', desc('dev', [f('a', 1)], { version_id: 3, minimum_version_id: 2 })));
      assert.deepEqual([script.text, script.errors], ['Section "dev" Section "dev" Description "dev": minimum version error: 1 < 2\n', 1]);
      // With the section's minimum alone raised (a hand-made dump), only the section's.
      const only = compare(sec('dev', desc('dev', [f('a', 1)])), sec('dev', desc('dev', [f('a', 1)], { version_id: 3 }), { minimum_version_id: 2, version_id: 3 }));
      assert.deepEqual(brief(only), ['VS005 error Section "dev"']);
      assert.deepEqual([staticCheck(sec('dev', desc('dev', [f('a', 1)])), sec('dev', desc('dev', [f('a', 1)], { version_id: 3 }), { minimum_version_id: 2, version_id: 3 })).errors], [0]);
    });

    it('near miss: SRC version equal to DEST minimum is loaded', () => {
      const r = compare(sec('dev', desc('dev', [f('a', 1)], { version_id: 2 })), sec('dev', desc('dev', [f('a', 1)], { version_id: 3, minimum_version_id: 2 })));
      assert.deepEqual(r.findings, []);
    });

    it('too new: VS006 old→new (a lowered version), VS004 new→old (a raised one)', () => {
      const v1 = sec('dev', desc('dev', [f('a', 1)]));
      const v2 = sec('dev', desc('dev', [f('a', 1)], { version_id: 2 }));
      assert.deepEqual(brief(compare(v2, v1)), ['VS006 error Section "dev"']);
      assert.deepEqual(brief(compare(v1, v2, 'new→old')), ['VS004 error Section "dev"']);
      assert.equal(compare(v1, v2, 'new→old').findings[0].message, 'the new source sends section version 2; the old destination accepts versions 1 to 1: too new, the load fails (new→old)');
      // Raising the version is fine old→new.
      assert.deepEqual(compare(v1, v2).findings, []);
      // A version bump with its new field: new→old, the version is the one finding (the
      // field, sent from version 2 only, is why the old destination has no version 2).
      const bumped = sec('dev', desc('dev', [f('a', 1), f('b', 4, { version_id: 2 })], { version_id: 2 }));
      assert.deepEqual(brief(compare(v1, bumped, 'new→old')), ['VS004 error Section "dev"']);
      assert.deepEqual(compare(v1, bumped).findings, []);
      // A field added without the bump is still reported.
      const unbumped = sec('dev', desc('dev', [f('a', 1), f('b', 4, { version_id: 1 })], { version_id: 2 }));
      assert.deepEqual(brief(compare(v1, unbumped, 'new→old')), ['VS004 error Section "dev"', 'VS011 error Section "dev", Description "dev", Field "b"']);
    });

    it('nested descriptions: their versions are not sent, only the fields they give count', () => {
      const inner = (v: number, fields: unknown[]) => f('s', 8, { Description: desc('inner', fields, { version_id: v }) });
      // Different nested versions, the same fields on the wire: no error (the script
      // reports "version error: 3 > 1" new→old).
      const a = sec('dev', desc('dev', [inner(1, [f('x', 4)])]));
      const b = sec('dev', desc('dev', [inner(3, [f('x', 4)])]));
      assert.deepEqual([compare(a, b).findings, compare(a, b, 'new→old').findings], [[], []]);
      assert.deepEqual(staticCheck(b, a).lines, ['Section "dev" Description "inner": version error: 3 > 1']);
      // A nested field added with the nested version: each side reads the struct at its
      // own version, so the new destination reads "y", which the old source never sends.
      const c = sec('dev', desc('dev', [inner(2, [f('x', 4), f('y', 4, { version_id: 2 })])]));
      const d = sec('dev', desc('dev', [inner(1, [f('x', 4), f('y', 4, { version_id: 2 })])]));
      const r = compare(d, c);
      assert.deepEqual(brief(r), ['VS017 error Section "dev", Description "inner", Field "y"']);
      assert.equal(
        r.findings[0].message,
        'the new destination reads field "y" (its version_id 2, at version 2); the old source sends it only from version 2, and is at version 1: the rest of the section is misread (old→new)',
      );
      // The script sees nothing there: SRC's version 1 is not above DEST's 2.
      assert.equal(staticCheck(d, c).errors, 0);
    });

    it('subsections: their version is sent and checked', () => {
      const sub = (v: number, min = 1) => ({ name: 'dev/sub', version_id: v, minimum_version_id: min, Fields: [f('z', 1)] });
      const a = sec('dev', desc('dev', [f('a', 1)], { Subsections: [sub(1)] }));
      const b = sec('dev', desc('dev', [f('a', 1)], { Subsections: [sub(3, 2)] }));
      assert.deepEqual(brief(compare(a, b)), ['VS005 error Section "dev", Description "dev", Subsection "dev/sub"']);
      assert.deepEqual(brief(compare(a, b, 'new→old')), ['VS004 error Section "dev", Description "dev", Subsection "dev/sub"']);
    });
  });

  describe('fields', () => {
    it('a DEST field beyond SRC\'s that DEST reads at the version SRC sends: an error the script never reports', () => {
      const old = sec('dev', desc('dev', [f('a', 4)], { version_id: 2 }));
      const nu = sec('dev', desc('dev', [f('a', 4), f('b', 2, { version_id: 2 })], { version_id: 3 }));
      const r = compare(old, nu);
      assert.deepEqual(brief(r), ['VS011 error Section "dev", Description "dev", Field "b"']);
      assert.equal(r.findings[0].message, 'the new destination reads field "b" (2 bytes); the old source does not send it: the rest of the section is misread (old→new)');
      assert.equal(staticCheck(old, nu).errors, 0);
    });

    it('… but not one with a higher version_id: DEST does not read it at SRC\'s version', () => {
      const old = sec('dev', desc('dev', [f('a', 4)], { version_id: 2 }));
      const nu = sec('dev', desc('dev', [f('a', 4), f('b', 2, { version_id: 3 })], { version_id: 3 }));
      assert.deepEqual(compare(old, nu).findings, []);
    });

    it('… and one with a field_exists test is a warning: the dump does not show the test', () => {
      const old = sec('dev', desc('dev', [f('a', 4)], { version_id: 2 }));
      const nu = sec('dev', desc('dev', [f('a', 4), f('b', 2, { field_exists: true })], { version_id: 2 }));
      const r = compare(old, nu);
      assert.deepEqual(brief(r), ['VS011 warning Section "dev", Description "dev", Field "b"']);
      assert.match(r.findings[0].message, /when its field_exists test passes/);
      assert.deepEqual([r.errors, r.warnings], [0, 1]);
    });

    it('after a name mismatch the walk realigns: the field really removed, and the one really added', () => {
      const old = sec('dev', desc('dev', [f('a', 4), f('b', 4), f('c', 2), f('d', 1)]));
      const nu = sec('dev', desc('dev', [f('a', 4), f('c', 2), f('x', 8), f('d', 1)]));
      assert.deepEqual(brief(compare(old, nu)), ['VS010 error Section "dev", Description "dev", Field "b"', 'VS011 error Section "dev", Description "dev", Field "x"']);
      // The script stops at the first mismatch.
      assert.deepEqual(staticCheck(old, nu).lines, ['Section "dev", Description "dev": expected field "b", got "c"; skipping rest']);
      // A field only the old side has is "removed" whichever way the migration goes.
      assert.deepEqual(
        compare(old, nu, 'new→old').findings.map((x) => [x.rule, x.message]),
        [
          ['VS010', 'the old destination reads field "b" (4 bytes); the new source does not send it: the rest of the section is misread (new→old)'],
          ['VS011', 'the new source sends field "x" (8 bytes); the old destination does not read it: the rest of the section is misread (new→old)'],
        ],
      );
    });

    it('a field moved', () => {
      const old = sec('dev', desc('dev', [f('a', 4), f('b', 2), f('c', 1)]));
      const nu = sec('dev', desc('dev', [f('b', 2), f('a', 4), f('c', 1)]));
      const r = compare(old, nu);
      assert.deepEqual(brief(r), ['VS012 error Section "dev", Description "dev", Field "b"']);
      assert.equal(r.findings[0].message, 'field "b" moved (after "a" on the old side, first on the new side): the fields in between are misread (old→new)');
    });

    it('sizes: VS013, and `num` (QEMU 8.1+) VS015', () => {
      const old = sec('dev', desc('dev', [f('a', 4), f('b', 2, { num: 4 })]));
      const nu = sec('dev', desc('dev', [f('a', 2), f('b', 2, { num: 8 })]));
      assert.deepEqual(brief(compare(old, nu)), ['VS013 error Section "dev", Description "dev", Field "a"', 'VS015 error Section "dev", Description "dev", Field "b"']);
    });

    it("the script's whitelisted renames are no error; another rename of the same size is a warning", () => {
      const old = sec('piix3', desc('PIIX3', [f('pci_irq_levels', 4), f('x', 4)]));
      const nu = sec('piix3', desc('PIIX3', [f('pci_irq_levels_vmstate', 4), f('y', 4)]));
      const r = compare(old, nu);
      assert.deepEqual(brief(r), ['VS014 warning Section "piix3", Description "PIIX3", Field "y"']);
      assert.equal(r.findings[0].message, 'field "x" is "y" on the new side, at the same place with the same size (4 bytes): the same wire format if it holds the same data (the dump has no types) (old→new)');
      // Another size: removed and added.
      const other = compare(old, sec('piix3', desc('PIIX3', [f('pci_irq_levels_vmstate', 4), f('y', 2)])));
      assert.deepEqual(brief(other), ['VS010 error Section "piix3", Description "PIIX3", Field "x"', 'VS011 error Section "piix3", Description "PIIX3", Field "y"']);
    });

    it('fields moved into (or out of) a nested description keep their place on the wire', () => {
      const flat = sec('dev', desc('dev', [f('a', 1), f('b', 2), f('z', 4)]));
      const nested = sec('dev', desc('dev', [f('inner', 3, { Description: desc('inner', [f('a', 1), f('b', 2)]) }), f('z', 4)]));
      for (const dir of ['old→new', 'new→old'] as const) {
        assert.deepEqual(compare(flat, nested, dir).findings, []);
        assert.deepEqual(compare(nested, flat, dir).findings, []);
      }
    });

    it('unused placeholders stand for fields of the same total size', () => {
      const old = sec('dev', desc('dev', [f('a', 1), f('b', 2), f('c', 1), f('z', 4)]));
      assert.deepEqual(compare(old, sec('dev', desc('dev', [f('a', 1), f('unused', 3), f('z', 4)]))).findings, []);
      const r = compare(old, sec('dev', desc('dev', [f('a', 1), f('unused', 4), f('z', 4)])));
      assert.deepEqual(brief(r), ['VS020 error Section "dev", Description "dev", Field "unused"']);
      assert.equal(r.findings[0].message, '"b", "c" (3 bytes) on the old side stand where the new side has "unused" (4 bytes): the fields after them are misread (old→new)');
      // Placeholders against placeholders: by total size, not one by one.
      const unused = (...sizes: number[]) => sec('dev', desc('dev', [...sizes.map((n) => f('unused', n)), f('z', 4)]));
      assert.deepEqual(compare(unused(2, 2), unused(4)).findings, []);
      assert.deepEqual(brief(compare(unused(4), unused(2))), ['VS020 error Section "dev", Description "dev", Field "unused"']);
    });

    it('a field_exists test on one side only: a warning', () => {
      const r = compare(sec('dev', desc('dev', [f('a', 4)])), sec('dev', desc('dev', [f('a', 4, { field_exists: true })])));
      assert.deepEqual(brief(r), ['VS017 warning Section "dev", Description "dev", Field "a"']);
    });
  });

  describe('sections, descriptions, subsections', () => {
    it("the script's section renames (ICH9 LPC → ICH9-LPC) are no error", () => {
      assert.deepEqual(compare(sec('ICH9 LPC', desc('ICH9LPC', [f('a', 4)])), sec('ICH9-LPC', desc('ICH9LPC', [f('a', 4)]))).findings, []);
    });

    it('a section only DEST has is never sent; one only SRC has cannot be loaded', () => {
      const a = sec('dev', desc('dev', [f('a', 4)]));
      const ab = { ...a, ...sec('other', desc('other', [f('b', 4)])) };
      assert.deepEqual(compare(a, ab).findings, []);
      assert.deepEqual(brief(compare(ab, a)), ['VS001 error Section "other"']);
    });

    it('subsections: removed (old→new) is an error; added (new→old) a warning, `needed` being unknown', () => {
      const plain = sec('dev', desc('dev', [f('a', 1)]));
      const withSub = sec('dev', desc('dev', [f('a', 1)], { Subsections: [desc('dev/sub', [f('z', 1)])] }));
      assert.deepEqual(brief(compare(withSub, plain)), ['VS031 error Section "dev", Description "dev", Subsection "dev/sub"']);
      assert.deepEqual(brief(compare(plain, withSub, 'new→old')), ['VS030 warning Section "dev", Description "dev", Subsection "dev/sub"']);
      assert.deepEqual([compare(plain, withSub).findings, compare(withSub, plain, 'new→old').findings], [[], []]);
    });

    it("a nested description's subsections are compared", () => {
      const s = (subs: unknown[]) => sec('dev', desc('dev', [f('st', 4, { Description: desc('inner', [f('x', 4)], { Subsections: subs }) })]));
      const r = compare(s([desc('inner/a', [f('y', 1)]), desc('inner/b', [f('y', 1)])]), s([desc('inner/a', [f('y', 2)])]));
      assert.deepEqual(brief(r), ['VS013 error Section "dev", Subsection "inner/a", Field "y"', 'VS031 error Section "dev", Description "inner", Subsection "inner/b"']);
    });
  });

  describe('input', () => {
    it('not a dump: DumpInputError naming the side and the place', () => {
      const ok = sec('dev', desc('dev', [f('a', 4)]));
      const cases: Array<[unknown, RegExp]> = [
        [[1, 2], /^not a -dump-vmstate file: the file: a JSON object of device classes was expected$/],
        [{ page_size: 4096, devices: [] }, /^not a -dump-vmstate file: section "page_size": an object was expected$/],
        [{ dev: { Name: 'dev' } }, /section "dev": no "version_id"/],
        [{ dev: { version_id: 1, Description: { name: 'dev', version_id: 1, Fields: [{ field: 'a', version_id: 0 }] } } }, /section "dev"\.Description\.Fields\[0\]: no "size"/],
      ];
      for (const [bad, message] of cases) {
        for (const [src, dest, side] of [
          [bad, ok, 'src'],
          [ok, bad, 'dest'],
        ] as const) {
          assert.throws(
            () => compareDumps(src, dest, { direction: 'old→new' }),
            (e: unknown) => e instanceof DumpInputError && e.side === side && message.test(e.message),
          );
        }
      }
    });

    it('throws only DumpInputError, whatever the input', () => {
      const inputs: unknown[] = [null, 1, 'x', [], {}, { a: 1 }, { a: { version_id: 'x' } }, { a: { version_id: 1, Description: [] } }, { vmschkmachine: {} }, { a: { version_id: 1, Description: { name: 'a', version_id: 1, Fields: [1] } } }];
      for (const a of inputs) {
        for (const b of inputs) {
          try {
            compareDumps(a, b, { direction: 'old→new' });
          } catch (e) {
            assert.ok(e instanceof DumpInputError, `${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${String(e)}`);
          }
        }
      }
    });

    it('every finding names its direction and has a location', () => {
      const all: DumpFinding[] = [...compare(dump1, dump2).findings, ...compare(dump1, dump2, 'new→old').findings];
      for (const x of all) {
        assert.match(x.message, / \((old→new|new→old)\)$/);
        assert.ok(findingLocation(x).startsWith(`Section "${x.section}"`));
      }
    });
  });
});

describe('compat: dump comparison of very long field lists', () => {
  it('aligns 20,000 × 20,000 leaves greedily in linear memory, and still finds what changed', () => {
    // Far above the cells the exact alignment may use: the middle is aligned in order.
    const names = Array.from({ length: 20_000 }, (_, i) => `r${i}`);
    const old = sec('big', desc('big', [f('head', 4), ...names.map((n) => f(n, 4)), f('tail', 4)]));
    // r5000 removed, and the last two fields moved to the front (no common suffix but `tail`).
    const kept = [...names.slice(0, 5_000), ...names.slice(5_001)];
    const changed = [...kept.slice(-2).reverse(), ...kept.slice(0, -2)];
    const nu = sec('big', desc('big', [f('head', 2), ...changed.map((n) => f(n, 4)), f('tail', 4)]));
    const r = compare(old, nu);
    const rules = new Set(r.findings.map((x) => x.rule));
    assert.ok(rules.has('VS013'), brief(r).slice(0, 5).join('\n')); // head: 4 → 2 bytes
    assert.ok(r.findings.some((x) => x.rule === 'VS010' && findingLocation(x).includes('"r5000"')), 'the removed field');
  });
});
