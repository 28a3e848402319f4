import * as assert from 'node:assert/strict';
import * as fmt from '../../client/webview/stream/format';
import * as hx from '../../client/webview/stream/hex-layout';
import type { SectionSummary } from '../../client/webview/stream/protocol';
import * as vl from '../../client/webview/stream/virtual-list';

/**
 * The stream viewer's DOM-free modules (client/webview/stream/): the virtual list's
 * windowing, the hex view's layout and the texts.
 */

const section = (over: Partial<SectionSummary>): SectionSummary => ({
  index: 3,
  type: 'full',
  id: 18,
  idstr: 'hpet',
  instance: 0,
  version: 2,
  start: 100,
  end: 251,
  recordStart: 81,
  recordEnd: 256,
  decodedBy: 'description',
  annotations: 29,
  ...over,
});

describe('stream viewer: virtual list windowing', () => {
  const small = { count: 1000, rowHeight: 20, viewport: 100 };

  it('renders the rows on screen and a few more, each at its place', () => {
    assert.deepEqual(vl.windowAt(small, 0, 2), { first: 0, end: 7 });
    assert.deepEqual(vl.windowAt(small, 500, 2), { first: 23, end: 32 });
    assert.deepEqual(vl.windowAt(small, 510, 0), { first: 25, end: 31 }, 'a row cut at the top and one at the bottom');
    assert.equal(vl.rowTop(small, 25, 500, 500), 500, 'unscaled: a row sits at row × height');
    assert.deepEqual(vl.windowAt(small, 1e9, 0), { first: 995, end: 1000 }, 'past the end: the last screen');
    assert.deepEqual(vl.windowAt({ ...small, count: 0 }, 0), { first: 0, end: 0 });
    assert.deepEqual(vl.windowAt({ ...small, count: 3 }, 0, 4), { first: 0, end: 3 });
    assert.equal(vl.spacerHeight(small), 20_000);
    assert.equal(vl.isScaled(small), false);
    assert.equal(vl.offsetOfScrollTop(small, 1234), 1234);
    assert.equal(vl.scrollTopOfOffset(small, 1234), 1234);
  });

  it('a 1 GiB stream\'s 67 million hex rows scroll in virtual pixels under the height cap', () => {
    const g = { count: (1024 * 1024 * 1024) / 16, rowHeight: 20, viewport: 600, maxPx: 4_000_000 };
    assert.ok(vl.isScaled(g));
    assert.equal(vl.spacerHeight(g), 4_000_000);
    const max = vl.maxOffset(g);
    assert.equal(max, g.count * 20 - 600);
    assert.equal(vl.scrollTopOfOffset(g, max), 4_000_000 - 600, 'the end of the rows at the end of the scroll bar');
    assert.equal(vl.offsetOfScrollTop(g, 4_000_000 - 600), max);
    assert.equal(vl.offsetOfScrollTop(g, 0), 0);
    const mid = max / 2;
    assert.ok(Math.abs(vl.offsetOfScrollTop(g, vl.scrollTopOfOffset(g, mid)) - mid) < 1e-3);
    // The last screen: the last row's bottom at the viewport's bottom.
    const w = vl.windowAt(g, max, 0);
    assert.equal(w.end, g.count);
    const scrollTop = vl.scrollTopOfOffset(g, max);
    assert.equal(vl.rowTop(g, g.count - 1, max, scrollTop) + 20, scrollTop + 600);
    // Anywhere: the first visible row at the top of the viewport, less its hidden part.
    const o = 12_345_678 * 20 + 7;
    const st = vl.scrollTopOfOffset(g, o);
    const first = vl.windowAt(g, o, 0).first;
    assert.equal(first, 12_345_678);
    assert.ok(Math.abs(vl.rowTop(g, first, o, st) - (st - 7)) < 1e-6);
  });

  it('reveals a row: nearest edge, top or centre; rows under a y; page size', () => {
    assert.equal(vl.offsetToReveal(small, 30, 0), 520, 'below: its bottom at the bottom');
    assert.equal(vl.offsetToReveal(small, 2, 500), 40, 'above: at the top');
    assert.equal(vl.offsetToReveal(small, 26, 500), 500, 'visible: unchanged');
    assert.equal(vl.offsetToReveal(small, 26, 500, 'start'), 520);
    assert.equal(vl.offsetToReveal(small, 26, 500, 'center'), 480);
    assert.equal(vl.offsetToReveal(small, 0, 500, 'center'), 0, 'clamped');
    assert.equal(vl.rowAtY(small, 500, 45), 27);
    assert.equal(vl.rowAtY({ ...small, count: 2 }, 0, 45), -1);
    assert.equal(vl.pageRows(small), 4);
    assert.equal(vl.pageRows({ ...small, viewport: 10 }), 1);
  });
});

