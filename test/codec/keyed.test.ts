import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCf, writeCf } from '../../server/src/codec/cf';
import { conformStream } from '../../server/src/codec/keyed';
import { ValueError } from '../../server/src/codec/values';
import { BodyValue } from '../../server/src/codec/vmstate';
import { decodeStream, encodeStream, sectionDescriptions, StreamOptions } from '../../server/src/codec/stream';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';
import { runCli } from '../util/cli';

/**
 * The self-describing stream read with descriptions of another version (language.md
 * §3.22): unknown fields skipped, absent ones defaulted, aliases honoured — and a stream
 * that matches its descriptions left exactly as it was.
 */
const exampleFiles = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd'));
function optionsWith(edit?: (name: string, text: string) => string): StreamOptions {
  const analysis = workspaceOf(
    exampleFiles.map((f) => {
      const text = fs.readFileSync(path.join(examplesDir, f), 'utf8');
      return { uri: 'file:///ex/' + f, text: edit ? edit(f, text) : text };
    }),
  ).analysis();
  const errors = [...analysis.diagnostics.values()].flat().filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), []);
  return { analysis, descriptions: sectionDescriptions(analysis) };
}
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('cf: reading with descriptions of another version', () => {
  const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2.mig')));
  const examples = optionsWith();
  const cbor = writeCf(decodeStream(bytes, examples));

  it('descriptions that match: nothing to say, and the QEMU stream comes back byte for byte', () => {
    const c = conformStream(readCf(cbor), examples);
    assert.deepEqual(c.notes, []);
    assert.equal(c.changed, false);
    assert.ok(same(encodeStream(c.stream, examples), bytes));
  });

  it('a newer hpet (a field added at version 3, one removed, one renamed with an alias): skipped, defaulted, kept', () => {
    const newer = optionsWith((f, t) =>
      f !== 'hpet.vmsd'
        ? t
        : t
            .replace('vmstate hpet {\n    version 2', 'vmstate hpet {\n    version 3')
            .replace('    isr: u64\n', '')
            .replace('    hpet_counter: u64\n', '    main_counter: u64 alias hpet_counter\n')
            .replace('    timer: hpet_timer[num_timers]\n', '    timer: hpet_timer[num_timers]\n    /// Added in version 3.\n    comparator_mask: u32 since 3 default 7\n'),
    );
    const c = conformStream(readCf(cbor), newer);
    assert.equal(c.changed, true);
    assert.deepEqual(
      c.notes.map((n) => [n.section, n.kind, n.path]),
      [
        ['hpet', 'skipped', 'hpet.isr'],
        ['hpet', 'defaulted', 'hpet.comparator_mask'],
        ['hpet', 'version', 'hpet'],
      ],
    );
    const hpet = c.stream.sections.find((x) => x.idstr === 'hpet')!;
    const old = decodeStream(bytes, examples).sections.find((x) => x.idstr === 'hpet')!;
    assert.equal(hpet.version, 3);
    assert.equal(hpet.value!.fields.main_counter, old.value!.fields.hpet_counter, 'the alias carried the value over');
    assert.equal(hpet.value!.fields.comparator_mask, 7n);
    assert.deepEqual(hpet.value!.fields.timer, old.value!.fields.timer);
    // The QEMU stream for the newer descriptions: hpet at version 3 (4 bytes more, 8 less),
    // with a vmdesc written anew: hpet's entry from the new description, the others as they were.
    const out = encodeStream(c.stream, newer);
    const before = decodeStream(bytes, examples);
    const again = decodeStream(out, newer); // sizes are checked against the new vmdesc
    assert.equal(again.eof - before.eof, 4 - 8);
    const entry = (s: typeof again, idstr: string) => s.vmdesc!.find((d) => d.name === idstr)!;
    assert.equal(entry(again, 'hpet').version, 3);
    assert.deepEqual(entry(again, 'hpet').fields!.map((x) => x.name), ['config', 'main_counter', 'num_timers', 'timer', 'comparator_mask']);
    assert.equal(again.vmdesc!.length, before.vmdesc!.length);
    before.vmdesc!.forEach((d, i) => d.name !== 'hpet' && assert.deepEqual(again.vmdesc![i], d, d.name));
    const h = again.sections.find((x) => x.idstr === 'hpet')!;
    assert.equal(h.version, 3);
    assert.equal(h.value!.fields.comparator_mask, 7n);
    assert.deepEqual((h.value!.fields.timer as BodyValue[]).length, 3);
  });

  it('a value the description cannot hold is a ValueError with the section path', () => {
    const narrower = optionsWith((f, t) => (f !== 'hpet.vmsd' ? t : t.replace('    hpet_counter: u64\n', '    hpet_counter: u8\n')));
    const s = readCf(cbor);
    const hpet = s.sections.find((x) => x.idstr === 'hpet')!;
    hpet.value!.fields.hpet_counter = 0x1234n;
    assert.throws(
      () => conformStream(s, narrower),
      (e: unknown) => e instanceof ValueError && e.path === 'hpet.hpet_counter' && /expected .*u8.*found 4660/.test(e.message),
    );
  });

  it('a stream named by the vmdesc alone, read with descriptions: names taken where they agree, every disagreement said', () => {
    const generic = writeCf(decodeStream(bytes, { ...examples, descriptions: new Map() }));
    const c = conformStream(readCf(generic), examples);
    const timer = c.stream.sections.find((x) => x.idstr === 'timer')!;
    assert.equal(timer.byVmdesc, false, 'read by the description now');
    assert.equal(timer.value!.fields.cpu_ticks_offset, decodeStream(bytes, examples).sections.find((x) => x.idstr === 'timer')!.value!.fields.cpu_ticks_offset);
    // The vmdesc calls PCIDevice's config space `config[0]`, the description `config`.
    assert.ok(c.notes.some((n) => n.kind === 'skipped' && n.section === '0000:00:01.3/piix4_pm' && n.path === 'piix4_pm.parent_obj.config[0]'));
    assert.ok(c.notes.some((n) => n.kind === 'skipped' && n.path === 'timer.unused'), 'the vmdesc names unused bytes `unused`; the description has them unnamed');
  });

  it('the command line: decode and transcode a CBOR stream with newer descriptions, each step said', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-keyed-'));
    try {
      for (const f of exampleFiles) {
        const t = fs.readFileSync(path.join(examplesDir, f), 'utf8');
        fs.writeFileSync(path.join(dir, f), f === 'hpet.vmsd' ? t.replace('vmstate hpet {\n    version 2', 'vmstate hpet {\n    version 3').replace('    isr: u64\n', '') : t);
      }
      const cborFile = path.join(dir, 'pc.cbor');
      fs.writeFileSync(cborFile, cbor);
      const run = runCli;
      const d = await run(['decode', cborFile, '-d', dir, '--format', 'json']);
      assert.equal(d.code, 0, d.err);
      assert.match(d.err, /vmsd: note: hpet: `hpet.isr` is not in the description `hpet` at version 3: skipped/);
      assert.match(d.err, /vmsd: note: hpet: written at version 2, read as version 3/);
      const qemu = path.join(dir, 'pc.mig');
      const t = await run(['transcode', cborFile, '--to', 'qemu', '-d', dir, '-o', qemu]);
      assert.equal(t.code, 0, t.err);
      assert.match(t.err, /a QEMU stream written from it gets a vmdesc written anew/);
      const back = await run(['decode', qemu, '-d', dir]);
      assert.equal(back.code, 0, back.err);
      assert.match(back.out, /full \d+ hpet instance 0 version 3/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
