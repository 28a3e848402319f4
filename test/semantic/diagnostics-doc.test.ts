import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../server/src/cli/main';
import { repoRoot } from '../util/paths';

/**
 * docs/diagnostics.md checks itself: for every code, the bad example must make `vmsd check`
 * print the lines the page quotes, and the fixed example must not report that code.
 */
const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'diagnostics.md'), 'utf8');
const sections = doc.split(/^## (?=VL\d{3} — )/m).slice(1);

function files(src: string): Record<string, string> {
  if (!/^\/\/- file: /m.test(src)) return { 'main.vmsd': src };
  const out: Record<string, string> = {};
  let cur = '';
  for (const line of src.split('\n')) {
    const m = /^\/\/- file: (\S+)\s*$/.exec(line);
    if (m) out[(cur = m[1])] = '';
    else if (cur) out[cur] += line + '\n';
  }
  return out;
}

async function check(src: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-doc-'));
  for (const [name, text] of Object.entries(files(src))) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  let out = '';
  const old = process.cwd();
  process.chdir(dir);
  try {
    // JSON, rendered like the text output but with hints too (the page shows VL302, VL502).
    await main(['check', '--format', 'json', '.'], { out: (s) => (out += s), err: () => undefined });
  } finally {
    process.chdir(old);
  }
  const j = JSON.parse(out) as { diagnostics: Array<{ file: string; line: number; column: number; severity: string; code: string; message: string }> };
  return j.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}\n`).join('');
}

describe('docs/diagnostics.md: examples are real', () => {
  for (const section of sections) {
    const code = section.slice(0, 5);
    // VL002's example is invalid UTF-8, which a Markdown page cannot hold; its fixture
    // (test/fixtures/diagnostics/VL002.vmsd, read as bytes) covers it.
    if (code === 'VL002') continue;
    it(code, async function () {
      const blocks = [...section.matchAll(/```(vmsd|text)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));
      const bad = blocks.find((b) => b.lang === 'vmsd');
      const reported = blocks.find((b) => b.lang === 'text');
      assert.ok(bad && reported, 'a bad example and the tool output are shown');
      const actual = await check(bad.body);
      for (const line of reported.body.split('\n').filter((l) => / (error|warning|info|hint) VL\d{3} /.test(l))) {
        assert.ok(actual.includes(line), `the page quotes a line the tool does not print:\n  ${line}\nit prints:\n${actual}`);
      }
      const fix = blocks.filter((b) => b.lang === 'vmsd')[1];
      if (fix) {
        const after = await check(fix.body);
        assert.doesNotMatch(after, new RegExp(` ${code} `), `the fixed example still reports ${code}:\n${after}`);
      }
    });
  }
});
