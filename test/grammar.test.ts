import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCALARS } from '../server/src/semantic/types';
import { BODY_KEYWORDS, DEVICE_KEYWORDS, FIELD_MODIFIERS, TOP_KEYWORDS, TYPE_KEYWORDS } from '../server/src/syntax/parser';
import { repoRoot } from './util/paths';

/**
 * The words of the grammar's regular expressions: every group of plain lower-case words
 * after a word boundary, `\b(a|b)` or `\b(?:a|b)`, in a match, begin, end or while rule.
 * That is how the grammar spells keywords and built-in types, and nothing else.
 */
function grammarWords(grammar: unknown): Set<string> {
  const words = new Set<string>();
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (typeof v === 'string' && ['match', 'begin', 'end', 'while'].includes(key ?? '')) {
      for (const m of v.matchAll(/\\b\((?:\?:)?([a-z0-9_]+(?:\|[a-z0-9_]+)*)\)/g)) for (const w of m[1].split('|')) words.add(w);
    }
  };
  walk(grammar);
  return words;
}

/** The TextMate grammar's vocabulary is the parser's: no keyword or type drifts apart. */
describe('syntaxes: the grammar knows the language vocabulary', () => {
  const grammarText = fs.readFileSync(path.join(repoRoot, 'syntaxes', 'vmsd.tmLanguage.json'), 'utf8');
  const grammar = JSON.parse(grammarText) as { scopeName: string; repository: Record<string, unknown> };
  const words = grammarWords(grammar);
  const vocabulary = new Set<string>([...TOP_KEYWORDS, ...BODY_KEYWORDS, ...FIELD_MODIFIERS, ...DEVICE_KEYWORDS, ...TYPE_KEYWORDS, ...Object.keys(SCALARS), 'str', 'true', 'false']);

  it('every keyword and built-in type of the parser is in the grammar', () => {
    assert.deepEqual([...vocabulary].filter((w) => !words.has(w)).sort(), [], 'missing from syntaxes/vmsd.tmLanguage.json');
  });

  it('the grammar knows no keyword or type that the parser does not', () => {
    assert.deepEqual([...words].filter((w) => !vocabulary.has(w)).sort(), [], 'in the grammar but not in the parser');
  });

  it('the built-in types are one list, as the parser has them', () => {
    const builtin = grammar.repository['builtin-types'] as { match: string };
    assert.deepEqual([...grammarWords({ match: builtin.match })].sort(), [...Object.keys(SCALARS), 'str'].sort());
  });

  it('the word extraction sees through both group forms', () => {
    assert.deepEqual([...grammarWords({ patterns: [{ match: '\\b(a|b_2)\\b' }, { end: '(?=\\b(?:c)\\b)' }, { name: '\\b(not_a_regex)' }] })].sort(), ['a', 'b_2', 'c']);
  });

  it('is valid JSON with the scope the package contributes', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { grammars: Array<{ scopeName: string; path: string }> } };
    assert.equal(pkg.contributes.grammars[0].scopeName, grammar.scopeName);
    assert.ok(fs.existsSync(path.join(repoRoot, pkg.contributes.grammars[0].path)));
    JSON.parse(fs.readFileSync(path.join(repoRoot, 'language-configuration.json'), 'utf8'));
  });

  it('every include points at a repository entry', () => {
    const missing: string[] = [];
    for (const m of grammarText.matchAll(/"include": "#([^"]+)"/g)) if (!(m[1] in grammar.repository)) missing.push(m[1]);
    assert.deepEqual(missing, []);
  });
});
