import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { examplesDir, fixtures, updateGolden } from '../util/paths';
import { runCli } from '../util/cli';

/** Runs the CLI in-process, capturing its output. */
const run = runCli;

function tmpdir(files: Record<string, string | Uint8Array>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-cli-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('cli: vmsd check', () => {
  it('the examples are clean (exit 0, no errors or warnings)', async () => {
    const r = await run(['check', examplesDir]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /: 0 errors, 0 warnings\n$/);
    assert.doesNotMatch(r.out, / (error|warning) VL/);
  });

  it('--summary prints the descriptions with their versions and sizes', async () => {
    const r = await run(['check', '--summary', examplesDir]);
    assert.equal(r.code, 0);
    assert.match(r.out, /hpet_timer\s+hpet_timer\s+1\s+1\s+7\s+0\s+42\n/);
    assert.match(r.out, /machine types: .*pc-i440fx-7\.2/);
  });

  it('prints file:line:col: severity code message, and exits 1 on errors', async () => {
    const dir = tmpdir({ 'a.vmsd': 'vmstate a {\n    x: u9\n}\n' });
    const r = await run(['check', 'a.vmsd'], dir);
    assert.equal(r.code, 1);
    assert.match(r.out, /^a\.vmsd:2:8: error VL100 Unknown type `u9`; did you mean `u8`\?\n/);
  });

  it('--format json carries positions, codes and a summary', async () => {
    const dir = tmpdir({ 'a.vmsd': 'vmstate a {\n    x: u9\n}\n' });
    const r = await run(['check', '--format', 'json', dir]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.summary.errors, 1);
    assert.deepEqual(
      { line: j.diagnostics[0].line, column: j.diagnostics[0].column, code: j.diagnostics[0].code, severity: j.diagnostics[0].severity },
      { line: 2, column: 8, code: 'VL100', severity: 'error' },
    );
  });

  it('--fail-on warning turns warnings into a failure', async () => {
    const dir = tmpdir({ 'a.vmsd': 'const UNUSED = 1\n' });
    assert.equal((await run(['check', dir])).code, 0);
    assert.equal((await run(['check', '--fail-on', 'warning', dir])).code, 1);
  });

  it('exits 2 on usage and I/O errors', async () => {
    assert.equal((await run(['check', '--format', 'yaml', '.'])).code, 2);
    assert.equal((await run(['check', '/nonexistent/path/x.vmsd'])).code, 2);
    assert.equal((await run(['frobnicate'])).code, 2);
  });

  it('follows includes outside the named paths', async () => {
    const dir = tmpdir({ 'lib/pci.vmsd': 'vmstate PCIDevice {\n    v: u8\n}\n', 'dev/e.vmsd': 'include "../lib/pci.vmsd"\n\nvmstate e {\n    parent_obj: PCIDevice\n}\n' });
    const r = await run(['check', path.join(dir, 'dev')]);
    assert.equal(r.code, 0, r.out);
  });

  describe('bad input gives diagnostics with ranges and exit 1, never a crash or a hang', () => {
    const cases: Record<string, string | Uint8Array> = {
      'binary garbage': Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256),
      'NUL bytes': 'vmstate a {\0\0\0 x: u8 }\n',
      'a 1 MB line': 'vmstate a { ' + 'x'.repeat(1 << 20) + ' }\n',
      '100,000 nested braces': 'vmstate a ' + '{'.repeat(100_000) + '\n',
      '100,000 nested parentheses': 'const A = ' + '('.repeat(100_000) + '\n',
      '100,000 nested subsections': 'vmstate a {\n' + 'subsection s {\n'.repeat(100_000),
      'invalid UTF-8': Uint8Array.from([0x76, 0x6d, 0x73, 0x74, 0x61, 0x74, 0x65, 0x20, 0xc3, 0x28, 0xff, 0xfe, 0x20, 0x7b, 0x7d, 0x0a]),
      '100,000 unary operators': 'const A = ' + '!'.repeat(100_000) + 'true\n',
    };
    for (const [name, content] of Object.entries(cases)) {
      it(name, async () => {
        const dir = tmpdir({ 'bad.vmsd': content });
        const r = await run(['check', '--format', 'json', dir]);
        assert.equal(r.code, 1, r.err);
        const j = JSON.parse(r.out);
        assert.ok(j.diagnostics.length > 0 && j.diagnostics.length < 50, `${j.diagnostics.length} diagnostics`);
        for (const d of j.diagnostics) assert.ok(d.line >= 1 && d.column >= 1 && d.code.startsWith('VL'));
      });
    }
  });
});

