import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DumpShapeError, staticCheck } from '../../server/src/compat/static-checker';
import { fixtures } from '../util/paths';
import { runCli } from '../util/cli';

/**
 * `vmsd check-dumps --format static-checker` against QEMU's scripts/vmstate-static-checker.py
 * (7.2). Every expected text below is what the script itself printed on the same input.
 */

const dump1 = path.join(fixtures, 'qemu-testdata', 'dump1.json');
const dump2 = path.join(fixtures, 'qemu-testdata', 'dump2.json');

const run = runCli;

function tmpfiles(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-dumps-'));
  for (const [name, value] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  }
  return dir;
}

/** Compare two dumps through the CLI, as the script does (`text`, our own comparison, is the default). */
async function checkDumps(src: unknown, dest: unknown, ...extra: string[]): Promise<{ code: number; out: string; err: string }> {
  const dir = tmpfiles({ 'src.json': src, 'dest.json': dest });
  return run(['check-dumps', path.join(dir, 'src.json'), path.join(dir, 'dest.json'), '--format', 'static-checker', ...extra]);
}

// Small dumps: a field, a description, a section.
const f = (field: string, size: number, extra: Record<string, unknown> = {}) => ({ field, version_id: 0, field_exists: false, size, ...extra });
const desc = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({ name, version_id: 1, minimum_version_id: 1, Fields: fields, ...extra });
const sec = (name: string, d: unknown, extra: Record<string, unknown> = {}) => ({ [name]: { Name: name, version_id: 1, minimum_version_id: 1, Description: d, ...extra } });

