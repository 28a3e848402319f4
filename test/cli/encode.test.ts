import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../server/src/cli/main';
import { parseJson } from '../../server/src/codec/values';
import { examplesDir, fixtures } from '../util/paths';

/** `vmsd encode`, run in-process: the bytes of one section from a JSON value or the defaults. */
async function run(args: string[], opts: { tty?: boolean; raw?: boolean } = {}): Promise<{ code: number; out: string; err: string; bytes: Buffer }> {
  let out = '';
  let err = '';
  const chunks: Buffer[] = [];
  const code = await main(args, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    outIsTty: opts.tty,
    ...(opts.raw ? { outBytes: (b: Uint8Array) => chunks.push(Buffer.from(b)) } : {}),
  });
  return { code, out, err, bytes: Buffer.concat(chunks) };
}

const mig = path.join(fixtures, 'qemu', 'pc-7.2-devices.mig');
const streamBytes = fs.readFileSync(mig);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-encode-'));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};
/** Parses hex dump lines (`00000010  00 01 …  |..|`) back into bytes. */
const undump = (s: string) =>
  Buffer.from(
    s
      .split('\n')
      .filter((l) => /^[0-9a-f]{8} {2}/.test(l))
      .map((l) => l.slice(10, 59).replace(/\s+/g, ''))
      .join(''),
    'hex',
  );

