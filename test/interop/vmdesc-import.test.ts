import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeStream, encodeStream, sectionDescriptions, StreamOptions } from '../../server/src/codec/stream';
import { importVmdesc, ImportResult } from '../../server/src/interop/vmdesc-import';
import { fixtures, updateGolden } from '../util/paths';
import { workspaceOf } from '../util/workspace';
import { runCli } from '../util/cli';

/**
 * `vmsd import vmdesc`: the descriptions it writes must decode their stream completely
 * (every device section by a description, sizes checked against the vmdesc) and give
 * the same bytes back — and those of pc-i440fx-2.3 must decode the pc-i440fx-2.2 stream
 * of the same configuration, which has no vmdesc to fall back on.
 */
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', f)));
const none = workspaceOf([]).analysis();
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function imported(file: string): { result: ImportResult; opts: StreamOptions } {
  const s = decodeStream(read(file), { analysis: none, descriptions: new Map() });
  const result = importVmdesc(s.vmdesc!, file);
  const analysis = workspaceOf(result.files.map((f) => ({ uri: `file:///imported/${f.name}`, text: f.text }))).analysis();
  const problems = [...analysis.diagnostics.values()].flat().map((d) => `${d.code} ${d.message}`);
  assert.deepEqual(problems, [], `${file}: the imported descriptions have diagnostics`);
  return { result, opts: { analysis, descriptions: sectionDescriptions(analysis) } };
}

function deviceSections(s: ReturnType<typeof decodeStream>) {
  return s.sections.filter((x) => x.idstr !== 'ram' && (x.type === 'full' || x.type === 'start'));
}

