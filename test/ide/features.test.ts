import * as assert from 'node:assert/strict';
import { definition, typeDefinition } from '../../server/src/ide/definition';
import { foldingRanges } from '../../server/src/ide/folding';
import { formattingEdits, rangeFormattingEdits } from '../../server/src/ide/formatting';
import { hover } from '../../server/src/ide/hover';
import { inlayHints } from '../../server/src/ide/inlay-hints';
import { prepareRename, rename, RenameError } from '../../server/src/ide/rename';
import { semanticTokens } from '../../server/src/ide/semantic-tokens';
import { documentLinks } from '../../server/src/ide/links';
import { documentHighlights, references } from '../../server/src/ide/references';
import { selectionRanges } from '../../server/src/ide/selection';
import { documentSymbols, workspaceSymbols } from '../../server/src/ide/symbols';
import { parse } from '../../server/src/syntax/parser';
import { FixtureFile, splitFixture, workspaceOf } from '../util/workspace';

/**
 * Editor features on fixtures: `<|>` is the cursor, `<|…|>` the expected ranges. One
 * helper per feature, so each test is a fixture and an expectation.
 */
function setup(source: string) {
  const files = splitFixture(source);
  const ws = workspaceOf(files);
  const main = files.find((f) => f.cursors.length) ?? files[0];
  return { ws, analysis: ws.analysis(), files, main, cursor: main.cursors[0] };
}

const slice = (f: FixtureFile, r: { start: number; end: number }) => f.text.slice(r.start, r.end);

function checkHover(source: string, ...expected: RegExp[]) {
  const { analysis, main, cursor } = setup(source);
  const h = hover(analysis, main.uri, cursor);
  assert.ok(h, 'no hover');
  for (const e of expected) assert.match(h.contents, e);
  return h;
}

/** The cursor's definition must be the (single) marked range, in whichever file has it. */
function checkDefinition(source: string, kind: 'definition' | 'type' = 'definition') {
  const { analysis, files, main, cursor } = setup(source);
  const loc = (kind === 'type' ? typeDefinition : definition)(analysis, main.uri, cursor);
  const target = files.find((f) => f.ranges.length)!;
  assert.ok(loc, 'no definition');
  assert.equal(loc.uri, target.uri);
  assert.deepEqual(loc.range, target.ranges[0]);
}

const HPET = `
vmstate hpet_timer {
    version 1
    tn: u8
    qemu_timer: timer
}

/// The HPET block.
vmstate hpet {
    version 2
    minimum_version 1
    config: u64
    isr: u64
    hpet_counter: u64
    num_timers: u8 since 2 default 3
    timer: hpet_timer[num_timers]

    subsection offset needed (property(hpet-offset-saved)) {
        version 1
        hpet_offset: u64
    }
}

device hpet {
    state hpet
    property hpet-offset-saved: bool = true
}
`;

describe('ide: hover', () => {
  it('a field: info, size, offset, version', () => {
    checkHover(HPET.replace('num_timers: u8 since', 'num_ti<|>mers: u8 since'), /QEMU info `uint8`/, /size 1 byte/, /offset 24/, /Sent from version 2 of `hpet`/, /Default when absent: 3/);
  });

  it('a variable array: symbolic size and its count field', () => {
    checkHover(HPET.replace('timer: hpet_timer[', 'ti<|>mer: hpet_timer['), /size 9 × num_timers/, /Count from field `num_timers`/, /Embeds `hpet_timer`/);
  });

  it('a description: wire name, versions, size, devices, doc', () => {
    checkHover(HPET.replace('vmstate hpet {', 'vmstate hp<|>et {'), /Wire name `hpet` · version 2 · minimum_version 1/, /25 \+ 9 × num_timers/, /State of `hpet`/, /The HPET block\./);
  });

  it('a subsection: wire name and needed condition', () => {
    checkHover(HPET.replace('subsection offset', 'subsection off<|>set'), /Wire name `hpet\/offset`/, /Sent when: `property\(hpet-offset-saved\)`/, /Wire size when sent: 25 bytes \(header 17 bytes included\)/);
  });

  it('a reference to a description', () => {
    checkHover(HPET.replace('hpet_timer[num', 'hpet_ti<|>mer[num'), /vmstate hpet_timer/, /Embedded in `hpet`/);
  });

  it('a property inside property()', () => {
    checkHover(HPET.replace('property(hpet-offset-saved)', 'property(hpet-off<|>set-saved)'), /property hpet\.hpet-offset-saved: bool = true/);
  });

  it('a built-in type', () => {
    checkHover(HPET.replace('config: u64', 'config: u<|>64'), /Unsigned 64-bit integer/, /Wire size: 8 bytes/);
  });

  it('nothing on whitespace', () => {
    const { analysis, main } = setup(HPET);
    assert.equal(hover(analysis, main.uri, 0), undefined);
  });
});

