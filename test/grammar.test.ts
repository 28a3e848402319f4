import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCALARS } from '../server/src/semantic/types';
import { BODY_KEYWORDS, DEVICE_KEYWORDS, FIELD_MODIFIERS, TOP_KEYWORDS, TYPE_KEYWORDS } from '../server/src/syntax/parser';
import { repoRoot } from './util/paths';

/** The TextMate grammar's vocabulary is the parser's: no keyword or type drifts apart. */
describe('syntaxes: the grammar knows the language vocabulary', () => {
  const grammar = fs.readFileSync(path.join(repoRoot, 'syntaxes', 'vmsd.tmLanguage.json'), 'utf8');
  const words = new Set<string>();
  for (const m of grammar.matchAll(/\\\\b\(([a-z0-9_|]+)\)/g)) for (const w of m[1].split('|')) words.add(w);

  it('every keyword and built-in type of the parser is in the grammar, and nothing else', () => {
    const vocabulary = new Set<string>([...TOP_KEYWORDS, ...BODY_KEYWORDS, ...FIELD_MODIFIERS, ...DEVICE_KEYWORDS, ...TYPE_KEYWORDS, ...Object.keys(SCALARS), 'str', 'true', 'false']);
    assert.deepEqual([...words].sort(), [...vocabulary].sort());
  });

  it('is valid JSON with the scope the package contributes', () => {
    const g = JSON.parse(grammar) as { scopeName: string };
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { grammars: Array<{ scopeName: string; path: string }> } };
    assert.equal(pkg.contributes.grammars[0].scopeName, g.scopeName);
    assert.ok(fs.existsSync(path.join(repoRoot, pkg.contributes.grammars[0].path)));
    JSON.parse(fs.readFileSync(path.join(repoRoot, 'language-configuration.json'), 'utf8'));
  });
});
