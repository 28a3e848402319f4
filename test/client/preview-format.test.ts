import * as assert from 'node:assert/strict';
import { Encoder } from 'cbor-x';
import * as cbor from '../../client/webview/preview/cbor';
import * as hex from '../../client/webview/preview/hex';
import * as values from '../../client/webview/preview/values';

/**
 * The preview panel's formatting without a DOM: hex rows, caret keys and virtual-list
 * windows; the CBOR item explained head by head (cbor.me) and in diagnostic notation;
 * values typed into the editor and shown in the table.
 */


const encoder = new Encoder({ useRecords: false, variableMapSize: true, tagUint8Array: false, mapsAsObjects: true });
const encode = (x: unknown) => encoder.encode(x) as Uint8Array;
const bytes = (h: string) => hex.hexToBytes(h.replace(/\s+/g, ''));

describe('client: preview hex layout and caret', () => {
  it('rows of 16 with an offset column as wide as the last offset, and an ASCII column', () => {
    assert.equal(hex.BYTES_PER_ROW, 16);
    assert.deepEqual([hex.rowCount(0), hex.rowCount(16), hex.rowCount(151)], [0, 1, 10]);
    assert.deepEqual([hex.offsetLabel(16, 151), hex.offsetLabel(0x30000, 198529)], ['0010', '30000']);
    assert.deepEqual([hex.asciiChar(0x41), hex.asciiChar(0x05), hex.asciiChar(0x7f), hex.asciiChar(0x20)], ['A', '.', '.', ' ']);
    assert.deepEqual([...hex.hexToBytes('00ff10')], [0, 255, 16]);
    assert.equal(hex.hexByte(5), '05');
    assert.deepEqual([hex.sizeLabel(1), hex.sizeLabel(151), hex.sizeLabel(198529)], ['1 byte', '151 bytes', '193.9 KiB (198529 bytes)']);
  });

  it('arrow keys move the caret a byte or a row, Home/End to the row ends (Ctrl: the whole), pages by the viewport', () => {
    const m = (o: number, k: string, ctrl = false) => hex.caretMove(o, k, 151, 10, ctrl);
    assert.deepEqual([m(24, 'ArrowRight'), m(24, 'ArrowLeft'), m(24, 'ArrowDown'), m(24, 'ArrowUp')], [25, 23, 40, 8]);
    assert.deepEqual([m(0, 'ArrowLeft'), m(150, 'ArrowRight'), m(8, 'ArrowUp'), m(140, 'ArrowDown')], [0, 150, 8, 140]);
    assert.deepEqual([m(20, 'Home'), m(20, 'End'), m(20, 'Home', true), m(20, 'End', true), m(148, 'End')], [16, 31, 0, 150, 150]);
    assert.deepEqual([m(20, 'PageDown'), m(20, 'PageUp'), m(100, 'PageDown')], [150, 0, 150]);
    assert.equal(m(20, 'x'), undefined);
    assert.equal(hex.caretMove(0, 'ArrowRight', 0, 10), undefined);
  });

  it('a virtual list renders the rows in view and a few around; scrolling brings a row in', () => {
    assert.deepEqual(hex.windowOf(0, 190, 19, 10000), { first: 0, last: 14 });
    assert.deepEqual(hex.windowOf(1900, 190, 19, 10000), { first: 96, last: 114 });
    assert.deepEqual(hex.windowOf(0, 190, 19, 3), { first: 0, last: 3 });
    assert.deepEqual(hex.windowOf(0, 0, 19, 0), { first: 0, last: 0 });
    assert.equal(hex.scrollToRow(50, 0, 190, 19), 50 * 19 + 19 - 190);
    assert.equal(hex.scrollToRow(2, 0, 190, 19), 0, 'already in view');
    assert.equal(hex.scrollToRow(2, 500, 190, 19), 38);
  });
});

