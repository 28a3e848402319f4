import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeMultiple } from 'cbor-x';
import { readCf, writeCf } from '../../server/src/codec/cf';
import { preview, previewSection } from '../../server/src/codec/preview';
import { decodeStream, sectionDescriptions, Stream } from '../../server/src/codec/stream';
import { ValueError, valueToJsonData } from '../../server/src/codec/values';
import { BodyValue } from '../../server/src/codec/vmstate';
import { Analysis } from '../../server/src/semantic/analyzer';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/** The annotated bytes of one description (codec/preview.ts), in QEMU's format and as a CBOR section item. */
const analysis: Analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const hex = (s: string) => Buffer.from(s, 'hex');
const streamBytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2-devices.mig')));
const stream = decodeStream(streamBytes, { analysis, descriptions: sectionDescriptions(analysis) });
const section = (idstr: string) => stream.sections.find((s) => s.idstr === idstr)!;
/** A value as the LSP carries it: JSON data through JSON text. */
const wire = (v: BodyValue) => JSON.parse(JSON.stringify(valueToJsonData(v))) as unknown;

describe('codec: preview of one description', () => {
  it('hpet defaults, QEMU format: each field at its offset, the versions and machine types around it', () => {
    const r = preview({ analysis, description: 'hpet', format: 'qemu' });
    assert.equal(r.error, undefined);
    assert.deepEqual([r.description, r.wireName, r.version, r.machine], ['hpet', 'hpet', 2, 'pc-i440fx-7.2']);
    assert.deepEqual(r.versions, [1, 2]);
    assert.ok(r.machines.includes('pc-i440fx-1.4') && r.machines.includes('pc-i440fx-7.2'));
    assert.equal(r.sizes.qemu, 151);
    assert.equal(r.bytes.length, 2 * 151);
    const at = (p: string) => r.annotations.find((a) => a.path === p)!;
    assert.deepEqual([at('hpet.num_timers').start, at('hpet.num_timers').end, at('hpet.num_timers').value], [24, 25, '3']);
    assert.equal(r.bytes.slice(48, 50), '03');
    assert.deepEqual([at('hpet.timer[1]').start, at('hpet.timer[1]').end], [25 + 42, 25 + 84]);
    assert.deepEqual([at('hpet.timer[2].qemu_timer').start, at('hpet.timer[2].qemu_timer').type], [25 + 84 + 34, 'timer']);
    // Enclosing ranges come first: the array, then its first element, then the element's first field.
    const i = r.annotations.indexOf(at('hpet.timer'));
    assert.deepEqual(r.annotations.slice(i, i + 3).map((a) => a.path), ['hpet.timer', 'hpet.timer[0]', 'hpet.timer[0].tn']);
    assert.equal(r.presence.find((p) => p.path === 'hpet/offset')!.present, false);
  });

  it('an older version and machine type: fewer bytes, and the reasons say why', () => {
    const r = preview({ analysis, description: 'hpet', format: 'qemu', version: 1, machine: 'pc-i440fx-2.11', value: { fields: { config: 1 } } });
    assert.equal(r.error, undefined);
    assert.equal(r.sizes.qemu, 150, 'no num_timers at version 1, and no hpet/offset on 2.11 even when enabled');
    assert.match(r.presence.find((p) => p.path === 'hpet/offset')!.detail, /hpet\.hpet-offset-saved = false \(machine type pc-i440fx-2\.11\)/);
    assert.deepEqual(r.defaulted, ['hpet.isr', 'hpet.hpet_counter', 'hpet.timer']);
    const on = preview({ analysis, description: 'hpet', format: 'qemu', value: { fields: { config: 1 } } });
    const sub = on.annotations.find((a) => a.kind === 'subsection')!;
    assert.deepEqual([sub.path, sub.start, sub.end, sub.value], ['hpet/offset', 151, 151 + 2 + 'hpet/offset'.length + 4, 'version 1']);
    assert.equal(on.bytes.slice(2 * 151, 2 * 153), '050b');
  });

  it('e1000 from its decoded value (as JSON data) gives the section\'s bytes, rxbuf_min_shift = 1 at offset 284', () => {
    const s = section('0000:00:02.0/e1000');
    const r = preview({ analysis, description: 'e1000', format: 'qemu', value: wire(s.value!) });
    assert.equal(r.error, undefined);
    assert.deepEqual(hex(r.bytes), Buffer.from(streamBytes.subarray(s.start, s.end)));
    const f = r.annotations.find((a) => a.path === 'e1000.rxbuf_min_shift')!;
    // PCIDevice: version_id 4, config 256, irq_state 16; `unused 4`; rxbuf_size 4.
    assert.deepEqual([f.start, f.end, f.value, f.type], [284, 288, '1', 'u32']);
    assert.equal(r.bytes.slice(2 * 284, 2 * 288), '00000001');
    const cfg = r.presence.find((p) => p.path === 'e1000.parent_obj.config')!;
    assert.deepEqual([cfg.present, cfg.reason, cfg.detail], [true, 'opaque', 'if opaque "!pci_is_express(dev): conventional PCI device": the value has it']);
    assert.deepEqual(r.value, wire(s.value!), 'the value used is the one given');
  });

  it('CBOR format: the section item of a self-describing stream, every key and value range where it says', () => {
    const s = section('hpet');
    const r = preview({ analysis, description: 'hpet', format: 'cbor', value: wire(s.value!) });
    assert.equal(r.error, undefined);
    const item = hex(r.bytes);
    assert.equal(item.length, r.sizes.cbor);
    assert.equal(r.sizes.qemu, s.end - s.start);
    // Exactly what writeCf puts in a stream for this section, and readCf reads the value back.
    const one: Stream = { capabilities: [], footers: true, sections: [], records: [], eof: -1, trailer: new Uint8Array() };
    const sec = previewSection(analysis.descriptions.find((d) => d.name === 'hpet')!.body, s.value!, s.version!, r.sizes.qemu);
    one.sections.push(sec);
    one.records.push({ kind: 'section', section: sec });
    const file = Buffer.from(writeCf(one));
    assert.ok(file.includes(item), 'the item appears verbatim in a whole CBOR stream');
    assert.equal(JSON.stringify(valueToJsonData(readCf(file).sections[0].value!)), JSON.stringify(valueToJsonData(s.value!)));
    const cbor = (a: { start: number; end: number }) => (decodeMultiple(item.subarray(a.start, a.end)) as unknown[])[0];
    const fields = r.annotations.filter((a) => a.kind === 'field');
    assert.ok(fields.length > 10);
    for (const a of r.annotations.filter((x) => x.key)) assert.equal(cbor(a.key!), a.path.replace(/^.*[./]/, ''), a.path);
    const cmp = r.annotations.find((a) => a.path === 'hpet.timer[0].cmp')!;
    assert.equal(cbor(cmp), 0xffffffffffffffffn, 'a disarmed comparator, exact');
    assert.equal(cmp.value, '18446744073709551615');
    assert.equal(cbor(r.annotations.find((a) => a.path === 'idstr')!), 'hpet');
    const el = r.annotations.find((a) => a.path === 'hpet.timer[1]')!;
    assert.equal(el.kind, 'element');
    assert.equal((cbor(el) as { fields: { tn: number } }).fields.tn, 1);
  });

  it('annotations page; a bad value is an error in the result; an unknown description throws', () => {
    const all = preview({ analysis, description: 'hpet', format: 'qemu' });
    const page = preview({ analysis, description: 'hpet', format: 'qemu', page: { offset: 5, limit: 4 } });
    assert.equal(page.annotationsTotal, all.annotationsTotal);
    assert.deepEqual(page.annotations, all.annotations.slice(5, 9));
    const bad = preview({ analysis, description: 'hpet', format: 'qemu', value: '{"fields": {"num_timers": 300}}' });
    assert.deepEqual(bad.error, { message: 'hpet.num_timers: expected a u8 from 0 to 255, found 300', path: 'hpet.num_timers' });
    assert.equal(bad.bytes, '');
    assert.deepEqual(bad.versions, [1, 2]);
    const machine = preview({ analysis, description: 'hpet', format: 'qemu', machine: 'nope' });
    assert.equal(machine.error?.path, 'machine');
    assert.throws(() => preview({ analysis, description: 'hpte', format: 'qemu' }), (e: unknown) => e instanceof ValueError && /did you mean `hpet`/.test(e.message));
  });

  it('places: each annotation and presence entry has its spot in the value, its declaration and how it is edited', () => {
    const r = preview({ analysis, description: 'hpet', format: 'qemu' });
    const text = fs.readFileSync(path.join(examplesDir, 'hpet.vmsd'), 'utf8');
    const at = (p: string) => r.annotations.find((a) => a.path === p)!;
    const tn = at('hpet.timer[1].tn');
    assert.deepEqual(tn.at, ['fields', 'timer', 1, 'fields', 'tn']);
    assert.equal(tn.edit, 'int');
    const src = r.sources[tn.source!];
    assert.deepEqual([src.kind, src.name, src.uri], ['field', 'tn', 'file:///ex/hpet.vmsd']);
    assert.equal(text.slice(src.nameStart, src.nameEnd), 'tn');
    assert.equal(text.slice(src.start, src.end), 'tn: u8');
    // Every element of an array points at the array field's declaration.
    assert.equal(at('hpet.timer[2]').source, at('hpet.timer').source);
    assert.equal(at('hpet.timer').edit, undefined, 'arrays are edited element by element');
    assert.deepEqual([at('hpet.timer[0].qemu_timer').edit, at('hpet.config').edit], ['int', 'int']);
    const d = r.sources[r.declaration];
    assert.deepEqual([d.kind, text.slice(d.nameStart, d.nameEnd)], ['description', 'hpet']);
    // The value at each place is the annotation's value.
    const value = r.value as Record<string, unknown>;
    const get = (p: Array<string | number>) => p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], value);
    for (const a of r.annotations.filter((x) => x.edit === 'int')) assert.equal(String(get(a.at!)), a.value, a.path);
    // Absent subsections have their place and declaration too.
    const off = r.presence.find((p) => p.path === 'hpet/offset')!;
    assert.deepEqual(off.at, ['subsections', 'offset']);
    assert.equal(text.slice(r.sources[off.source!].nameStart, r.sources[off.source!].nameEnd), 'offset');
    assert.ok(r.presence.every((p) => p.at && p.source !== undefined), 'every presence entry is placed');

    // The same places in the CBOR item; enums listed for editing by name; bools and hex bytes.
    const c = preview({ analysis, description: 'hpet', format: 'cbor' });
    assert.deepEqual(c.annotations.find((a) => a.path === 'hpet.timer[1].tn')!.at, tn.at);
    assert.ok(c.annotations.filter((a) => a.kind === 'marker').every((a) => a.at === undefined));
    const e = preview({ analysis, description: 'e1000', format: 'qemu', opaque: { config: true } });
    assert.equal(e.error, undefined);
    const kinds = new Set(e.annotations.map((a) => a.edit));
    for (const k of ['int', 'hex']) assert.ok(kinds.has(k as never), `an ${k} edit in e1000`);
    assert.equal(e.annotations.find((a) => a.path === 'e1000.parent_obj.config')!.edit, 'hex');
    assert.ok(e.annotations.filter((a) => a.kind !== 'marker').every((a) => a.at), 'every annotation is placed');
    // fdc: each drive of the array sends fdrive/media_rate; one path, one place per drive. FDPhase by name.
    const f = preview({ analysis, description: 'fdc', format: 'qemu', opaque: { media_changed: true } });
    assert.equal(f.error, undefined);
    const rates = f.annotations.filter((a) => a.path === 'fdrive/media_rate');
    assert.ok(rates.length >= 2);
    assert.deepEqual(rates.map((a) => a.at), rates.map((_, i) => ['fields', 'drives', i, 'subsections', 'media_rate']));
    assert.deepEqual(f.annotations.filter((a) => a.path === 'fdrive/media_rate.media_rate').map((a) => a.at![2]), rates.map((_, i) => i));
    assert.deepEqual(f.presence.filter((p) => p.path === 'fdrive/media_changed').map((p) => [p.at, p.reason]), rates.map((_, i) => [['fields', 'drives', i, 'subsections', 'media_changed'], 'opaque']));
    const phase = preview({ analysis, description: 'fdc', format: 'qemu', value: { fields: {}, subsections: { phase: { fields: { phase: 'result' } } } } });
    assert.equal(phase.error, undefined);
    const ph = phase.annotations.find((a) => a.path === 'fdc/phase.phase')!;
    assert.deepEqual([ph.edit, ph.type, ph.at], ['enum', 'FDPhase', ['subsections', 'phase', 'fields', 'phase']]);
    assert.ok(phase.enums.FDPhase.members.some((m) => m.name === 'result' && m.value === ph.value));
  });
});
