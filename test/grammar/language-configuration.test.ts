import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lex } from '../../server/src/syntax/lexer';
import { T } from '../../server/src/syntax/tokens';
import { examplesDir, repoRoot } from '../util/paths';

/**
 * language-configuration.json against the language: the word pattern is the lexer's
 * identifier and number, the indentation rules and Enter rules do what the formatter's
 * layout (language.md §6) and doc comments (§3.19) need.
 */

interface OnEnterRule {
  beforeText: string;
  afterText?: string;
  action: { indent: 'none' | 'indent' | 'indentOutdent' | 'outdent'; appendText?: string };
}
interface LanguageConfiguration {
  comments: { lineComment: string; blockComment: [string, string] };
  brackets: Array<[string, string]>;
  colorizedBracketPairs: Array<[string, string]>;
  autoClosingPairs: Array<{ open: string; close: string; notIn?: string[] }>;
  surroundingPairs: Array<[string, string]>;
  indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
  onEnterRules: OnEnterRule[];
  folding: { markers: { start: string; end: string } };
  wordPattern: string;
}

const config = JSON.parse(fs.readFileSync(path.join(repoRoot, 'language-configuration.json'), 'utf8')) as LanguageConfiguration;
const examples = fs
  .readdirSync(examplesDir)
  .filter((f) => f.endsWith('.vmsd'))
  .map((f) => fs.readFileSync(path.join(examplesDir, f), 'utf8'));

/** VS Code's choice: the first rule whose beforeText (and afterText, if any) match. */
function onEnter(before: string, after = ''): OnEnterRule['action'] | undefined {
  for (const r of config.onEnterRules) {
    if (!new RegExp(r.beforeText).test(before)) continue;
    if (r.afterText !== undefined && !new RegExp(r.afterText).test(after)) continue;
    return r.action;
  }
  return undefined;
}

/** The words VS Code finds in a text (it compiles the pattern with the `g` flag). */
function words(text: string): string[] {
  return [...text.matchAll(new RegExp(config.wordPattern, 'g'))].map((m) => m[0]);
}

