import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCALARS } from '../../server/src/semantic/types';
import { BODY_KEYWORDS, DEVICE_KEYWORDS, FIELD_MODIFIERS, parse, TOP_KEYWORDS, TYPE_KEYWORDS } from '../../server/src/syntax/parser';
import { repoRoot } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * The TextMate grammar's unit tests: test/grammar/*.vmsd are vscode-tmgrammar-test fixtures
 * (`// SYNTAX TEST "source.vmsd"` header, `^` / `<-` scope assertions). They run through the
 * tool's own CLI, and these tests keep the fixtures honest: they cover every word of the
 * language's vocabulary both as a keyword and as an ordinary name, every scope the grammar
 * produces, and they are real .vmsd (the analyser finds no errors except in errors.vmsd).
 */

const fixtureDir = path.join(repoRoot, 'test', 'grammar');
const grammarPath = path.join(repoRoot, 'syntaxes', 'vmsd.tmLanguage.json');
const fixtures = fs.readdirSync(fixtureDir).filter((f) => f.endsWith('.vmsd')).sort();
/** The one fixture that shows lexical and syntax errors on purpose. */
const ERROR_FIXTURE = 'errors.vmsd';

const toolDir = path.dirname(require.resolve('vscode-tmgrammar-test/package.json'));

/** The CLI's script, from the package's own `bin` map. */
function toolBin(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(toolDir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  return path.join(toolDir, pkg.bin['vscode-tmgrammar-test']);
}

/** The tool's fixture parser (the same one the CLI uses), so assertions are read exactly as it reads them. */
interface ScopeAssertion {
  from: number;
  to: number;
  scopes: string[];
  exclude: string[];
}
interface GrammarTestCase {
  metadata: { commentToken: string; scope: string; description: string };
  source: string[];
  assertions: Array<{ testCaseLineNumber: number; sourceLineNumber: number; scopeAssertions: ScopeAssertion[] }>;
}
const { parseGrammarTestCase } = require(path.join(toolDir, 'dist', 'unit', 'parsing')) as { parseGrammarTestCase: (text: string) => GrammarTestCase };

/** One assertion with the source text under it. */
interface Assertion extends ScopeAssertion {
  file: string;
  /** 1-based line of the assertion in the fixture. */
  line: number;
  text: string;
  sourceLine: string;
}

function assertionsOf(file: string): Assertion[] {
  const tc = parseGrammarTestCase(fs.readFileSync(path.join(fixtureDir, file), 'utf8'));
  const out: Assertion[] = [];
  for (const la of tc.assertions) {
    const sourceLine = tc.source[la.sourceLineNumber];
    for (const a of la.scopeAssertions) {
      out.push({ ...a, file, line: la.testCaseLineNumber + 1, text: sourceLine.slice(a.from, a.to), sourceLine });
    }
  }
  return out;
}

/** The words the parser treats as keywords and the built-in type names. */
const VOCABULARY = [...TOP_KEYWORDS, ...BODY_KEYWORDS, ...FIELD_MODIFIERS, ...DEVICE_KEYWORDS, ...TYPE_KEYWORDS, ...Object.keys(SCALARS), 'str', 'true', 'false'];

/** Scopes that mark a word as part of the language rather than a name. */
const KEYWORD_SCOPE = /^(keyword|support\.type|support\.function|constant\.language|variable\.language|storage)\./;

/** Every scope name the grammar can produce (rule names and capture names, split on spaces). */
function grammarScopes(): Set<string> {
  const scopes = new Set<string>();
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (typeof v === 'string' && (key === 'name' || key === 'contentName')) for (const s of v.split(/\s+/)) if (s) scopes.add(s);
  };
  const g = JSON.parse(fs.readFileSync(grammarPath, 'utf8')) as { repository: unknown; patterns: unknown };
  walk(g.patterns);
  walk(g.repository);
  return scopes;
}

