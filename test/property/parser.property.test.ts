import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { Workspace } from '../../server/src/semantic/workspace';
import { parse } from '../../server/src/syntax/parser';
import { examplesDir } from '../util/paths';

/**
 * The parser never throws and always terminates, on random text and on mutations of real
 * descriptions; the semantic analysis behind it never throws either.
 */
const examples = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => fs.readFileSync(path.join(examplesDir, f), 'utf8'));

const pieces = fc.constantFrom(
  'vmstate', 'device', 'machine', 'enum', 'const', 'include', 'subsection', 'needed', 'version', 'since', 'if', 'property',
  '{', '}', '(', ')', '[', ']', '<', '>', ':', '.', ',', '=', '==', '@', '?', '"', '"str"', '/*', '*/', '//', '///',
  'x', 'u8', 'bytes', 'opaque', 'list', '0x', '12', '-', '!', '&&', '\n', ' ', '\0', '\uFFFD', '\u00e9', '\ud83d',
);
const soup = fc.array(pieces, { maxLength: 60 }).map((a) => a.join(''));

function analyse(text: string): void {
  const tree = parse(text);
  for (const d of tree.diagnostics) {
    assert.ok(d.start >= 0 && d.end >= d.start && d.end <= text.length, `range ${d.start}..${d.end} outside the text`);
  }
  const ws = new Workspace();
  ws.set('file:///p/main.vmsd', text);
  ws.set('file:///p/other.vmsd', 'vmstate other { a: u8 }\n');
  for (const d of ws.diagnostics('file:///p/main.vmsd')) assert.ok(d.start >= 0 && d.end <= text.length);
}

describe('property: the parser never throws', () => {
  it('on random text (4,000 cases)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => analyse(s)), { numRuns: 4000 });
  });

  it('on token soup (4,000 cases)', () => {
    fc.assert(fc.property(soup, (s) => analyse(s)), { numRuns: 4000 });
  });

  it('on mutated real descriptions (4,000 cases)', () => {
    const mutation = fc.record({
      file: fc.nat({ max: examples.length - 1 }),
      at: fc.nat(),
      len: fc.nat({ max: 2000 }),
      edits: fc.array(fc.record({ pos: fc.nat(), del: fc.nat({ max: 8 }), ins: fc.oneof(pieces, fc.string({ maxLength: 4 })) }), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(mutation, ({ file, at, len, edits }) => {
        const src = examples[file];
        const start = at % Math.max(1, src.length);
        let s = src.slice(start, start + len);
        for (const e of edits) {
          const p = e.pos % (s.length + 1);
          s = s.slice(0, p) + e.ins + s.slice(p + e.del);
        }
        analyse(s);
      }),
      { numRuns: 4000 },
    );
  });
});
