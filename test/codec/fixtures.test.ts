import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DecodeError } from '../../server/src/codec/bytes';
import { readCf, writeCf } from '../../server/src/codec/cf';
import { Annotation } from '../../server/src/codec/vmstate';
import { decodeStream, encodeStream, sectionDescriptions, Stream, StreamOptions, vmdescSize } from '../../server/src/codec/stream';
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
/** A fixture stream's bytes; the big one is kept gzipped. */
const read = (f: string) => {
  const b = fs.readFileSync(path.join(fixtures, 'qemu', f));
  return new Uint8Array(f.endsWith('.gz') ? zlib.gunzipSync(b) : b);
};
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
/** The machine types of the streams, each with its committed -dump-vmstate (streams.txt). */
const dumps = ['pc-i440fx-7.2', 'pc-q35-7.2', 'pc-i440fx-2.3', 'pc-i440fx-2.2'];

/**
 * Per stream with a vmdesc: the sections the examples decode (idstr, in stream order);
 * every other device section is decoded by the stream's vmdesc. A new example that
 * matches a section adds it here; one that stops matching fails instead of silently
 * falling back to the vmdesc.
 */
const pcDevices = ['timer', 'fw_cfg', 'PCIBUS', 'i8259', 'i8259', 'ioapic', 'hpet', 'mc146818rtc', 'i8254', 'fdc', 'ps2kbd', 'ps2mouse', '0000:00:01.3/piix4_pm'];
const byExamples: Array<{ file: string; machine?: string; compat?: string; examples: string[]; vmdesc: string[] }> = [
  {
    file: 'pc-7.2.mig',
    compat: 'pc-i440fx-7.2',
    examples: [...pcDevices, 'globalstate'],
    vmdesc: ['cpu_common', 'cpu', 'kvm-tpr-opt', 'apic', 'PCIHost', '0000:00:00.0/I440FX', 'dma', 'dma', '0000:00:01.0/PIIX3', 'pcspk', 'pckbd', 'vmmouse', 'port92', '0000:00:01.1/ide', 'i2c_bus', 'acpi_build'],
  },
  {
    file: 'pc-7.2-devices.mig',
    compat: 'pc-i440fx-7.2',
    examples: [...pcDevices, '0000:00:02.0/e1000', 'serial', 'globalstate'],
    vmdesc: [
      'cpu_common', 'cpu', 'kvm-tpr-opt', 'apic', 'PCIHost', '0000:00:00.0/I440FX', 'dma', 'dma', '0000:00:01.0/PIIX3', 'pcspk', 'pckbd', 'vmmouse', 'port92', '0000:00:01.1/ide', 'i2c_bus',
      '0000:00:03.0/virtio-net', '0000:00:04.0/uhci', '0000:00:04.0/1/usb-ptr', 'acpi_build',
    ],
  },
  {
    // The examples describe no q35 machine type: the devices' own defaults (7.2's) apply.
    file: 'q35-7.2.mig',
    examples: ['timer', 'fw_cfg', 'PCIBUS', 'i8259', 'i8259', 'ioapic', 'hpet', 'mc146818rtc', 'i8254', 'ps2kbd', 'ps2mouse', 'globalstate'],
    vmdesc: [
      'cpu_common', 'cpu', 'kvm-tpr-opt', 'apic', '0000:00:00.0/mch', 'PCIHost', 'dma', 'dma', '0000:00:1f.0/ICH9LPC', 'pcspk', 'pckbd', 'vmmouse', 'port92', '0000:00:1f.2/ich9_ahci', 'i2c_bus',
      '0000:00:1f.3/ich9_smb', 'acpi_build',
    ],
  },
  {
    file: 'pc-7.2-caps.mig',
    compat: 'pc-i440fx-7.2',
    examples: [...pcDevices, 'globalstate'],
    vmdesc: ['cpu_common', 'cpu', 'kvm-tpr-opt', 'apic', 'PCIHost', '0000:00:00.0/I440FX', 'dma', 'dma', '0000:00:01.0/PIIX3', 'pcspk', 'pckbd', 'vmmouse', 'port92', '0000:00:01.1/ide', 'i2c_bus', 'acpi_build'],
  },
  {
    // 16 vCPUs (cpu_common, cpu, apic each; kvm-tpr-opt once), six NICs of each kind, a
    // UHCI controller with a tablet and, through the hub QEMU adds, a keyboard.
    file: 'pc-7.2-many.mig.gz',
    compat: 'pc-i440fx-7.2',
    examples: [...pcDevices, ...[2, 4, 6, 8, 0xa, 0xc].map((n) => `0000:00:0${n.toString(16)}.0/e1000`), 'globalstate'],
    vmdesc: [
      ...Array.from({ length: 16 }, (_, i) => (i === 0 ? ['cpu_common', 'cpu', 'kvm-tpr-opt', 'apic'] : ['cpu_common', 'cpu', 'apic'])).flat(),
      'PCIHost', '0000:00:00.0/I440FX', 'dma', 'dma', '0000:00:01.0/PIIX3', 'pcspk', 'pckbd', 'vmmouse', 'port92', '0000:00:01.1/ide', 'i2c_bus',
      ...[3, 5, 7, 9, 0xb, 0xd].map((n) => `0000:00:0${n.toString(16)}.0/virtio-net`),
      '0000:00:0e.0/uhci', '0000:00:0e.0/1/usb-ptr', '0000:00:0e.0/2/usb-hub', '0000:00:0e.0/2.1/usb-kbd', 'acpi_build',
    ],
  },
  {
    // No configuration record: the machine type is given, for the compat entries of
    // examples/pc-i440fx.vmsd. No PCIHost (sent from 2.4 on), no pcspk (from 2.5 on).
    file: 'pc-2.3.mig',
    machine: 'pc-i440fx-2.3',
    compat: 'pc-i440fx-2.3',
    examples: [...pcDevices, 'globalstate'],
    vmdesc: ['cpu_common', 'cpu', 'kvm-tpr-opt', 'apic', '0000:00:00.0/I440FX', 'dma', 'dma', '0000:00:01.0/PIIX3', 'pckbd', 'vmmouse', 'port92', '0000:00:01.1/ide', 'i2c_bus', 'acpi_build'],
  },
];

