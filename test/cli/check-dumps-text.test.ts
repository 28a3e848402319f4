import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fixtures } from '../util/paths';
import { runCli } from '../util/cli';

/**
 * `vmsd check-dumps --format text|json`: our own comparison of two -dump-vmstate files
 * (compat/dump-compare.ts; its findings are tested in test/compat/dump-compare.test.ts).
 * `--format static-checker` is tested in test/compat/static-checker.test.ts.
 */

const dump1 = path.join(fixtures, 'qemu-testdata', 'dump1.json');
const dump2 = path.join(fixtures, 'qemu-testdata', 'dump2.json');
const dump72 = path.join(fixtures, 'qemu', 'dump-pc-i440fx-7.2.json.gz');
const dump23 = path.join(fixtures, 'qemu', 'dump-pc-i440fx-2.3.json.gz');

const MACHINES_21_22 =
  'note: the dumps were made with machine types "pc-i440fx-2.1" (old) and "pc-i440fx-2.2" (new); -dump-vmstate lists device classes, which do not depend on the machine type, so this compares the classes (a migration itself needs the same machine type on both sides)';

function tmpdir(files: Record<string, string | Buffer | object>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-check-dumps-'));
  for (const [name, value] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }
  return dir;
}

const f = (field: string, size: number, extra: Record<string, unknown> = {}) => ({ field, version_id: 0, field_exists: false, size, ...extra });
const dev = (fields: unknown[]) => ({ dev: { Name: 'dev', version_id: 1, minimum_version_id: 1, Description: { name: 'dev', version_id: 1, minimum_version_id: 1, Fields: fields } } });

