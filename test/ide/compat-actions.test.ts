import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareWorkspaces } from '../../server/src/compat/compare';
import { CompatResult, Finding } from '../../server/src/compat/findings';
import { Diagnostic } from '../../server/src/diagnostics/diagnostic';
import { CodeAction } from '../../server/src/ide/code-actions';
import { compatActions } from '../../server/src/ide/compat-actions';
import { Workspace } from '../../server/src/semantic/workspace';
import { examplesDir } from '../util/paths';

/**
 * The compatibility quick fixes, applied: each one must turn a breaking change of the
 * examples into a compatible one (the finding gone, no new error, the language clean).
 */
const files = new Map<string, string>();
for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) files.set(pathToFileURL(path.join(examplesDir, f)).href, fs.readFileSync(path.join(examplesDir, f), 'utf8'));
const uriOf = (name: string) => pathToFileURL(path.join(examplesDir, name)).href;

function workspace(texts: Map<string, string>): Workspace {
  const ws = new Workspace();
  for (const [uri, text] of texts) ws.set(uri, text);
  return ws;
}

const baseline = workspace(files).analysis();

function compare(texts: Map<string, string>): CompatResult {
  return compareWorkspaces({ baseline: { analysis: baseline, label: 'old' }, current: { analysis: workspace(texts).analysis(), label: 'new' } });
}

function edited(name: string, find: string | RegExp, replace: string): Map<string, string> {
  const out = new Map(files);
  const before = out.get(uriOf(name))!;
  const after = before.replace(find, replace);
  assert.notEqual(after, before, `the edit of ${name} applies`);
  out.set(uriOf(name), after);
  return out;
}

function diagnosticOf(f: Finding): Diagnostic {
  return { code: f.rule, severity: f.severity, message: f.message, start: f.place.start, end: f.place.end, uri: f.place.uri, data: { ...(f.data ?? {}) } };
}

function apply(texts: Map<string, string>, action: CodeAction): Map<string, string> {
  const out = new Map(texts);
  const byUri = new Map<string, CodeAction['edits']>();
  for (const e of action.edits) byUri.set(e.uri, [...(byUri.get(e.uri) ?? []), e]);
  for (const [uri, edits] of byUri) {
    let text = out.get(uri)!;
    for (const e of [...edits].sort((a, b) => b.range.start - a.range.start)) text = text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
    out.set(uri, text);
  }
  return out;
}

function languageErrors(texts: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [uri, ds] of workspace(texts).analysis().diagnostics) for (const d of ds) if (d.severity === 'error') out.push(`${path.basename(uri)}: ${d.code} ${d.message}`);
  return out;
}

/** Find the rule's finding, run its preferred fix, and check the result. */
function fixAndCheck(texts: Map<string, string>, rule: string, title: RegExp): { fixed: Map<string, string>; after: CompatResult } {
  assert.deepEqual(languageErrors(texts), []);
  const before = compare(texts);
  const finding = before.findings.find((f) => f.rule === rule);
  assert.ok(finding, `${rule} fires: ${before.findings.map((f) => f.rule).join(', ')}`);
  const analysis = workspace(texts).analysis();
  const actions = compatActions(analysis, finding.place.uri, [diagnosticOf(finding)]);
  const action = actions.find((a) => title.test(a.title));
  assert.ok(action, `a fix titled ${title}: ${actions.map((a) => a.title).join(' | ')}`);
  const fixed = apply(texts, action);
  assert.deepEqual(languageErrors(fixed), [], 'the fixed files check clean');
  const after = compare(fixed);
  return { fixed, after };
}

const errorsOf = (r: CompatResult) => r.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.message}`);

describe('ide: compatibility quick fixes', () => {
  it('a field added to e1000 moves into a subsection gated by a new property, off for every machine type the old side knows', () => {
    const texts = edited('e1000.vmsd', '    rxbuf_min_shift: u32\n', '    rxbuf_min_shift: u32\n    rx_extra: u32\n');
    const { fixed, after } = fixAndCheck(texts, 'VS011', /^Move `rx_extra` into a new subsection/);
    assert.deepEqual(errorsOf(after), []);
    const e1000 = fixed.get(uriOf('e1000.vmsd'))!;
    assert.match(e1000, /subsection rx_extra_state needed \(property\(x-migrate-rx-extra-state\)\) \{\n {8}version 1\n {8}rx_extra: u32\n {4}\}/);
    // Declared on each device whose state is e1000, set off where the old side's machine types begin.
    assert.equal(e1000.match(/property x-migrate-rx-extra-state: bool = true/g)?.length, 3);
    assert.match(fixed.get(uriOf('pc-i440fx.vmsd'))!, /machine "pc-i440fx-7.2" \{\n {4}e1000\.x-migrate-rx-extra-state = false\n {4}e1000-82544gc\.x-migrate-rx-extra-state = false\n {4}e1000-82545em\.x-migrate-rx-extra-state = false\n\}/);
    // Every machine type both sides know: e1000 is the same stream in both directions.
    for (const c of after.matrix.filter((x) => x.description === 'e1000')) assert.equal(c.verdict, 'ok', `${c.machine} ${c.direction}`);
  });

  it('the other fix for an added field: `since` and a version bump, compatible old→new only', () => {
    const texts = edited('hpet.vmsd', '    hpet_counter: u64\n', '    hpet_counter: u64\n    gcap: u64\n');
    const { after } = fixAndCheck(texts, 'VS011', /^Add `since 3` and bump the version to 3/);
    assert.deepEqual(after.findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.directions]), [['VS004', ['new→old']]]);
  });

  it('a removed field is kept as `unused N` of its wire size', () => {
    const texts = edited('mc146818rtc.vmsd', /\n[ \t]*\/\/\/[^\n]*\n[ \t]*cmos_index: u8\n/, '\n');
    const { fixed, after } = fixAndCheck(texts, 'VS010', /^Keep `unused 1` where `cmos_index` was$/);
    assert.deepEqual(errorsOf(after), []);
    assert.match(fixed.get(uriOf('mc146818rtc.vmsd'))!, /cmos_data: bytes\[128\]\n {4}unused 1\n/);
  });

  it('a removed subsection comes back as a stub that reads and discards it, and is never sent', () => {
    const texts = edited('fw_cfg.vmsd', /\n {4}subsection dma needed \(property\(dma_enabled\)\) \{[\s\S]*?\n {4}\}\n/, '\n');
    const { fixed, after } = fixAndCheck(texts, 'VS031', /^Restore subsection `fw_cfg\/dma` as a stub/);
    assert.deepEqual(errorsOf(after), []);
    assert.match(fixed.get(uriOf('fw_cfg.vmsd'))!, /subsection dma needed \(false\) \{\n {8}version 0\n {8}unused 8\n {4}\}/);
  });

  it('a new subsection sent for the newest machine type gets its compat entry', () => {
    let texts = edited('e1000.vmsd', '    subsection tx_tso_state needed', '    subsection foo needed (property(x-foo)) {\n        version 1\n        foo_reg: u32\n    }\n\n    subsection tx_tso_state needed');
    texts = new Map(texts);
    texts.set(uriOf('e1000.vmsd'), texts.get(uriOf('e1000.vmsd'))!.replace('    property init-vet: bool = true\n}', '    property init-vet: bool = true\n    property x-foo: bool = true\n}'));
    const { after } = fixAndCheck(texts, 'VS040', /^Set `e1000\.x-foo = false` for the machine types the old side knows$/);
    assert.deepEqual(errorsOf(after), []);
  });
});
