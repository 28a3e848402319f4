import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { examplesDir, fixtures } from '../util/paths';
import { runCli } from '../util/cli';

/**
 * `vmsd decode --format analyze-migration` against the output of QEMU's
 * scripts/analyze-migration.py -d state. The golden files are that script's output
 * (test/fixtures/qemu/streams.txt says which version); when the script is at
 * $ANALYZE_MIGRATION_PY (default /tmp/analyze/analyze-migration.py) the tests also run it.
 */
const run = runCli;

const qemu = path.join(fixtures, 'qemu');
/** The script's output for a fixture, kept gzipped (the devices stream's is 1.4 MB of JSON). */
const golden = (name: string) => zlib.gunzipSync(fs.readFileSync(path.join(qemu, `${name}.analyze-migration.json.gz`))).toString('utf8');
/**
 * QEMU's script is not ours to commit; `npm run test:analyze-migration` (which sets
 * ANALYZE_MIGRATION_PY, default /tmp/analyze/analyze-migration.py) re-checks the golden
 * files and the hand-made stream against it. Without the variable that test is not
 * registered at all (CI has no copy of the script).
 */
const script = process.env.ANALYZE_MIGRATION_PY;

/** What the script prints for a stream, or undefined (with its stderr) when it fails. */
function scriptOutput(file: string): { out?: string; err: string } {
  const r = spawnSync('python3', [script ?? 'analyze-migration.py', '-f', file, '-d', 'state'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { out: r.status === 0 ? r.stdout : undefined, err: r.stderr };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-am-'));
}

/** Big-endian builder for a hand-made stream. */
class Bytes {
  private parts: number[] = [];
  u8(...xs: number[]): this {
    this.parts.push(...xs);
    return this;
  }
  be(v: bigint | number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.parts.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u8(b.length, ...b);
  }
  raw(b: Uint8Array): this {
    return this.u8(...b);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/**
 * A stream (no configuration, hence no footers, like pc-2.3) built to hit the script's
 * quirks: signed `uint8 equal`/`uint16 equal`, negatives, bool 2, timer as bytes, a name
 * repeated without index (overwrites in place), index lists, compressed arrays, an empty
 * struct, `tmp` unopened, struct elements with subsections, names needing JSON escapes,
 * section keys by section id (not instance) in stream order.
 */
function synthetic(edit?: (vmdesc: { devices: Array<{ fields: Array<{ type: string }> }> }) => void): Uint8Array {
  const odd = 'tab\t"q\u00fc\u20ac\u{1f600}';
  const pt = { vmsd_name: 'pt', version: 1, fields: [{ name: 'v', type: 'int8', size: 1 }], subsections: [{ vmsd_name: 'pt/more', version: 2, fields: [{ name: 'w', type: 'uint32 equal', size: 4 }] }] };
  const vmdesc = {
    page_size: 4096,
    devices: [
      {
        name: 'dev', instance_id: 0, vmsd_name: 'dev', version: 1,
        fields: [
          { name: 'a', type: 'uint8 equal', size: 1 },
          { name: 'b', type: 'int32', size: 4 },
          { name: 'c', type: 'uint64', size: 8 },
          { name: 't', type: 'timer', size: 8 },
          { name: 'flag', type: 'bool', size: 1 },
          { name: 'arr', array_len: 2, type: 'uint16', size: 2 },
          { name: 'e', type: 'struct', struct: { vmsd_name: 'e', version: 1, fields: [] }, size: 0 },
          { name: odd, type: 'buffer', size: 3 },
          { name: 'a', type: 'uint8', size: 1 },
          { name: 's', index: 0, type: 'int16', size: 2 },
          { name: 's', index: 1, type: 'int16', size: 2 },
          { name: 'x', type: 'int64 equal', size: 8 },
          { name: 'tmp', type: 'tmp', vmsd_name: 'fpreg_tmp', version: 0, fields: [{ name: 'm', type: 'uint64', size: 8 }, { name: 'e', type: 'uint16', size: 2 }], size: 10 },
          { name: 'pts', index: 0, type: 'struct', struct: pt, size: 15 },
          { name: 'pts', index: 1, type: 'struct', struct: pt, size: 15 },
          { name: 'u16eq', type: 'uint16 equal', size: 2 },
        ],
        subsections: [{ vmsd_name: 'dev/sub', version: 1, fields: [{ name: 'v', type: 'int32 le', size: 4 }] }],
      },
      { name: 'dev', instance_id: 1, vmsd_name: 'dev', version: 1, fields: [] },
    ],
  };
  edit?.(vmdesc);
  const pts = (v: number, w: number) => new Bytes().u8(v).u8(5).str('pt/more').be(2, 4).be(w, 4).done();
  const json = Buffer.from(JSON.stringify(vmdesc), 'utf8');
  return new Bytes()
    .be(0x5145564d, 4).be(3, 4)
    // RAM: START with its block list, END with nothing but EOS.
    .u8(1).be(2, 4).str('ram').be(0, 4).be(4, 4)
    .be(0x2000 | 0x04, 8).str('pc.ram').be(0x1000, 8).str('x').be(0x1000, 8).be(0x10, 8)
    .u8(3).be(2, 4).be(0x10, 8)
    .u8(4).be(7, 4).str('dev').be(0, 4).be(1, 4)
    .u8(0xff).be(0x80000000, 4).be(0xffffffffffffffffn, 8).u8(1, 2, 3, 4, 5, 6, 7, 8).u8(2).be(1, 2).be(0xfffe, 2)
    .u8(0x00, 0x7f, 0x80).u8(5).be(0xffff, 2).be(2, 2).be(-2n, 8).u8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
    .raw(pts(0x80, 1)).raw(pts(1, 0xffffffff)).be(0x8000, 2)
    .u8(5).str('dev/sub').be(1, 4).be(-3n, 4)
    .u8(4).be(3, 4).str('dev').be(1, 4).be(1, 4)
    .u8(0)
    .u8(6).be(json.length, 4).raw(json)
    .done();
}

/** What analyze-migration.py (the version named in streams.txt) prints for synthetic(). */
const SYNTHETIC = `{
    "ram (2)": {
        "section sizes": {
            "pc.ram": "0x0000000000001000",
            "x": "0x0000000000001000"
        }
    },
    "dev (7)": {
        "a": "0x05",
        "b": "0x80000000 (-2147483648)",
        "c": "0xffffffffffffffff",
        "t": "01 02 03 04 05 06 07 08",
        "flag": true,
        "arr": [
            "0x0001",
            "0xfffe"
        ],
        "e": {},
        "tab\\t\\"q\\u00fc\\u20ac\\ud83d\\ude00": "00 7f 80",
        "s": [
            "0xffff (-1)",
            "0x0002"
        ],
        "x": "0xfffffffffffffffe (-2)",
        "tmp": "00 01 02 03 04 05 06 07 08 09",
        "pts": [
            {
                "v": "0x80 (-128)",
                "pt/more": {
                    "w": "0x00000001"
                }
            },
            {
                "v": "0x01",
                "pt/more": {
                    "w": "0xffffffff"
                }
            }
        ],
        "u16eq": "0x8000 (-32768)",
        "dev/sub": {
            "v": "0xfffffffd (-3)"
        }
    },
    "dev (3)": {}
}
`;

/** A fixture stream as a file: the gzipped one (pc-7.2-many, 2 MB) decompressed to a temporary file. */
function streamFile(name: string): string {
  const plain = path.join(qemu, `${name}.mig`);
  if (fs.existsSync(plain)) return plain;
  const file = path.join(tmp(), `${name}.mig`);
  fs.writeFileSync(file, zlib.gunzipSync(fs.readFileSync(`${plain}.gz`)));
  return file;
}
const readable = ['pc-7.2', 'pc-7.2-devices', 'q35-7.2', 'pc-2.3', 'pc-7.2-many'];

describe('cli: vmsd decode --format analyze-migration', () => {
  for (const name of readable) {
    it(`${name}: prints exactly what analyze-migration.py prints`, async () => {
      const r = await run(['decode', streamFile(name), '--format', 'analyze-migration']);
      assert.equal(r.code, 0, r.err);
      assert.ok(r.out === golden(name), `differs from ${name}.analyze-migration.json.gz`);
    });
  }

  it('a stream without vmdesc (pc-i440fx-2.2) exits 1 and says why, as the script cannot read it either', async () => {
    const r = await run(['decode', path.join(qemu, 'pc-2.2.mig'), '--format', 'analyze-migration']);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /pc-2\.2\.mig: the stream has no vmdesc .*analyze-migration\.py reads device sections only by it/);
  });

  it('a stream with configuration subsections (the script stops at them) prints what the script prints for the same VM without', async () => {
    const caps = await run(['decode', path.join(qemu, 'pc-7.2-caps.mig'), '--format', 'analyze-migration']);
    assert.equal(caps.code, 0, caps.err);
    const plain = JSON.parse(golden('pc-7.2')) as Record<string, unknown>;
    const got = JSON.parse(caps.out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(got), Object.keys(plain));
    assert.deepEqual(got['ram (2)'], plain['ram (2)']);
    assert.deepEqual(got['fw_cfg (8)'], plain['fw_cfg (8)']);
  });

  it('-d is refused: the format is defined by the vmdesc alone', async () => {
    const r = await run(['decode', path.join(qemu, 'pc-7.2.mig'), '--format', 'analyze-migration', '-d', examplesDir]);
    assert.equal(r.code, 2);
    assert.match(r.err, /-d is not used with it/);
  });

  it('a CBOR stream transcoded without descriptions gives the same output; one decoded with descriptions is refused', async () => {
    const dir = tmp();
    const src = path.join(qemu, 'pc-7.2-devices.mig');
    assert.equal((await run(['transcode', src, '--to', 'cbor', '-o', path.join(dir, 'plain.cbor')])).code, 0);
    let r = await run(['decode', path.join(dir, 'plain.cbor'), '--format', 'analyze-migration']);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out === golden('pc-7.2-devices'), 'CBOR output differs from the golden file');
    assert.equal((await run(['transcode', src, '--to', 'cbor', '-o', path.join(dir, 'named.cbor'), '-d', examplesDir])).code, 0);
    r = await run(['decode', path.join(dir, 'named.cbor'), '--format', 'analyze-migration']);
    assert.equal(r.code, 1);
    assert.match(r.err, /was decoded with a \.vmsd description, not by the stream's vmdesc; transcode it without -d/);
  });

  it('a hand-made stream hitting the script\'s quirks prints what the script prints (QEMU file and CBOR alike)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'quirks.mig');
    fs.writeFileSync(file, synthetic());
    let r = await run(['decode', file, '--format', 'analyze-migration']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, SYNTHETIC);
    assert.equal((await run(['transcode', file, '--to', 'cbor', '-o', path.join(dir, 'quirks.cbor')])).code, 0);
    r = await run(['decode', path.join(dir, 'quirks.cbor'), '--format', 'analyze-migration']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, SYNTHETIC);
  });

  it('where the script would stop, so does the format (exit 1): a type it cannot print', async () => {
    const file = path.join(tmp(), 'cap.mig');
    fs.writeFileSync(file, synthetic((d) => (d.devices[0].fields[15].type = 'capability')));
    const r = await run(['decode', file, '--format', 'analyze-migration']);
    assert.equal(r.code, 1);
    assert.match(r.err, /dev\.u16eq: analyze-migration\.py cannot print a capability field/);
  });

  if (script) it(`the golden files and the hand-made stream still match the script at ${script}`, () => {
    for (const name of readable) {
      const s = scriptOutput(streamFile(name));
      assert.ok(s.out === golden(name), `${name}: the script's output is not the golden file`);
    }
    const file = path.join(tmp(), 'quirks.mig');
    fs.writeFileSync(file, synthetic());
    assert.equal(scriptOutput(file).out, SYNTHETIC);
    assert.equal(scriptOutput(path.join(qemu, 'pc-2.2.mig')).out, undefined, 'the script reads no stream without vmdesc');
  });
});
