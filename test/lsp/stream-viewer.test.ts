import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';
import type { DecodeStreamResult as StreamResult } from '../../server/src/lsp/preview';
import { examplesDir, fixtures } from '../util/paths';
import { startClient, TestClient } from './client';

/**
 * What the stream viewer asks vmsd/decodeStream for (docs/lsp-extensions.md): a multi-MB
 * stream answered page by page — sections, a tree level, the bytes of a range with the
 * annotations over them — each response small, none of them the whole stream.
 */
describe('lsp: vmsd/decodeStream for the stream viewer', function () {
  this.timeout(60_000);
  let dir: string;
  let client: TestClient;
  let many: string;
  const request = (params: object) => client.connection.sendRequest('vmsd/decodeStream', params) as Promise<StreamResult>;
  /** A request and the size of its JSON response. */
  const sized = async (params: object): Promise<[StreamResult, number]> => {
    const r = await request(params);
    return [r, JSON.stringify(r).length];
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp-stream-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    many = path.join(dir, 'pc-7.2-many.mig');
    fs.writeFileSync(many, zlib.gunzipSync(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2-many.mig.gz'))));
    fs.copyFileSync(path.join(fixtures, 'qemu', 'pc-2.3.mig'), path.join(dir, 'pc-2.3.mig'));
    client = await startClient(pathToFileURL(dir).href);
  });
  after(async () => {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a 2 MB stream, page by page: every response small', async () => {
    const size = fs.statSync(many).size;
    assert.ok(size > 2_000_000);
    const base = { path: many, values: false };
    const responses: number[] = [];

    // The section list, 20 at a time.
    const [first, n0] = await sized({ ...base, sections: { offset: 0, limit: 20 }, page: { limit: 0 } });
    responses.push(n0);
    assert.equal(first.error, undefined);
    assert.deepEqual(first.sectionsPage, { offset: 0, limit: 20, total: 94, filter: null });
    assert.equal(first.sections.length, 20);
    assert.deepEqual(first.annotations, []);
    assert.deepEqual(first.values, []);
    assert.ok(first.page.total > 200_000, 'hundreds of thousands of annotations in all');
    const revision = first.revision;
    const seen = [...first.sections];
    for (let offset = 20; offset < first.sectionsPage.total; offset += 20) {
      const [r, n] = await sized({ ...base, sections: { offset, limit: 20 }, page: { limit: 0 } });
      assert.equal(r.revision, revision, 'the same decode');
      seen.push(...r.sections);
      responses.push(n);
    }
    assert.deepEqual(
      seen.map((s) => s.index),
      seen.map((_, i) => i),
    );
    // Records tile the stream: each starts where the previous one (or a COMMAND) ended.
    for (const s of seen) assert.ok(s.recordStart < s.start && s.start <= s.end && s.end < s.recordEnd);
    assert.equal(seen[0].recordStart, 26, 'after the header and the configuration record');
    const ram = seen.filter((s) => s.decodedBy === 'ram');
    assert.ok(ram.some((s) => s.ram!.zeroPages > 8000));

    // A filter: the six e1000s.
    const [e1000s, n1] = await sized({ ...base, sections: { filter: 'E1000', limit: 100 }, page: { limit: 0 } });
    responses.push(n1);
    assert.deepEqual(e1000s.sectionsPage, { offset: 0, limit: 100, total: 6, filter: 'e1000' });
    const e = e1000s.sections[0];
    assert.equal(e.idstr, '0000:00:02.0/e1000');
    assert.equal(e.annotations, 33242);
    assert.deepEqual([e.description!.name, e.description!.uri], ['e1000', pathToFileURL(path.join(dir, 'e1000.vmsd')).href]);
    const line = fs.readFileSync(path.join(dir, 'e1000.vmsd'), 'utf8').split('\n')[e.description!.range.start.line];
    assert.equal(line.slice(e.description!.range.start.character, e.description!.range.end.character), 'e1000');

    // Its tree, a level at a time: the top level, then 100 of the 32768 mac_reg words.
    const [top, n2] = await sized({ ...base, sections: { limit: 0 }, page: { section: e.index, parent: -1, limit: 100 } });
    responses.push(n2);
    assert.deepEqual(top.sections, []);
    assert.ok(top.annotations.every((a) => a.parent === -1 && a.section === e.index));
    assert.deepEqual(
      top.annotations.map((a) => a.nth),
      top.annotations.map((_, i) => i),
    );
    assert.equal(top.types.PCIDevice.name, 'PCIDevice');
    const full = top.annotations.find((a) => a.path === 'e1000/full_mac_state')!;
    assert.equal(full.kind, 'subsection');
    assert.equal(full.children, 1, "a subsection's fields nest under it");
    const [inSub] = (await request({ ...base, sections: { limit: 0 }, page: { section: e.index, parent: full.index } })).annotations;
    assert.deepEqual([inSub.path, inSub.children, inSub.parent], ['e1000/full_mac_state.mac_reg', 32768, full.index]);
    const [words, n3] = await sized({ ...base, sections: { limit: 0 }, page: { section: e.index, parent: inSub.index, offset: 1000, limit: 100 } });
    responses.push(n3);
    assert.equal(words.page.total, 32768);
    assert.deepEqual([words.annotations[0].path, words.annotations[0].nth, words.annotations[0].start], ['e1000/full_mac_state.mac_reg[1000]', 1000, inSub.start + 4000]);

    // 1 KiB of bytes with the annotations over them: the enclosing ones come too.
    const at = inSub.start + 4000;
    const [hex, n4] = await sized({ ...base, sections: { limit: 0 }, bytes: { start: at, length: 1024 }, page: { range: { start: at, end: at + 1024 }, limit: 20000 } });
    responses.push(n4);
    assert.deepEqual([hex.bytes!.start, hex.bytes!.end, hex.bytes!.hex.length], [at, at + 1024, 2048]);
    assert.deepEqual(
      hex.bytes!.sections.map((s) => s.idstr),
      [e.idstr],
    );
    assert.equal(hex.page.total, 2 + 256, 'the subsection, mac_reg and its 256 words');
    assert.deepEqual(
      hex.annotations.slice(0, 3).map((a) => a.path),
      ['e1000/full_mac_state', 'e1000/full_mac_state.mac_reg', 'e1000/full_mac_state.mac_reg[1000]'],
    );

    // Bytes are capped, and clamped to the file.
    const [capped, n5] = await sized({ ...base, sections: { limit: 0 }, page: { limit: 0 }, bytes: { start: 0, length: 10_000_000 } });
    assert.equal(capped.bytes!.end, 65536);
    assert.equal(capped.bytes!.hex.slice(0, 16), '5145564d00000003', 'QEVM, version 3');
    const tail = await request({ ...base, sections: { limit: 0 }, page: { limit: 0 }, bytes: { start: size - 4, length: 100 } });
    assert.deepEqual([tail.bytes!.start, tail.bytes!.end], [size - 4, size]);

    for (const n of responses) assert.ok(n < 64 * 1024, `a response of ${n} bytes`);
    assert.ok(n5 < 160 * 1024);
    const whole = await request({ path: many, page: { limit: 0 } });
    assert.equal(whole.sections.length, 94, 'without `sections`, every section as before');
  });

  it('the tree of a section: hpet\'s timers nest, an empty range goes to the path it continues', async () => {
    const { sections } = await request({ path: many, values: false, sections: { filter: 'hpet' }, page: { limit: 0 } });
    const hpet = sections[0];
    const all = await request({ path: many, values: false, sections: { limit: 0 }, page: { section: hpet.index, limit: 1000 } });
    const byPath = new Map(all.annotations.map((a) => [a.path, a]));
    const timer = byPath.get('hpet.timer')!;
    assert.deepEqual([timer.parent, timer.children], [-1, 3]);
    const t1 = byPath.get('hpet.timer[1]')!;
    assert.deepEqual([t1.parent, t1.nth, t1.children], [timer.index, 1, 7]);
    assert.equal(byPath.get('hpet.timer[1].cmp')!.parent, t1.index);
    assert.deepEqual(
      all.annotations.map((a) => a.index),
      all.annotations.map((_, i) => i),
      'index is the page offset',
    );
    const num = byPath.get('hpet.num_timers')!;
    const bytes = await request({ path: many, values: false, sections: { limit: 0 }, page: { limit: 0 }, bytes: { start: num.start, length: 1 } });
    assert.equal(bytes.bytes!.hex, '03');

    // piix4_pm's empty `devs` sits where `selector` ends: its parent is acpi_memory_hotplug.
    const pm = (await request({ path: many, values: false, sections: { filter: 'piix4_pm' }, page: { limit: 0 } })).sections[0];
    const list = (await request({ path: many, values: false, sections: { limit: 0 }, page: { section: pm.index, limit: 20000 } })).annotations;
    const devs = list.find((a) => a.path.endsWith('acpi_memory_hotplug.devs'))!;
    assert.equal(devs.start, devs.end);
    assert.equal(list[devs.parent].path, 'piix4_pm/memhp.acpi_memory_hotplug');
    const sub = list.find((a) => a.path === 'piix4_pm/memhp')!;
    assert.equal(list[list[devs.parent].parent].index, sub.index);
  });

  it('a decode error names its section; the bytes can still be read; bad parameters are refused', async () => {
    const old = await request({ path: 'pc-2.3.mig', values: false, sections: { filter: 'piix4' }, page: { limit: 0 }, bytes: { start: 0, length: 16 } });
    assert.ok(old.error);
    const pm = old.sections[0];
    assert.equal(old.error!.section, pm.index);
    assert.ok(pm.recordStart <= old.error!.offset && old.error!.offset < pm.recordEnd);
    assert.equal(old.bytes!.hex.slice(0, 8), '5145564d');
    assert.ok(old.machines.includes('pc-i440fx-2.3'));

    const bad = async (params: object, re: RegExp) => {
      await assert.rejects(request({ path: many, ...params }), (e: { code?: number; message?: string }) => e.code === -32602 && re.test(e.message ?? ''));
    };
    await bad({ page: { parent: 0 } }, /page\.parent needs page\.section/);
    await bad({ page: { section: 0, parent: 5 } }, /page\.parent must be -1 or the index of an annotation/);
    await bad({ bytes: { start: -1, length: 4 } }, /bytes\.start must be an integer/);
    await bad({ page: { range: { start: 0 } } }, /page\.range\.end must be an integer/);
    await bad({ sections: { limit: 1.5 } }, /sections\.limit must be an integer/);
  });

  it('a new decode when the descriptions change: a new revision', async () => {
    const a = await request({ path: many, values: false, sections: { limit: 0 }, page: { limit: 0 } });
    const b = await request({ path: many, values: false, sections: { limit: 0 }, page: { limit: 0 } });
    assert.equal(a.revision, b.revision);
    const uri = pathToFileURL(path.join(dir, 'hpet.vmsd')).href;
    const text = fs.readFileSync(path.join(dir, 'hpet.vmsd'), 'utf8');
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'vmsd', version: 1, text: text + '\n' } });
    const c = await request({ path: many, values: false, sections: { limit: 0 }, page: { limit: 0 } });
    assert.notEqual(c.revision, a.revision);
    // Another stream in between does not throw the first one away.
    await request({ path: 'pc-2.3.mig', values: false, sections: { limit: 0 }, page: { limit: 0 } });
    const d = await request({ path: many, values: false, sections: { limit: 0 }, page: { limit: 0 } });
    assert.equal(d.revision, c.revision);
  });
});
