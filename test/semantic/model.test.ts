import * as assert from 'node:assert/strict';
import { FIXTURE_ROOT, splitFixture, workspaceOf } from '../util/workspace';

function analyse(source: string) {
  const files = splitFixture(source);
  const ws = workspaceOf(files);
  const a = ws.analysis();
  const errors = [...a.diagnostics.values()].flat().filter((d) => d.severity === 'error' || d.severity === 'warning');
  return { a, errors: errors.map((d) => `${d.code} ${d.message}`), ws };
}

describe('semantic: model', () => {
  it('derives wire names of descriptions and nested subsections', () => {
    const { a, errors } = analyse(`
vmstate isa_serial {
    name "serial"
    version 3
    subsection poll {
        p: u8
        subsection deep {
            name "serial/poll/deeper"
            d: u8
        }
    }
}
`);
    assert.deepEqual(errors, []);
    const d = a.descriptions[0];
    assert.equal(d.body.wireName, 'serial');
    assert.equal(d.body.subsections[0].body.wireName, 'serial/poll');
    assert.equal(d.body.subsections[0].body.subsections[0].body.wireName, 'serial/poll/deeper');
  });

  it('resolves property() through the devices that use a description, also when it is embedded', () => {
    const { a, errors } = analyse(`
vmstate inner {
    x: u8
    subsection s needed (property(x-flag)) {
        y: u8
    }
}
vmstate outer {
    i: inner
}
@abstract
device base {
    property x-flag: bool = true
}
device leaf : base {
    state outer
}
`);
    assert.deepEqual(errors, []);
    const refs = [...a.references.values()].flat().filter((r) => r.sym.kind === 'property');
    assert.equal(refs.length, 1);
    assert.equal(refs[0].sym.name, 'x-flag');
  });

  it('sees declarations of included files only', () => {
    const { errors } = analyse(`
//- file: main.vmsd
include "lib/a.vmsd"

vmstate m {
    x: A
    y: B
}
//- file: lib/a.vmsd
vmstate A {
    v: u8
}
//- file: lib/b.vmsd
vmstate B {
    v: u8
}
`);
    assert.deepEqual(errors, ['VL107 `B` is declared in b.vmsd, which this file does not include; add `include "lib/b.vmsd"`']);
  });

  it('a machine type inherits its parent and lists its own compat entries with typed values', () => {
    const { a, errors } = analyse(`
device hpet {
    property hpet-offset-saved: bool = true
    property timers: u8 = 3
}
machine "pc-7.2" {}
machine "pc-2.11" : "pc-7.2" {
    hpet.hpet-offset-saved = false
    hpet.timers = 4
}
`);
    assert.deepEqual(errors, []);
    const m = a.machines.find((x) => x.name === 'pc-2.11')!;
    assert.equal(m.parent?.name, 'pc-7.2');
    assert.deepEqual(m.compat.map((c) => [c.device?.name, c.property?.name, c.value]), [
      ['hpet', 'hpet-offset-saved', false],
      ['hpet', 'timers', 4n],
    ]);
  });

  it('records references for navigation, for every kind of name', () => {
    const { a } = analyse(`
const N = 2
enum Mode: u8 {
    off,
    on,
}
vmstate s {
    v: u8
}
vmstate d {
    n: u8
    m: Mode
    a: s[N]
    b: u8[n] if (m == Mode.on)
}
device dev {
    state d
}
`);
    const refs = [...a.references.values()].flat().map((r) => `${r.sym.kind}:${r.sym.name}`).sort();
    assert.deepEqual(refs, ['const:N', 'enum:Mode', 'enum:Mode', 'enumMember:on', 'field:m', 'field:n', 'vmstate:d', 'vmstate:s']);
  });

  it('keeps going after errors: one bad field does not hide the next ones', () => {
    const { errors } = analyse(`
vmstate d {
    a: u9
    b: u8[missing]
    c: hpet_tmer
}
vmstate hpet_timer {
    t: u8
}
`);
    assert.deepEqual(errors, [
      'VL100 Unknown type `u9`; did you mean `u8`?',
      'VL100 Unknown name `missing`',
      'VL100 Unknown type `hpet_tmer`; did you mean `hpet_timer`?',
    ]);
  });

  it('does not warn about deprecated parents inside deprecated declarations', () => {
    const { errors } = analyse(`
@deprecated("old")
machine "a" {}
@deprecated("older")
machine "b" : "a" {}
machine "c" : "a" {}
`);
    assert.deepEqual(errors, ['VL501 machine type `a` is deprecated: old']);
  });

  it('does not crash on an empty workspace or empty files', () => {
    const ws = workspaceOf([{ uri: FIXTURE_ROOT + 'main.vmsd', text: '' }]);
    assert.deepEqual(ws.diagnostics(FIXTURE_ROOT + 'main.vmsd'), []);
  });
});

describe('semantic: analysis of an include component', () => {
  it('gives every file the same diagnostics as the analysis of the whole workspace', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const path = require('node:path') as typeof import('node:path');
    const { examplesDir } = require('../util/paths') as typeof import('../util/paths');
    const files = fs.readdirSync(examplesDir).filter((f: string) => f.endsWith('.vmsd')).map((f: string) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') }));
    // A second component that does not include the examples, with mistakes of its own.
    files.push({ uri: 'file:///other/a.vmsd', text: 'vmstate a {\n    x: PCIDevice\n    y: u9\n}\nconst UNUSED = 1\n' });
    files.push({ uri: 'file:///other/b.vmsd', text: 'include "a.vmsd"\n\nvmstate b {\n    z: a\n}\n' });
    const full = workspaceOf(files).analysis();
    const parts = workspaceOf(files);
    for (const f of files) {
      const show = (ds: Array<{ code: string; start: number; message: string }>) => ds.map((d) => `${d.code}@${d.start} ${d.message}`);
      assert.deepEqual(show(parts.diagnostics(f.uri)), show(full.diagnostics.get(f.uri) ?? []), f.uri);
    }
    // The second component still learns where PCIDevice lives.
    assert.ok(parts.diagnostics('file:///other/a.vmsd').some((d) => d.code === 'VL107'));
  });
});