describe('ide: navigation', () => {
  it('definition of a type in another file', () => {
    checkDefinition(`
//- file: main.vmsd
include "pci.vmsd"

vmstate e1000 {
    parent_obj: PCID<|>evice
}
//- file: pci.vmsd
vmstate <|PCIDevice|> {
    version_id: i32
}
`);
  });

  it('definition of a count field, an enum member and a machine parent', () => {
    checkDefinition(HPET.replace('num_timers: u8', '<|num_timers|>: u8').replace('hpet_timer[num_timers]', 'hpet_timer[num_ti<|>mers]'));
    checkDefinition(`
enum Mode: u8 {
    off,
    <|on|>,
}
vmstate d {
    m: Mode
    x: u8 if (m == Mode.o<|>n)
}
`);
    checkDefinition(`
machine <|"pc-7.2"|> {}
machine "pc-7.1" : "pc-7<|>.2" {}
`);
  });

  it('type definition: from a field to its description', () => {
    checkDefinition(HPET.replace('vmstate hpet_timer {', 'vmstate <|hpet_timer|> {').replace('timer: hpet_timer[', 'ti<|>mer: hpet_timer['), 'type');
  });

  it('references across files, with and without the declaration', () => {
    const { analysis, main, cursor, files } = setup(`
//- file: main.vmsd
include "pci.vmsd"

vmstate e1000 {
    parent_obj: PCIDevice
    other: PCI<|>Device
}
//- file: pci.vmsd
vmstate PCIDevice {
    version_id: i32
}
`);
    const refs = references(analysis, main.uri, cursor, false);
    assert.deepEqual(refs.map((r) => [r.uri.split('/').pop(), slice(files[0], r.range)]), [['main.vmsd', 'PCIDevice'], ['main.vmsd', 'PCIDevice']]);
    assert.equal(references(analysis, main.uri, cursor, true).length, 3);
  });

  it('document highlights: the declaration writes, the uses read', () => {
    const { analysis, main, cursor } = setup(HPET.replace('num_timers: u8', 'num_ti<|>mers: u8'));
    const hs = documentHighlights(analysis, main.uri, cursor);
    assert.deepEqual(hs.map((h) => [slice(main, h.range), h.kind]), [['num_timers', 'write'], ['num_timers', 'read']]);
  });
});

describe('ide: structure', () => {
  it('document symbols: descriptions with fields and subsections, devices with properties', () => {
    const { analysis, main } = setup(HPET);
    const syms = documentSymbols(analysis, main.uri);
    assert.deepEqual(syms.map((s) => `${s.kind}:${s.name}`), ['struct:hpet_timer', 'struct:hpet', 'class:hpet']);
    const hpet = syms[1];
    assert.deepEqual(hpet.children.map((c) => c.name), ['config', 'isr', 'hpet_counter', 'num_timers', 'timer', 'offset']);
    assert.deepEqual(hpet.children[5].children.map((c) => c.name), ['hpet_offset']);
    assert.equal(hpet.detail, 'hpet v2');
    assert.deepEqual(syms[2].children.map((c) => c.name), ['hpet-offset-saved']);
  });

  it('workspace symbols by substring, then by closeness', () => {
    const { analysis } = setup(HPET);
    assert.deepEqual(workspaceSymbols(analysis, 'timer').map((s) => s.name), ['hpet_timer']);
    assert.deepEqual(workspaceSymbols(analysis, 'hpte').map((s) => s.name).sort(), ['hpet', 'hpet']);
  });

  it('folding ranges: bodies and comment runs', () => {
    const text = '// a\n// b\nvmstate a {\n    x: u8\n    subsection s {\n        y: u8\n    }\n}\n';
    const r = foldingRanges(parse(text));
    assert.deepEqual(r, [
      { startLine: 0, endLine: 1, kind: 'comment' },
      { startLine: 2, endLine: 6 },
      { startLine: 4, endLine: 5 },
    ]);
  });

  it('selection ranges grow from the name to the file', () => {
    const src = 'vmstate a {\n    x: u8[4]\n}\n';
    const ranges = selectionRanges(parse(src).file, src.indexOf('4'));
    assert.deepEqual(ranges.map((r) => src.slice(r.start, r.end)), ['4', '[4]', 'u8[4]', 'x: u8[4]', '{\n    x: u8[4]\n}', 'vmstate a {\n    x: u8[4]\n}', src]);
  });

  it('document links for includes that resolve', () => {
    const { analysis, files } = setup('//- file: main.vmsd\ninclude "lib/pci.vmsd"\ninclude "missing.vmsd"\n//- file: lib/pci.vmsd\nconst X = 1\n');
    const links = documentLinks(analysis, files[0].uri);
    assert.deepEqual(links.map((l) => [slice(files[0], l.range), l.target.split('/').slice(-2).join('/')]), [['lib/pci.vmsd', 'lib/pci.vmsd']]);
  });
});