describe('client: preview CBOR explained', () => {
  const item = Uint8Array.from(encode({ record: 'section', id: 0, n: -5, big: 18446744073709551615n, b: new Uint8Array([1, 2]), a: [1, 2, 3], t: true, f: 1.5, z: null }));

  it('walks every head with its byte range, definite and indefinite', () => {
    const root = cbor.parseCbor(item);
    assert.deepEqual([root.major, Number(root.arg), root.start, root.end], [5, 9, 0, item.length]);
    assert.equal(root.children!.length, 18);
    const ind = cbor.parseCbor(bytes('9f 01 02 ff'));
    assert.deepEqual([ind.indefinite, ind.children!.length, ind.end], [true, 2, 4]);
    assert.throws(() => cbor.parseCbor(bytes('62 61')), /cut short at byte 0/);
    assert.throws(() => cbor.parseCbor(bytes('ff')), /unexpected break/);
    assert.throws(() => cbor.parseCbor(bytes('1c')), /reserved/);
  });

  it('annotated hex as cbor.me lays it out: heads indented by nesting, string contents on their own lines', () => {
    const lines = cbor.annotatedLines(item);
    const show = lines.map((l) => `${'  '.repeat(l.depth)}${l.hex} # ${l.comment}`);
    assert.equal(show[0], 'a9 # map(9)');
    assert.deepEqual(show.slice(1, 5), ['  66 # text(6)', '    7265636f7264 # "record"', '  67 # text(7)', '    73656374696f6e # "section"']);
    assert.ok(show.includes('  24 # negative(-5)'), show.join('\n'));
    assert.ok(show.includes('  1bffffffffffffffff # unsigned(18446744073709551615)'));
    assert.ok(show.includes('    0102 # h\'0102\''));
    assert.ok(show.includes('  83 # array(3)') && show.includes('    01 # unsigned(1)'));
    assert.ok(show.includes('  f5 # true') && show.includes('  f6 # null'));
    assert.ok(show.some((l) => /^  f9 ?3e00 # float\(1\.5\)$/.test(l) || /^  fb3ff8000000000000 # float\(1\.5\)$/.test(l) || /^  fa3fc00000 # float\(1\.5\)$/.test(l)), show.join('\n'));
    // Every byte is on exactly one line.
    let at = 0;
    for (const l of lines) {
      assert.equal(l.start, at, `line ${JSON.stringify(l)}`);
      at = l.end;
    }
    assert.equal(at, item.length);
  });

  it('diagnostic notation, one entry a line, short scalar arrays inline, each line with its bytes', () => {
    const lines = cbor.diagnosticLines(item);
    const text = cbor.diagnosticText(lines);
    assert.equal(
      text,
      ['{', '  "record": "section",', '  "id": 0,', '  "n": -5,', '  "big": 18446744073709551615,', "  \"b\": h'0102',", '  "a": [1, 2, 3],', '  "t": true,', '  "f": 1.5,', '  "z": null', '}'].join('\n'),
    );
    const a = lines.find((l) => l.text.startsWith('"a"'))!;
    assert.equal(cbor.parseCbor(item.subarray(a.start, a.end)).major, 3, 'the line starts at the key');
    assert.deepEqual([lines[lines.length - 1].start, lines[lines.length - 1].end], [-1, -1]);
    const nested = cbor.diagnosticText(cbor.diagnosticLines(Uint8Array.from(encode({ fields: { timer: [{ tn: 0 }, { tn: 1 }] }, e: [], m: {} }))));
    assert.equal(nested, ['{', '  "fields": {', '    "timer": [', '      {', '        "tn": 0', '      },', '      {', '        "tn": 1', '      }', '    ]', '  },', '  "e": [],', '  "m": {}', '}'].join('\n'));
    assert.equal(cbor.diagnosticText(cbor.diagnosticLines(bytes('c2 42 0102'))), "2(h'0102')");
    assert.equal(cbor.diagnosticText(cbor.diagnosticLines(bytes('f9 7e00'))), 'NaN');
    assert.equal(cbor.diagnosticText(cbor.diagnosticLines(bytes('f9 fc00'))), '-Infinity');
  });
});

describe('client: preview values typed and shown', () => {
  const enums = { FDPhase: { base: 'u8', members: [{ name: 'reset', value: '0' }, { name: 'command', value: '1' }, { name: 'result', value: '3' }] } };

  it('integers in decimal, hex, octal, binary, checked against their type', () => {
    const p = (type: string, t: string) => values.parseEdit('int', type, t);
    assert.deepEqual(p('u8', '255'), { ok: true, json: 255 });
    assert.deepEqual(p('u8', '0xff'), { ok: true, json: 255 });
    assert.deepEqual(p('u16', ' 0b1010 '), { ok: true, json: 10 });
    assert.deepEqual(p('u32', '0o17'), { ok: true, json: 15 });
    assert.deepEqual(p('i8', '-128'), { ok: true, json: -128 });
    assert.deepEqual(p('u64', '18_446_744_073_709_551_615'), { ok: true, json: '18446744073709551615' });
    assert.deepEqual(p('timer', '-1'), { ok: true, json: -1 });
    assert.deepEqual(p('u8', '256'), { ok: false, message: 'expected a u8 from 0 to 255, found 256' });
    assert.deepEqual(p('i8', '-129'), { ok: false, message: 'expected a i8 from -128 to 127, found -129' });
    assert.equal(p('u8', '1.5').ok, false);
    assert.equal(p('u8', '').ok, false);
    assert.deepEqual(values.intRange('timer'), { min: -(1n << 63n), max: (1n << 64n) - 1n });
    assert.equal(values.intRange('hpet_timer'), undefined);
  });

  it('bools, doubles, enum members by name or number, hex bytes of the same length', () => {
    assert.deepEqual(values.parseEdit('bool', 'bool', 'TRUE'), { ok: true, json: true });
    assert.deepEqual(values.parseEdit('bool', 'bool', '0'), { ok: true, json: false });
    assert.equal(values.parseEdit('bool', 'bool', 'yes').ok, false);
    assert.deepEqual(values.parseEdit('f64', 'f64', '-2.5e3'), { ok: true, json: -2500 });
    assert.deepEqual(values.parseEdit('f64', 'f64', 'nan'), { ok: true, json: 'NaN' });
    assert.deepEqual(values.parseEdit('f64', 'f64', '-inf'), { ok: true, json: '-Infinity' });
    assert.equal(values.parseEdit('f64', 'f64', 'x').ok, false);
    assert.deepEqual(values.parseEdit('enum', 'FDPhase', 'RESULT', enums), { ok: true, json: 'result' });
    assert.deepEqual(values.parseEdit('enum', 'FDPhase', '2', enums), { ok: true, json: 2 });
    assert.deepEqual(values.parseEdit('enum', 'FDPhase', 'nope', enums), { ok: false, message: 'expected a member of FDPhase (reset, command, result) or an integer, found "nope"' });
    assert.deepEqual(values.parseEdit('enum', 'FDPhase', '256', enums), { ok: false, message: 'expected a u8 from 0 to 255, found 256' });
    assert.deepEqual(values.parseEdit('hex', 'bytes', '0xDE AD:be ef', {}, 4), { ok: true, json: 'deadbeef' });
    assert.deepEqual(values.parseEdit('hex', 'bytes', 'dead', {}, 4), { ok: false, message: 'expected 4 bytes (8 hex digits), found 2' });
    assert.equal(values.parseEdit('hex', 'bytes', 'abc').ok, false);
    assert.equal(values.parseEdit('hex', 'bytes', 'zz').ok, false);
  });

  it('shows enum members by name, integers with their hex, and starts editors from the full value', () => {
    assert.equal(values.showValue('enum', 'FDPhase', '3', enums), 'result (3)');
    assert.equal(values.showValue('enum', 'FDPhase', '7', enums), '7');
    assert.equal(values.showValue('int', 'u64', '42', enums), '42 (0x2a)');
    assert.equal(values.showValue('int', 'u8', '3', enums), '3');
    assert.equal(values.showValue('int', 'i8', '-16', enums), '-16 (0xf0)');
    assert.equal(values.showValue('int', 'timer', '-1', enums), '-1');
    assert.equal(values.showValue(undefined, 'bytes', 'abcd', enums), 'abcd');
    assert.equal(values.hexOf(-1n, 'timer'), '0xffffffffffffffff');
    assert.equal(values.editText('enum', 'FDPhase', '1', 1, enums), 'command');
    assert.equal(values.editText('hex', 'bytes', '00…', '0000000000', enums), '0000000000', 'not the value cut for display');
    assert.equal(values.editText('int', 'u64', '18446744073709551615', '18446744073709551615', enums), '18446744073709551615');
    assert.equal(values.editText('bool', 'bool', 'true', true, enums), 'true');
  });
});