describe('cli: vmsd check-dumps --format text|json', () => {
  it('text is the default: one line per finding, the summary, exit 1 on errors (dump1 → dump2)', async () => {
    const r = await runCli(['check-dumps', dump1, dump2]);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        MACHINES_21_22,
        'Section "fw_cfg": error VS001 the new side has no device class "fw_cfg": the new destination cannot create the device or load the section the old source sends ("fw_cfg2" there has the same description "fw_cfg": renamed?) (old→new)',
        'Section "fusbh200-ehci-usb": error VS006 the old source sends section version 2; the new destination accepts versions 1 to 1: too new, the load fails (old→new)',
        'Section "fusbh200-ehci-usb", Description "ehci-core", Field "usbsts": error VS010 the old source sends field "usbsts" (4 bytes); the new destination does not read it: the rest of the section is misread (old→new)',
        'Section "pci-serial-4x", Description "pci-serial-multi", Field "dev": error VS010 the old source sends field "dev" (struct "PCIDevice", 3 fields); the new destination does not read it: the rest of the section is misread (old→new)',
        'Section "pci-serial-4x", Description "pci-serial-multi", Field "state": error VS010 the old source sends field "state" (struct "serial", 10 fields); the new destination does not read it: the rest of the section is misread (old→new)',
        'Section "pci-serial-4x", Description "pci-serial-multi", Field "level": error VS010 the old source sends field "level" (4 bytes); the new destination does not read it: the rest of the section is misread (old→new)',
        'Section "intel-hda-generic", Description "intel-hda", Field "pci": error VS013 field "pci" is a struct ("PCIDevice") on the old side and a plain field of 1944 bytes on the new: the two encodings differ (old→new)',
        'Section "cfi.pflash01": error VS001 the new side\'s "cfi.pflash01" has no description: the new destination cannot load the section the old source sends (old→new)',
        'Section "megasas", Description "PCIDevice", Field "irq_state": error VS010 the old source sends field "irq_state" (16 bytes); the new destination does not read it: the rest of the section is misread (old→new)',
        'Section "PIIX3-xen", Description "PIIX3": error VS005 the old source sends description version 1; the new destination accepts versions 2 to 3: too old, the load fails (old→new)',
        'Section "PIIX3-xen", Description "PIIX3", Subsection "PIIX3/rcr": error VS031 the new destination has no subsection "PIIX3/rcr": the load fails whenever the old source sends it (old→new)',
        'Section "tpci200", Description "tpci2002": error VS002 the description is "tpci200" on the old side and "tpci2002" on the new: it is the section\'s name on the wire, so the new destination finds no section "tpci200" to load (old→new)',
        'Section "sun-fdtwo", Description "fdc": error VS006 the old source sends description version 2; the new destination accepts no version at all (its minimum 2 is above its version 1): too new, the load fails (old→new)',
        'Section "sun-fdtwo", Description "fdrive", Subsection "fdrive/media_rate": error VS031 the new destination has no subsection "fdrive/media_rate": the load fails whenever the old source sends it (old→new)',
        'Section "usb-kbd", Description "HIDKeyboardDevice", Field "kbd.keycodes": error VS013 field "kbd.keycodes" is 4 bytes on the old side and 2 bytes on the new: the fields after it are misread (old→new)',
        '15 errors, 0 warnings',
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 1);
    assert.deepEqual(await runCli(['check-dumps', dump1, dump2, '--format', 'text']), r);
  });

  it('--reverse: new→old, DEST the first file', async () => {
    const r = await runCli(['check-dumps', dump1, dump2, '--reverse']);
    const lines = r.out.split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      MACHINES_21_22,
      'note: section "cfi.pflash01": SRC has no description, so nothing it sends can be compared',
      'Section "fw_cfg2": error VS001 the old side has no device class "fw_cfg2": the old destination cannot create the device or load the section the new source sends ("fw_cfg" there has the same description "fw_cfg": renamed?) (new→old)',
    ]);
    assert.deepEqual(lines.slice(-2), ['11 errors, 0 warnings', '']);
    assert.equal(lines.filter((l) => l.startsWith('Section ')).length, 11);
    for (const l of lines.filter((x) => x.startsWith('Section '))) assert.match(l, /: error VS0\d\d .* \(new→old\)$/);
    assert.equal(r.code, 1);
  });

  it('no finding: exit 0 (one binary, two machine types; the .gz files read directly)', async () => {
    for (const args of [
      [dump72, dump23],
      [dump72, dump23, '--reverse'],
    ]) {
      const r = await runCli(['check-dumps', ...args]);
      assert.equal(r.code, 0);
      assert.match(r.out, /^note: the dumps were made with machine types "pc-i440fx-(7\.2|2\.3)" \(old\) and "pc-i440fx-(7\.2|2\.3)" \(new\);.*\n0 errors, 0 warnings\n$/);
    }
    const same = await runCli(['check-dumps', dump72, dump72]);
    assert.deepEqual([same.out, same.code], ['0 errors, 0 warnings\n', 0]);
  });

  it('warnings only: exit 0', async () => {
    const dir = tmpdir({ 'a.json': dev([f('a', 4)]), 'b.json': dev([f('a', 4), f('b', 2, { field_exists: true })]) });
    const r = await runCli(['check-dumps', path.join(dir, 'a.json'), path.join(dir, 'b.json')]);
    assert.equal(
      r.out,
      'Section "dev", Description "dev", Field "b": warning VS011 the new destination reads field "b" (2 bytes) when its field_exists test passes (the dump does not show it); the old source does not send it: the rest of the section is misread (old→new)\n0 errors, 1 warning\n',
    );
    assert.equal(r.code, 0);
  });

  it('--format json: the same findings with their paths, exit 1 on errors', async () => {
    const r = await runCli(['check-dumps', dump1, dump2, '--format', 'json']);
    assert.equal(r.code, 1);
    assert.equal(r.err, '');
    const j = JSON.parse(r.out) as {
      old: string;
      new: string;
      src: string;
      dest: string;
      direction: string;
      findings: Array<{ rule: string; severity: string; section: string; path: Array<{ kind: string; name: string }>; message: string; location: string }>;
      notes: string[];
      errors: number;
      warnings: number;
    };
    assert.deepEqual([j.old, j.new, j.src, j.dest, j.direction, j.errors, j.warnings], [dump1, dump2, dump1, dump2, 'old→new', 15, 0]);
    assert.equal(j.findings.length, 15);
    assert.deepEqual(j.findings[2], {
      rule: 'VS010',
      severity: 'error',
      section: 'fusbh200-ehci-usb',
      path: [
        { kind: 'Description', name: 'ehci-sysbus' },
        { kind: 'Field', name: 'ehci' },
        { kind: 'Description', name: 'ehci-core' },
        { kind: 'Field', name: 'usbsts' },
      ],
      message: 'the old source sends field "usbsts" (4 bytes); the new destination does not read it: the rest of the section is misread (old→new)',
      location: 'Section "fusbh200-ehci-usb", Description "ehci-core", Field "usbsts"',
    });
    assert.equal(j.notes.length, 1);

    const rev = JSON.parse((await runCli(['check-dumps', dump1, dump2, '--format', 'json', '--reverse'])).out) as { src: string; dest: string; direction: string; errors: number };
    assert.deepEqual([rev.src, rev.dest, rev.direction, rev.errors], [dump2, dump1, 'new→old', 11]);

    const clean = await runCli(['check-dumps', dump72, dump23, '--format', 'json']);
    assert.equal(clean.code, 0);
    assert.deepEqual((JSON.parse(clean.out) as { findings: unknown[] }).findings, []);
  });

  describe('input errors exit 2, the file named', () => {
    const dir = tmpdir({
      'ok.json': dev([f('a', 4)]),
      'bad.json': '{"dev": ',
      'list.json': '[1, 2]',
      'vmdesc.json': { page_size: 4096, devices: [] },
      'nofield.json': { dev: { version_id: 1, Description: { name: 'dev', version_id: 1, Fields: [{ field: 'a', version_id: 0 }] } } },
      'broken.json.gz': Buffer.from([0x1f, 0x8b, 1, 2, 3]),
      'ok.json.gz': zlib.gzipSync(JSON.stringify(dev([f('a', 4)]))),
      'bom.json': '\uFEFF' + JSON.stringify(dev([f('a', 4)])),
    });
    const at = (name: string) => path.join(dir, name);

    for (const format of ['text', 'json']) {
      it(`--format ${format}`, async () => {
        const cases: Array<[string[], string | RegExp]> = [
          [[at('nope.json'), at('ok.json')], `vmsd: ${at('nope.json')}: no such file\n`],
          [[at('ok.json'), dir], `vmsd: ${dir}: is a folder, not a file\n`],
          [[at('ok.json'), at('bad.json')], /^vmsd: .*\/bad\.json: invalid JSON: /],
          [[at('broken.json.gz'), at('ok.json')], /^vmsd: .*\/broken\.json\.gz: not valid gzip: /],
          [[at('list.json'), at('ok.json')], `vmsd: ${at('list.json')}: not a -dump-vmstate file: the file: a JSON object of device classes was expected\n`],
          [[at('ok.json'), at('vmdesc.json')], `vmsd: ${at('vmdesc.json')}: not a -dump-vmstate file: section "page_size": an object was expected\n`],
          // With --reverse the first file is DEST: still the file is named, not the role.
          [[at('nofield.json'), at('ok.json'), '--reverse'], `vmsd: ${at('nofield.json')}: not a -dump-vmstate file: section "dev".Description.Fields[0]: no "size"\n`],
        ];
        for (const [args, err] of cases) {
          const r = await runCli(['check-dumps', ...args, '--format', format]);
          assert.equal(r.code, 2, args.join(' '));
          assert.equal(r.out, '');
          if (typeof err === 'string') assert.equal(r.err, err);
          else assert.match(r.err, err);
        }
      });
    }

    it('gzip and a byte-order mark are fine', async () => {
      const r = await runCli(['check-dumps', at('ok.json.gz'), at('bom.json')]);
      assert.deepEqual([r.out, r.err, r.code], ['0 errors, 0 warnings\n', '', 0]);
    });

    it('an unknown format is a usage error', async () => {
      const r = await runCli(['check-dumps', dump1, dump2, '--format', 'sarif']);
      assert.equal(r.code, 2);
      assert.match(r.err, /argument 'sarif' is invalid. Allowed choices are text, json, static-checker/);
    });
  });
});