describe('ide: formatting', () => {
  it('one minimal edit that gives vmsd fmt output', () => {
    const text = 'vmstate a {\n    x:u8\n    y: u16\n}\n';
    const [e] = formattingEdits(parse(text));
    assert.equal(text.slice(0, e.range.start) + e.newText + text.slice(e.range.end), 'vmstate a {\n    x: u8\n    y: u16\n}\n');
    assert.deepEqual(e.range, { start: text.indexOf(':u8') + 1, end: text.indexOf(':u8') + 1 });
  });

  it('no edit for a formatted file, nor for one with syntax errors', () => {
    assert.deepEqual(formattingEdits(parse('vmstate a {\n    x: u8\n}\n')), []);
    assert.deepEqual(formattingEdits(parse('vmstate a {\n    x:\n}\n')), []);
  });

  it('range formatting touches only the lines asked for', () => {
    const text = 'vmstate a {\n    x:u8\n    y:u16\n}\n';
    const line2 = text.indexOf('y:u16');
    const edits = rangeFormattingEdits(parse(text), { start: line2, end: line2 + 3 });
    let out = text;
    for (const e of edits.slice().reverse()) out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
    assert.equal(out, 'vmstate a {\n    x:u8\n    y: u16\n}\n');
  });
});

describe('ide: semantic tokens, inlay hints, rename', () => {
  it('classifies names by meaning and keywords by place', () => {
    const { analysis, main } = setup(HPET);
    const toks = semanticTokens(analysis, main.uri);
    const at = (text: string, nth = 0) => {
      let i = -1;
      for (let k = 0; k <= nth; k++) i = main.text.indexOf(text, i + 1);
      const t = toks.find((x) => x.start === i);
      return t ? `${t.type}${t.modifiers.length ? '.' + t.modifiers.join('.') : ''}` : 'none';
    };
    assert.equal(at('vmstate'), 'keyword');
    assert.equal(at('hpet_timer'), 'struct.declaration');
    assert.equal(at('hpet_timer', 1), 'struct');
    assert.equal(at('u64'), 'type.defaultLibrary');
    assert.equal(at('num_timers'), 'property.declaration');
    assert.equal(at('num_timers', 1), 'property');
    assert.equal(at('since'), 'keyword');
    assert.equal(at('property('), 'function.defaultLibrary');
    assert.equal(at('hpet-offset-saved'), 'property');
    assert.equal(at('/// The HPET'), 'comment.documentation');
    assert.equal(at('2\n    minimum'), 'number');
  });

  it('inlay hints: offset and size per field, size per description', () => {
    const { analysis, main } = setup(HPET);
    const hints = inlayHints(analysis, main.uri).map((h) => `${main.text.slice(h.offset - 12, h.offset).trim()}|${h.label.trim()}`);
    assert.ok(hints.some((h) => h.endsWith('|25 + 9 × num_timers')), hints.join('\n'));
    assert.ok(hints.some((h) => /config: u64\|@0 8B$/.test(h)), hints.join('\n'));
    assert.ok(hints.includes('2 default 3|@24 1B'), hints.join('\n'));
    assert.ok(hints.includes('[num_timers]|@25 9 × num_timers'), hints.join('\n'));
  });

  it('renames a constant everywhere, keeps quotes, refuses clashes', () => {
    const { analysis, main, cursor, files } = setup(`
//- file: main.vmsd
include "consts.vmsd"

vmstate d {
    a: u8[N<|>UM]
}
//- file: consts.vmsd
const NUM = 4
const OTHER = 1
`);
    const r = rename(analysis, main.uri, cursor, 'COUNT');
    assert.equal(r.confirm, undefined);
    assert.deepEqual(r.edits.map((e) => [e.uri.split('/').pop(), e.newText]).sort(), [['consts.vmsd', 'COUNT'], ['main.vmsd', 'COUNT']]);
    assert.throws(() => rename(analysis, main.uri, cursor, 'OTHER'), RenameError);
    void files;
  });

  it('refuses to rename a wire name, and asks to confirm a field rename', () => {
    const { analysis, main, cursor } = setup('vmstate se<|>rial {\n    x: u8\n}\n');
    assert.throws(() => prepareRename(analysis, main.uri, cursor), (e: Error) => e instanceof RenameError && /name "serial"/.test(e.message));
    const kept = setup('vmstate isa_se<|>rial {\n    name "serial"\n    x: u8\n}\n');
    assert.equal(rename(kept.analysis, kept.main.uri, kept.cursor, 'serial_isa').edits.length, 1);
    const field = setup('vmstate s {\n    name "s"\n    x<|>: u8\n    y: u8 if (x != 0)\n}\n');
    const r = rename(field.analysis, field.main.uri, field.cursor, 'rbr');
    assert.equal(r.edits.length, 2);
    assert.match(r.confirm ?? '', /keys of the self-describing stream/);
  });
});
