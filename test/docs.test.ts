import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from '../server/src/format/formatter';
import { parse } from '../server/src/syntax/parser';
import { repoRoot } from './util/paths';
import { splitFixture, workspaceOf } from './util/workspace';

/**
 * The examples of docs/language.md and README.md are real: each ```vmsd block checks
 * without errors or warnings and is already in canonical format. Blocks that show a
 * mistake on purpose are preceded by an HTML comment `<!-- bad example -->`.
 */
for (const page of ['docs/language.md', 'README.md']) {
  const text = fs.readFileSync(path.join(repoRoot, page), 'utf8');
  const blocks = [...text.matchAll(/(<!-- bad example -->\s*)?```vmsd\n([\s\S]*?)```/g)];
  describe(`${page}: examples`, () => {
    it('has examples', () => assert.ok(blocks.length > 0));
    blocks.forEach((m, i) => {
      const body = m[2];
      const line = text.slice(0, m.index).split('\n').length;
      it(`example ${i + 1} (line ${line})`, () => {
        const parts = splitFixture(body);
        const ws = workspaceOf(parts);
        for (const part of parts) {
          const ds = ws.diagnostics(part.uri).filter((d) => d.severity === 'error' || d.severity === 'warning');
          if (m[1]) {
            assert.ok(ds.length > 0, 'a bad example that reports nothing');
            continue;
          }
          // Excerpts may name declarations of other files (unknown names, includes not present).
          const unresolved = ds.filter((d) => !['VL100', 'VL105', 'VL107', 'VL109'].includes(d.code));
          assert.deepEqual(unresolved.map((d) => `${d.code} ${d.message}`), [], 'the example has errors');
          const formatted = format(parse(part.text));
          assert.equal(formatted?.trimEnd(), part.text.trimEnd(), 'the example is not in canonical format');
        }
      });
    });
  });
}
