import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { format } from '../../server/src/format/formatter';
import { parse } from '../../server/src/syntax/parser';
import { source } from '../property/generators';
import { examplesDir, fixtures } from '../util/paths';
import { comments, shape } from '../util/shape';

function fmt(text: string): string {
  const out = format(parse(text));
  assert.ok(out !== undefined, 'format refused a file without syntax errors');
  return out;
}

function checkProperties(text: string): void {
  const once = fmt(text);
  assert.equal(fmt(once), once, 'fmt is not idempotent');
  assert.deepEqual(shape(parse(once)), shape(parse(text)), 'fmt changed the meaning');
  assert.deepEqual(comments(parse(once)), comments(parse(text)), 'fmt lost or changed a comment');
  assert.deepEqual(parse(once).diagnostics, [], 'fmt output does not parse cleanly');
}

describe('formatter', () => {
  const files = [
    ...fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => path.join(examplesDir, f)),
    path.join(fixtures, 'syntax', 'constructs.vmsd'),
  ];
  for (const file of files) {
    it(`is idempotent, keeps comments and meaning: ${path.basename(file)}`, () => checkProperties(fs.readFileSync(file, 'utf8')));
  }

  it('every example is already formatted (vmsd fmt --check examples is clean)', () => {
    for (const file of files.filter((f) => f.startsWith(examplesDir))) {
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(fmt(text), text, `${path.basename(file)} is not formatted`);
    }
  });

  it('holds for generated descriptions with random layout and comments (500 cases)', () => {
    fc.assert(
      fc.property(source, (text) => {
        if (parse(text).diagnostics.length) return; // the generator aims for valid text; skip the rare miss
        checkProperties(text);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses files with syntax errors', () => {
    assert.equal(format(parse('vmstate a {\n  x:\n}\n')), undefined);
  });

  it('prints the canonical layout', () => {
    const input = [
      '/// Doc.',
      'vmstate   a{version 2',
      'x :u8 since 2 // trailing',
      '',
      '',
      '',
      'y: u16[ 4 ]',
      '   subsection s needed(x!=0&&!(y_len<<2>=3)){ z:bool }}',
      'enum E:u8{a,b=3}',
      'machine "m" {}',
      'const A=1',
      'const B = A+1',
    ].join('\n');
    const expected = [
      '/// Doc.',
      'vmstate a {',
      '    version 2',
      '    x: u8 since 2 // trailing',
      '',
      '    y: u16[4]',
      '    subsection s needed (x != 0 && !(y_len << 2 >= 3)) {',
      '        z: bool',
      '    }',
      '}',
      '',
      'enum E: u8 {',
      '    a,',
      '    b = 3,',
      '}',
      '',
      'machine "m" {}',
      '',
      'const A = 1',
      'const B = A + 1',
      '',
    ].join('\n');
    assert.equal(fmt(input), expected);
  });

  it('breaks a long condition after each top-level operator', () => {
    const long = 'vmstate a {\n    alpha_field: u32\n    beta_field: u32\n    subsection s needed (alpha_field != 0x12345678 && beta_field != 0x12345678 && alpha_field != beta_field + 1) {\n        z: u8\n    }\n}\n';
    const out = fmt(long);
    assert.match(out, /needed \(\n        alpha_field != 0x12345678 &&\n        beta_field != 0x12345678 &&\n        alpha_field != beta_field \+ 1\n    \) \{/);
    assert.equal(fmt(out), out);
  });
});
