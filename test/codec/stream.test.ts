import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { DecodeError, Reader } from '../../server/src/codec/bytes';
import { decodeByVmdesc, encodeByVmdesc, VmdescField } from '../../server/src/codec/vmdesc';
import { decodeStream, encodeStream, sectionDescriptions, StreamOptions } from '../../server/src/codec/stream';
import { encode } from '../../server/src/codec/vmstate';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * Real QEMU 7.2 streams (scripts/gen-qemu-fixtures.py): every section whose device the
 * examples describe decodes exactly — the footer that follows is where QEMU put it — and
 * encodes back to the same bytes.
 */
const analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const descriptions = sectionDescriptions(analysis);
// Every PCI device here is conventional PCI: the 256-byte config space form is sent.
const opts: StreamOptions = { analysis, descriptions, opaqueTest: (f) => f.name === 'config' };

const DESCRIBED = ['timer', 'fw_cfg', 'PCIBUS', 'i8259', 'ioapic', 'hpet', 'mc146818rtc', 'i8254', 'fdc', 'ps2kbd', 'ps2mouse', '0000:00:01.3/piix4_pm', 'globalstate'];

for (const [file, extra] of [['pc-7.2.mig', []], ['pc-7.2-devices.mig', ['0000:00:02.0/e1000', 'serial']]] as const) {
  describe(`codec: real stream ${file}`, () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', file)));
    const s = decodeStream(bytes, opts);

    it('header, configuration, RAM, footers, EOF and vmdesc', () => {
      assert.equal(s.machine, 'pc-i440fx-7.2');
      assert.ok(s.vmdesc && s.vmdesc.length > 20);
      assert.equal(bytes[s.eof], 0);
      const ram = s.sections.filter((x) => x.ram);
      assert.equal(ram.reduce((n, x) => n + x.ram!.zero + x.ram!.pages, 0) > 8192, true, 'pc.ram alone has 8192 pages');
    });

    it('every described device section decodes exactly and encodes back byte for byte', () => {
      const decoded = s.sections.filter((x) => x.value && !x.byVmdesc).map((x) => x.idstr!);
      for (const want of [...DESCRIBED, ...extra]) assert.ok(decoded.includes(want), `${want} was not decoded`);
      for (const sec of s.sections.filter((x) => x.value && !x.byVmdesc)) {
        const body = descriptions.get(sec.idstr!.slice(sec.idstr!.lastIndexOf('/') + 1))!;
        const again = encode(body, sec.value!, sec.version!, opts);
        assert.deepEqual(Buffer.from(again), Buffer.from(bytes.subarray(sec.start, sec.end)), `${sec.idstr} re-encodes differently`);
      }
    });
  });
}

