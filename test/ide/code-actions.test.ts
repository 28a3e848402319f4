import * as assert from 'node:assert/strict';
import { codeActions } from '../../server/src/ide/code-actions';
import { splitFixture, workspaceOf } from '../util/workspace';

/** Apply the action titled `title` at the cursor/selection of the fixture; returns the new texts by file name. */
function apply(source: string, title: string | RegExp): Record<string, string> {
  const files = splitFixture(source);
  const ws = workspaceOf(files);
  const main = files.find((f) => f.cursors.length || f.ranges.length)!;
  const range = main.ranges[0] ?? { start: main.cursors[0], end: main.cursors[0] };
  const a = ws.analysis();
  const diags = (a.diagnostics.get(main.uri) ?? []).filter((d) => d.start <= range.end && d.end >= range.start);
  const actions = codeActions(a, main.uri, range, diags);
  const action = actions.find((x) => (typeof title === 'string' ? x.title === title : title.test(x.title)));
  assert.ok(action, `no action ${title}; have: ${actions.map((x) => x.title).join(' | ')}`);
  const out: Record<string, string> = {};
  for (const f of files) {
    let text = f.text;
    for (const e of action.edits.filter((e) => e.uri === f.uri).sort((x, y) => y.range.start - x.range.start)) {
      text = text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
    }
    out[f.name] = text;
  }
  return out;
}

function fixedText(source: string, title: string | RegExp): string {
  return apply(source, title)['main.vmsd'];
}

function clean(text: string, extra: Record<string, string> = {}): void {
  const ws = workspaceOf([{ uri: 'file:///fixture/main.vmsd', text }, ...Object.entries(extra).map(([n, t]) => ({ uri: `file:///fixture/${n}`, text: t }))]);
  const errs = ws.diagnostics('file:///fixture/main.vmsd').filter((d) => d.severity === 'error');
  assert.deepEqual(errs.map((d) => d.message), []);
}

describe('ide: code actions', () => {
  it('did you mean: replaces a misspelt type', () => {
    const t = fixedText('vmstate a {\n    x: u6<|>5\n}\n', 'Change to `u64`');
    assert.equal(t, 'vmstate a {\n    x: u64\n}\n');
  });

  it('adds the missing include', () => {
    const out = apply('//- file: main.vmsd\nvmstate e {\n    p: PCIDev<|>ice\n}\n//- file: pci.vmsd\nvmstate PCIDevice {\n    v: u8\n}\n', 'Add `include "pci.vmsd"`');
    assert.equal(out['main.vmsd'].trimEnd(), 'include "pci.vmsd"\n\nvmstate e {\n    p: PCIDevice\n}');
    clean(out['main.vmsd'], { 'pci.vmsd': 'vmstate PCIDevice {\n    v: u8\n}\n' });
  });

  it('creates a missing description or constant', () => {
    const t = fixedText('vmstate a {\n    x: Tim<|>er\n}\n', 'Create description `Timer`');
    assert.match(t, /vmstate Timer \{\n    version 1\n\}\n$/);
    const c = fixedText('vmstate a {\n    x: u8[NU<|>M]\n}\n', 'Create constant `NUM`');
    assert.ok(c.startsWith('const NUM = 0\n\nvmstate a {'));
    clean(c);
  });

  it('bumps the version for a since above it', () => {
    const t = fixedText('vmstate a {\n    version 1\n    x: u8 si<|>nce 2\n}\n', 'Bump the version to 2');
    assert.equal(t, 'vmstate a {\n    version 2\n    x: u8 since 2\n}\n');
    const t2 = fixedText('vmstate a {\n    x: u8 si<|>nce 3\n}\n', 'Bump the version to 3');
    assert.equal(t2, 'vmstate a {\n    version 3\n    x: u8 since 3\n}\n');
  });

  it('compares an integer condition with 0', () => {
    const t = fixedText('vmstate a {\n    n: u8\n    x: u8 if (n<|>)\n}\n', 'Compare with 0');
    assert.equal(t, 'vmstate a {\n    n: u8\n    x: u8 if (n != 0)\n}\n');
  });

  it('inserts a missing brace and removes an unused constant', () => {
    const t = fixedText('vmstate a {\n    x: u8<|>\n\nvmstate b {\n    y: u8\n}\n', 'Insert the missing `}`');
    clean(t);
    const u = fixedText('/// Old.\nconst OL<|>D = 1\n\nvmstate a {\n    x: u8\n}\n', 'Remove the unused declaration');
    assert.equal(u, 'vmstate a {\n    x: u8\n}\n');
  });

  it('refactor: add since and bump the version', () => {
    const t = fixedText('vmstate a {\n    version 2\n    x: u8\n    ne<|>w: u32\n}\n', 'Add `since 3` and bump the version to 3');
    assert.equal(t, 'vmstate a {\n    version 3\n    x: u8\n    new: u32 since 3\n}\n');
  });

  it('refactor: move selected fields into a new subsection gated by a new property', () => {
    const out = apply(
      'vmstate a {\n    version 1\n    x: u8\n    <|new1: u32\n    new2: u32|>\n}\n\ndevice d {\n    state a\n}\n',
      'Move 2 fields into a new subsection',
    );
    const t = out['main.vmsd'];
    assert.match(t, /subsection new1_state needed \(property\(x-migrate-new1-state\)\) \{\n        version 1\n        new1: u32\n        new2: u32\n    \}\n\}/);
    assert.match(t, /property x-migrate-new1-state: bool = true/);
    clean(t);
  });
});
