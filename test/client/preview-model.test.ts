import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { previewRequest, PreviewParams } from '../../server/src/lsp/preview';
import { byteInfo, byteMap, inNode } from '../../client/webview/preview/hex';
import { buildModel, carryOver, keyOf, nodeForPath, nodeForSources, revealNode, treeKey, visibleRows } from '../../client/webview/preview/model';
import type { PreviewResult } from '../../client/webview/preview/protocol';
import { editText, getAt, parseEdit, showValue, valueParam } from '../../client/webview/preview/values';
import { examplesDir } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * The preview panel's pure logic (client/webview/preview/) on real `vmsd/preview` results
 * of the examples: the tree built from annotations and presence, bytes ↔ nodes in both
 * formats, selection by the editor's cursor, and the value param made from edits.
 */


const analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
/** What the panel receives: the request's result through JSON, every page of annotations (as panel.ts asks for them). */
function preview(p: Omit<PreviewParams, 'uri'> & { uri?: string }): PreviewResult {
  const page = (offset: number) => JSON.parse(JSON.stringify(previewRequest(analysis, undefined, { uri: 'file:///ex/hpet.vmsd', ...p, page: { offset, limit: 20000 } }))) as PreviewResult;
  const r = page(0);
  while (r.annotations.length < r.annotationsTotal) r.annotations.push(...page(r.annotations.length).annotations);
  return r;
}
const both = (p: Omit<PreviewParams, 'uri' | 'format'>) => ({ qemu: preview({ ...p, format: 'qemu' }), cbor: preview({ ...p, format: 'cbor' }) });