describe('cli: vmsd fmt', () => {
  it('--check reports unformatted files and exits 1 without writing', async () => {
    const dir = tmpdir({ 'a.vmsd': 'vmstate   a {x:u8}\n', 'b.vmsd': 'vmstate b {\n    x: u8\n}\n' });
    const r = await run(['fmt', '--check', dir]);
    assert.equal(r.code, 1);
    assert.match(r.out, /a\.vmsd: not formatted/);
    assert.doesNotMatch(r.out, /b\.vmsd/);
    assert.equal(fs.readFileSync(path.join(dir, 'a.vmsd'), 'utf8'), 'vmstate   a {x:u8}\n');
  });

  it('formats in place, then --check is clean', async () => {
    const dir = tmpdir({ 'a.vmsd': 'vmstate   a {x:u8}\n' });
    assert.equal((await run(['fmt', dir])).code, 0);
    assert.equal(fs.readFileSync(path.join(dir, 'a.vmsd'), 'utf8'), 'vmstate a {\n    x: u8\n}\n');
    assert.equal((await run(['fmt', '--check', dir])).code, 0);
  });

  it('leaves a file with syntax errors untouched and says where', async () => {
    const text = 'vmstate a {\n    x:\n}\n';
    const dir = tmpdir({ 'a.vmsd': text });
    const r = await run(['fmt', dir]);
    assert.equal(r.code, 1);
    assert.match(r.err, /a\.vmsd:2:7: not formatted: syntax error VL010/);
    assert.equal(fs.readFileSync(path.join(dir, 'a.vmsd'), 'utf8'), text);
  });

  it('the examples are formatted', async () => {
    const r = await run(['fmt', '--check', examplesDir]);
    assert.equal(r.code, 0, r.out);
  });
});

