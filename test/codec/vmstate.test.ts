import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DecodeError } from '../../server/src/codec/bytes';
import { valueFromJson, valueToJson } from '../../server/src/codec/values';
import { BodyValue, decode, encode, FieldValue } from '../../server/src/codec/vmstate';
import { Analysis } from '../../server/src/semantic/analyzer';
import { examplesDir } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * The vmstate codec on the byte-exact worked examples of QEMU 7.2 streams
 * (shared/design/qemu-wire.md §3, §5.8): decode gives the values and annotations,
 * encode gives the same bytes back.
 */
const analysis: Analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const desc = (name: string) => analysis.descriptions.find((d) => d.name === name)!.body;
const hexBytes = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');

describe('codec: vmstate of one description', () => {
  it('timer v2: 24 bytes, then the section footer (not a subsection)', () => {
    const data = hexBytes('00'.repeat(24) + '7e00000000');
    const d = decode(desc('timer'), data, 2, { analysis });
    assert.equal(d.end, 24);
    assert.deepEqual(Object.keys(d.value.fields), ['cpu_ticks_offset', 'unused[0]', 'cpu_clock_offset']);
    assert.deepEqual(d.value.subsections, {});
    assert.deepEqual(Buffer.from(encode(desc('timer'), d.value, 2, { analysis })), Buffer.from(data.subarray(0, 24)));
  });

  it('fw_cfg v2 with its two subsections, byte for byte', () => {
    const data = hexBytes(
      '0000' + '00000000' +
        '05 0a' + ascii('fw_cfg/dma') + '00000000' + '0000000000000000' +
        '05 0e' + ascii('fw_cfg/acpi_mr') + '00000001' + '0000000000020000' + '0000000000001000' + '0000000000000014' +
        '7e00000008',
    );
    const d = decode(desc('fw_cfg'), data, 2, { analysis });
    assert.equal(d.end, data.length - 5);
    assert.equal(d.value.fields.cur_entry, 0n);
    assert.ok(!('cur_offset_v1' in d.value.fields), 'the version-1 form is not read at version 2');
    const acpi = d.value.subsections.acpi_mr as BodyValue;
    assert.deepEqual([acpi.fields.table_mr_size, acpi.fields.linker_mr_size, acpi.fields.rsdp_mr_size], [0x20000n, 0x1000n, 0x14n]);
    assert.deepEqual(
      d.annotations.filter((a) => a.kind === 'subsection').map((a) => [a.path, a.start, a.end, a.value]),
      [['fw_cfg/dma', 6, 22, 'version 0'], ['fw_cfg/acpi_mr', 30, 50, 'version 1']],
    );
    assert.deepEqual(Buffer.from(encode(desc('fw_cfg'), d.value, 2, { analysis })), Buffer.from(data.subarray(0, d.end)));
  });

  it('globalstate: the size and the 100-byte run state', () => {
    const runstate = Buffer.alloc(100);
    runstate.write('prelaunch', 'latin1');
    const data = hexBytes('0000000a' + runstate.toString('hex'));
    const d = decode(desc('globalstate'), data, 1, { analysis });
    assert.equal(d.value.fields.size, 10n);
    assert.equal(Buffer.from(d.value.fields.runstate as Uint8Array).toString('latin1').replace(/\0+$/, ''), 'prelaunch');
    assert.deepEqual(Buffer.from(encode(desc('globalstate'), d.value, 1, { analysis })), Buffer.from(data));
  });

  it('hpet v2: three timers counted by num_timers, each 42 bytes with an unarmed timer', () => {
    const timer = (tn: number) => tn.toString(16).padStart(2, '0') + '00'.repeat(32) + '00' + 'ff'.repeat(8);
    const data = hexBytes('00'.repeat(24) + '03' + timer(0) + timer(1) + timer(2));
    const d = decode(desc('hpet'), data, 2, { analysis });
    assert.equal(d.end, 25 + 3 * 42);
    const timers = d.value.fields.timer as BodyValue[];
    assert.deepEqual(timers.map((t) => t.fields.tn), [0n, 1n, 2n]);
    assert.equal(timers[2].fields.qemu_timer, -1n);
    assert.ok(d.annotations.some((a) => a.path === 'hpet.timer[1]' && a.start === 25 + 42 && a.end === 25 + 84));
    assert.deepEqual(Buffer.from(encode(desc('hpet'), d.value, 2, { analysis })), Buffer.from(data));
  });

  it('errors name the offset, the path and what was expected', () => {
    // Three timers announced, the first cut inside its `cmp` register.
    const cut = hexBytes('00'.repeat(24) + '03' + '00' + '00'.repeat(8) + '0000');
    assert.throws(
      () => decode(desc('hpet'), cut, 2, { analysis }),
      (e: Error) => e instanceof DecodeError && e.offset === 34 && e.path === 'hpet.timer[0].cmp' && /expected u64 \(8 bytes\), found only 2/.test(e.message),
    );
    assert.throws(() => decode(desc('hpet'), cut, 3, { analysis }), /incoming version_id 3 is too new for local version_id 2/);
    const unknownSub = hexBytes('0000' + '00000000' + '05 0a' + ascii('fw_cfg/dmX') + '00000000');
    assert.throws(() => decode(desc('fw_cfg'), unknownSub, 2, { analysis }), /expected one of the subsections of `fw_cfg` \(fw_cfg\/dma, fw_cfg\/acpi_mr\), found `fw_cfg\/dmX` \(QEMU: "load of migration failed: No such file or directory"\)/);
  });

  it('a subsection an older QEMU sent at an older version is decoded at it and written back the same, also through its JSON form', () => {
    const body = desc('ps2kbd');
    const kbd = (v: number) => {
      const d = decode(body, new Uint8Array(4096), 3, { analysis, annotate: false });
      d.value.subsections = {};
      const base = encode(body, d.value, 3, { analysis });
      // ps2kbd/ledstate: version 3, minimum_version 2; here at 2.
      return new Uint8Array([...base, ...hexBytes('05 0f' + ascii('ps2kbd/ledstate') + v.toString(16).padStart(8, '0') + '00000007')]);
    };
    assert.throws(() => decode(body, kbd(1), 3, { analysis }), /expected a version of at least 2, found 1/);
    const bytes = kbd(2);
    const d = decode(body, bytes, 3, { analysis });
    const led = d.value.subsections.ledstate as BodyValue;
    assert.equal(led.version, 2);
    assert.equal(led.fields.ledstate, 7n);
    assert.deepEqual(Buffer.from(encode(body, d.value, 3, { analysis })), Buffer.from(bytes));
    const json = valueFromJson(JSON.parse(valueToJson(d.value)), body, 3, { analysis });
    assert.deepEqual(Buffer.from(encode(body, json.value, 3, { analysis })), Buffer.from(bytes));
    assert.equal(valueToJson(d.value).includes('"version": 2'), true);
    led.version = 9;
    assert.throws(() => encode(body, d.value, 3, { analysis }), /expected a version of `ps2kbd\/ledstate` from 2 to 3, found 9/);
  });

  it('encode refuses an integer its type cannot hold rather than cutting it to the width', () => {
    const data = hexBytes('0000000a' + '00'.repeat(100));
    const d = decode(desc('globalstate'), data, 1, { analysis });
    d.value.fields.size = 0x100000000n;
    assert.throws(
      () => encode(desc('globalstate'), d.value, 1, { analysis }),
      (e: unknown) => e instanceof DecodeError && e.path === 'globalstate.size' && /expected a u32 \(0 to 4294967295\), found 4294967296/.test(e.message),
    );
  });

  it('a hostile count never allocates past the input', () => {
    const data = hexBytes('00'.repeat(24) + 'ff');
    assert.throws(() => decode(desc('hpet'), data, 2, { analysis }), /255 elements cannot fit in the 0 bytes left/);
  });
});