describe('codec: sections decoded by the stream\'s own vmdesc', () => {
  for (const file of ['pc-7.2.mig', 'pc-7.2-devices.mig']) {
    it(`${file}: with no description at all, every device section decodes and encodes back byte for byte`, () => {
      const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', file)));
      const s = decodeStream(bytes, { analysis, descriptions: new Map() });
      const devices = s.sections.filter((x) => x.idstr !== undefined && x.idstr !== 'ram');
      assert.equal(devices.length, s.vmdesc!.length, 'one vmdesc entry a device section');
      for (const [i, sec] of devices.entries()) {
        assert.ok(sec.byVmdesc && sec.value, `${sec.idstr} was decoded by the vmdesc`);
        const again = encodeByVmdesc(s.vmdesc![i], sec.value!);
        assert.deepEqual(Buffer.from(again), Buffer.from(bytes.subarray(sec.start, sec.end)), `${sec.idstr} re-encodes differently`);
      }
    });
  }

  it('the descriptions and the vmdesc cut every described section at the same byte boundaries', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2-devices.mig')));
    const byDesc = decodeStream(bytes, opts);
    const byVmdesc = decodeStream(bytes, { analysis, descriptions: new Map() });
    for (const [i, sec] of byDesc.sections.entries()) {
      if (!sec.value || sec.byVmdesc) continue;
      assert.equal(byVmdesc.sections[i].end, sec.end, sec.idstr);
      // Every integer field QEMU names in the vmdesc starts where a description field does.
      const starts = new Set(sec.annotations!.map((a) => a.start));
      for (const a of byVmdesc.sections[i].annotations!) if (/int|bool/.test(a.type) && a.end > a.start) assert.ok(starts.has(a.start), `${a.path} at ${a.start} has no counterpart`);
    }
  });

  it('a hostile vmdesc (huge array, deep nesting, wrong subsection) gives a located error', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2.mig')));
    const s = decodeStream(bytes, { analysis, descriptions: new Map() });
    const sec = s.sections.find((x) => x.idstr === 'cpu_common')!;
    const r = () => new Reader(bytes, sec.start);
    const huge = { name: 'cpu_common', instance_id: 0, fields: [{ name: 'x', type: 'uint32', size: 4, array_len: 2 ** 40 }] };
    assert.throws(() => decodeByVmdesc(huge, r(), 'cpu_common'), /expected 1099511627776 elements of 4 bytes/);
    const empty = { name: 'cpu_common', instance_id: 0, fields: [{ name: 'x', size: 0, array_len: 2 ** 40 }] };
    assert.throws(() => decodeByVmdesc(empty, r(), 'cpu_common'), /more than the data can hold/);
    let deep: VmdescField = { name: 'leaf', type: 'uint8', size: 1 };
    for (let i = 0; i < 100; i++) deep = { name: 'n', size: 0, struct: { vmsd_name: 'n', version: 1, fields: [deep] } };
    assert.throws(() => decodeByVmdesc({ name: 'd', instance_id: 0, fields: [deep] }, r(), 'd'), (e: unknown) => e instanceof DecodeError && /nests deeper than 64/.test(e.message));
    const sub = { name: 'cpu_common', instance_id: 0, subsections: [{ vmsd_name: 'cpu_common/x', version: 1 }] };
    assert.throws(() => decodeByVmdesc(sub, r(), 'cpu_common'), /at byte \d+ .*cpu_common\/x: the vmdesc lists subsection `cpu_common\/x` here, the stream has no subsection marker/);
  });
});

describe('codec: progress', () => {
  it('is reported before each record, growing, up to the EOF byte', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2.mig')));
    const seen: number[] = [];
    const s = decodeStream(bytes, { ...opts, onProgress: (read, total) => (assert.equal(total, bytes.length), seen.push(read)) });
    assert.ok(seen.length > s.sections.length);
    assert.ok(seen.every((x, i) => i === 0 || x > seen[i - 1]));
    assert.equal(seen[seen.length - 1], s.eof);
  });
});

describe('codec: whole streams written back', () => {
  for (const file of ['pc-7.2.mig', 'pc-7.2-devices.mig']) {
    it(`${file}: decode then encode gives the same bytes, with the examples and with the vmdesc alone`, () => {
      const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', file)));
      for (const o of [opts, { analysis, descriptions: new Map() }]) {
        const again = encodeStream(decodeStream(bytes, o), o);
        assert.equal(Buffer.compare(Buffer.from(again), Buffer.from(bytes)), 0, `${file} differs after a round trip`);
      }
    });
  }
});

describe('codec: tests QEMU runs on its own state', () => {
  it('are answered by the stream\'s vmdesc when the caller does not decide them', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2-devices.mig')));
    const s = decodeStream(bytes, { analysis, descriptions });
    const e1000 = s.sections.find((x) => x.idstr === '0000:00:02.0/e1000')!;
    const paths = e1000.annotations!.map((a) => a.path);
    assert.ok(paths.some((p) => /\.config$/.test(p)), 'the 256-byte config space was decoded');
    assert.ok(!paths.some((p) => /config_pcie/.test(p)), 'the PCIe form was not');
    // Without a vmdesc, a section no description covers cannot be skipped: the error names it.
    const cut = bytes.subarray(0, s.eof + 1);
    assert.throws(() => decodeStream(cut, { analysis, descriptions }), /no description for section `cpu_common` and no vmdesc entry to skip it/);
  });
});

