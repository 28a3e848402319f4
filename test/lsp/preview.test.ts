import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PreviewResult } from '../../server/src/codec/preview';
import type { PreviewResponse } from '../../server/src/lsp/preview';
import type { DecodeStreamResult as StreamResult } from '../../server/src/lsp/preview';
import { LineIndex } from '../../server/src/util/lines';
import { parseMarkers } from '../util/markers';
import { examplesDir, fixtures } from '../util/paths';
import { startClient, TestClient } from './client';

/** The custom requests vmsd/preview and vmsd/decodeStream (docs/lsp-extensions.md) on the built server over stdio. */

describe('lsp: vmsd/preview and vmsd/decodeStream', function () {
  this.timeout(60_000);
  let dir: string;
  let client: TestClient;
  const uri = (name: string) => pathToFileURL(path.join(dir, name)).href;
  const text = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const request = <R>(method: string, params: object) => client.connection.sendRequest(method, params) as Promise<R>;
  /** The file with a `<|>` inserted before `anchor`: its position, and the document opened. */
  const cursorAt = async (name: string, anchor: string) => {
    const marked = parseMarkers(text(name).replace(anchor, `<|>${anchor}`));
    assert.equal(marked.text, text(name));
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(name), languageId: 'vmsd', version: 1, text: marked.text } });
    return new LineIndex(marked.text).position(marked.cursors[0]);
  };
  const rejects = async (p: Promise<unknown>, re: RegExp) => {
    await assert.rejects(p, (e: { code?: number; message?: string }) => e.code === -32602 && re.test(e.message ?? ''));
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp-preview-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    fs.mkdirSync(path.join(dir, 'streams'));
    for (const f of ['pc-7.2-devices.mig', 'pc-2.3.mig']) fs.copyFileSync(path.join(fixtures, 'qemu', f), path.join(dir, 'streams', f));
    client = await startClient(pathToFileURL(dir).href);
  });
  after(async () => {
    await client.close();
  });

  it('previews the description under the cursor: hpet\'s num_timers is byte 24, value 3', async () => {
    const position = await cursorAt('hpet.vmsd', 'num_timers: u8 since 2');
    const r = await request<PreviewResult>('vmsd/preview', { uri: uri('hpet.vmsd'), position, format: 'qemu' });
    assert.equal(r.error, undefined);
    assert.deepEqual([r.description, r.version, r.machine, r.versions], ['hpet', 2, 'pc-i440fx-7.2', [1, 2]]);
    assert.ok(r.machines.includes('pc-i440fx-2.11'));
    assert.equal(r.bytes.length, 2 * 151);
    const n = r.annotations.find((a) => a.path === 'hpet.num_timers')!;
    assert.deepEqual([n.start, n.end, n.value], [24, 25, '3']);
    assert.equal(r.bytes.slice(48, 50), '03');
    assert.deepEqual(
      r.presence.filter((p) => p.path.includes('/')).map((p) => [p.path, p.present, p.reason]),
      [
        ['hpet/rtc_irq_level', false, 'test'],
        ['hpet/offset', false, 'property'],
      ],
    );
  });

  it('a cursor inside a subsection previews its description; a value (JSON text) and a machine type apply; CBOR too', async () => {
    const position = await cursorAt('e1000.vmsd', 'subsection tx_tso_state');
    const value = '{"fields": {"rxbuf_min_shift": 1, "mac_reg[RA]": [' + Array.from({ length: 32 }, (_, i) => (i === 0 ? '4294967295' : '0')).join(',') + ']}}';
    const r = await request<PreviewResult>('vmsd/preview', { uri: uri('e1000.vmsd'), position, format: 'qemu', machine: 'pc-i440fx-2.11', value, opaque: { config: true } });
    assert.equal(r.error, undefined);
    assert.equal(r.description, 'e1000');
    const f = r.annotations.find((a) => a.path === 'e1000.rxbuf_min_shift')!;
    assert.deepEqual([f.start, f.end, f.value], [284, 288, '1']);
    assert.equal(r.bytes.slice(2 * 284, 2 * 288), '00000001');
    const ra = r.annotations.find((a) => a.path === 'e1000.mac_reg[RA][0]')!;
    assert.deepEqual([ra.value, r.bytes.slice(2 * ra.start, 2 * ra.end)], ['4294967295', 'ffffffff']);
    const tso = r.presence.find((p) => p.path === 'e1000/tx_tso_state')!;
    assert.deepEqual([tso.present, tso.reason], [false, 'property']);
    assert.match(tso.detail, /machine type pc-i440fx-2\.11/);
    const cbor = await request<PreviewResult>('vmsd/preview', { uri: uri('e1000.vmsd'), description: 'hpet', format: 'cbor' });
    assert.equal(cbor.bytes.length, 2 * cbor.sizes.cbor);
    assert.equal(cbor.sizes.qemu, 151);
    const key = cbor.annotations.find((a) => a.path === 'hpet.num_timers')!;
    assert.equal(Buffer.from(cbor.bytes.slice(2 * key.key!.start, 2 * key.key!.end), 'hex').subarray(1).toString(), 'num_timers');
  });

  it('declarations as LSP ranges: the field under an annotation, the description, absent subsections', async () => {
    const position = await cursorAt('hpet.vmsd', 'num_timers: u8 since 2');
    const r = await request<PreviewResponse>('vmsd/preview', { uri: uri('hpet.vmsd'), position, format: 'qemu' });
    const n = r.annotations.find((a) => a.path === 'hpet.num_timers')!;
    const src = r.sources[n.source!];
    assert.deepEqual([src.kind, src.name, src.uri], ['field', 'num_timers', uri('hpet.vmsd')]);
    assert.deepEqual(src.nameRange, { start: position, end: { line: position.line, character: position.character + 'num_timers'.length } });
    assert.equal(src.range.start.line, position.line);
    const d = r.sources[r.declaration];
    assert.equal(d.kind, 'description');
    assert.ok(d.range.start.line < position.line && position.line < d.range.end.line, 'the description encloses its fields');
    assert.equal(text('hpet.vmsd').split('\n')[d.nameRange.start.line].slice(d.nameRange.start.character, d.nameRange.end.character), 'hpet');
    const off = r.presence.find((p) => p.path === 'hpet/offset')!;
    assert.deepEqual([off.at, r.sources[off.source!].kind, r.sources[off.source!].name], [['subsections', 'offset'], 'subsection', 'offset']);
    assert.deepEqual(n.at, ['fields', 'num_timers']);
    // Pages of one preview (made once, then sliced) join up to the whole.
    const page = (offset: number, limit: number) => request<PreviewResponse>('vmsd/preview', { uri: uri('hpet.vmsd'), description: 'hpet', format: 'cbor', page: { offset, limit } });
    const [a, b, whole] = await Promise.all([page(0, 10), page(10, 10), page(0, 20)]);
    assert.deepEqual([...a.annotations, ...b.annotations], whole.annotations);
    assert.equal(a.annotationsTotal, whole.annotationsTotal);
  });

  it('bad requests are InvalidParams errors; a bad value is the result\'s error', async () => {
    await cursorAt('hpet.vmsd', 'num_timers: u8 since 2');
    await rejects(request('vmsd/preview', { uri: uri('hpet.vmsd'), position: { line: 0, character: 0 }, format: 'qemu' }), /no description \(vmstate\) at this position/);
    await rejects(request('vmsd/preview', { uri: uri('hpet.vmsd'), description: 'hpte', format: 'qemu' }), /did you mean `hpet`/);
    await rejects(request('vmsd/preview', { uri: uri('hpet.vmsd'), description: 'hpet', format: 'xml' }), /format must be "qemu" or "cbor"/);
    const bad = await request<PreviewResult>('vmsd/preview', { uri: uri('hpet.vmsd'), description: 'hpet', format: 'qemu', value: { fields: { isr: -1 } } });
    assert.deepEqual(bad.error, { message: 'hpet.isr: expected a u64 from 0 to 18446744073709551615, found -1', path: 'hpet.isr' });
  });

  it('decodeStream: the header, every section, and the annotations a page at a time', async () => {
    const size = fs.statSync(path.join(dir, 'streams', 'pc-7.2-devices.mig')).size;
    const first = await request<StreamResult>('vmsd/decodeStream', { path: 'streams/pc-7.2-devices.mig', page: { offset: 0, limit: 40 } });
    assert.equal(first.error, undefined);
    assert.deepEqual([first.size, first.format, first.decodedWith], [size, 'qemu', 'descriptions']);
    assert.deepEqual([first.header!.machine, first.header!.footers, first.header!.vmdesc], ['pc-i440fx-7.2', true, true]);
    const hpet = first.sections.find((s) => s.idstr === 'hpet')!;
    assert.equal(hpet.decodedBy, 'description');
    assert.equal(first.sections.find((s) => s.idstr === 'cpu')!.decodedBy, 'vmdesc');
    assert.ok(first.sections.some((s) => s.decodedBy === 'ram'));
    const pcRam = first.ram!.blocks.find((b) => b.name === 'pc.ram')!;
    assert.equal(pcRam.size, 32 * 1024 * 1024);
    assert.ok(pcRam.pages + pcRam.zeroPages >= 8192, 'every page of 32 MB at least once');
    assert.equal(first.annotations.length, 40);
    assert.ok(first.page.total > 1000);
    assert.deepEqual(first.page, { offset: 0, limit: 40, total: first.page.total, section: null });

    const second = await request<StreamResult>('vmsd/decodeStream', { uri: pathToFileURL(path.join(dir, 'streams', 'pc-7.2-devices.mig')).href, page: { offset: 40, limit: 40 } });
    assert.equal(second.page.total, first.page.total);
    assert.deepEqual(second.sections, first.sections);
    assert.notDeepEqual(second.annotations, first.annotations);
    assert.ok(second.annotations[0].start >= first.annotations[39].start, 'pages follow the stream');
    for (const v of first.values) assert.ok(first.annotations.some((a) => a.section === v.section), 'values only of the sections on the page');

    // One section's page: hpet's num_timers sits 24 bytes into its section, its 64-bit values exact.
    const only = await request<StreamResult>('vmsd/decodeStream', { path: path.join(dir, 'streams', 'pc-7.2-devices.mig'), page: { section: hpet.index, offset: 0, limit: 1000 } });
    assert.equal(only.page.total, hpet.annotations);
    assert.ok(only.annotations.every((a) => a.section === hpet.index));
    const n = only.annotations.find((a) => a.path === 'hpet.num_timers')!;
    assert.equal(n.start, hpet.start + 24);
    assert.deepEqual(only.values.map((v) => v.section), [hpet.index]);
    const timers = (only.values[0].value as { fields: Record<string, unknown> }).fields.timer as Array<{ fields: Record<string, unknown> }>;
    assert.equal(timers[0].fields.cmp, '18446744073709551615', 'beyond 2^53: a decimal string');
  });

  it('decodeStream: vmdesc only; decode errors are reported with the offset, the sections listed by the vmdesc', async () => {
    const byVmdesc = await request<StreamResult>('vmsd/decodeStream', { path: 'streams/pc-7.2-devices.mig', descriptionsFrom: 'none', page: { limit: 0 } });
    assert.equal(byVmdesc.decodedWith, 'vmdesc');
    assert.ok(byVmdesc.sections.filter((s) => s.idstr && s.idstr !== 'ram').every((s) => s.decodedBy === 'vmdesc'));
    assert.deepEqual(byVmdesc.annotations, []);

    // pc-2.3 has no configuration record: without its machine type piix4_pm reads too much.
    const old = await request<StreamResult>('vmsd/decodeStream', { path: 'streams/pc-2.3.mig' });
    assert.ok(old.error, 'an error, not a failed request');
    assert.equal(old.error!.path, '0000:00:01.3/piix4_pm');
    assert.ok(old.error!.offset > 0);
    assert.match(old.error!.message, /the description `piix4_pm` reads 2408 bytes at version 3, the stream's vmdesc says QEMU wrote 2380/);
    assert.equal(old.decodedWith, 'vmdesc');
    assert.ok(old.sections.length > 10);
    const fixed = await request<StreamResult>('vmsd/decodeStream', { path: 'streams/pc-2.3.mig', machine: 'pc-i440fx-2.3', page: { limit: 5 } });
    assert.equal(fixed.error, undefined);
    assert.equal(fixed.header!.compatOf, 'pc-i440fx-2.3');
    assert.equal(fixed.sections.find((s) => s.idstr === '0000:00:01.3/piix4_pm')!.decodedBy, 'description');

    await rejects(request('vmsd/decodeStream', { path: 'streams/none.mig' }), /none\.mig: no such file/);
    await rejects(request('vmsd/decodeStream', { path: 'streams/pc-2.3.mig', machine: 'pc-9' }), /no machine type `pc-9`/);
    await rejects(request('vmsd/decodeStream', { path: 'streams/pc-2.3.mig', page: { section: 9999 } }), /page\.section must be the index of a section/);
  });
});
