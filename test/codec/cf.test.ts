import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeMultiple } from 'cbor-x';
import * as fc from 'fast-check';
import { DecodeError, EncodeError } from '../../server/src/codec/bytes';
import { isCf, readCf, writeCf } from '../../server/src/codec/cf';
import { decodeStream, encodeStream, sectionDescriptions, StreamOptions } from '../../server/src/codec/stream';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/** The self-describing stream (docs/cf-format.md) against real QEMU 7.2 streams. */
const analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const withExamples: StreamOptions = { analysis, descriptions: sectionDescriptions(analysis) };
const vmdescOnly: StreamOptions = { analysis, descriptions: new Map() };

for (const file of ['pc-7.2.mig', 'pc-7.2-devices.mig']) {
  describe(`cf: ${file}`, () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', file)));

    for (const [name, o] of [['the examples', withExamples], ['the vmdesc alone', vmdescOnly]] as const) {
      it(`QEMU → CBOR → QEMU is byte-identical (device sections named by ${name})`, () => {
        const cbor = writeCf(decodeStream(bytes, o));
        assert.ok(isCf(cbor));
        const again = encodeStream(readCf(cbor), o);
        assert.equal(Buffer.compare(Buffer.from(again), Buffer.from(bytes)), 0);
      });
    }

    it('any CBOR reader sees a header, sections keyed by field names, RAM pages as byte strings, and EOF', () => {
      const cbor = writeCf(decodeStream(bytes, withExamples));
      // Generic CBOR, no vmsd code: the tag 55799 prefix, then a sequence of maps.
      const items = decodeMultiple(cbor.subarray(3)) as Array<Record<string, unknown>>;
      assert.deepEqual([items[0].format, items[0].machine, items[0].footers], ['vmsd-cf', 'pc-i440fx-7.2', true]);
      const hpet = items.find((x) => x.idstr === 'hpet')!;
      assert.equal(hpet.schema, 'vmsd');
      const timers = (hpet.fields as Record<string, unknown>).timer as Array<{ fields: Record<string, unknown> }>;
      assert.equal(timers[0].fields.cmp, 2n ** 64n - 1n, 'a u64 keeps all its bits');
      const ram = items.filter((x) => Array.isArray(x.ram)).flatMap((x) => x.ram as Array<Record<string, unknown>>);
      const page = ram.find((r) => r.data)!;
      assert.ok(page.data instanceof Uint8Array && page.data.length === 4096);
      assert.equal(items[items.length - 1].record, 'eof');
      assert.equal(typeof items[items.length - 1].vmdesc, 'string');
    });

    it('integers are written in their shortest form (preferred serialization)', () => {
      const cbor = writeCf(decodeStream(bytes, withExamples));
      // cbor-x writes any bigint with 8 bytes (0x1b); only values above 2^53 may use it.
      const items = decodeMultiple(cbor.subarray(3)) as unknown[];
      const big: bigint[] = [];
      const walk = (x: unknown): void => {
        if (typeof x === 'bigint') big.push(x);
        else if (Array.isArray(x)) x.forEach(walk);
        else if (x && typeof x === 'object' && !(x instanceof Uint8Array)) Object.values(x).forEach(walk);
      };
      items.forEach(walk);
      for (const b of big) assert.ok(b > 0xffffffffn || b < -0x100000000n, `${b} should be a plain integer`);
    });

    it('a subsection sent at an older version keeps it through CBOR', () => {
      const s = decodeStream(bytes, withExamples);
      const fw = s.sections.find((x) => x.idstr === 'fw_cfg')!;
      const dma = fw.value!.subsections.dma;
      assert.ok(dma, 'fw_cfg/dma is sent');
      dma.version = 0; // as if an older sender's: the item carries it and the encoder writes it
      const back = readCf(writeCf(s)).sections.find((x) => x.idstr === 'fw_cfg')!;
      assert.equal(back.value!.subsections.dma.version, 0);
      assert.equal(readCf(writeCf(decodeStream(bytes, withExamples))).sections.find((x) => x.idstr === 'fw_cfg')!.value!.subsections.dma.version, undefined);
    });

    it('an integer from 2^32 up is an 8-byte CBOR integer, not a float', () => {
      const s = decodeStream(bytes, withExamples);
      const hpet = s.sections.find((x) => x.idstr === 'hpet')!;
      hpet.value!.fields.hpet_counter = 2n ** 40n;
      const cbor = Buffer.from(writeCf(s));
      // "hpet_counter" (text, 12 bytes) then 0x1b and the 8 bytes big-endian.
      const at = cbor.indexOf(Buffer.concat([Buffer.from([0x6c]), Buffer.from('hpet_counter')]));
      assert.ok(at > 0);
      assert.equal(cbor.subarray(at + 13, at + 22).toString('hex'), '1b0000010000000000');
      const back = readCf(new Uint8Array(cbor)).sections.find((x) => x.idstr === 'hpet')!;
      assert.equal(back.value!.fields.hpet_counter, 2n ** 40n);
    });
  });
}

describe('cf: bad input', () => {
  const cbor = writeCf(decodeStream(new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2.mig'))), vmdescOnly));

  it('a missing magic, a foreign header, a newer major version and a missing EOF item are located errors', () => {
    assert.throws(() => readCf(cbor.subarray(3)), /without the CBOR tag 55799/);
    assert.throws(() => readCf(new Uint8Array([0xd9, 0xd9, 0xf7, 0xa1, 0x61, 0x61, 0x01])), /item 0: the first item is not a vmsd-cf header/);
    const v2 = writeCf({ ...readCf(cbor) });
    const text = Buffer.from(v2).toString('latin1').replace('0.1.0', '9.1.0');
    assert.throws(() => readCf(new Uint8Array(Buffer.from(text, 'latin1'))), /format version 9\.1\.0 is not readable/);
    // Cut after the last complete section item: the EOF item is missing.
    const items = decodeMultiple(cbor.subarray(3)) as unknown[];
    assert.ok(items.length > 3);
    assert.throws(() => readCf(cbor.subarray(0, cbor.length - 40)), (e: unknown) => e instanceof DecodeError);
  });

  it('mutated device sections and vmdescs of a QEMU stream decode and re-encode, or give a located error (150 cases)', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2-devices.mig')));
    const tail = 30000; // the device sections' end, the footers and the vmdesc JSON
    fc.assert(
      fc.property(fc.nat({ max: tail - 1 }), fc.integer({ min: 0, max: 7 }), fc.boolean(), (back, bit, described) => {
        const m = bytes.slice();
        m[m.length - 1 - back] ^= 1 << bit;
        const o = described ? withExamples : vmdescOnly;
        try {
          encodeStream(decodeStream(m, o), o);
        } catch (e) {
          if (!(e instanceof DecodeError) && !(e instanceof EncodeError)) throw e;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('hostile counts (2^28 elements in 8 bytes) are refused before any allocation', () => {
    assert.throws(() => readCf(new Uint8Array([0xd9, 0xd9, 0xf7, 0x9a, 0x10, 0, 0, 0])), /malformed CBOR: Array length exceeds/);
  });

  it('mutated CBOR streams give a DecodeError or read back into a stream, never anything else (150 cases)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'truncate'), (at, b, how) => {
        const i = at % cbor.length;
        const m = how === 'flip' ? cbor.slice() : cbor.slice(0, i);
        if (how === 'flip') m[i] ^= b || 1;
        try {
          const s = readCf(m);
          try {
            encodeStream(s, vmdescOnly);
          } catch (e) {
            if (!(e instanceof DecodeError) && !(e instanceof EncodeError)) throw e;
          }
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 150 },
    );
  });
});
