import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dumpTree } from '../../server/src/syntax/dump';
import { lex } from '../../server/src/syntax/lexer';
import { parse } from '../../server/src/syntax/parser';
import { T } from '../../server/src/syntax/tokens';
import { fixtures, updateGolden } from '../util/paths';

const syntaxDir = path.join(fixtures, 'syntax');

describe('syntax: golden parse trees', () => {
  for (const file of fs.readdirSync(syntaxDir).filter((f) => f.endsWith('.vmsd')).sort()) {
    it(file, () => {
      const text = fs.readFileSync(path.join(syntaxDir, file), 'utf8');
      const actual = dumpTree(parse(text));
      const goldenPath = path.join(syntaxDir, file.replace(/\.vmsd$/, '.tree'));
      if (updateGolden || !fs.existsSync(goldenPath)) fs.writeFileSync(goldenPath, actual);
      assert.equal(actual, fs.readFileSync(goldenPath, 'utf8'), `golden ${goldenPath} differs (UPDATE_GOLDEN=1 to regenerate)`);
    });
  }

  it('the constructs fixture parses without any diagnostic', () => {
    const text = fs.readFileSync(path.join(syntaxDir, 'constructs.vmsd'), 'utf8');
    assert.deepEqual(parse(text).diagnostics, []);
  });
});

describe('syntax: lexer', () => {
  it('is lossless: tokens in order, and only whitespace between them', () => {
    const text = fs.readFileSync(path.join(syntaxDir, 'constructs.vmsd'), 'utf8') + '\0\x01 €\uFFFD"x\n/* y';
    const { tokens } = lex(text);
    let at = 0;
    for (const t of tokens) {
      assert.ok(t.start >= at);
      assert.match(text.slice(at, t.start), /^[ \t\n\r\v\f]*$/);
      at = t.end;
    }
    assert.equal(at, text.length);
    assert.equal(tokens[tokens.length - 1].kind, T.EOF);
  });

  it('glues hyphens into names only between name characters', () => {
    const kinds = (s: string) => lex(s).tokens.filter((t) => t.kind !== T.EOF).map((t) => s.slice(t.start, t.end));
    assert.deepEqual(kinds('isa-serial x-migrate-poll'), ['isa-serial', 'x-migrate-poll']);
    assert.deepEqual(kinds('n - 1'), ['n', '-', '1']);
    assert.deepEqual(kinds('n -1'), ['n', '-', '1']);
    assert.deepEqual(kinds('a- b'), ['a', '-', 'b']);
  });

  it('tells doc comments from plain ones', () => {
    const ks = lex('/// doc\n// plain\n//// not doc\n/* block */').tokens.map((t) => t.kind);
    assert.deepEqual(ks, [T.DocComment, T.LineComment, T.LineComment, T.BlockComment, T.EOF]);
  });

  it('reports bad numbers, escapes, strings and characters with ranges', () => {
    const text = 'const A = 0x\nconst B = 12ab\nconst C = "a\\qb"\nconst D = "open\n$';
    const tree = parse(text);
    const got = tree.diagnostics.map((d) => `${d.code} ${JSON.stringify(text.slice(d.start, d.end))}`);
    assert.deepEqual(got.sort(), ['VL001 "$"', 'VL003 "\\"open"', 'VL005 "0x"', 'VL005 "12ab"', 'VL006 "\\\\q"'].sort());
  });
});

describe('syntax: recovery', () => {
  const diag = (text: string) => parse(text).diagnostics.map((d) => ({ code: d.code, at: text.slice(d.start, d.end), start: d.start }));

  it('a missing `}` gives one error where the brace belongs, and the next declaration still parses', () => {
    const text = 'vmstate a {\n    x: u8\n\nvmstate b {\n    z: u8\n}\n';
    const tree = parse(text);
    assert.equal(tree.diagnostics.length, 1);
    assert.equal(tree.diagnostics[0].code, 'VL011');
    assert.equal(tree.diagnostics[0].start, text.indexOf('u8') + 2);
    assert.deepEqual(tree.file.items.map((i) => i.kind), ['Vmstate', 'Vmstate']);
    const b = tree.file.items[1];
    assert.ok(b.kind === 'Vmstate' && b.body?.items.length === 1);
  });

  it('a half-typed field gives one error and the following fields survive', () => {
    const text = 'vmstate a {\n    x:\n    y: u16\n}\n';
    const ds = diag(text);
    assert.equal(ds.length, 1);
    assert.equal(ds[0].start, text.indexOf(':') + 1);
    const a = parse(text).file.items[0];
    assert.ok(a.kind === 'Vmstate');
    assert.deepEqual(a.body!.items.map((i) => (i.kind === 'Field' ? i.name.text : i.kind)), ['x', 'y']);
  });

  it('a name without a colon is one error on that name', () => {
    const text = 'vmstate a {\n    ab\n    y: u16\n}\n';
    assert.deepEqual(diag(text).map((d) => d.at), ['ab']);
  });

  it('a misspelt modifier is one error with a suggestion', () => {
    const tree = parse('vmstate a {\n    version 2\n    z: u8 sinc 2\n}\n');
    assert.equal(tree.diagnostics.length, 1);
    assert.match(tree.diagnostics[0].message, /did you mean `since`/);
    assert.deepEqual(tree.diagnostics[0].data?.suggestions, ['since']);
  });

  it('a garbage line inside a body is one error; the fields around it survive', () => {
    const text = 'vmstate a {\n    x: u8\n    %%% junk { with } braces ###\n    y: u8\n}\n';
    const tree = parse(text);
    assert.equal(tree.diagnostics.filter((d) => d.code !== 'VL001').length, 1);
    const a = tree.file.items[0];
    assert.ok(a.kind === 'Vmstate');
    assert.deepEqual(a.body!.items.map((i) => (i.kind === 'Field' ? i.name.text : '?')), ['x', 'y']);
  });

  it('a misspelt declaration keyword is one error with a suggestion, and the next declaration parses', () => {
    const text = 'vmsate b {\n    z: u8\n}\ndevice d {\n    state b\n}\n';
    const tree = parse(text);
    assert.equal(tree.diagnostics.length, 1);
    assert.match(tree.diagnostics[0].message, /did you mean `vmstate`/);
    assert.deepEqual(tree.file.items.map((i) => i.kind), ['Device']);
  });

  it('an unterminated string stops at the end of its line', () => {
    const text = 'vmstate a {\n    x: u8 if (a == "open\n    y: u8\n}\n';
    const tree = parse(text);
    assert.ok(tree.diagnostics.some((d) => d.code === 'VL003'));
    const a = tree.file.items[0];
    assert.ok(a.kind === 'Vmstate' && a.body!.items.some((i) => i.kind === 'Field' && i.name.text === 'y'));
  });

  it('an unterminated block comment is reported at its start', () => {
    const text = 'vmstate a {}\n/* open\nvmstate b {}\n';
    const ds = diag(text);
    assert.deepEqual(ds.map((d) => d.code), ['VL004']);
    assert.equal(ds[0].start, text.indexOf('/*'));
  });

  it('a condition without parentheses is one error and is still parsed', () => {
    const tree = parse('vmstate a {\n    x: u8\n    subsection s needed x != 0 {\n        y: u8\n    }\n}\n');
    assert.equal(tree.diagnostics.length, 1);
    assert.match(tree.diagnostics[0].message, /parentheses/);
  });

  it('chained comparisons are reported', () => {
    const tree = parse('const A = 1 < 2 < 3\n');
    assert.equal(tree.diagnostics.length, 1);
    assert.match(tree.diagnostics[0].message, /do not chain/);
  });
});
