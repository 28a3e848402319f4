import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareWorkspaces } from '../../server/src/compat/compare';
import { Finding } from '../../server/src/compat/findings';
import { Direction, isRuleId, RuleId, RULES, ruleAnchor } from '../../server/src/compat/rules';
import { applySuppressions, parseAcknowledgements } from '../../server/src/compat/suppress';
import { format } from '../../server/src/format/formatter';
import { Workspace } from '../../server/src/semantic/workspace';
import { parse } from '../../server/src/syntax/parser';
import { repoRoot } from '../util/paths';

/**
 * docs/compatibility.md keeps itself in step with the rule catalog and the engine:
 *   - every rule of RULES has exactly one `### VSnnn name` section, and every such
 *     section is a rule, whose GitHub anchor is ruleAnchor(id);
 *   - the `**Direction:** … · **Severity:** … · **Category:** …` line of each section
 *     states what RULES says;
 *   - each ```vmsd old / ```vmsd new pair makes the section's rule fire (compared as
 *     `vmsd check --baseline` does, inline suppressions and, where the section shows one
 *     in a ```text block, an acknowledged-breaks file included), with the directions
 *     the rule can break; the ```vmsd fixed block, compared with the same old, does not.
 */

const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'compatibility.md'), 'utf8');

interface Block {
  lang: string;
  body: string;
  line: number;
}

interface Section {
  id: string;
  name: string;
  heading: string;
  line: number;
  text: string;
  blocks: Block[];
}

function lineAt(offset: number): number {
  return doc.slice(0, offset).split('\n').length;
}

/** GitHub's heading anchors: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function sections(): Section[] {
  const heads = [...doc.matchAll(/^### (VS\S*)(?: (.*))?$/gm)];
  return heads.map((m, i) => {
    const start = m.index! + m[0].length;
    // A rule section ends at the next heading of level 1 to 3.
    const rest = doc.slice(start);
    const next = /^#{1,3} /m.exec(rest);
    const text = next ? rest.slice(0, next.index) : rest;
    const blocks = [...text.matchAll(/^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm)].map((b) => ({ lang: b[1].trim(), body: b[2], line: lineAt(start + b.index!) }));
    return { id: m[1], name: (m[2] ?? '').trim(), heading: `${m[1]} ${m[2] ?? ''}`.trim(), line: lineAt(m.index!), text, blocks };
  });
}

const all = sections();
const ruleIds = Object.keys(RULES) as RuleId[];

const OLD = 'file:///doc/old/x.vmsd';
const NEW = 'file:///doc/new/x.vmsd';
const ACK = 'file:///doc/.vmsd-acknowledged';

function workspace(uri: string, text: string): Workspace {
  const ws = new Workspace();
  ws.set(uri, text);
  return ws;
}

/** What `vmsd check --baseline` keeps for one pair: engine findings after suppressions, plus the VS08x findings about the suppressions. */
function findings(oldText: string, newText: string, ackText?: string): Finding[] {
  const old = workspace(OLD, oldText);
  const cur = workspace(NEW, newText);
  const result = compareWorkspaces({
    baseline: { analysis: old.analysis(), label: 'old' },
    current: { analysis: cur.analysis(), label: 'new' },
    toCurrent: (uri) => uri.replace('/doc/old/', '/doc/new/'),
  });
  const acks = ackText === undefined ? undefined : parseAcknowledgements(ackText);
  if (acks) assert.deepEqual(acks.errors, [], 'the acknowledged-breaks file parses');
  const texts = (uri: string) => (uri === NEW ? newText : uri === ACK ? ackText : undefined);
  // As the CLI does, the comments of the checked file are examined even where nothing was found.
  const applied = applySuppressions(result.findings, texts, acks?.entries ?? [], acks ? ACK : undefined, [NEW]);
  return [...applied.kept, ...applied.own];
}

function show(list: Finding[]): string {
  return list.map((f) => `  ${f.severity} ${f.rule} ${f.message} (${f.directions.join(', ')})`).join('\n') || '  (nothing)';
}

function languageProblems(text: string): string[] {
  const uri = 'file:///doc/check/x.vmsd';
  const ws = workspace(uri, text);
  return ws
    .diagnostics(uri)
    .filter((d) => d.severity === 'error' || d.severity === 'warning')
    .map((d) => `${d.severity} ${d.code} ${d.message}`);
}

function directionsText(dirs: readonly Direction[]): string {
  return dirs.length ? dirs.join(', ') : 'none';
}

