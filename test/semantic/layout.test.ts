import * as assert from 'node:assert/strict';
import { formatSize, isStatic } from '../../server/src/semantic/size';
import { FIXTURE_ROOT, workspaceOf } from '../util/workspace';

function layout(text: string) {
  const ws = workspaceOf([{ uri: FIXTURE_ROOT + 'main.vmsd', text }]);
  const a = ws.analysis();
  const errors = (a.diagnostics.get(FIXTURE_ROOT + 'main.vmsd') ?? []).filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), []);
  const byName = new Map(a.descriptions.map((d) => [d.name, d]));
  return {
    field(desc: string, field: string) {
      const f = byName.get(desc)!.body.fields.find((x) => x.name === field || (field === 'unused' && x.decl.kind === 'Unused'))!;
      return { size: formatSize(f.size!), offset: formatSize(f.offset!), static: isStatic(f.size!) && isStatic(f.offset!) };
    },
    total(desc: string) {
      return formatSize(byName.get(desc)!.body.fieldsSize!, { conditional: false });
    },
  };
}

describe('semantic: wire layout', () => {
  const hpet = `
vmstate hpet_timer {
    version 1
    tn: u8
    config: u64
    cmp: u64
    fsb: u64
    period: u64
    wrap_flag: u8
    qemu_timer: timer
}
vmstate hpet {
    version 2
    minimum_version 1
    config: u64
    isr: u64
    hpet_counter: u64
    num_timers: u8 since 2
    timer: hpet_timer[num_timers]
}
`;

  it('gives exact sizes and offsets of static fields', () => {
    const l = layout(hpet);
    assert.deepEqual(l.field('hpet', 'config'), { size: '8', offset: '0', static: true });
    assert.deepEqual(l.field('hpet', 'num_timers'), { size: '1', offset: '24', static: true });
    assert.equal(l.total('hpet_timer'), '42');
  });

  it('gives symbolic sizes for variable arrays, and offsets after them', () => {
    const l = layout(hpet + 'vmstate after {\n    n: u8\n    t: hpet_timer[n]\n    z: u32\n}\n');
    assert.equal(l.field('hpet', 'timer').size, '42 × num_timers');
    assert.equal(l.total('hpet'), '25 + 42 × num_timers');
    assert.equal(l.field('after', 'z').offset, '1 + 42 × n');
  });

  it('sizes buffers, bitmaps, unused bytes, opaque infos, enums and multiplied counts', () => {
    const l = layout(`
enum E: u16 {
    a,
}
vmstate d {
    n: u32
    buf: bytes[128]
    vbuf: bytes[n]
    bits: bitmap[100]
    vbits: bitmap[n]
    unused 28
    cfg: opaque "pci config" [256]
    virt: opaque "virtio"
    e: E
    words: u16[n * 4]
    grid: u32[2][3]
}
`);
    assert.equal(l.field('d', 'buf').size, '128');
    assert.equal(l.field('d', 'vbuf').size, 'n');
    assert.equal(l.field('d', 'bits').size, '16');
    assert.equal(l.field('d', 'vbits').size, '8 × ⌈n / 64⌉');
    assert.equal(l.field('d', 'cfg').size, '256');
    assert.equal(l.field('d', 'virt').size, 'opaque "virtio"');
    assert.equal(l.field('d', 'e').size, '2');
    assert.equal(l.field('d', 'words').size, '8 × n');
    assert.equal(l.field('d', 'grid').size, '24');
    assert.equal(l.field('d', 'unused').size, '28');
  });

  it('counts only fields that exist at the current version, and marks conditional ones', () => {
    const l = layout(`
vmstate d {
    version 2
    a: u8
    b: u16 since 2
    c: u32 if (a != 0)
    d: u8
}
`);
    assert.equal(l.field('d', 'b').offset, '1');
    assert.equal(l.field('d', 'd').offset, '3 (+ c when its `if` holds)');
    assert.equal(l.field('d', 'd').static, false);
  });

  it('uses the struct version given with @', () => {
    const l = layout(`
vmstate s {
    version 3
    a: u8
    b: u32 since 3
}
vmstate d {
    old: s @ 2
    cur: s
}
`);
    assert.equal(l.field('d', 'old').size, '1');
    assert.equal(l.field('d', 'cur').size, '5');
  });
});