describe('cli: vmsd decode', () => {
  const qemu = path.join(fixtures, 'qemu');

  // Every fixture stream: the old machine types with theirs named (pc-2.3 has no
  // configuration record), pc-2.2 (no vmdesc) with the descriptions imported from pc-2.3.
  const goldens: Array<[string, string[]]> = [
    ['pc-7.2.mig', []],
    ['pc-7.2-devices.mig', []],
    ['q35-7.2.mig', []],
    ['pc-7.2-caps.mig', []],
    ['pc-2.3.mig', ['--machine', 'pc-i440fx-2.3']],
  ];
  for (const [file, extra] of goldens) {
    it(`${file}: the text decode with the examples matches its golden file`, async () => {
      const r = await run(['decode', path.join(qemu, file), '-d', examplesDir, ...extra]);
      assert.equal(r.code, 0, r.err);
      const golden = path.join(qemu, file.replace(/\.mig$/, '.decode.txt'));
      if (updateGolden) fs.writeFileSync(golden, r.out);
      assert.equal(r.out, fs.readFileSync(golden, 'utf8'), `golden ${golden} differs (UPDATE_GOLDEN=1 to regenerate)`);
    });
  }

  it('pc-7.2-many.mig.gz (16 vCPUs, 12 NICs, USB): the text decode with the examples matches its golden file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-many-'));
    try {
      const file = path.join(dir, 'pc-7.2-many.mig');
      fs.writeFileSync(file, zlib.gunzipSync(fs.readFileSync(path.join(qemu, 'pc-7.2-many.mig.gz'))));
      const r = await run(['decode', file, '-d', examplesDir]);
      assert.equal(r.code, 0, r.err);
      const golden = path.join(qemu, 'pc-7.2-many.decode.txt.gz');
      if (updateGolden) fs.writeFileSync(golden, zlib.gzipSync(r.out, { level: 9 }));
      assert.ok(r.out === zlib.gunzipSync(fs.readFileSync(golden)).toString('utf8'), `golden ${golden} differs (UPDATE_GOLDEN=1 to regenerate)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pc-2.2.mig: the text decode with the descriptions imported from pc-2.3.mig matches its golden file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-imp22-'));
    try {
      assert.equal((await run(['import', 'vmdesc', path.join(qemu, 'pc-2.3.mig'), '-o', dir])).code, 0);
      const r = await run(['decode', path.join(qemu, 'pc-2.2.mig'), '-d', dir]);
      assert.equal(r.code, 0, r.err);
      const golden = path.join(qemu, 'pc-2.2.decode.txt');
      if (updateGolden) fs.writeFileSync(golden, r.out);
      assert.equal(r.out, fs.readFileSync(golden, 'utf8'), `golden ${golden} differs (UPDATE_GOLDEN=1 to regenerate)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--format json keeps 64-bit integers exact and byte strings in hex', async () => {
    const r = await run(['decode', path.join(qemu, 'pc-7.2-devices.mig'), '-d', examplesDir, '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    // A disarmed HPET comparator is all ones: 2^64 - 1, which a double would round.
    assert.match(r.out, /"cmp": 18446744073709551615,/);
    const parsed = JSON.parse(r.out) as { machine: string; sections: Array<{ idstr?: string; decodedBy?: string; start: number; end: number }> };
    assert.equal(parsed.machine, 'pc-i440fx-7.2');
    const cpu = parsed.sections.find((s) => s.idstr === 'cpu')!;
    assert.equal(cpu.decodedBy, 'vmdesc', 'undescribed sections are decoded by the stream\'s vmdesc');
    assert.equal(cpu.end - cpu.start, 1851);
    assert.match(r.out, /"config": "86800e10/, 'the e1000 config space starts with its vendor and device ids');
  });

  it('--format annotated lists every decoded byte once, with its field path', async () => {
    const r = await run(['decode', path.join(qemu, 'pc-7.2-devices.mig'), '-d', examplesDir, '--format', 'annotated']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ {2}[0-9a-f]{8} {2}00 00 00 01 +0000:00:02\.0\/e1000\.rxbuf_min_shift \(u32\) = 1$/m);
    // Leaf ranges tile each decoded section: no byte twice, none left out.
    const sections = r.out.split(/\n(?=\S)/).filter((s) => /\n {2}[0-9a-f]{8}/.test(s));
    assert.ok(sections.length >= 15);
    for (const s of sections) {
      const lines = s.split('\n').slice(1).filter(Boolean);
      const [, from, to] = /\[(\d+), (\d+)\)/.exec(s.split('\n')[0])!;
      let at = Number(from);
      for (const l of lines) {
        const m = /^ {2}([0-9a-f]{8}) {2}((?:[0-9a-f]{2} ?)+)(?:…\+(\d+))?/.exec(l)!;
        assert.equal(parseInt(m[1], 16), at, `gap or overlap before: ${l}`);
        at += m[2].trim().split(' ').length + Number(m[3] ?? 0);
      }
      assert.equal(at, Number(to), `the last range ends at the section end: ${s.split('\n')[0]}`);
    }
  });

  it('a truncated stream exits 1 with the offset and what was expected; a missing file exits 2', async () => {
    const bytes = fs.readFileSync(path.join(qemu, 'pc-7.2.mig'));
    const dir = tmpdir({ 'cut.mig': bytes.subarray(0, 20), 'cut2.mig': bytes.subarray(0, 100000) });
    let r = await run(['decode', path.join(dir, 'cut.mig')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cut\.mig: at byte 13 \(0xd\), configuration: expected the machine type name \(13 bytes\), found only 7/);
    r = await run(['decode', path.join(dir, 'cut2.mig')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /at byte \d+ \(0x[0-9a-f]+\), ram: expected/);
    r = await run(['decode', path.join(dir, 'absent.mig')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /absent\.mig: no such file/);
  });
});

describe('cli: vmsd transcode', () => {
  const qemu = path.join(fixtures, 'qemu');

  it('QEMU → CBOR → QEMU writes the same bytes, and the CBOR decodes with no description', async () => {
    const dir = tmpdir({});
    const src = path.join(qemu, 'pc-7.2-devices.mig');
    let r = await run(['transcode', src, '--to', 'cbor', '-o', path.join(dir, 's.cbor'), '-d', examplesDir]);
    assert.equal(r.code, 0, r.err);
    r = await run(['transcode', path.join(dir, 's.cbor'), '--to', 'qemu', '-o', path.join(dir, 's.mig'), '-d', examplesDir]);
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.readFileSync(path.join(dir, 's.mig')).equals(fs.readFileSync(src)));
    // The self-describing stream reads back with no .vmsd file at all.
    r = await run(['decode', path.join(dir, 's.cbor')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^machine: pc-i440fx-7\.2$/m);
    assert.match(r.out, /^ {2}rxbuf_min_shift = 1$/m);
  });

  it('refuses to overwrite its input and leaves no half-written output on a bad stream', async () => {
    const bytes = fs.readFileSync(path.join(qemu, 'pc-7.2.mig'));
    const dir = tmpdir({ 'in.mig': bytes, 'cut.mig': bytes.subarray(0, 300000), 'out.cbor': 'keep me' });
    let r = await run(['transcode', path.join(dir, 'in.mig'), '--to', 'cbor', '-o', path.join(dir, 'in.mig')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /refusing to overwrite the input/);
    assert.ok(fs.readFileSync(path.join(dir, 'in.mig')).equals(bytes));
    r = await run(['transcode', path.join(dir, 'cut.mig'), '--to', 'cbor', '-o', path.join(dir, 'out.cbor')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cut\.mig: at byte \d+/);
    assert.equal(fs.readFileSync(path.join(dir, 'out.cbor'), 'utf8'), 'keep me');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['cut.mig', 'in.mig', 'out.cbor']);
  });

  it('QEMU → CBOR with no description names fields by the vmdesc, and comes back exact', async () => {
    const dir = tmpdir({});
    const src = path.join(qemu, 'pc-7.2.mig');
    assert.equal((await run(['transcode', src, '--to', 'cbor', '-o', path.join(dir, 'a.cbor')])).code, 0);
    assert.equal((await run(['transcode', path.join(dir, 'a.cbor'), '--to', 'qemu', '-o', path.join(dir, 'a.mig')])).code, 0);
    assert.ok(fs.readFileSync(path.join(dir, 'a.mig')).equals(fs.readFileSync(src)));
  });
});

describe('cli: vmsd decode --extract-ram', () => {
  it('writes every RAM block as a sparse image of its size, pages at their offsets', async () => {
    const dir = tmpdir({});
    const r = await run(['decode', path.join(fixtures, 'qemu', 'pc-7.2.mig'), '--extract-ram', path.join(dir, 'ram')]);
    assert.equal(r.code, 0, r.err);
    const files = fs.readdirSync(path.join(dir, 'ram')).sort();
    assert.deepEqual(files, ['pc.bios.img', 'pc.ram.img', 'pc.rom.img', 'rom@etc_acpi_rsdp.img', 'rom@etc_acpi_tables.img', 'rom@etc_table-loader.img']);
    assert.equal(fs.statSync(path.join(dir, 'ram', 'pc.ram.img')).size, 32 * 1024 * 1024);
    // The x86 reset vector, 16 bytes below the top of the BIOS: SeaBIOS jumps to f000:e05b.
    const bios = fs.readFileSync(path.join(dir, 'ram', 'pc.bios.img'));
    assert.equal(bios.length, 256 * 1024);
    assert.deepEqual([...bios.subarray(0x3fff0, 0x3fff5)], [0xea, 0x5b, 0xe0, 0x00, 0xf0]);
  });
});