/** vmdesc integer types (vmstate-types.c) as the scalar types a description decodes them with. */
const VMDESC_TYPES: Record<string, string> = {
  int8: 'i8', int16: 'i16', int32: 'i32', int64: 'i64', uint8: 'u8', uint16: 'u16', uint32: 'u32', uint64: 'u64',
  'int32 equal': 'i32', 'int32 le': 'i32', 'uint8 equal': 'u8', 'uint16 equal': 'u16', 'uint32 equal': 'u32', 'uint64 equal': 'u64', timer: 'timer', bool: 'bool',
};

/**
 * Where a description's decode of a section disagrees with the decode by the vmdesc of
 * the same bytes: every integer the vmdesc names must be a leaf of the description with
 * the same bytes, type and value, and subsections must start at the same offsets.
 */
function disagreements(ours: Annotation[], vmdesc: Annotation[]): string[] {
  const out: string[] = [];
  const leaves = new Map(ours.filter((a) => a.kind !== 'subsection' && a.value !== undefined).map((a) => [`${a.start}:${a.end}`, a]));
  const subs = (as: Annotation[]) => as.filter((a) => a.kind === 'subsection').map((a) => `${a.path.slice(a.path.lastIndexOf('/') + 1)}@${a.start}`);
  if (subs(ours).join() !== subs(vmdesc).join()) out.push(`subsections ${subs(ours).join()} ≠ the vmdesc's ${subs(vmdesc).join()}`);
  for (const q of vmdesc) {
    const want = q.type !== undefined ? VMDESC_TYPES[q.type] : undefined;
    if (!want || q.value === undefined) continue;
    const a = leaves.get(`${q.start}:${q.end}`);
    if (!a) out.push(`${q.path} (${q.type}, [${q.start}, ${q.end})) is no field of the description`);
    else if (a.type !== want || a.value !== q.value) out.push(`${a.path} is ${a.type} = ${a.value}, the vmdesc says ${q.path} is ${q.type} = ${q.value}`);
  }
  return out;
}

