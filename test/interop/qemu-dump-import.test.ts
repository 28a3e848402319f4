import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DumpFormatError, validDump } from '../../server/src/interop/qemu-dump';
import { importQemuDump, DumpImportResult } from '../../server/src/interop/qemu-dump-import';
import { fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';
import { runCli } from '../util/cli';

/**
 * `vmsd import qemu-dump`: the descriptions it writes from a `-dump-vmstate` file cover
 * every class of the dump and load with no errors, saying honestly what the dump lacks
 * (types, counts, test names).
 */
const dumpFile = path.join(fixtures, 'qemu', 'dump-pc-i440fx-7.2.json.gz');
const dumpJson = () => JSON.parse(zlib.gunzipSync(fs.readFileSync(dumpFile)).toString('utf8')) as Record<string, unknown>;

describe('interop: vmsd import qemu-dump', () => {
  let result: DumpImportResult;
  let texts: string;
  before(() => {
    result = importQemuDump(validDump(dumpJson()), 'dump-pc-i440fx-7.2.json.gz');
    texts = result.files.map((f) => f.text).join('\n');
  });
  const file = (name: string) => {
    const f = result.files.find((x) => x.name === name);
    assert.ok(f, `${name} is written`);
    return f.text;
  };

  it('pc-7.2: every class but vmschkmachine has a device, and the analysis has no errors', () => {
    const classes = Object.keys(dumpJson()).filter((k) => k !== 'vmschkmachine');
    assert.equal(classes.length, 213);
    assert.equal(result.devices, 213);
    const analysis = workspaceOf(result.files.map((f) => ({ uri: `file:///imported/${f.name}`, text: f.text }))).analysis();
    const devices = new Map(analysis.devices.map((d) => [d.name, d]));
    assert.deepEqual(classes.filter((c) => !devices.get(c)?.state), [], 'every class has a device with a state');
    const errors = [...analysis.diagnostics.values()].flat().filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
    assert.deepEqual(errors, []);
    assert.ok(result.descriptions >= 146 && result.descriptions === (texts.match(/^vmstate /gm) ?? []).length);
    assert.match(texts, /^device "imx\.usbphy" \{/m, 'class names that are not identifiers are quoted');
    assert.match(file('common.vmsd'), /^vmstate PCIDevice \{/m, 'shared embedded descriptions go to common.vmsd');
  });

  it('hpet: num_timers since 2, timer typed by hpet_timer, opaque subsection conditions', () => {
    const hpet = file('hpet.vmsd');
    assert.ok(hpet.startsWith('// Imported by `vmsd import qemu-dump`'));
    assert.match(hpet, /\/\/\/ C size 1; the dump gives no type, count or wire size\.\n {4}num_timers: opaque "unknown" since 2\n/);
    assert.match(hpet, /\/\/\/ C size 64; one element assumed[^\n]*\n {4}timer: hpet_timer\n/);
    assert.match(hpet, /subsection rtc_irq_level needed opaque "needed\(\): a test in the C code" \{/);
    assert.match(hpet, /subsection offset needed opaque "needed\(\): a test in the C code" \{/);
    assert.match(hpet, /^vmstate hpet_timer \{\n {4}version 1\n {4}minimum_version 1\n/m);
    assert.match(hpet, /^device hpet \{\n {4}state hpet\n\}/m);
  });

  it('classes sharing a description with their parent reuse it; tests, unused and odd names are kept', () => {
    const pit = file('i8254.vmsd');
    assert.equal((texts.match(/^vmstate i8254 \{/gm) ?? []).length, 1);
    for (const c of ['pit-common', 'isa-pit', 'kvm-pit']) assert.match(pit, new RegExp(`^device ${c} \\{\\n {4}state i8254\\n\\}`, 'm'));
    assert.equal((texts.match(/^vmstate fw_cfg \{/gm) ?? []).length, 1);
    // PCIDevice lists `config` twice, each with a test.
    const common = file('common.vmsd');
    assert.match(common, /config: opaque "unknown" if opaque "field_exists: a test in the C code"\n/);
    assert.match(common, /"config#2": opaque "unknown" if opaque "field_exists: a test in the C code"\n/);
    assert.match(file('ioapic.vmsd'), /unused 8 since 2\n/);
    assert.match(texts, /subsection vga_endian needed opaque "needed\(\): a test in the C code" \{\n {8}name "vga\.endian"/);
  });

  it('a dump-shaped JSON that is not one says where', () => {
    assert.throws(() => validDump([]), DumpFormatError);
    assert.throws(() => validDump({ vmschkmachine: { Name: 'x' } }), /lists no device classes/);
    assert.throws(() => validDump({ hpet: { Name: 'hpet', version_id: 2, minimum_version_id: 1 } }), /"hpet"\.Description: a description object was expected/);
  });

  describe('the command', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-import-dump-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const run = runCli;

    it('writes the files, checks them, and never overwrites without --force', async () => {
      const out = path.join(dir, 'out');
      const first = await run(['import', 'qemu-dump', dumpFile, '-o', out]);
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /^wrote \d+ files to .*: \d+ descriptions, 213 devices; vmsd check: 0 errors, \d+ warnings?\n$/);
      fs.appendFileSync(path.join(out, 'hpet.vmsd'), '// my edit\n');
      const again = await run(['import', 'qemu-dump', dumpFile, '-o', out]);
      assert.equal(again.code, 2);
      assert.match(again.err, /already exist.*--force/);
      assert.match(fs.readFileSync(path.join(out, 'hpet.vmsd'), 'utf8'), /my edit/);
      assert.equal((await run(['import', 'qemu-dump', dumpFile, '-o', out, '--force'])).code, 0);
      assert.doesNotMatch(fs.readFileSync(path.join(out, 'hpet.vmsd'), 'utf8'), /my edit/);
      const checked = await run(['check', out]);
      assert.equal(checked.code, 0, checked.out + checked.err);
      assert.match(checked.out, / 0 errors/);
    });

    it('reads an uncompressed dump too', async () => {
      const plain = path.join(dir, 'dump.json');
      fs.writeFileSync(plain, zlib.gunzipSync(fs.readFileSync(dumpFile)));
      const r = await run(['import', 'qemu-dump', plain, '-o', path.join(dir, 'out')]);
      assert.equal(r.code, 0, r.err);
    });

    it('a file that is not a dump exits 2 with a clear message and writes nothing', async () => {
      const notDump = path.join(dir, 'not-dump.json');
      fs.writeFileSync(notDump, JSON.stringify({ name: 'vmsd', version: '0.1.0' }));
      const out = path.join(dir, 'out');
      const r = await run(['import', 'qemu-dump', notDump, '-o', out]);
      assert.equal(r.code, 2);
      assert.match(r.err, /not-dump\.json: not a -dump-vmstate file: "name": an object was expected/);
      const stream = await run(['import', 'qemu-dump', path.join(fixtures, 'qemu', 'pc-7.2.mig'), '-o', out]);
      assert.equal(stream.code, 2);
      assert.match(stream.err, /pc-7\.2\.mig: invalid JSON/);
      assert.equal(fs.existsSync(out), false);
    });
  });
});
