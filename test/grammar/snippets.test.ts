import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from '../../server/src/format/formatter';
import { parse } from '../../server/src/syntax/parser';
import { repoRoot } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * snippets/vmsd.json cannot drift from the language: each snippet, expanded with the
 * defaults of its placeholders and put where it belongs (at the top level, in a
 * description's body, in a device's body), parses, analyses without errors, and is already
 * in canonical format (language.md §6) — so what the user gets is what `vmsd fmt` writes.
 */

interface Snippet {
  prefix: string | string[];
  description: string;
  body: string | string[];
}

const snippetsPath = path.join(repoRoot, 'snippets', 'vmsd.json');
const snippets = JSON.parse(fs.readFileSync(snippetsPath, 'utf8')) as Record<string, Snippet>;

/** `$1`, `${1}`, `${1:default}` (defaults may nest), `${1|a,b|}`: the default of each tab stop. */
function expandSnippet(body: string): string {
  const defaults = new Map<string, string>();
  // Read the tab stops with defaults first (innermost first), so that `$1` mirrors can be filled.
  let text = body;
  for (let guard = 0; guard < 100; guard++) {
    const next = text
      .replace(/\$\{(\d+)\|([^|}]*)\|\}/g, (_m, n: string, choices: string) => {
        const first = choices.split(',')[0];
        if (!defaults.has(n)) defaults.set(n, first);
        return first;
      })
      .replace(/\$\{(\d+):([^${}]*)\}/g, (_m, n: string, value: string) => {
        if (!defaults.has(n)) defaults.set(n, value);
        return value;
      })
      .replace(/\$\{(\d+)\}|\$(\d+)/g, (m, a: string | undefined, b: string | undefined) => {
        const n = a ?? b ?? '';
        if (n === '0') return '';
        return defaults.has(n) ? defaults.get(n)! : m;
      });
    if (next === text) break;
    text = next;
  }
  if (/\$\{?\d/.test(text)) throw new Error(`tab stop without a default in ${JSON.stringify(body)}`);
  return text;
}

/** VS Code indents every line of a snippet like the line it is inserted on; `\t` is one level. */
function insert(snippet: string, indent: string): string {
  return snippet
    .split('\n')
    .map((l, i) => (l === '' ? '' : (i === 0 ? '' : indent) + l.replace(/\t/g, '    ')))
    .join('\n');
}

const BODY_CONTEXT = `const K = 1

vmstate ctx {
    version 2
    minimum_version 1

    count: u8
    SNIPPET
}

device ctx {
    state ctx
    property x-flag: bool = true
}
`;

const DEVICE_BODY_CONTEXT = `vmstate ctx {
    version 1
    minimum_version 1

    x: u8
}

device ctx {
    state ctx
    SNIPPET
}
`;

/**
 * Where each snippet goes, with the declarations its default names refer to. A new
 * snippet needs an entry: the test cannot guess where it belongs.
 */
const CONTEXTS: Record<string, string> = {
  'Description (vmstate)': 'SNIPPET\n',
  Field: BODY_CONTEXT,
  'Field since a version': BODY_CONTEXT,
  'Conditional field': BODY_CONTEXT,
  'Variable array': BODY_CONTEXT,
  'Unused bytes': BODY_CONTEXT,
  'Subsection gated by a property': BODY_CONTEXT,
  Device: `vmstate name {
    version 1
    minimum_version 1

    x: u8
}

SNIPPET
`,
  Property: DEVICE_BODY_CONTEXT,
  'Machine type': `device device {
    property property: bool = true
}

machine "pc-i440fx-7.2" {}

SNIPPET
`,
  Enum: 'SNIPPET\n',
  Constant: 'SNIPPET\n',
  Include: 'SNIPPET\n',
};

describe('snippets/vmsd.json', () => {
  it('is the file package.json contributes for the language', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { snippets: Array<{ language: string; path: string }> } };
    assert.ok(pkg.contributes.snippets.some((s) => s.language === 'vmsd' && path.resolve(repoRoot, s.path) === snippetsPath));
  });

  it('covers what a description file is made of', () => {
    const prefixes = new Set(Object.values(snippets).flatMap((s) => s.prefix));
    for (const p of ['vmstate', 'since', 'subsection', 'device', 'machine', 'enum', 'const', 'include', 'unused']) assert.ok(prefixes.has(p), p);
  });

  it('expands placeholders the way VS Code does', () => {
    assert.equal(expandSnippet('device ${1:name} {\n\tstate ${2:$1}\n}$0'), 'device name {\n\tstate name\n}');
    assert.equal(expandSnippet('${1:a ${2:b}} ${3|u8,u16|} $2'), 'a b u8 b');
    assert.throws(() => expandSnippet('x: $1'));
  });

  for (const [name, s] of Object.entries(snippets)) {
    describe(name, () => {
      const body = Array.isArray(s.body) ? s.body.join('\n') : s.body;

      it('has a prefix, a description and numbered tab stops', () => {
        assert.ok((Array.isArray(s.prefix) ? s.prefix : [s.prefix]).every((p) => /^[a-z_]+$/.test(p)), 'a prefix is a word');
        assert.ok(s.description.length > 10);
        const stops = [...new Set([...body.matchAll(/\$\{?(\d+)/g)].map((m) => Number(m[1])).filter((n) => n > 0))].sort((a, b) => a - b);
        assert.deepEqual(stops, stops.map((_, i) => i + 1), 'tab stops are 1, 2, 3, …');
        assert.ok(!/^ /m.test(body), 'indentation is `\\t` (VS Code turns it into the editor\'s)');
      });

      it('parses, analyses without errors and is in canonical format', () => {
        const context = CONTEXTS[name];
        assert.ok(context, `give "${name}" a context in CONTEXTS`);
        const indent = /^( *)SNIPPET/m.exec(context)![1];
        const text = context.replace('SNIPPET', insert(expandSnippet(body), indent));
        const tree = parse(text);
        assert.deepEqual(tree.diagnostics.map((d) => `${d.code} ${d.message}`), [], `syntax errors in:\n${text}`);
        const uri = 'file:///snippets/main.vmsd';
        const ws = workspaceOf([
          { uri, text },
          { uri: 'file:///snippets/file.vmsd', text: 'const INCLUDED = 1\n' },
        ]);
        const errors = ws.diagnostics(uri).filter((d) => d.severity === 'error');
        assert.deepEqual(errors.map((d) => `${d.code} ${d.message}`), [], `analysis errors in:\n${text}`);
        assert.equal(format(tree), text, 'not in the canonical format of `vmsd fmt`');
      });
    });
  }
});