describe('codec: every fixture stream', () => {
  it('streams.txt gives the command line of every committed stream and -dump-vmstate file', () => {
    const listed = fs.readFileSync(path.join(fixtures, 'qemu', 'streams.txt'), 'utf8');
    const files = fs.readdirSync(path.join(fixtures, 'qemu')).filter((x) => /\.mig(\.gz)?$/.test(x) || /^dump-.*\.json\.gz$/.test(x));
    for (const f of files) assert.match(listed, new RegExp(`^${f.replace(/\./g, '\\.')}: qemu-system-x86_64 `, 'm'));
    assert.deepEqual(files.filter((f) => f.startsWith('dump-')).sort(), dumps.map((m) => `dump-${m}.json.gz`).sort());
  });

  it('-dump-vmstate is the same for every machine type of the streams but for the machine\'s name', () => {
    // QEMU dumps every device class's static description tree, whatever the machine type
    // (qemu-wire.md §10); only the first entry, "vmschkmachine", names it. Compat properties
    // act at run time (what is sent), which the dump cannot show.
    const text = (m: string) => zlib.gunzipSync(fs.readFileSync(path.join(fixtures, 'qemu', `dump-${m}.json.gz`))).toString('utf8');
    const first = text(dumps[0]);
    for (const m of dumps) {
      const t = text(m);
      assert.equal((JSON.parse(t) as { vmschkmachine: { Name: string } }).vmschkmachine.Name, m);
      assert.equal(t.replace(`"Name": "${m}"`, '"Name": "?"'), first.replace(`"Name": "${dumps[0]}"`, '"Name": "?"'), m);
    }
  });

  for (const file of ['pc-7.2.mig', 'pc-7.2-devices.mig', 'q35-7.2.mig', 'pc-7.2-caps.mig', 'pc-2.3.mig', 'pc-7.2-many.mig.gz']) {
    it(`${file}: QEMU → model → QEMU and QEMU → CBOR → QEMU are byte-identical, named by the vmdesc`, () => {
      const bytes = read(file);
      const s = decodeStream(bytes, vmdescOnly);
      assert.ok(same(encodeStream(s, vmdescOnly), bytes));
      assert.ok(same(encodeStream(readCf(writeCf(s)), vmdescOnly), bytes));
    });
  }

  const described = new Set(analysis.descriptions.map((d) => d.body.wireName));
  for (const { file, machine, compat, examples, vmdesc } of byExamples) {
    it(`${file}: every section an example describes is decoded by it, exactly as QEMU wrote it (${examples.length} sections; ${vmdesc.length} by the vmdesc)`, () => {
      const bytes = read(file);
      const opts: StreamOptions = machine ? { ...withExamples, machine } : withExamples;
      const s = decodeStream(bytes, opts);
      assert.equal(s.compatOf, compat, 'the compat entries of the stream\'s machine type apply');
      const plain: Stream = decodeStream(bytes, vmdescOnly);
      const devices = s.sections.filter((x) => x.idstr !== undefined && x.idstr !== 'ram');
      assert.ok(s.vmdesc && s.vmdesc.length === devices.length);
      const got = { examples: [] as string[], vmdesc: [] as string[] };
      const problems: string[] = [];
      devices.forEach((x, i) => {
        const idstr = x.idstr!;
        const entry = s.vmdesc![i];
        assert.equal(`${entry.name}#${entry.instance_id}`, `${idstr}#${x.instance}`, 'the vmdesc lists the sections in stream order');
        const name = idstr.slice(idstr.lastIndexOf('/') + 1);
        if (!described.has(name)) {
          assert.ok(x.value && x.byVmdesc, idstr);
          got.vmdesc.push(idstr);
          return;
        }
        got.examples.push(idstr);
        if (!x.value || x.byVmdesc) {
          problems.push(`${idstr}: has an example description but was decoded by the vmdesc`);
          return;
        }
        assert.equal(withExamples.descriptions.get(name)!.wireName, entry.vmsd_name, idstr);
        if (x.end - x.start !== vmdescSize(entry)) problems.push(`${idstr}: the example reads ${x.end - x.start} bytes, QEMU wrote ${vmdescSize(entry)}`);
        const other = plain.sections.find((y) => y.start === x.start)!;
        for (const d of disagreements(x.annotations!, other.annotations!)) problems.push(`${idstr}: ${d}`);
      });
      assert.deepEqual(problems, []);
      assert.deepEqual(got, { examples, vmdesc }, `sections decoded by the examples / by the vmdesc of ${file} (update byExamples in test/codec/fixtures.test.ts when an example is added)`);
      assert.ok(same(encodeStream(s, opts), bytes), 'encoding gives every section\'s bytes back');
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