describe('compat: vmsd check-dumps --format static-checker (QEMU vmstate-static-checker.py)', () => {
  it('dump1 → dump2 (QEMU\'s own test data): the script\'s 14 lines, exit 13', async () => {
    const r = await run(['check-dumps', dump1, dump2, '--format', 'static-checker']);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        'Warning: checking incompatible machine types: "pc-i440fx-2.1", "pc-i440fx-2.2"',
        'Section "fw_cfg" does not exist in dest',
        'Section "fusbh200-ehci-usb" version error: 2 > 1',
        'Section "fusbh200-ehci-usb", Description "ehci-core": expected field "usbsts", got "usbsts_pending"; skipping rest',
        'Section "pci-serial-4x" Description "pci-serial-multi": Entry "Fields" missing',
        'Section "intel-hda-generic", Description "intel-hda", Field "pci": missing description',
        'Section "cfi.pflash01": Entry "Description" missing',
        'Section "megasas", Description "PCIDevice": expected field "irq_state", while dest has no further fields',
        'Section "PIIX3-xen" Description "PIIX3": minimum version error: 1 < 2',
        'Section "PIIX3-xen" Description "PIIX3": Entry "Subsections" missing',
        'Section "tpci200": Description "tpci200" missing, got "tpci2002" instead; skipping',
        'Section "sun-fdtwo" Description "fdc": version error: 2 > 1',
        'Section "sun-fdtwo", Description "fdrive": Subsection "fdrive/media_rate" not found',
        'Section "usb-kbd" Description "usb-kbd" Field "kbd.keycodes" size mismatch: 4 , 2',
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 13);
  });

  it('dump1 → dump2 --reverse: the script\'s 7 lines, exit 6', async () => {
    const r = await run(['check-dumps', dump1, dump2, '--reverse', '--format', 'static-checker']);
    assert.equal(
      r.out,
      [
        'Warning: checking incompatible machine types: "pc-i440fx-2.2", "pc-i440fx-2.1"',
        'Section "fw_cfg2" does not exist in dest',
        'Section "fusbh200-ehci-usb", Description "ehci-core": expected field "usbsts_pending", got "usbsts"; skipping rest',
        'Section "PIIX3-xen" Description "PIIX3": version error: 3 > 1',
        'Section "tpci200": Description "tpci2002" missing, got "tpci200" instead; skipping',
        'Section "sun-fdtwo" Description "fdc": minimum version error: 1 < 2',
        'Section "usb-kbd" Description "usb-kbd" Field "kbd.keycodes" size mismatch: 2 , 4',
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 6);
  });

  it('the core gives the same lines and count as the CLI', () => {
    const r = staticCheck(JSON.parse(fs.readFileSync(dump1, 'utf8')), JSON.parse(fs.readFileSync(dump2, 'utf8')));
    assert.equal(r.lines.length, 14);
    assert.equal(r.errors, 13);
    assert.equal(r.text, r.lines.join('\n') + '\n');
  });

  it('our -dump-vmstate files, pc-i440fx-7.2 ↔ 2.3, differ only by machine type (exit 0)', async () => {
    const read = (m: string) => JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(fixtures, 'qemu', `dump-pc-i440fx-${m}.json.gz`))).toString('utf8')) as unknown;
    const r = staticCheck(read('7.2'), read('2.3'));
    assert.deepEqual(r.lines, ['Warning: checking incompatible machine types: "pc-i440fx-7.2", "pc-i440fx-2.3"']);
    assert.equal(r.errors, 0);
    // The CLI reads the compressed files directly.
    const cli = await run(['check-dumps', path.join(fixtures, 'qemu', 'dump-pc-i440fx-7.2.json.gz'), path.join(fixtures, 'qemu', 'dump-pc-i440fx-2.3.json.gz'), '--reverse', '--format', 'static-checker']);
    assert.equal(cli.out, 'Warning: checking incompatible machine types: "pc-i440fx-2.3", "pc-i440fx-7.2"\n');
    assert.equal(cli.code, 0);
  });

  describe('what the test data does not cover (expected text from the script on the same dumps)', () => {
    it('an unused block in DEST absorbs SRC fields of the same total size', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('a', 1), f('b', 2), f('c', 1), f('z', 4)])), sec('dev', desc('dev', [f('a', 1), f('unused', 3), f('z', 4)])));
      assert.deepEqual([r.out, r.code], ['', 0]);
    });

    it('an unused block in SRC absorbs DEST fields of the same total size', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('unused', 6), f('z', 4)])), sec('dev', desc('dev', [f('b', 2), f('c', 4), f('z', 4)])));
      assert.deepEqual([r.out, r.code], ['', 0]);
    });

    it('unused size mismatch, with the stray space after the quote (SRC unused)', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('unused', 5), f('z', 4)])), sec('dev', desc('dev', [f('b', 2), f('c', 4), f('z', 4)])));
      assert.deepEqual([r.out, r.code], ['Section "dev", Description "dev": unused size mismatch near " c"\n', 1]);
    });

    it('unused size mismatch (DEST unused)', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('a', 1), f('b', 1), f('c', 4)], { minimum_version_id: 0 })), sec('dev', desc('dev', [f('a', 1), f('unused', 3)], { minimum_version_id: 0 })));
      assert.deepEqual([r.out, r.code], ['Section "dev", Description "dev": unused size mismatch near " c"\n', 1]);
    });

    it('quirk: a DEST unused block smaller than the SRC field is accepted silently', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('a', 1), f('b', 4), f('z', 4)])), sec('dev', desc('dev', [f('a', 1), f('unused', 3), f('z', 4)])));
      assert.deepEqual([r.out, r.code], ['', 0]);
    });

    it('fields moved into a new DEST substruct are followed into it', async () => {
      const r = await checkDumps(
        sec('dev', desc('dev', [f('a', 1), f('b', 2), f('z', 4)])),
        sec('dev', desc('dev', [f('inner', 3, { Description: desc('inner', [f('a', 1), f('b', 2)]) }), f('z', 4)])),
      );
      assert.deepEqual([r.out, r.code], ['', 0]);
    });

    it('fields moved out of a SRC substruct are followed, and still compared', async () => {
      const r = await checkDumps(
        sec('dev', desc('dev', [f('inner', 3, { Description: desc('inner', [f('a', 1), f('b', 2)]) }), f('z', 4)])),
        sec('dev', desc('dev', [f('a', 1), f('b', 4), f('z', 4)])),
      );
      assert.deepEqual([r.out, r.code], ['Section "dev" Description "dev" Field "b" size mismatch: 2 , 4\n', 1]);
    });

    it('whitelisted renames: sections (e1000-82540em, ICH9 LPC) and fields (e1000: dev → parent_obj)', async () => {
      const r = await checkDumps(
        { ...sec('e1000-82540em', desc('e1000', [f('dev', 0, { Description: desc('PCIDevice', [f('config', 256)]) }), f('x', 4)])), ...sec('ICH9 LPC', desc('ICH9LPC', [f('a', 4)])) },
        { ...sec('e1000', desc('e1000', [f('parent_obj', 0, { Description: desc('PCIDevice', [f('config', 256)]) }), f('x', 4)])), ...sec('ICH9-LPC', desc('ICH9LPC', [f('a', 4)])) },
      );
      assert.deepEqual([r.out, r.code], ['', 0]);
      // Not whitelisted for another description.
      const other = await checkDumps(sec('dev', desc('dev', [f('dev', 4)])), sec('dev', desc('dev', [f('parent_obj', 4)])));
      assert.deepEqual([other.out, other.code], ['Section "dev", Description "dev": expected field "dev", got "parent_obj"; skipping rest\n', 1]);
    });

    it('quirk: a section-level minimum version error prints `Section "X" ` and the next message is glued on', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('a', 1)]), { version_id: 1 }), sec('dev', desc('dev', [f('a', 2)], { version_id: 3 }), { version_id: 3, minimum_version_id: 2 }));
      assert.deepEqual([r.out, r.code], ['Section "dev" Section "dev" Description "dev" Field "a" size mismatch: 1 , 2\n', 1]);
    });

    it('quirk: … and when nothing follows, the output ends without a newline and nothing is counted', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('a', 1)]), { version_id: 1 }), sec('dev', desc('dev', [f('a', 1)]), { version_id: 3, minimum_version_id: 2 }));
      assert.deepEqual([r.out, r.code], ['Section "dev" ', 0]);
    });

    it('a field version error names the description', async () => {
      const r = await checkDumps(sec('dev', desc('dev', [f('a', 1, { version_id: 3 })])), sec('dev', desc('dev', [f('a', 1, { version_id: 2 })])));
      assert.deepEqual([r.out, r.code], ['Section "dev" Description "dev": version error: 3 > 2\n', 1]);
    });

    it('the exit status is the error count capped at 255', async () => {
      const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`s${i}`, { Name: 'x', version_id: 0 }]));
      const r = await checkDumps(many, {});
      assert.equal(r.out.split('\n').length - 1, 300);
      assert.equal(r.code, 255);
    });

    it('a vmdesc given as SRC is compared as the script does (2 missing "sections")', async () => {
      const r = await checkDumps({ page_size: 4096, devices: [] }, {});
      assert.deepEqual([r.out, r.code], ['Section "page_size" does not exist in dest\nSection "devices" does not exist in dest\n', 2]);
    });
  });

  describe('input errors exit 2', () => {
    it('a missing file, invalid JSON', async () => {
      const dir = tmpfiles({ 'bad.json': '{"a": ', 'ok.json': '{}' });
      const missing = await run(['check-dumps', path.join(dir, 'nope.json'), path.join(dir, 'ok.json'), '--format', 'static-checker']);
      assert.deepEqual([missing.code, missing.out, missing.err], [2, '', `vmsd: ${path.join(dir, 'nope.json')}: no such file\n`]);
      const bad = await run(['check-dumps', path.join(dir, 'ok.json'), path.join(dir, 'bad.json'), '--format', 'static-checker']);
      assert.equal(bad.code, 2);
      assert.match(bad.err, new RegExp(`^vmsd: ${path.join(dir, 'bad.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON: `));
    });

    it('an unknown format is a usage error', async () => {
      assert.equal((await run(['check-dumps', dump1, dump2, '--format', 'xml'])).code, 2);
    });

    it('JSON that is not a dump: what was reported so far, then which file and where', async () => {
      const src = { ...sec('dev', desc('dev', [f('a', 1)])), bad: { Name: 'bad' } };
      const dest = { ...sec('dev', desc('dev', [f('a', 2)])), bad: { Name: 'bad', version_id: 1 } };
      const r = await checkDumps(src, dest);
      assert.equal(r.code, 2);
      assert.equal(r.out, 'Section "dev" Description "dev" Field "a" size mismatch: 1 , 2\n');
      assert.match(r.err, /\/src\.json: not a -dump-vmstate file: section "bad": no "version_id"\n$/);
      const reversed = await checkDumps(src, dest, '--reverse');
      assert.match(reversed.err, /\/src\.json: not a -dump-vmstate file: section "bad": no "version_id"\n$/);
    });

    it('the core throws only DumpShapeError, whatever the input', () => {
      const inputs: unknown[] = [null, 1, 'x', [], {}, { a: 1 }, { a: { version_id: 'x' } }, { a: { version_id: 1, Description: [] } }, { vmschkmachine: {} }];
      for (const a of inputs) {
        for (const b of inputs) {
          try {
            staticCheck(a, b);
          } catch (e) {
            assert.ok(e instanceof DumpShapeError, `${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${String(e)}`);
          }
        }
      }
      assert.throws(() => staticCheck([], {}), /not a -dump-vmstate file: the top level: expected an object, found a list/);
    });
  });
});