describe('syntaxes: TextMate grammar tests (vscode-tmgrammar-test)', () => {
  const all = fixtures.flatMap(assertionsOf);

  it('has fixtures with the required header', () => {
    assert.ok(fixtures.length >= 10, `only ${fixtures.length} fixtures`);
    for (const f of fixtures) {
      const first = fs.readFileSync(path.join(fixtureDir, f), 'utf8').split('\n', 1)[0];
      assert.match(first, /^\/\/ SYNTAX TEST "source\.vmsd" "[^"]+"$/, `${f}: header`);
    }
  });

  it('every fixture passes vscode-tmgrammar-test', function () {
    this.timeout(60000);
    const r = spawnSync(process.execPath, [toolBin(), '--compact', '-g', grammarPath, 'test/grammar/*.vmsd'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60000,
    });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    assert.equal(r.status, 0, `vscode-tmgrammar-test failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${output}`);
    // Exit 0 with no fixture found would be a hollow pass: each one must have been run.
    for (const f of fixtures) assert.ok(output.includes(`test/grammar/${f} run successfuly`), `${f} was not run:\n${output}`);
  });

  it('assertions sit on whole words (a shifted caret would test the wrong token)', () => {
    const word = /[A-Za-z0-9_]/;
    const shifted = all.filter((a) => {
      const { sourceLine: l, from, to } = a;
      return (from > 0 && word.test(l[from - 1]) && word.test(l[from])) || (to < l.length && word.test(l[to - 1]) && word.test(l[to])) || a.text.trim() === '';
    });
    assert.deepEqual(shifted.map((a) => `${a.file}:${a.line}: ${JSON.stringify(a.text)} in ${JSON.stringify(a.sourceLine)}`), []);
  });

  it('assertions name only scopes the grammar produces (a misspelt `- scope` would always pass)', () => {
    const known = grammarScopes();
    known.add('source.vmsd');
    const unknown = all.flatMap((a) => [...a.scopes, ...a.exclude].filter((s) => !known.has(s)).map((s) => `${a.file}:${a.line}: ${s}`));
    assert.deepEqual(unknown, []);
  });

  it('every scope of the grammar is asserted by some fixture', () => {
    const asserted = new Set(all.flatMap((a) => a.scopes));
    assert.deepEqual([...grammarScopes()].filter((s) => !asserted.has(s)).sort(), []);
  });

  describe('every keyword and built-in type of the vocabulary is tested', () => {
    for (const w of [...new Set(VOCABULARY)].sort()) {
      it(w, () => {
        const on = all.filter((a) => a.text === w);
        const asKeyword = new Set(on.flatMap((a) => a.scopes.filter((s) => KEYWORD_SCOPE.test(s))));
        assert.ok(asKeyword.size > 0, `no fixture asserts a keyword or built-in scope on \`${w}\``);
        // Keywords are contextual (language.md §1): somewhere the word is a name, and there it
        // must not get any of the scopes it gets as a keyword.
        const asName = on.filter((a) => a.scopes.length > 0 && [...asKeyword].every((s) => a.exclude.includes(s)));
        assert.ok(asName.length > 0, `no fixture asserts \`${w}\` as a name without ${[...asKeyword].join(', ')}`);
      });
    }
  });

  describe('the fixtures are real .vmsd', () => {
    for (const f of fixtures) {
      it(f, () => {
        const text = fs.readFileSync(path.join(fixtureDir, f), 'utf8');
        if (f === ERROR_FIXTURE) {
          assert.ok(parse(text).diagnostics.length > 0, `${f} is meant to show syntax errors`);
          return;
        }
        assert.deepEqual(parse(text).diagnostics.map((d) => `${d.code} ${d.message}`), [], 'syntax errors');
        // Included files are not part of the grammar tests: empty stand-ins keep VL105 away.
        const uri = `file:///grammar/${f}`;
        const files = [{ uri, text }];
        for (const m of text.matchAll(/^include\s+"([^"]+)"/gm)) files.push({ uri: new URL(m[1], uri).href, text: '' });
        const ds = workspaceOf(files).diagnostics(uri).filter((d) => d.severity === 'error');
        assert.deepEqual(ds.map((d) => `${d.code} ${d.message}`), [], 'analysis errors');
      });
    }
  });
});