describe('cli: vmsd encode', () => {
  let decoded = '';
  let sections: Array<{ idstr?: string; start: number; end: number; version?: number; value?: unknown }> = [];
  before(async () => {
    const r = await run(['decode', mig, '-d', examplesDir, '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    decoded = r.out;
    sections = (parseJson(decoded) as { sections: typeof sections }).sections;
  });
  const stream = (idstr: string) => {
    const s = sections.find((x) => x.idstr === idstr)!;
    return streamBytes.subarray(s.start, s.end);
  };

  it('a section value from `vmsd decode --format json` encodes to the section\'s bytes in the stream', async () => {
    // The whole decode output: the one hpet section is picked, its version used.
    const whole = file('decoded.json', decoded);
    const out = path.join(dir, 'hpet.bin');
    const r = await run(['encode', '-d', examplesDir, '--description', 'hpet', '--value', whole, '-o', out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.deepEqual(fs.readFileSync(out), stream('hpet'));
    // One section's value, as JSON data (64-bit integers as decimal strings), to stdout raw.
    const e1000 = sections.find((x) => x.idstr === '0000:00:02.0/e1000')!;
    const value = file('e1000.json', JSON.stringify(e1000.value, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
    const raw = await run(['encode', '-d', examplesDir, '--description', 'e1000', '--value', value], { raw: true });
    assert.equal(raw.code, 0, raw.err);
    assert.equal(raw.out, '');
    assert.deepEqual(raw.bytes, stream('0000:00:02.0/e1000'));
  });

  it('e1000 from a section object as decode printed it, shown as a hex dump on a terminal', async () => {
    // The section object as decode printed it (its text between the braces).
    const start = decoded.indexOf('"idstr": "0000:00:02.0/e1000"');
    const open = decoded.lastIndexOf('\n    {', start) + 1;
    const close = decoded.indexOf('\n    }', start) + 6;
    const sec = file('e1000-section.json', decoded.slice(open, close));
    const r = await run(['encode', '-d', examplesDir, '--description', 'e1000', '--value', sec], { tty: true, raw: true });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.bytes.length, 0, 'nothing raw on a terminal');
    assert.match(r.out, /^00000000 {2}00 00 00 02 /, 'PCIDevice version_id 2 first');
    assert.deepEqual(undump(r.out), stream('0000:00:02.0/e1000'));
  });

  it('--defaults: hpet is 151 bytes with num_timers = 3 at offset 24; --version 1 drops it', async () => {
    const r = await run(['encode', '-d', examplesDir, '--description', 'hpet', '--defaults', '--hex'], { raw: true });
    assert.equal(r.code, 0, r.err);
    const b = undump(r.out);
    assert.equal(b.length, 151);
    assert.equal(b[24], 3);
    assert.match(r.out, /\n00000097\n$/, 'the length closes the dump');
    const v1 = await run(['encode', '-d', examplesDir, '--description', 'hpet', '--defaults', '--version', '1', '--hex']);
    assert.equal(v1.code, 0, v1.err);
    assert.equal(undump(v1.out).length, 150);
  });

  it('--defaults says which opaque tests it took as false; --opaque answers them', async () => {
    const plain = await run(['encode', '-d', examplesDir, '--description', 'e1000', '--defaults', '--hex']);
    assert.equal(plain.code, 0, plain.err);
    assert.match(plain.err, /note: e1000\.parent_obj\.config: if opaque "!pci_is_express\(dev\): conventional PCI device": the description cannot decide it; taken as false \(decide with --opaque e1000\.parent_obj\.config=true\)/);
    const pci = await run(['encode', '-d', examplesDir, '--description', 'e1000', '--defaults', '--hex', '--opaque', 'config=true', 'config_pcie=false']);
    assert.equal(pci.code, 0, pci.err);
    assert.equal(undump(pci.out).length - undump(plain.out).length, 256);
    const old = await run(['encode', '-d', examplesDir, '--description', 'e1000', '--defaults', '--hex', '--opaque', 'config=true', '--machine', 'pc-i440fx-1.6']);
    assert.equal(old.code, 0, old.err);
    // On 1.6 none of the three subsections: mit_state (6 + 15 + 17 bytes), full_mac_state
    // (6 + 20 + 4 × 0x8000), tx_tso_state (6 + 18 + 17).
    assert.equal(undump(pci.out).length - undump(old.out).length, 38 + 26 + 4 * 0x8000 + 41);
  });

  it('--format cbor writes the section item; it names the fields', async () => {
    const out = path.join(dir, 'hpet.cbor');
    const r = await run(['encode', '-d', examplesDir, '--description', 'hpet', '--defaults', '--format', 'cbor', '-o', out]);
    assert.equal(r.code, 0, r.err);
    const item = fs.readFileSync(out);
    assert.equal(item[0] & 0xe0, 0xa0, 'a CBOR map');
    assert.ok(item.includes(Buffer.from('num_timers')) && item.includes(Buffer.from('hpet_counter')));
  });

  it('missing fields are noted; a bad value exits 1 with its path; usage and I/O errors exit 2', async () => {
    const partial = file('partial.json', '{"fields": {"config": 1}}');
    const p = await run(['encode', '-d', examplesDir, '--description', 'hpet', '--value', partial, '--hex']);
    assert.equal(p.code, 0, p.err);
    assert.match(p.err, /note: not in the value, so taken from the defaults: hpet\.isr, hpet\.hpet_counter, hpet\.num_timers, hpet\.timer, hpet\/offset\n/);
    assert.equal(undump(p.out).length, 151 + 2 + 11 + 4 + 8, 'enabled: hpet/offset follows');

    const bad = file('bad.json', '{"fields": {"num_timers": 3, "timer": [{"fields": {"tn": 256}}]}}');
    const b = await run(['encode', '-d', examplesDir, '--description', 'hpet', '--value', bad, '--hex']);
    assert.equal(b.code, 1);
    assert.match(b.err, /hpet\.timer: expected 3 elements, found 1\n$/);
    const typo = file('typo.json', '{"fields": {"num_timer": 3}}');
    assert.match((await run(['encode', '-d', examplesDir, '--description', 'hpet', '--value', typo])).err, /hpet\.num_timer: expected a field of `hpet` \(did you mean `num_timers`\?\), found the unknown field `num_timer`/);
    const syntax = file('syntax.json', '{"fields": ');
    const s = await run(['encode', '-d', examplesDir, '--description', 'hpet', '--value', syntax]);
    assert.equal(s.code, 1);
    assert.match(s.err, /JSON line 1 column 12: expected a JSON value, found the end of the text/);
    const twoPics = await run(['encode', '-d', examplesDir, '--description', 'i8259', '--value', file('all.json', decoded)]);
    assert.equal(twoPics.code, 1);
    assert.match(twoPics.err, /expected one section of `i8259`, found 2 \(instances 0, 1\)/);

    const usage: Array<[string[], RegExp]> = [
      [['--defaults', '--value', partial], /give either --value FILE\.json or --defaults/],
      [[], /give either --value FILE\.json or --defaults/],
      [['--defaults', '--machine', 'pc-i440fx-9.9'], /expected a machine type of the descriptions .*found `pc-i440fx-9\.9`/],
      [['--defaults', '--version', '3'], /`hpet` is written at versions 1 to 2, not 3/],
      [['--defaults', '--opaque', 'config'], /--opaque takes NAME=true or NAME=false/],
      [['--value', path.join(dir, 'missing.json')], /missing\.json: no such file/],
    ];
    for (const [args, re] of usage) {
      const r = await run(['encode', '-d', examplesDir, '--description', 'hpet', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, re);
    }
    const unknown = await run(['encode', '-d', examplesDir, '--description', 'hpte', '--defaults']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /expected a description \(did you mean `hpet`\?\), found `hpte`/);
    assert.equal((await run(['encode', '--description', 'hpet', '--defaults'])).code, 2, '-d is required');
  });
});