describe('language-configuration.json', () => {
  it('comments are those of the lexer', () => {
    const kinds = (text: string): T[] => lex(text).tokens.filter((t) => t.kind !== T.EOF).map((t) => t.kind);
    assert.deepEqual(kinds('// x'), [T.LineComment]);
    assert.equal(config.comments.lineComment, '//');
    const [open, close] = config.comments.blockComment;
    assert.deepEqual(kinds(`${open} x ${close}`), [T.BlockComment]);
  });

  describe('wordPattern', () => {
    it('is exactly each identifier and number of the examples, hyphenated names included', () => {
      let idents = 0;
      for (const text of examples) {
        for (const t of lex(text).tokens) {
          if (t.kind !== T.Ident && t.kind !== T.Int) continue;
          const token = text.slice(t.start, t.end);
          const re = new RegExp(config.wordPattern, 'y');
          re.lastIndex = t.start;
          assert.equal(re.exec(text)?.[0], token, `the word at ${token}`);
          if (token.includes('-')) idents++;
        }
      }
      assert.ok(idents > 10, 'the examples have hyphenated names (x-not-migrate-acpi-index, …)');
    });

    it('matches names the way the lexer reads them', () => {
      assert.deepEqual(words('PIIX4_PM.x-not-migrate-acpi-index = true'), ['PIIX4_PM', 'x-not-migrate-acpi-index', 'true']);
      assert.deepEqual(words('ICH9-LPC isa-serial _x9 a_b'), ['ICH9-LPC', 'isa-serial', '_x9', 'a_b']);
      // `n-1` is one identifier; `n - 1` and `n -1` are subtractions (language.md §1).
      assert.deepEqual(words('n-1'), ['n-1']);
      assert.deepEqual(words('n - 1'), ['n', '1']);
      assert.deepEqual(words('n -1'), ['n', '1']);
      assert.deepEqual(words('a- b'), ['a', 'b']);
      assert.deepEqual(words('recv_fifo.num != 0'), ['recv_fifo', 'num', '0']);
      assert.deepEqual(words('0x2a 0xffff_ffff 0b1010 1_000'), ['0x2a', '0xffff_ffff', '0b1010', '1_000']);
      assert.deepEqual(words('property(hpet-offset-saved)'), ['property', 'hpet-offset-saved']);
      assert.deepEqual(words('serial_fifo8 @ V2'), ['serial_fifo8', 'V2']);
    });

    it('never matches an operator or punctuation', () => {
      const ops = ['&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '=', '?', '@', '.', ',', ':', '{', '}', '(', ')', '[', ']', '"', '//', '/*', '*/', '///'];
      for (const op of ops) assert.deepEqual(words(` ${op} `), [], op);
    });
  });

  describe('indentation rules', () => {
    const increase = new RegExp(config.indentationRules.increaseIndentPattern);
    const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);

    it('indent after a line that opens a body, a condition or a size', () => {
      for (const line of ['vmstate hpet {', '    subsection offset needed (property(x)) {', 'device fw_cfg_io : fw_cfg {', 'machine "pc-i440fx-7.2" : "pc-i440fx-8.0" {', '    needed (', '    ) {', 'enum E: u8 { // trailing comment', 'vmstate v { /* c */', '    a: u8 if (']) {
        assert.ok(increase.test(line), line);
      }
      for (const line of ['    a: u8', '    version 1', '}', '// vmstate x {', '    /// opens a body: {', '    property p: bool = true', '    subsection s {}', '    x: u8[4]', 'machine "pc" {}']) {
        assert.ok(!increase.test(line), line);
      }
    });

    it('outdent a line that closes one', () => {
      for (const line of ['}', '    }', '    ) {', '    )', ']']) assert.ok(decrease.test(line), line);
      for (const line of ['    a: u8', '    subsection s {}', '    // }', '    x: u8[4]']) assert.ok(!decrease.test(line), line);
    });

    it('reproduce the indentation of the examples (formatted: 4 spaces per level)', () => {
      let checked = 0;
      for (const text of examples) {
        let depth = 0;
        let inBlockComment = false;
        for (const line of text.split('\n')) {
          if (inBlockComment || line.trim() === '') {
            if (line.includes('*/')) inBlockComment = false;
            continue;
          }
          if (decrease.test(line)) depth--;
          assert.equal(line.length - line.trimStart().length, 4 * depth, `indentation of ${JSON.stringify(line)}`);
          checked++;
          if (increase.test(line)) depth++;
          if (line.includes('/*') && !line.includes('*/')) inBlockComment = true;
        }
        assert.equal(depth, 0);
      }
      assert.ok(checked > 500);
    });
  });

  describe('onEnterRules', () => {
    it('continue a doc comment with `/// `', () => {
      for (const before of ['/// A doc comment', '    /// indented', '///', '/// ends with a brace {', '    /// VMSTATE_UINT8(x) (']) {
        assert.deepEqual(onEnter(before), { indent: 'none', appendText: '/// ' }, before);
      }
    });

    it('every doc comment line of the examples continues, no plain comment does', () => {
      let docs = 0;
      for (const text of examples) {
        for (const t of lex(text).tokens) {
          if (t.kind !== T.DocComment && t.kind !== T.LineComment) continue;
          const lineStart = text.lastIndexOf('\n', t.start - 1) + 1;
          const before = text.slice(lineStart, t.end);
          if (before.slice(0, t.start - lineStart).trim() !== '') continue; // a trailing comment
          const action = onEnter(before);
          if (t.kind === T.DocComment) {
            docs++;
            assert.equal(action?.appendText, '/// ', before);
          } else {
            assert.equal(action?.appendText, undefined, before);
          }
        }
      }
      assert.ok(docs > 100);
    });

    it('do not turn plain comments or four slashes into doc comments', () => {
      for (const before of ['// plain', '//// four slashes', '    a: u8 // trailing', '    a: u8 /// trailing doc']) {
        assert.equal(onEnter(before)?.appendText, undefined, before);
      }
    });

    it('indent after `{` (and between `{` and `}`)', () => {
      assert.deepEqual(onEnter('vmstate hpet {'), { indent: 'indent' });
      assert.deepEqual(onEnter('vmstate hpet { // the timer block'), { indent: 'indent' });
      assert.deepEqual(onEnter('    subsection s needed ('), { indent: 'indent' });
      assert.deepEqual(onEnter('vmstate hpet {', '}'), { indent: 'indentOutdent' });
      assert.deepEqual(onEnter('    needed (', ')'), { indent: 'indentOutdent' });
      assert.equal(onEnter('    a: u8'), undefined);
      assert.equal(onEnter('// not code {'), undefined);
    });
  });

  it('auto-closing and surrounding pairs', () => {
    const pairs = new Map(config.autoClosingPairs.map((p) => [p.open, p]));
    for (const [open, close] of config.brackets) assert.equal(pairs.get(open)?.close, close, `${open} closes`);
    assert.deepEqual(pairs.get('"')?.notIn?.slice().sort(), ['comment', 'string']);
    assert.equal(pairs.get('/*')?.close, ' */');
    for (const [open, close] of config.brackets) assert.ok(config.surroundingPairs.some(([o, c]) => o === open && c === close), `${open} surrounds`);
    assert.ok(config.surroundingPairs.some(([o]) => o === '"'));
    // `<` is also less-than: as a bracket it would unbalance `a < b` (matching, colouring).
    assert.ok(!config.brackets.some(([o]) => o === '<'));
    assert.deepEqual(config.colorizedBracketPairs, config.brackets);
  });

  it('folding markers are `// region` / `// endregion` comments', () => {
    const start = new RegExp(config.folding.markers.start);
    const end = new RegExp(config.folding.markers.end);
    for (const l of ['// region', '    // #region timers', '//#region']) assert.ok(start.test(l) && !end.test(l), l);
    for (const l of ['// endregion', '    // #endregion']) assert.ok(end.test(l) && !start.test(l), l);
    for (const l of ['/// region', '// regional', 'region: u8']) assert.ok(!start.test(l), l);
  });
});