describe('interop: vmsd import vmdesc', () => {
  for (const file of ['pc-7.2.mig', 'pc-7.2-devices.mig', 'q35-7.2.mig', 'pc-7.2-caps.mig', 'pc-2.3.mig']) {
    it(`${file}: the imported descriptions decode every device section and encode the stream back`, () => {
      const bytes = read(file);
      const { opts } = imported(file);
      const s = decodeStream(bytes, opts);
      const devices = deviceSections(s);
      assert.ok(devices.length > 20);
      assert.deepEqual(devices.filter((x) => !x.value || x.byVmdesc).map((x) => x.idstr), []);
      assert.ok(same(encodeStream(s, opts), bytes));
    });
  }

  it('pc-2.3.mig → descriptions that decode pc-2.2.mig (no vmdesc, no footers) to its exact end', () => {
    const { opts } = imported('pc-2.3.mig');
    const bytes = read('pc-2.2.mig');
    const s = decodeStream(bytes, opts);
    assert.equal(s.vmdesc, undefined);
    assert.equal(s.eof, bytes.length - 1, 'EOF is the last byte: every section was read to its end');
    assert.equal(s.trailer.length, 0);
    const names = deviceSections(s).map((x) => x.idstr);
    for (const want of ['cpu', 'apic', 'fw_cfg', '0000:00:01.3/piix4_pm', 'hpet', 'globalstate']) assert.ok(names.includes(want), want);
    assert.ok(same(encodeStream(s, opts), bytes));
  });

  it('merges what QEMU lists twice: struct arrays element by element, shared embedded descriptions in common.vmsd', () => {
    const { result } = imported('pc-7.2.mig');
    const golden = path.join(fixtures, 'import', 'pc-7.2');
    for (const name of ['fdc.vmsd', 'common.vmsd', 'hpet.vmsd']) {
      const got = result.files.find((f) => f.name === name)!.text;
      const file = path.join(golden, name);
      if (updateGolden) {
        fs.mkdirSync(golden, { recursive: true });
        fs.writeFileSync(file, got);
      }
      assert.equal(got, fs.readFileSync(file, 'utf8'), `${name} (UPDATE_GOLDEN=1 to refresh)`);
    }
    const fdc = result.files.find((f) => f.name === 'fdc.vmsd')!.text;
    assert.match(fdc, /drives: fdrive\[2\]/);
    assert.match(fdc, /subsection media_rate needed opaque/);
    assert.ok(result.files.find((f) => f.name === 'piix4_pm.vmsd')!.text.startsWith('// Imported'));
    assert.match(result.files.find((f) => f.name === 'piix4_pm.vmsd')!.text, /include "common.vmsd"/);
  });

  it('names that are not identifiers get a wire name; keywords and odd field names are quoted', () => {
    const dev = {
      name: '0000:00:05.0/weird dev',
      instance_id: 0,
      vmsd_name: 'weird dev',
      version: 4,
      fields: [
        { name: 'version', type: 'uint32', size: 4 },
        { name: 'a.b[3]', type: 'int64', size: 8 },
        { name: 'x', type: 'int64', size: 8 },
        { name: 'x', type: 'uint8', size: 1 },
        { name: 'q', type: 'qtailq', size: 9 },
        { name: 'u', type: 'unused_buffer', size: 3 },
        { name: 'regs', type: 'uint16', size: 2, array_len: 4 },
        { name: 'tmp', type: 'tmp', size: 2, vmsd_name: 'weird_tmp', version: 0, fields: [{ name: 'lo', type: 'uint16', size: 2 }] },
      ],
      subsections: [{ vmsd_name: 'other-name', version: 1, fields: [{ name: 'b', type: 'bool', size: 1 }] }],
    };
    const r = importVmdesc([dev], 'made-up.mig');
    const text = r.files.map((f) => f.text).join('\n');
    assert.match(text, /vmstate weird_dev \{\n {4}name "weird dev"/);
    assert.match(text, /"version": u32/);
    assert.match(text, /"a\.b\[3\]": i64/);
    assert.match(text, /"x#2": u8/);
    assert.match(text, /q: opaque "qtailq" \[9\]/);
    assert.match(text, /unused 3/);
    assert.match(text, /regs: u16\[4\]/);
    assert.match(text, /tmp: tmp<weird_tmp>/);
    assert.match(text, /subsection other-name needed opaque "sent in made-up\.mig" \{\n {8}name "other-name"/);
    assert.ok(r.notes.some((n) => /qtailq/.test(n)), 'a variable-size field is reported');
    const analysis = workspaceOf(r.files.map((f) => ({ uri: `file:///i/${f.name}`, text: f.text }))).analysis();
    // `other-name` cannot be loaded by QEMU as a subsection of `weird dev` (no prefix): reported, as it should be.
    const codes = [...analysis.diagnostics.values()].flat().map((d) => d.code);
    assert.deepEqual(codes, ['VL304']);
  });

  describe('the command', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-import-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const run = runCli;

    it('writes the files, proves them on the stream, and never overwrites without --force', async () => {
      const stream = path.join(fixtures, 'qemu', 'pc-2.3.mig');
      const first = await run(['import', 'vmdesc', stream, '-o', dir]);
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /^wrote \d+ files to .*; they decode all 28 device sections of /);
      fs.appendFileSync(path.join(dir, 'hpet.vmsd'), '// my edit\n');
      const again = await run(['import', 'vmdesc', stream, '-o', dir]);
      assert.equal(again.code, 2);
      assert.match(again.err, /already exist.*--force/);
      assert.match(fs.readFileSync(path.join(dir, 'hpet.vmsd'), 'utf8'), /my edit/);
      assert.equal((await run(['import', 'vmdesc', stream, '-o', dir, '--force'])).code, 0);
      const decoded = await run(['decode', path.join(fixtures, 'qemu', 'pc-2.2.mig'), '-d', dir]);
      assert.equal(decoded.code, 0, decoded.err);
      assert.doesNotMatch(decoded.out, /warning/);
    });

    it('a stream without a vmdesc says where to get one', async () => {
      const r = await run(['import', 'vmdesc', path.join(fixtures, 'qemu', 'pc-2.2.mig'), '-o', dir]);
      assert.equal(r.code, 1);
      assert.match(r.err, /carries no vmdesc/);
      assert.deepEqual(fs.readdirSync(dir), []);
    });
  });
});
