import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DecodeError } from '../../server/src/codec/bytes';
import { readCf, writeCf } from '../../server/src/codec/cf';
import { decodeStream, encodeStream, sectionDescriptions, StreamOptions } from '../../server/src/codec/stream';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * Every real stream of scripts/gen-qemu-fixtures.py (commands in streams.txt): what it
 * must contain, that it round-trips QEMU → model → QEMU and QEMU → CBOR → QEMU, and,
 * where the examples cannot decode it yet, that the error says where and why.
 */
const analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const withExamples: StreamOptions = { analysis, descriptions: sectionDescriptions(analysis) };
const vmdescOnly: StreamOptions = { analysis, descriptions: new Map() };
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', f)));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('codec: every fixture stream', () => {
  it('streams.txt gives the command line of every committed stream', () => {
    const listed = fs.readFileSync(path.join(fixtures, 'qemu', 'streams.txt'), 'utf8');
    for (const f of fs.readdirSync(path.join(fixtures, 'qemu')).filter((x) => x.endsWith('.mig'))) assert.match(listed, new RegExp(`^${f.replace(/\./g, '\\.')}: qemu-system-x86_64 `, 'm'));
  });

  for (const file of ['pc-7.2.mig', 'pc-7.2-devices.mig', 'q35-7.2.mig', 'pc-7.2-caps.mig', 'pc-2.3.mig']) {
    it(`${file}: QEMU → model → QEMU and QEMU → CBOR → QEMU are byte-identical, named by the vmdesc`, () => {
      const bytes = read(file);
      const s = decodeStream(bytes, vmdescOnly);
      assert.ok(same(encodeStream(s, vmdescOnly), bytes));
      assert.ok(same(encodeStream(readCf(writeCf(s)), vmdescOnly), bytes));
    });
  }

  it('q35-7.2.mig: the examples decode its devices exactly (the vmdesc agrees on every size) and round-trip', () => {
    const bytes = read('q35-7.2.mig');
    const s = decodeStream(bytes, withExamples);
    assert.equal(s.machine, 'pc-q35-7.2');
    const described = s.sections.filter((x) => x.value && !x.byVmdesc).map((x) => x.idstr);
    for (const want of ['timer', 'fw_cfg', 'i8259', 'ioapic', 'hpet', 'mc146818rtc', 'i8254', 'ps2kbd', 'ps2mouse', 'globalstate']) assert.ok(described.includes(want), want);
    assert.ok(same(encodeStream(readCf(writeCf(s)), withExamples), bytes));
  });

  it('pc-7.2-caps.mig: capabilities, the UUID, and RAM block addresses (x-ignore-shared)', () => {
    const bytes = read('pc-7.2-caps.mig');
    const s = decodeStream(bytes, withExamples);
    assert.deepEqual(s.capabilities, ['x-ignore-shared']); // validate-uuid is not listed: it adds the uuid subsection
    const uuid = s.configuration!.find((c) => c.name === 'configuration/uuid')!.uuid!;
    assert.equal(Buffer.from(uuid).toString('hex'), '6d8e2a341b5c4f0e9a7d3c2b1e0f4a59');
    const blocks = s.sections[0].ramRecords![0].blocks!;
    assert.equal(blocks.find((b) => b.name === 'pc.bios')!.addr, 0xfffc0000n, 'the BIOS is mapped just below 4 GiB');
    assert.ok(same(encodeStream(readCf(writeCf(s)), withExamples), bytes));
  });

  it('pc-2.3.mig: no configuration record and no footers; decoded with the compat entries of the machine type given', () => {
    const bytes = read('pc-2.3.mig');
    const s = decodeStream(bytes, vmdescOnly);
    assert.equal(s.machine, undefined);
    assert.equal(s.footers, false);
    assert.ok(s.vmdesc);
    // pc-i440fx-3.1 and older do not send piix4_pm's `smb` (machine.smbus-no-migration-support).
    const s23 = decodeStream(bytes, { ...withExamples, machine: 'pc-i440fx-2.3' });
    assert.equal(s23.compatOf, 'pc-i440fx-2.3');
    const pm = s23.sections.find((x) => x.idstr?.endsWith('piix4_pm'))!;
    assert.ok(pm.value && !pm.byVmdesc && !('smb' in pm.value.fields));
    assert.ok(same(encodeStream(s23, withExamples), bytes), 'the machine type is kept in the model for encoding');
    assert.ok(same(encodeStream(readCf(writeCf(s23)), { ...withExamples, machine: 'pc-i440fx-2.3' }), bytes));
    // Without the machine type the newest one's defaults apply, and the vmdesc size catches it.
    assert.throws(
      () => decodeStream(bytes, withExamples),
      (e: unknown) => e instanceof DecodeError && /piix4_pm: the description `piix4_pm` reads 2408 bytes at version 3, the stream's vmdesc says QEMU wrote 2380 \(no configuration record/.test(e.message),
    );
  });

  it('pc-2.2.mig: no vmdesc, so every section needs a description; the first without one is named', () => {
    const bytes = read('pc-2.2.mig');
    assert.throws(() => decodeStream(bytes, withExamples), /at byte \d+ \(0x[0-9a-f]+\), cpu_common: no description for section `cpu_common` and no vmdesc entry to skip it/);
  });
});
