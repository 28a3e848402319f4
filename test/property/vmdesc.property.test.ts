import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { Reader } from '../../server/src/codec/bytes';
import { readCf, writeCf } from '../../server/src/codec/cf';
import { decodeStream, encodeStream, Stream, StreamSection, vmdescSize } from '../../server/src/codec/stream';
import { decodeByVmdesc, VmdescBody, VmdescDevice, VmdescField } from '../../server/src/codec/vmdesc';
import { workspaceOf } from '../util/workspace';

/**
 * Random vmdesc-shaped descriptions (integers of every width, bools, buffers, arrays,
 * repeated struct entries, nested structs, subsections) with random section bytes: the
 * bytes decode, and go back through the stream model and through CBOR unchanged.
 */
const INT_TYPES: Array<[string, number]> = [['uint8', 1], ['int8', 1], ['uint16', 2], ['int16', 2], ['uint32', 4], ['int32', 4], ['uint64', 8], ['int64', 8], ['bool', 1], ['int32 equal', 4], ['timer', 8]];

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
const leaf: fc.Arbitrary<VmdescField> = fc.oneof(
  fc.record({ name, t: fc.constantFrom(...INT_TYPES), n: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) }).map(({ name, t, n }) => ({ name, type: t[0], size: t[1], ...(n ? { array_len: n } : {}) })),
  fc.record({ name, size: fc.integer({ min: 0, max: 40 }) }).map(({ name, size }) => ({ name, type: 'buffer', size })),
);
// Nested structs carry no subsections here: the random bytes would need their headers.
const { body } = fc.letrec<{ body: VmdescBody; struct: VmdescBody; field: VmdescField }>((tie) => ({
  field: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.record({ name, struct: tie('struct') }).map(({ name, struct }) => ({ name, type: 'struct', size: vmdescSize(struct), struct }))),
  struct: fc.record({ vmsd_name: name, version: fc.integer({ min: 1, max: 5 }), fields: fc.array(tie('field'), { maxLength: 4 }) }),
  body: fc.record({
    vmsd_name: name,
    version: fc.integer({ min: 1, max: 5 }),
    // Repeating an entry is how QEMU lists an array of structs.
    fields: fc.array(fc.tuple(tie('field'), fc.integer({ min: 1, max: 3 })), { maxLength: 5 }).map((xs) => xs.flatMap(([f, n]) => Array.from({ length: f.struct ? n : 1 }, () => f))),
    // Distinct names, as in QEMU: a subsection is found by name, and a stream carries each at most once.
    subsections: fc.uniqueArray(fc.record({ vmsd_name: name, version: fc.integer({ min: 1, max: 3 }), fields: fc.array(leaf, { maxLength: 3 }) }), { maxLength: 2, selector: (s) => s.vmsd_name }),
  }),
}));

const analysis = workspaceOf([]).analysis();
const opts = { analysis, descriptions: new Map() };

function streamOf(desc: VmdescDevice, data: Uint8Array): Uint8Array {
  // The section's value comes from decoding random bytes of the described size.
  const { value } = decodeByVmdesc(desc, new Reader(data), desc.name);
  const section: StreamSection = { type: 'full', id: 1, idstr: desc.name, instance: 0, version: desc.version ?? 1, start: 0, end: 0, value, byVmdesc: true };
  const json = new TextEncoder().encode(JSON.stringify({ page_size: 4096, devices: [desc] }));
  const trailer = new Uint8Array(5 + json.length);
  trailer[0] = 0x06;
  new DataView(trailer.buffer).setUint32(1, json.length);
  trailer.set(json, 5);
  const s: Stream = { machine: 'pc-i440fx-7.2', configuration: [], capabilities: [], footers: true, sections: [section], records: [{ kind: 'section', section }], vmdesc: [desc], eof: -1, trailer };
  return encodeStream(s, opts);
}

describe('property: random vmdesc descriptions round-trip through both wire formats', () => {
  it('random bytes → value → QEMU stream → model → QEMU and → CBOR → QEMU, unchanged (300 cases)', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 0, max: 2 ** 31 }), (b, seed) => {
        const desc: VmdescDevice = { name: 'dev_' + b.vmsd_name, instance_id: 0, vmsd_name: 'dev_' + b.vmsd_name, version: b.version, fields: b.fields, subsections: (b.subsections ?? []).map((s) => ({ ...s, vmsd_name: `dev_${b.vmsd_name}/${s.vmsd_name}` })) };
        // Subsection headers are not random: they name the subsection.
        const size = vmdescSize(desc);
        const data = new Uint8Array(size);
        let x = seed;
        for (let i = 0; i < size; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
        const headerless = vmdescSize({ ...desc, subsections: [] });
        const w: number[] = [...data.subarray(0, headerless)];
        for (const s of desc.subsections ?? []) {
          const n = new TextEncoder().encode(s.vmsd_name);
          w.push(0x05, n.length, ...n, 0, 0, 0, s.version, ...data.subarray(0, vmdescSize({ ...s, subsections: [] })));
        }
        const bytes = streamOf(desc, new Uint8Array(w));
        const s = decodeStream(bytes, opts);
        assert.equal(Buffer.compare(Buffer.from(encodeStream(s, opts)), Buffer.from(bytes)), 0, 'through the model');
        assert.equal(Buffer.compare(Buffer.from(encodeStream(readCf(writeCf(s)), opts)), Buffer.from(bytes)), 0, 'through CBOR');
      }),
      { numRuns: 300 },
    );
  });
});