describe('client: preview model (tree, bytes, selection, edits)', () => {
  const hpet = both({ description: 'hpet' });
  const model = buildModel(hpet);

  it('a tree of fields, elements and subsections, present or not, in declaration order', () => {
    assert.equal(model.root.label, 'hpet');
    assert.deepEqual(
      model.root.children.map((n) => [n.label, n.kind, n.present]),
      [
        ['config', 'field', true],
        ['isr', 'field', true],
        ['hpet_counter', 'field', true],
        ['num_timers', 'field', true],
        ['timer', 'field', true],
        ['rtc_irq_level', 'subsection', false],
        ['offset', 'subsection', false],
      ],
    );
    const timer = model.byKey.get('.timer')!;
    assert.deepEqual(timer.children.map((n) => n.label), ['[0]', '[1]', '[2]']);
    const tn = model.byKey.get('.timer[1].tn')!;
    assert.deepEqual([tn.path, tn.kind, tn.type, tn.value, tn.edit, tn.depth], ['hpet.timer[1].tn', 'field', 'u8', '0', 'int', 3]);
    assert.deepEqual(tn.ranges.qemu, { start: 25 + 42, end: 25 + 43 });
    assert.ok(tn.ranges.cbor && tn.keyRange && tn.keyRange.end <= tn.ranges.cbor.start, 'CBOR: the key, then the value');
    assert.equal(keyOf(['subsections', 'offset', 'fields', 'hpet_offset']), '/offset.hpet_offset');
    // Absent subsections say why; the root carries the declaration.
    const off = model.byKey.get('/offset')!;
    assert.equal(off.presence?.reason, 'property');
    assert.equal(hpet.qemu.sources[off.source!].name, 'offset');
    assert.equal(model.root.source, hpet.qemu.declaration);
    // Leaves get colours; the same node has the same colour in both formats.
    assert.ok(tn.colour !== undefined && model.byKey.get('.timer[1]')!.colour === undefined);
  });

  it('rows follow expansion; absent ones can be hidden; keys move like a treegrid', () => {
    const overrides = new Map<string, boolean>();
    const rows = visibleRows(model, overrides, true);
    assert.equal(rows[0], model.root);
    assert.ok(rows.some((n) => n.key === '.timer[2].qemu_timer'), 'three timers are expanded by default');
    assert.ok(!visibleRows(model, overrides, false).some((n) => !n.present));
    overrides.set('.timer', false);
    const fewer = visibleRows(model, overrides, true);
    assert.ok(!fewer.some((n) => n.key.startsWith('.timer[')));
    const timer = model.byKey.get('.timer')!;
    assert.deepEqual(treeKey(fewer, timer, 'ArrowRight', overrides, 10), { toggle: timer });
    assert.deepEqual(treeKey(fewer, timer, 'ArrowLeft', overrides, 10), { select: model.root });
    assert.equal(treeKey(fewer, timer, 'ArrowDown', overrides, 10).select, fewer[fewer.indexOf(timer) + 1]);
    assert.equal(treeKey(fewer, undefined, 'End', overrides, 10).select, fewer[fewer.length - 1]);
    // Selecting a hidden node expands its ancestors.
    revealNode(model.byKey.get('.timer[2].cmp')!, overrides);
    assert.equal(overrides.get('.timer'), true);
  });

  it('bytes → nodes: the innermost field owns its bytes; subsection headers and CBOR heads are framing; keys are keys', () => {
    const q = byteMap(model, 'qemu');
    assert.equal(byteInfo(model, q, 24).node?.path, 'hpet.num_timers');
    assert.equal(byteInfo(model, q, 24).role, 'data');
    assert.equal(byteInfo(model, q, 25).node?.path, 'hpet.timer[0].tn');
    const c = byteMap(model, 'cbor');
    const tn = model.byKey.get('.timer[1].tn')!;
    assert.equal(byteInfo(model, c, tn.keyRange!.start).role, 'key');
    assert.equal(byteInfo(model, c, tn.keyRange!.start).node, tn);
    assert.equal(byteInfo(model, c, tn.ranges.cbor!.start).node, tn);
    assert.equal(byteInfo(model, c, 0).role, 'none', 'the section map head');
    const idstr = model.markers.cbor!.find((m) => m.path === 'idstr')!;
    assert.equal(byteInfo(model, c, idstr.start).role, 'marker');
    assert.ok(inNode(tn, 'cbor', tn.keyRange!.start) && inNode(tn, 'qemu', 67) && !inNode(tn, 'qemu', 68));
    // A subsection's header (0x05, length, name, version) is framing of the subsection.
    const on = both({ description: 'hpet', value: { fields: { config: 1 } } });
    const m2 = buildModel(on);
    const sub = m2.byKey.get('/offset')!;
    assert.deepEqual(sub.ranges.qemu, { start: 151, end: 151 + 2 + 'hpet/offset'.length + 4 });
    const q2 = byteMap(m2, 'qemu');
    assert.deepEqual([byteInfo(m2, q2, 151).role, byteInfo(m2, q2, 151).node], ['frame', sub]);
    assert.equal(byteInfo(m2, q2, q2.length - 1).node?.path, 'hpet/offset.hpet_offset');
  });

  it('the cursor on a declaration selects its node, keeping the element already selected', () => {
    const tnSource = model.byKey.get('.timer[0].tn')!.source!;
    assert.equal(nodeForSources(model, [tnSource, model.root.source!])?.key, '.timer[0].tn');
    const third = model.byKey.get('.timer[2].tn')!;
    assert.equal(nodeForSources(model, [tnSource], third), third);
    assert.equal(nodeForSources(model, [model.root.source!]), model.root);
    assert.equal(nodeForSources(model, [9999]), undefined);
    assert.equal(nodeForPath(model, 'hpet.timer[1].config')?.key, '.timer[1].config');
    assert.equal(nodeForPath(model, 'hpet.timer[1].nothing')?.key, '.timer[1]', 'else the nearest enclosing');
    // After an update the selection is found again by key.
    const again = buildModel(both({ description: 'hpet', version: 1 }));
    assert.equal(carryOver(again, third)?.key, '.timer[2].tn');
    assert.equal(carryOver(again, model.byKey.get('.num_timers'))?.present, false, 'num_timers is absent at version 1');
  });

  it('subsections of an embedded description in an array: one node per element (fdc drives)', () => {
    const fdc = buildModel(both({ description: 'fdc' }));
    const rates = fdc.byPath.get('fdrive/media_rate')!;
    assert.ok(rates.length >= 2);
    assert.deepEqual(rates.map((n) => n.key), rates.map((_, i) => `.drives[${i}]/media_rate`));
    assert.ok(rates.every((n) => n.ranges.qemu && n.ranges.cbor));
  });

  it('edits make the value param: the edited top-level field whole, others default; errors come back at the field', () => {
    const base = hpet.qemu.value;
    const tn = model.byKey.get('.timer[1].config')!;
    const parsed = parseEdit('int', 'u64', '0xffffffffffffffff');
    assert.deepEqual(parsed, { ok: true, json: '18446744073709551615' });
    const { value } = valueParam([{ at: tn.at, path: tn.path, json: (parsed as { json: unknown }).json, text: '0xff…' }], base);
    const timer = getAt(value, ['fields', 'timer']) as unknown[];
    assert.equal(timer.length, 3, 'the array whole, at its count');
    assert.equal(getAt(value, ['fields', 'timer', 1, 'fields', 'config']), '18446744073709551615');
    assert.equal(getAt(value, ['fields', 'config']), undefined, 'other fields take their defaults');
    assert.equal(getAt(value, ['subsections']), undefined, 'subsections still chosen by needed');
    const r = preview({ description: 'hpet', format: 'qemu', value });
    assert.equal(r.error, undefined);
    assert.equal(r.annotations.find((a) => a.path === 'hpet.timer[1].config')!.value, '18446744073709551615');

    // config = 1 makes hpet/offset needed: the subsection comes and goes with the value.
    const cfg = valueParam([{ at: ['fields', 'config'], path: 'hpet.config', json: 1, text: '1' }], base).value;
    const withOffset = buildModel(both({ description: 'hpet', value: cfg }));
    assert.equal(withOffset.byKey.get('/offset')!.present, true);
    // A field of a subsection: the subsections are given (exactly those).
    const sub = valueParam([{ at: ['subsections', 'offset', 'fields', 'hpet_offset'], path: 'hpet/offset.hpet_offset', json: 5, text: '5' }], preview({ description: 'hpet', format: 'qemu', value: cfg }).value);
    assert.equal(getAt(sub.value, ['subsections', 'offset', 'fields', 'hpet_offset']), 5);
    // No edits: no value (the defaults); an edit with nowhere to go is dropped.
    assert.equal(valueParam([], base).value, undefined);
    assert.equal(valueParam([{ at: ['fields', 'nothing', 0], path: 'x', json: 1, text: '1' }], base).dropped.length, 1);

    // The server's refusal names the field.
    const bad = preview({ description: 'hpet', format: 'qemu', value: { fields: { num_timers: 300 } } });
    assert.equal(nodeForPath(model, bad.error!.path)?.key, '.num_timers');
  });

  it('enum values are shown and edited by member name (fdc phase)', () => {
    const fdc = both({ description: 'fdc', value: { fields: {}, subsections: { phase: { fields: { phase: 'result' } } } } });
    const m = buildModel(fdc);
    const ph = m.byKey.get('/phase.phase')!;
    assert.equal(ph.edit, 'enum');
    const enums = fdc.qemu.enums;
    assert.match(showValue(ph.edit, ph.type, ph.value, enums), /^result \(\d+\)$/);
    assert.equal(editText('enum', ph.type!, ph.value, getAt(fdc.qemu.value, ph.at), enums), 'result');
    assert.deepEqual(parseEdit('enum', ph.type!, 'Command', enums), { ok: true, json: 'command' });
    assert.equal(parseEdit('enum', ph.type!, 'nope', enums).ok, false);
  });

  it('e1000: tens of thousands of annotations make a tree whose big arrays start collapsed', () => {
    const e = both({ description: 'e1000', opaque: { config: true } });
    assert.ok(e.qemu.annotationsTotal > 20000, 'more than a page');
    const m = buildModel(e);
    assert.ok(m.nodes.length > 30000);
    const rows = visibleRows(m, new Map(), true);
    assert.ok(rows.length < 400, `${rows.length} rows shown at first`);
    const q = byteMap(m, 'qemu');
    assert.equal(byteInfo(m, q, 284).node?.path, 'e1000.rxbuf_min_shift');
  });
});