describe('codec: corrupt streams', () => {
  const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2.mig')));

  it('report QEMU\'s errors for a bad magic, an old version and a broken footer', () => {
    const bad = bytes.slice();
    bad[0] = 0;
    assert.throws(() => decodeStream(bad, opts), /Not a migration stream/);
    const v2 = bytes.slice();
    v2[7] = 2;
    assert.throws(() => decodeStream(v2, opts), /SaveVM v2 format is obsolete/);
    const s = decodeStream(bytes, opts);
    const timer = s.sections.find((x) => x.idstr === 'timer')!;
    const foot = bytes.slice();
    foot[timer.end] = 0x7f;
    assert.throws(() => decodeStream(foot, opts), /expected the section footer 0x7e, found 0x7f.*\(QEMU: "Missing section footer for timer"\)/);
  });

  it('shallow: the same sections and page counts without keeping a page, and no writing back', () => {
    const full = decodeStream(bytes, opts);
    const shallow = decodeStream(bytes, { ...opts, shallow: true });
    assert.deepEqual(shallow.sections.map((x) => [x.idstr, x.start, x.end, x.ram]), full.sections.map((x) => [x.idstr, x.start, x.end, x.ram]));
    const records = shallow.sections.flatMap((x) => x.ramRecords ?? []);
    assert.ok(records.length > 0 && records.every((r) => r.blocks), 'only the block lists are kept');
    assert.throws(() => encodeStream(shallow, opts), /decoded shallow/);
  });

  it('name what was expected and what was found, with QEMU\'s words (qemu-wire.md §11)', () => {
    const s = decodeStream(bytes, opts);
    const at = (idstr: string) => s.sections.find((x) => x.idstr === idstr)!;
    // globalstate's header version 1 → 2 (the version is the 4 bytes before the data).
    const gs = bytes.slice();
    gs[at('globalstate').start - 1] = 2;
    assert.throws(
      () => decodeStream(gs, opts),
      (e: unknown) => e instanceof DecodeError && e.path === 'globalstate' && /expected a version up to 1 for `globalstate` .*, found 2 \(QEMU: "savevm: unsupported version 2 for 'globalstate' v1"\)/.test(e.message),
    );
    // timer's footer section id 0 → 0x63.
    const id = bytes.slice();
    id[at('timer').end + 4] = 0x63;
    assert.throws(() => decodeStream(id, opts), /expected section id 0 in the footer, found 99 \(QEMU: "Mismatched section id in footer for timer - read 0x63 expected 0x0"\)/);
    // A record type byte 0x09 before EOF.
    const rec = new Uint8Array([...bytes.subarray(0, s.eof), 0x09, ...bytes.subarray(s.eof)]);
    assert.throws(
      () => decodeStream(rec, opts),
      (e: unknown) => e instanceof DecodeError && e.offset === s.eof && /expected a record type .*, found 0x09 \(QEMU: "Unknown savevm section type 9"\)/.test(e.message),
    );
    const v4 = bytes.slice();
    v4[7] = 4;
    assert.throws(() => decodeStream(v4, opts), /expected stream version 3, found 4 \(QEMU: "Unsupported migration stream version"\)/);
  });

  it('mutated streams (flip, truncate, splice) give a located DecodeError or decode, never anything else (150 cases)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'truncate', 'splice'), (at, b, how) => {
        const i = at % bytes.length;
        let m: Uint8Array;
        if (how === 'flip') {
          m = bytes.slice();
          m[i] ^= b || 1;
        } else if (how === 'truncate') m = bytes.slice(0, i);
        else m = new Uint8Array([...bytes.subarray(0, i), b, ...bytes.subarray(i)]);
        try {
          decodeStream(m, opts);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          assert.ok(e.offset >= 0 && e.offset <= m.length);
        }
        // Read by its own vmdesc, whatever decodes is written back exactly as it came.
        const plain = { analysis, descriptions: new Map() };
        let s;
        try {
          s = decodeStream(m, plain);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          return;
        }
        assert.equal(Buffer.compare(Buffer.from(encodeStream(s, plain)), Buffer.from(m)), 0, `${how} at ${i} decodes but does not re-encode`);
      }),
      { numRuns: 150 },
    );
  });
});
