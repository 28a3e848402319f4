import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareWorkspaces } from '../../server/src/compat/compare';
import { CompatResult } from '../../server/src/compat/findings';
import { RULES } from '../../server/src/compat/rules';
import { Analysis } from '../../server/src/semantic/analyzer';
import { Workspace } from '../../server/src/semantic/workspace';
import { examplesDir } from '../util/paths';

/**
 * The compatibility engine on broken and odd input: the examples with one file mutated
 * (text cut, pieces of the language inserted), compared with the examples both ways.
 * It never throws, every place lies in its file, directions are the rule's, and a
 * workspace compared with itself — however broken — gives no finding at all.
 */
const files = fs
  .readdirSync(examplesDir)
  .filter((f) => f.endsWith('.vmsd'))
  .map((f) => ({ uri: pathToFileURL(path.join(examplesDir, f)).href, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') }));

function analysisOf(texts: Array<{ uri: string; text: string }>): Analysis {
  const ws = new Workspace();
  for (const f of texts) ws.set(f.uri, f.text);
  return ws.analysis();
}

const examples = analysisOf(files);

const pieces = fc.constantFrom(
  '\n    version 3\n', '\n    minimum_version 2\n', ' since 2', ' since 9', '\n    unused 4\n', '\n    x: u32\n', '\n    y: u8[3]\n', 'u64', 'u16', 'i32', 'bool',
  '\n    subsection s needed (property(p)) {\n        version 1\n        z: u32\n    }\n', '\n    property p: bool = true\n', ' if (version > 1)', ' default 7',
  '\n    reserved "x"\n', ' alias "old"', '}', '{', '\n', 'machine "m" {}\n', 'e1000.mitigation = false\n', '@deprecated ', '@unstable ', '[n]', 'bytes[4]',
);

function check(r: CompatResult, baseline: Analysis, current: Analysis): void {
  for (const f of r.findings) {
    const a = f.place.side === 'baseline' ? baseline : current;
    const text = a.files.get(f.place.uri)?.tree.text;
    assert.ok(text !== undefined || f.place.uri.endsWith('.vmsd'), `${f.rule}: a file of the ${f.place.side} side`);
    if (text !== undefined) assert.ok(0 <= f.place.start && f.place.start <= f.place.end && f.place.end <= text.length, `${f.rule} place within its file`);
    for (const d of f.directions) assert.ok((RULES[f.rule].directions as readonly string[]).includes(d), `${f.rule} ${d}`);
  }
  for (const c of r.matrix) assert.ok(['ok', 'warning', 'error'].includes(c.verdict));
}

describe('property: the compatibility engine on mutated examples', function () {
  this.timeout(120_000);

  it('never throws, places lie in their files, and a workspace compared with itself gives nothing (150 cases)', () => {
    const mutation = fc.record({
      file: fc.nat({ max: files.length - 1 }),
      edits: fc.array(fc.record({ pos: fc.nat(), del: fc.nat({ max: 40 }), ins: fc.oneof(pieces, fc.string({ maxLength: 3 })) }), { minLength: 1, maxLength: 6 }),
    });
    fc.assert(
      fc.property(mutation, ({ file, edits }) => {
        let text = files[file].text;
        for (const e of edits) {
          const p = e.pos % (text.length + 1);
          text = text.slice(0, p) + e.ins + text.slice(p + e.del);
        }
        const mutated = analysisOf(files.map((f, i) => (i === file ? { uri: f.uri, text } : f)));
        const forward = compareWorkspaces({ baseline: { analysis: examples, label: 'old' }, current: { analysis: mutated, label: 'new' }, toCurrent: (u) => u });
        check(forward, examples, mutated);
        const backward = compareWorkspaces({ baseline: { analysis: mutated, label: 'old' }, current: { analysis: examples, label: 'new' }, toCurrent: (u) => u });
        check(backward, mutated, examples);
        const same = compareWorkspaces({ baseline: { analysis: mutated, label: 'old' }, current: { analysis: mutated, label: 'new' } });
        assert.deepEqual(same.findings.map((f) => `${f.rule} ${f.message}`), []);
        assert.ok(same.matrix.every((c) => c.verdict === 'ok'));
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 150) },
    );
  });
});