describe('codec: properties on random bytes (fast-check)', () => {
  // Every description of the examples that needs no outside decision to decode.
  const bodies = analysis.descriptions.filter((d) => d.body && d.body.fields.every((f) => f.condition?.kind !== 'OpaqueCondition' && !f.type.nullable));
  const fc = require('fast-check') as typeof import('fast-check');

  it('decoding any bytes gives a value or a located DecodeError, never anything else (3,000 cases)', () => {
    fc.assert(
      fc.property(fc.nat({ max: bodies.length - 1 }), fc.uint8Array({ maxLength: 600 }), (i, bytes) => {
        const b = bodies[i].body;
        try {
          decode(b, bytes, b.version, { analysis });
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          assert.ok(e.offset >= 0 && e.offset <= bytes.length);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('what decodes, encodes back to a value that decodes the same (3,000 cases)', () => {
    fc.assert(
      fc.property(fc.nat({ max: bodies.length - 1 }), fc.uint8Array({ minLength: 0, maxLength: 600 }), (i, bytes) => {
        const b = bodies[i].body;
        let first;
        try {
          first = decode(b, bytes, b.version, { analysis });
        } catch (e) {
          if (e instanceof DecodeError) return;
          throw e;
        }
        const again = encode(b, first.value, b.version, { analysis });
        const second = decode(b, again, b.version, { analysis });
        assert.deepEqual(second.value, first.value);
        assert.equal(second.end, again.length);
      }),
      { numRuns: 3000 },
    );
  });

  describe('lists and trees (vmstate-types.c put_qtailq / put_gtree)', () => {
    const ws = workspaceOf([
      {
        uri: 'file:///t/queue.vmsd',
        text: `vmstate req {
    version 1
    id: u32
}

vmstate mapping {
    version 1
    size: u16
}

vmstate keyd {
    version 1
    lo: u8
    hi: u8
}

vmstate queue {
    version 1
    reqs: list<req>
    maps: tree<u64, mapping>
    byKey: tree<keyd, mapping>
}
`,
      },
    ]).analysis();
    const q = ws.descriptions.find((d) => d.name === 'queue')!.body;
    // 2 requests; a direct-key tree of 2 nodes; a description-keyed tree of 1 node.
    const bytes = hexBytes(
      '01 00000007  01 00000009  00' +
        '00000002  01 0000000000001000 0010  01 ffffffffffffffff 0020  00' +
        '00000001  01 0102 0030  00',
    );

    it('decode: list markers, node counts, keys and values; encode gives the bytes back', () => {
      const d = decode(q, bytes, 1, { analysis: ws });
      assert.equal(d.end, bytes.length);
      const reqs = d.value.fields.reqs as BodyValue[];
      assert.deepEqual(reqs.map((r) => r.fields.id), [7n, 9n]);
      const maps = d.value.fields.maps as BodyValue[];
      assert.deepEqual(maps.map((n) => [n.fields.key, (n.fields.value as BodyValue).fields.size]), [[0x1000n, 0x10n], [0xffffffffffffffffn, 0x20n]]);
      const byKey = d.value.fields.byKey as BodyValue[];
      assert.deepEqual((byKey[0].fields.key as BodyValue).fields, { lo: 1n, hi: 2n });
      assert.deepEqual(Buffer.from(encode(q, d.value, 1, { analysis: ws })), Buffer.from(bytes));
    });

    it('a node count that disagrees with the nodes fails as QEMU does; a hostile count is refused before reading', () => {
      const short = bytes.slice();
      short[14] = 3; // the direct-key tree claims 3 nodes, carries 2
      assert.throws(() => decode(q, short, 1, { analysis: ws }), (e: unknown) => e instanceof DecodeError && /expected 3 tree nodes, found 2 .*inconsistent stream/.test(e.message));
      const huge = bytes.slice();
      huge.set([0xff, 0xff, 0xff, 0xff], 11);
      assert.throws(() => decode(q, huge, 1, { analysis: ws }), (e: unknown) => e instanceof DecodeError && /expected at most \d+ tree nodes in the bytes left, found the count 4294967295/.test(e.message) && e.offset === 11);
      const badMarker = bytes.slice();
      badMarker[0] = 2;
      assert.throws(() => decode(q, badMarker, 1, { analysis: ws }), /expected a list marker 0 or 1, found 2/);
    });

    it('encode refuses values of the wrong shape with the path', () => {
      const d = decode(q, bytes, 1, { analysis: ws });
      (d.value.fields.maps as FieldValue[])[1] = 5n;
      assert.throws(() => encode(q, d.value, 1, { analysis: ws }), (e: unknown) => e instanceof DecodeError && e.path === 'queue.maps[1]' && /expected a tree node \{key, value\}/.test(e.message));
      (d.value.fields.reqs as FieldValue[])[0] = 1n;
      assert.throws(() => encode(q, d.value, 1, { analysis: ws }), (e: unknown) => e instanceof DecodeError && e.path === 'queue.reqs[0]');
    });
  });
});
