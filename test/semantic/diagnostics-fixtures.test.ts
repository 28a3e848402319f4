import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CODES } from '../../server/src/diagnostics/codes';
import { Diagnostic } from '../../server/src/diagnostics/diagnostic';
import { decodeText } from '../../server/src/host/files';
import { fixtures } from '../util/paths';
import { splitFixture, workspaceOf } from '../util/workspace';

/**
 * test/fixtures/diagnostics/VLnnn[-what].vmsd: `<|…|>` marks every diagnostic with code
 * VLnnn; any other diagnostic (bar hints) must be named on an `// also:` line.
 */
const dir = path.join(fixtures, 'diagnostics');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.vmsd')).sort() : [];

describe('diagnostics: one fixture per code', () => {
  it('every code has at least one fixture', () => {
    const covered = new Set(files.map((f) => f.slice(0, 5)));
    const missing = Object.keys(CODES).filter((c) => !covered.has(c));
    assert.deepEqual(missing, [], `codes without a fixture in test/fixtures/diagnostics`);
  });

  for (const file of files) {
    it(file, () => {
      const code = file.slice(0, 5);
      // Read as the CLI does: bytes decoded as UTF-8, invalid sequences reported (VL002).
      const decoded = decodeText(fs.readFileSync(path.join(dir, file)));
      const source = decoded.text;
      const also = new Set<string>();
      for (const m of source.matchAll(/^\/\/ also: (.*)$/gm)) for (const c of m[1].split(/[ ,]+/)) if (c) also.add(c);
      const parts = splitFixture(source);
      const ws = workspaceOf(parts);
      let marked = 0;
      let invalidUtf8Reported = false;
      for (const part of parts) {
        const ds: Diagnostic[] = [...ws.diagnostics(part.uri)];
        const bad = part.text.indexOf('\uFFFD');
        if (decoded.diagnostic && bad >= 0 && !invalidUtf8Reported) {
          invalidUtf8Reported = true;
          ds.push({ ...decoded.diagnostic, start: bad, end: bad + 1 });
        }
        const got = ds.filter((d) => d.code === code).map((d) => `${d.start}..${d.end}`);
        const want = part.ranges.map((r) => `${r.start}..${r.end}`);
        marked += want.length;
        const show = (ranges: string[]) => ranges.map((r) => { const [s, e] = r.split('..').map(Number); return `${r} ${JSON.stringify(part.text.slice(s, e))}`; });
        assert.deepEqual(show(got.sort()), show(want.sort()), `${code} ranges in ${part.name}: ${JSON.stringify(ds.filter((d) => d.code === code).map((d) => d.message))}`);
        const others = ds.filter((d) => d.code !== code && d.severity !== 'hint' && !also.has(d.code));
        assert.deepEqual(others.map((d) => `${d.code} ${d.message}`), [], `unexpected diagnostics in ${part.name}`);
      }
      assert.ok(marked > 0, 'the fixture marks no diagnostic');
    });
  }
});

describe('diagnostics: documentation', () => {
  it('docs/diagnostics.md documents every code with its title', () => {
    const doc = fs.readFileSync(path.join(fixtures, '..', '..', 'docs', 'diagnostics.md'), 'utf8');
    for (const [code, info] of Object.entries(CODES)) {
      assert.ok(doc.includes(`## ${code} — ${info.title}`), `docs/diagnostics.md lacks "## ${code} — ${info.title}"`);
    }
  });
});