describe('stream viewer: hex layout', () => {
  it('rows of 16 bytes, an offset column wide enough, bytes and characters', () => {
    assert.equal(hx.rowCount(2046182), 127887);
    assert.equal(hx.rowCount(16), 1);
    assert.equal(hx.rowCount(17), 2);
    assert.equal(hx.rowCount(0), 0);
    assert.equal(hx.rowOf(33), 2);
    assert.equal(hx.offsetDigits(2046182), 8);
    assert.equal(hx.offsetDigits(2 ** 32 + 1), 9);
    assert.equal(hx.formatOffset(0x1f, 8), '0000001f');
    assert.deepEqual([hx.byteHex(0), hx.byteHex(0xab), hx.byteChar(0x41), hx.byteChar(0x0a), hx.byteChar(0x7f)], ['00', 'ab', 'A', '.', '.']);
    assert.deepEqual([...hx.parseHex('5145564d00')], [0x51, 0x45, 0x56, 0x4d, 0]);
    assert.deepEqual([...hx.parseHex('51zz')], [0x51], 'stops at a bad pair');
    assert.deepEqual(hx.bytesOfRows(2, 5, 70), { start: 32, end: 70 });
  });

  it('paints each byte with its innermost annotation', () => {
    const anns = [
      { start: 0, end: 8 },
      { start: 2, end: 4 },
      { start: 3, end: 4 },
      { start: 6, end: 6 },
      { start: 10, end: 40 },
    ];
    assert.deepEqual([...hx.paintAnnotations(0, 12, anns)], [0, 0, 1, 2, 0, 0, 0, 0, -1, -1, 4, 4]);
    assert.deepEqual([...hx.paintAnnotations(30, 34, anns)], [4, 4, 4, 4], 'clipped to the window');
  });

  it('gives every byte a role: stream header, section framing, fields, RAM, EOF, trailer', () => {
    const hpet = section({});
    const ram = section({ index: 0, type: 'start', idstr: 'ram', recordStart: 26, start: 43, end: 60, recordEnd: 65, decodedBy: 'ram', annotations: 0 });
    const ctx = { header: { eof: 300 }, firstRecord: 26, sections: [ram, hpet] };
    assert.equal(hx.byteRole(0, undefined, ctx), 'stream');
    assert.equal(hx.byteRole(30, undefined, ctx), 'header');
    assert.equal(hx.byteRole(50, undefined, ctx), 'ram');
    assert.equal(hx.byteRole(61, undefined, ctx), 'footer');
    assert.equal(hx.byteRole(70, undefined, ctx), 'other', 'between records (a COMMAND)');
    assert.equal(hx.byteRole(81, undefined, ctx), 'header');
    assert.equal(hx.byteRole(124, { kind: 'field' }, ctx), 'field');
    assert.equal(hx.byteRole(124, { kind: 'unused' }, ctx), 'unused');
    assert.equal(hx.byteRole(124, undefined, ctx), 'data');
    assert.equal(hx.byteRole(252, undefined, ctx), 'footer');
    assert.equal(hx.byteRole(300, undefined, ctx), 'eof');
    assert.equal(hx.byteRole(301, undefined, ctx), 'trailer');
    assert.equal(hx.sectionAt(ctx.sections, 255)?.idstr, 'hpet');
    assert.equal(hx.sectionAt(ctx.sections, 256), undefined);
    assert.equal(hx.sectionAt(ctx.sections, 26)?.idstr, 'ram');
    assert.deepEqual([hx.tone({ nth: 0 }), hx.tone({ nth: 3 })], [0, 1]);
  });

  it('moves the byte cursor with keys, staying in the file', () => {
    const size = 100;
    assert.equal(hx.moveCursor(20, 'ArrowRight', size, 4), 21);
    assert.equal(hx.moveCursor(0, 'ArrowLeft', size, 4), 0);
    assert.equal(hx.moveCursor(20, 'ArrowDown', size, 4), 36);
    assert.equal(hx.moveCursor(90, 'ArrowDown', size, 4), 90, 'no row below');
    assert.equal(hx.moveCursor(5, 'ArrowUp', size, 4), 5, 'no row above');
    assert.equal(hx.moveCursor(20, 'PageDown', size, 4), 84);
    assert.equal(hx.moveCursor(50, 'PageDown', size, 4), 99, 'as far as it goes');
    assert.equal(hx.moveCursor(50, 'PageUp', size, 4), 2, 'the same column of the first row');
    assert.equal(hx.moveCursor(20, 'Home', size, 4), 16);
    assert.equal(hx.moveCursor(20, 'End', size, 4), 31);
    assert.equal(hx.moveCursor(90, 'End', size, 4), 95);
    assert.equal(hx.moveCursor(97, 'End', size, 4), 99, 'the last row is short');
    assert.equal(hx.moveCursor(20, 'Home', size, 4, true), 0);
    assert.equal(hx.moveCursor(20, 'End', size, 4, true), 99);
    assert.equal(hx.moveCursor(20, 'a', size, 4), null);
    assert.equal(hx.moveCursor(0, 'ArrowRight', 0, 4), null);
  });
});

