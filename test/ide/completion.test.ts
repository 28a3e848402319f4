import * as assert from 'node:assert/strict';
import { complete } from '../../server/src/ide/completion';
import { splitFixture, workspaceOf } from '../util/workspace';

/** Completion at `<|>`: the labels offered (all, or must include / must not include). */
function labels(source: string): string[] {
  const files = splitFixture(source);
  const ws = workspaceOf(files);
  const main = files.find((f) => f.cursors.length)!;
  return complete(ws.analysis(), main.uri, main.cursors[0]).items.map((i) => i.label);
}

function has(source: string, want: string[], not: string[] = []) {
  const got = labels(source);
  for (const w of want) assert.ok(got.includes(w), `missing ${w} in ${JSON.stringify(got)}`);
  for (const n of not) assert.ok(!got.includes(n), `unexpected ${n} in ${JSON.stringify(got)}`);
}

const LIB = `
//- file: lib.vmsd
const NUM = 4
enum Mode: u8 {
    off,
    on,
}
vmstate hpet_timer {
    tn: u8
}
device hpet {
    state hpet
    property hpet-offset-saved: bool = true
}
`;

describe('ide: completion', () => {
  it('top level: declaration keywords and snippets', () => {
    has('<|>', ['vmstate', 'device', 'machine', 'enum', 'const', 'include']);
    has('vmstate a {}\nvm<|>', ['vmstate'], ['u8']);
  });

  it('start of a body item: statements, not types', () => {
    has('vmstate a {\n    <|>\n}\n', ['version', 'minimum_version', 'needed', 'subsection', 'unused', 'reserved', 'name'], ['u8', 'vmstate']);
    has('vmstate a {\n    subsection s {\n        <|>\n    }\n}\n', ['version', 'unused'], ['needed']);
  });

  it('type position: built-ins, descriptions and enums in scope', () => {
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\nvmstate hpet {\n    timer: <|>\n}\n${LIB}`, ['u8', 'bool', 'timer', 'bytes', 'opaque', 'list', 'hpet_timer', 'Mode'], ['version', 'NUM']);
    has('vmstate a {\n    x: u<|>\n}\n', ['u8', 'u16', 'u32', 'u64']);
  });

  it('after a type: modifiers', () => {
    has('vmstate a {\n    x: u8 <|>\n}\n', ['since', 'if', 'equal', 'le', 'default', 'alias'], ['u8', 'version']);
    has('vmstate a {\n    x: u8[4] s<|>\n}\n', ['since']);
  });

  it('inside an if: earlier fields, constants, version, property()', () => {
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\nvmstate hpet {\n    a: u8\n    b: u8 if (<|>)\n    c: u8\n}\n${LIB}`, ['a', 'NUM', 'version', 'property', 'Mode'], ['c', 'u8']);
  });

  it('inside needed: the parent fields, not version', () => {
    has('vmstate a {\n    x: u8\n    subsection s needed (<|>) {\n        y: u8\n    }\n}\n', ['x', 'property'], ['version']);
  });

  it('array sizes: earlier fields and constants', () => {
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\nvmstate hpet {\n    n: u8\n    t: hpet_timer[<|>]\n}\n${LIB}`, ['n', 'NUM'], ['version']);
  });

  it('after a dot: enum members, struct fields, device properties', () => {
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\nvmstate a {\n    m: Mode\n    x: u8 if (m == Mode.<|>)\n}\n${LIB}`, ['off', 'on']);
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\nvmstate a {\n    t: hpet_timer\n    x: u8 if (t.<|> != 0)\n}\n${LIB}`, ['tn']);
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\nmachine "m" {\n    hpet.<|>\n}\n${LIB}`, ['hpet-offset-saved']);
  });

  it('property( offers the properties of the devices using the description', () => {
    has('vmstate hpet {\n    x: u8\n    subsection s needed (property(<|>)) {\n        y: u8\n    }\n}\ndevice hpet {\n    state hpet\n    property hpet-offset-saved: bool = true\n}\n', ['hpet-offset-saved']);
  });

  it('devices in machine compat tables, descriptions after state', () => {
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\nmachine "m" {\n    <|>\n}\n${LIB}`, ['hpet'], ['vmstate']);
    has(`//- file: main.vmsd\ninclude "lib.vmsd"\ndevice d {\n    state <|>\n}\n${LIB}`, ['hpet_timer']);
    has('device d {\n    <|>\n}\n', ['state', 'property']);
  });

  it('attributes after @', () => {
    has('@<|>\nvmstate a {}\n', ['deprecated', 'unstable', 'abstract']);
  });

  it('nothing inside comments and strings', () => {
    assert.deepEqual(labels('// vm<|>\n'), []);
    assert.deepEqual(labels('vmstate a {\n    name "se<|>"\n}\n'), []);
  });

  it('works in a broken file while typing', () => {
    has('vmstate a {\n    x: u8\n    y: <|>\n', ['u8', 'bool']);
    has('vmstate a {\n    x: u8\n    z\n    y: u8 if (<|>\n', ['x']);
  });
});