describe('docs/compatibility.md', () => {
  describe('documents every rule once', () => {
    it('has a `### VSnnn name` section for every rule in RULES', () => {
      for (const id of ruleIds) {
        const found = all.filter((s) => s.id === id);
        assert.equal(found.length, 1, `${id}: expected one "### ${id} ${RULES[id].name}" heading, found ${found.length}`);
        assert.equal(found[0].name, RULES[id].name, `${id}: the heading names the rule "${found[0].name}", RULES says "${RULES[id].name}"`);
      }
    });

    it('documents no rule that RULES lacks', () => {
      for (const s of all) {
        assert.ok(/^VS\d{3}$/.test(s.id) && isRuleId(s.id), `line ${s.line}: "### ${s.heading}" is not a known rule`);
      }
    });

    it('gives every rule the anchor that ruleAnchor() links to', () => {
      for (const s of all) {
        if (!isRuleId(s.id)) continue;
        assert.equal(githubAnchor(s.heading), ruleAnchor(s.id), `line ${s.line}: "### ${s.heading}"`);
      }
    });

    it('lists every rule in the index table, with its link, directions and severity', () => {
      for (const id of ruleIds) {
        const info = RULES[id];
        const row = `| [${id} ${info.name}](#${ruleAnchor(id)}) | ${directionsText(info.directions)} | ${info.severity} |`;
        assert.ok(doc.includes(row), `the index lacks the row\n  ${row}`);
      }
    });
  });

  it('links only to headings that exist (on this page and the pages next to it)', () => {
    const anchorsOf = (text: string) => new Set([...text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => githubAnchor(m[1])));
    const pages = new Map<string, Set<string>>([['', anchorsOf(doc)]]);
    for (const m of doc.matchAll(/\]\(([^)\s]*)\)/g)) {
      const [file, anchor] = m[1].split('#') as [string, string | undefined];
      if (/^[a-z]+:/.test(file)) continue; // an absolute URL
      const target = path.join(repoRoot, 'docs', file);
      assert.ok(file === '' || fs.existsSync(target), `line ${lineAt(m.index!)}: no file ${file}`);
      if (anchor === undefined || (file !== '' && !file.endsWith('.md'))) continue;
      if (!pages.has(file)) pages.set(file, anchorsOf(fs.readFileSync(target, 'utf8')));
      assert.ok(pages.get(file)!.has(anchor), `line ${lineAt(m.index!)}: ${file || 'this page'} has no heading #${anchor}`);
    }
  });

  describe('other examples', () => {
    // Plain ```vmsd blocks outside the rule sections (the suppression example of §4).
    const ruleSpans = all.map((s) => [s.line, s.line + s.text.split('\n').length] as const);
    const plain = [...doc.matchAll(/^```vmsd\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => ({ body: m[1], line: lineAt(m.index!) })).filter((b) => !ruleSpans.some(([a, z]) => b.line >= a && b.line <= z));
    it('has some', () => assert.ok(plain.length > 0));
    for (const b of plain) {
      it(`the example at line ${b.line} is valid and canonically formatted`, () => {
        assert.deepEqual(languageProblems(b.body), [], 'the example has language errors or warnings');
        assert.equal(format(parse(b.body))?.trimEnd(), b.body.trimEnd(), 'the example is not in canonical format (vmsd fmt)');
      });
    }
  });

  for (const s of all) {
    if (!isRuleId(s.id)) continue;
    const id = s.id;
    const info = RULES[id];
    describe(`${id} ${info.name} (line ${s.line})`, () => {
      it('states the rule\'s directions, severity and category', () => {
        const m = /^\*\*Direction:\*\* (.+?) · \*\*Severity:\*\* (\S+) · \*\*Category:\*\* (\S+)[ \t]*$/m.exec(s.text);
        assert.ok(m, 'a line `**Direction:** … · **Severity:** … · **Category:** …` follows the heading');
        assert.equal(m[1], directionsText(info.directions), 'direction');
        assert.equal(m[2], info.severity, 'severity');
        assert.equal(m[3], info.category, 'category');
      });

      const vmsd = s.blocks.filter((b) => b.lang.startsWith('vmsd'));
      const oldBlock = vmsd.find((b) => b.lang === 'vmsd old');
      const newBlock = vmsd.find((b) => b.lang === 'vmsd new');
      const fixed = vmsd.find((b) => b.lang === 'vmsd fixed');
      const ack = s.blocks.find((b) => b.lang === 'text');

      it('shows its examples in `vmsd old`, `vmsd new` and `vmsd fixed` blocks', () => {
        for (const b of vmsd) assert.ok(['vmsd old', 'vmsd new', 'vmsd fixed'].includes(b.lang), `line ${b.line}: unexpected fence \`${b.lang}\``);
        for (const lang of ['vmsd old', 'vmsd new', 'vmsd fixed']) assert.ok(vmsd.filter((b) => b.lang === lang).length <= 1, `more than one \`${lang}\` block`);
        assert.ok(newBlock, 'a `vmsd new` block');
        // The suppression rules may show the comment alone; every other rule a full example.
        if (!['VS080', 'VS081', 'VS082'].includes(id)) {
          assert.ok(oldBlock, 'a `vmsd old` block');
          assert.ok(fixed, 'a `vmsd fixed` block');
        }
      });

      for (const b of vmsd) {
        it(`the \`${b.lang}\` example (line ${b.line}) is valid and canonically formatted`, () => {
          assert.deepEqual(languageProblems(b.body), [], 'the example has language errors or warnings');
          assert.equal(format(parse(b.body))?.trimEnd(), b.body.trimEnd(), 'the example is not in canonical format (vmsd fmt)');
        });
      }

      if (oldBlock && newBlock) {
        it(`fires for old → new (line ${newBlock.line})`, () => {
          const got = findings(oldBlock.body, newBlock.body, ack?.body);
          const mine = got.filter((f) => f.rule === id);
          assert.ok(mine.length > 0, `${id} does not fire; the checker reports:\n${show(got)}`);
          // The example shows the rule at its full reach: its default severity, every direction it can break.
          assert.ok(mine.some((f) => f.severity === info.severity), `${id} fires, but not at its default severity ${info.severity}:\n${show(mine)}`);
          const dirs = new Set(mine.flatMap((f) => f.directions));
          assert.deepEqual([...dirs].sort(), [...info.directions].sort(), `${id} fires for other directions than RULES states:\n${show(mine)}`);
        });
      }

      if (oldBlock && fixed) {
        it(`does not fire for old → fixed (line ${fixed.line})`, () => {
          const got = findings(oldBlock.body, fixed.body, ack?.body);
          assert.equal(got.filter((f) => f.rule === id).length, 0, `${id} still fires for the fix:\n${show(got)}`);
        });
      }
    });
  }
});