describe('stream viewer: texts', () => {
  it('sizes, counts, offsets', () => {
    assert.equal(fmt.formatSize(151), '151 B');
    assert.equal(fmt.formatSize(2046182), '1.95 MiB');
    assert.equal(fmt.formatSize(33554432), '32.0 MiB');
    assert.equal(fmt.formatSize(1024 ** 4 * 3), '3.00 TiB');
    assert.equal(fmt.formatCount(2046182), '2,046,182');
    assert.equal(fmt.hexOffset(255), '0xff');
    assert.equal(fmt.blockSize('18446744073709551615'), '18446744073709551615 B');
    assert.equal(fmt.blockSize(131072), '128 KiB');
  });

  it('a section row: name, size, what decoded it, its accessible label', () => {
    const hpet = section({ description: { name: 'hpet', uri: 'file:///ws/my%20dir/hpet.vmsd', range: { start: { line: 11, character: 8 }, end: { line: 11, character: 12 } } } });
    assert.equal(fmt.sectionName(hpet), 'hpet');
    assert.equal(fmt.sectionName(section({ type: 'part', idstr: undefined, decodedBy: 'ram', id: 2 })), 'ram');
    assert.equal(fmt.sectionName(section({ type: 'part', idstr: undefined, decodedBy: null, id: 7 })), 'section 7');
    assert.equal(fmt.sectionSize(hpet), '151 B');
    assert.equal(fmt.sectionSize(section({ start: -1, end: -1 })), '—');
    assert.equal(fmt.decodedByText(hpet), 'hpet');
    assert.equal(fmt.decodedByText(section({ decodedBy: 'vmdesc' })), 'vmdesc');
    assert.equal(fmt.decodedByText(section({ decodedBy: 'ram', ram: { pages: 50, zeroPages: 8272 } })), '50 pages, 8,272 zero');
    assert.equal(fmt.decodedByText(section({ decodedBy: null })), 'not decoded');
    assert.equal(fmt.locationText(hpet.description!), 'hpet.vmsd:12');
    assert.equal(fmt.sectionLabel(hpet), 'Section 3, full, id 18, hpet, instance 0, version 2, at 0x51, 151 B, decoded by the description hpet');
    assert.match(fmt.sectionLabel(section({ decodedBy: 'vmdesc' }), 'too short'), /decoded by the stream's vmdesc, decode error: too short$/);
  });

  it('the machine type and where it came from; the RAM table; a decode error', () => {
    const header = (machine: string | null, compatOf: string | null) => ({ header: { machine, compatOf, capabilities: [], configuration: [], footers: true, vmdesc: true, vmdescDevices: 1, eof: 0, trailer: 0 } });
    assert.equal(fmt.machineText(header('pc-i440fx-7.2', 'pc-i440fx-7.2'), undefined, ''), "pc-i440fx-7.2 (the stream's)");
    assert.equal(fmt.machineText(header('pc-i440fx-7.2', 'pc-i440fx-2.3'), 'pc-i440fx-2.3', 'pc-i440fx-2.3'), 'pc-i440fx-2.3 (vmsd.machine)');
    assert.equal(fmt.machineText(header('pc-i440fx-7.2', 'pc-i440fx-2.3'), 'pc-i440fx-2.3', ''), 'pc-i440fx-2.3 (chosen)');
    assert.equal(fmt.machineText(header('pc-q35-9.9', null), undefined, ''), "pc-q35-9.9 (the stream's; not described in the workspace)");
    assert.equal(fmt.machineText(header(null, null), undefined, ''), 'none (the stream names none: property defaults)');
    const rows = fmt.ramRows({ blocks: [{ name: 'pc.ram', size: 33554432, pages: 10, zeroPages: 8182 }], pages: 10, zeroPages: 8182 });
    assert.deepEqual(rows, [
      { name: 'pc.ram', size: '32.0 MiB', pages: '10', zeroPages: '8,182', sent: '40.0 KiB' },
      { name: 'total', size: '', pages: '10', zeroPages: '8,182', sent: '40.0 KiB' },
    ]);
    assert.equal(fmt.errorText({ offset: 4096, path: '0000:00:01.3/piix4_pm', message: 'reads too much' }), 'Decode error at 0x1000 in 0000:00:01.3/piix4_pm: reads too much');
    const e = { offset: 285807, path: '0000:00:01.3/piix4_pm', message: 'at byte 285807 (0x45c6f), 0000:00:01.3/piix4_pm: the description `piix4_pm` reads 2408 bytes' };
    assert.equal(fmt.errorReason(e), 'the description `piix4_pm` reads 2408 bytes', "the codec's prefix goes");
    assert.equal(fmt.errorText(e, 'piix4_pm'), 'Decode error at 0x45c6f in piix4_pm: the description `piix4_pm` reads 2408 bytes');
    assert.equal(fmt.errorReason({ offset: 0, path: '', message: 'at byte 0 (0x0), top: expected the magic' }), 'expected the magic');
  });
});
